"""The HTML report, from evidence documents: escaping, what comes first, one cause said once, no
empty evidence, line breaks. In a real browser: tests/exports/test_html_browser.py."""

import re
from html.parser import HTMLParser

from sample import ARN, document, fault_mix, mixed, task

from netaudit.exports import html


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    return tags


def text_of(page: str) -> str:
    """The text a reader sees, white space collapsed."""
    return re.sub(r"\s+", " ", " ".join(parsed(page).text))


def test_html_escapes_every_author_controlled_value() -> None:
    page = html.render(mixed())
    tags = parsed(page)
    assert not [t for t, _ in tags.tags if t in ("script", "img", "link", "iframe", "object")]
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "\x1b" not in page and "\u202e" not in page and "\\x1b" in page and "\\u202e" in page
    for _, attrs in tags.tags:  # nothing is fetched: no remote (or any) src; links stay in the page
        assert not attrs.get("src") and not (attrs.get("href") or "#").startswith(("http", "//"))
        assert (attrs.get("href") or "#").startswith("#")
    csp = [a for t, a in tags.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in str(csp[0]["content"])
    assert "@media print" in page


def test_html_has_landmarks_and_a_table_of_contents_linking_each_section() -> None:
    page = html.render(mixed())
    tags = parsed(page)
    names = [t for t, _ in tags.tags]
    for landmark in ("header", "nav", "main", "footer"):
        assert names.count(landmark) == 1, landmark
    ids = {a.get("id") for _, a in tags.tags if a.get("id")}
    links = [str(a["href"])[1:] for t, a in tags.tags if t == "a" and a.get("href")]
    assert links and set(links) <= ids  # every in-page link lands on a section
    nav = page[page.index("<nav") : page.index("</nav>")]
    text = text_of(nav)
    for label, count in (
        ("Violations", "1"),
        ("Inconclusive tasks", "1"),
        ("Not probed", "1"),
        ("ISOLATED", "1"),
    ):
        assert re.search(rf"{label}\s+{count}\b", text), (label, text)
    assert page.index("</nav>") < page.index("<main>")


def test_html_puts_violations_first_then_inconclusive_not_probed_and_isolated() -> None:
    doc = mixed()
    exposed = doc["tasks"][0]  # the ISOLATED task, first in the input
    doc["imdsExposure"] = [{"taskArn": exposed["taskArn"], "verdict": "ISOLATED", "imds": "reachable (eth0)"}]
    page = html.render(doc)
    main = page[page.index("<main>") :]
    order = [
        main.index(f'id="{s}"')
        for s in ("violations", "imds-exposure", "inconclusive", "not-probed", "isolated")
    ]
    assert order == sorted(order)
    sections = dict(re.findall(r'<section id="([a-z-]+)">(.*?)</section>', main, re.S))
    for name, n in (("violations", 2), ("inconclusive", 3), ("not-probed", 4), ("isolated", 1)):
        assert f"{n:032x}" in sections[name], name
    text = text_of(page)
    assert "3 tasks audited" in text and "1 not probed" in text
    assert "Fargate: no host to probe from" in text
    # what the config checks say of the declared mode, next to what was observed
    assert "ECS.17 PASSED" in text and "ecs-awsvpc-networking-enabled NON_COMPLIANT" in text
    assert "PCI DSS v4.0.1" in text and "SC-7" in text


def test_html_renders_unknown_evidence_fields_generically_and_no_empty_ones() -> None:
    doc = mixed()
    for t in doc["tasks"]:
        t |= {"expectedEniIpv6": None, "notChecked": [], "accountId": ""}
        for c in t["containers"]:
            c["evidence"]["escape"] = []
    text = text_of(html.render(doc))
    assert "escapeRoutes" in text and "169.254.169.254" in text and "imds" in text
    for empty in ("expectedEniIpv6", "notChecked", "accountId", "escape "):
        assert empty not in text, empty
    assert "More evidence" not in text  # nothing else to show: no empty heading either


def test_html_groups_a_hosts_inconclusive_tasks_under_its_cause_once() -> None:
    doc = fault_mix()
    page = html.render(doc)
    assert page.count('class="task ') == 1  # only the violation as a card: no card per failed task
    for err in doc["probeErrors"]:  # 30 hosts: each cause once, then the host's 10 tasks
        cause = err["cause"].split("\n")[0]
        assert page.count(cause) == 1, cause
        block = page[page.index(f'id="host-{err["instanceId"]}"') :]
        block = block[: block.index("</div>")]
        assert block.count("<li>") == 10 and err["error"] in block
    # the container gone mid-probe on 10 hosts: one cause, its 10 tasks with their hosts
    gone = "no container of the task was found on this host"
    assert page.count(gone) == 1
    nav = text_of(page[page.index("<nav") : page.index("</nav>")])
    assert "Inconclusive, by host 30 hosts, 300 tasks" in nav and "Inconclusive tasks 10" in nav
    assert "ISOLATED 689" in nav and "Violations 1" in nav


def test_html_keeps_line_breaks_and_escapes_control_characters() -> None:
    doc = document([], verdict="ERROR", error="TaskStoppedEarly")
    doc["report"]["summary"] = (
        "ecs-netaudit canary audit x: ERROR - TaskStoppedEarly: Essential container exited\n"
        "stopped reason: exit 1\x1b[31m"
    )
    page = html.render(doc)
    pre = re.search(r'<pre class="cause">(.*?)</pre>', page, re.S)
    assert pre is not None
    assert "Essential container exited\nstopped reason: exit 1\\x1b[31m" in pre.group(1)
    assert "\\x0a" not in page and "\x1b" not in page
    text = text_of(page)
    assert "ERROR" in text and "No task was judged" in text
    # the host-level cause of the fault mix's failed probes keeps its stderr's second line too
    assert "docker: not found\nline 2 of stderr" in html.render(fault_mix())


def test_html_of_a_large_audit_lists_isolated_tasks_compactly() -> None:
    tasks = [task(n, "ISOLATED") for n in range(1, 201)] + [task(999, "VIOLATION")]
    page = html.render(document(tasks))
    assert page.count('class="task ') == 1  # only the violation in full
    table = page[page.index('<table class="isolated">') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr><td><code>") == 200
    assert f"Task ARNs <code>{ARN}</code>&hellip;" in page  # the shared ARN prefix once, each row its id
    assert page.index(f"{ARN}{999:032x}") < page.index(f"<code>{1:032x}</code>")


def test_html_not_probed_tasks_grouped_by_cause_each_reason_once() -> None:
    """Not-probed tasks are grouped by the coverage's cause of their reason (the one definition),
    so platforms it names later (reason codes such as `[FARGATE]`) slot in without a change."""
    fargate = "[FARGATE] AWS Fargate: AWS runs the host, there is no container instance to probe"
    not_probed = [
        {"taskArn": f"{ARN}{n:032x}", "declaredMode": "awsvpc", "reason": fargate} for n in range(10, 15)
    ] + [
        {"taskArn": f"{ARN}{20:032x}", "reason": "[WINDOWS] Windows: no Linux network namespace to read"},
        {
            "taskArn": f"{ARN}{21:032x}",
            "declaredMode": "bridge",
            "reason": "container instance x (EC2 i-0abc) is not Online in SSM (PingStatus ConnectionLost)",
        },
    ]
    page = html.render(document([task(1, "ISOLATED")], not_probed=not_probed))
    section = page[page.index('id="not-probed"') : page.index('id="isolated"')]
    assert section.count('class="group not-probed"') == 3
    assert section.count(fargate) == 1 and section.count(f"{10:032x}") == 1
    headings = re.findall(r"<h3>.*?</h3>", section)
    assert "Fargate" in headings[0] and "5 tasks" in headings[0]  # the largest cause first
    assert any("Windows" in h for h in headings) and any("no SSM" in h for h in headings)
    assert "Not probed 7" in text_of(page[page.index("<nav") : page.index("</nav>")])


def test_html_claims_no_config_check_for_an_unknown_mode() -> None:
    unknown = task(1, "VIOLATION", "none") | {"declaredMode": None}
    doc = document([unknown, task(2, "VIOLATION", "host")])
    doc["report"]["countsByMode"] = {"unknown": {"tasks": 1}, "host": {"tasks": 1}}
    text = text_of(html.render(doc))
    assert "Declared mode unknown (no config check applies)" in text
    assert "mode unknown: no config check applies" in text
    assert text.count("ECS.17 FAILED") == 2  # the host task's card and its mode's row, nothing else
    assert "ECS.17 PASSED" not in text


def test_html_of_a_canary_error_names_the_canarys_declared_mode() -> None:
    doc = document([], verdict="ERROR", error="TaskStartTimeout")
    doc["audit"] = {"target": {"kind": "canary", "networkMode": "bridge"}}
    doc["state"] = {"canary": {"networkMode": "bridge"}}
    page = html.render(doc)
    assert "<dt>Canary&#x27;s declared mode</dt><dd><code>bridge</code></dd>" in page


def test_html_shows_each_tasks_imds_and_the_exposure_count() -> None:
    exposed = task(1, "ISOLATED", "bridge", imds="reachable (via eth0 172.17.0.1)")
    doc = document([exposed, task(2, "VIOLATION")]) | {
        "imdsExposure": [{"taskArn": exposed["taskArn"], "verdict": "ISOLATED", "imds": exposed["imds"]}]
    }
    full = html.render(doc)
    text = text_of(full)
    assert "IMDS (169.254.169.254)" in text and "reachable (via eth0 172.17.0.1)" in text
    assert "unknown (not recorded)" in text  # a task without `imds` is never shown as blocked
    assert "IMDS exposure 1" in text_of(full[full.index("<nav") : full.index("</nav>")])
    section = full[full.index('id="imds-exposure"') :]
    assert section.index(exposed["taskArn"]) < section.index("</section>")
    many = [task(n, "ISOLATED", "awsvpc", imds="blocked (blackhole route)") for n in range(1, 60)]
    compact = html.render(document(many))
    assert compact.count("<td>blocked [1]</td>") == 59 and "<li>[1] blocked (blackhole route)</li>" in compact
    assert 'id="imds-exposure"' not in compact


def test_html_of_several_violations_lists_them_all_first_each_linking_to_its_card() -> None:
    tasks = [task(n, "VIOLATION") for n in range(1, 13)] + [task(n, "ISOLATED") for n in range(13, 80)]
    page = html.render(document(tasks))
    table = page[page.index('<table class="violations">') :]
    table = table[: table.index("</table>")]
    links = re.findall(r'<a href="#(task-[0-9a-f]+)">', table)
    assert len(links) == 12 and page.index('<table class="violations">') < page.index('<article class="task')
    for anchor in links:
        assert f'<article class="task violation" id="{anchor}">' in page

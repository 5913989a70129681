"""The HTML report of one audit: one self-contained page, readable without knowing the tool, at
any audit size.

No script, no remote asset (a Content-Security-Policy of `default-src 'none'` says so to the
browser), inline CSS with a print stylesheet. Landmarks: the verdict banner (`<header>`), a table
of contents with counts and in-page links (`<nav>`), `<main>`, `<footer>`. What needs action
comes first, each kind once:
1. violations (a one-line list of them all when there are several, then each task's card);
2. IMDS exposure;
3. INCONCLUSIVE tasks of one host with one cause (a probe that failed or timed out, an SSM agent
   offline): the host and its cause once, its tasks listed; then the other INCONCLUSIVE tasks;
4. tasks not probed, by cause (each cause and reason once, its tasks listed);
5. the ISOLATED tasks (cards for a small audit, one table row each beyond FULL_DETAIL_UP_TO);
then the audit's details, its container instances and what the evidence supports.
The task cards and tables are `netaudit.exports.html_tasks`.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from netaudit.exports import compliance
from netaudit.exports import document as d
from netaudit.exports.html_platforms import platforms_section
from netaudit.exports.html_style import CSP, STYLE
from netaudit.exports.html_tasks import (
    badge,
    card,
    dl,
    e,
    e_lines,
    exposure_table,
    group,
    isolated_table,
    violations_table,
)
from netaudit.verdict.rollup import NOTHING_TO_AUDIT

FULL_DETAIL_UP_TO = 50  # with more tasks, ISOLATED ones get one table row each
MEANING = {
    "ISOLATED": "Every audited task's network, seen from its host, is exactly what its task definition "
    "declares.",
    "VIOLATION": "At least one task's network differs from what its task definition declares. "
    "The tasks below say what was found (which interface, which address).",
    "INCONCLUSIVE": "The audit could not prove isolation for at least one task (probe failed, host not "
    "reachable, container not running). This is not a pass.",
    NOTHING_TO_AUDIT: "No running task matched the audit's filter: nothing was checked.",
    "ERROR": "The audit stopped before it could judge the tasks. The cause is below.",
}


def _time(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S UTC") if when else "-"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class Page:
    """The page's sections in order, each with its table-of-contents entry."""

    def __init__(self) -> None:
        self.toc: list[tuple[str, str, str]] = []  # (anchor, label, count text)
        self.parts: list[str] = []
        self.shown: set[str] = set()  # anchors of the sections on the page (an empty one is not)

    def add(self, anchor: str, label: str, count: str, body: str) -> None:
        self.toc.append((anchor, label, count))
        if body:
            self.shown.add(anchor)
            heading = f"{e(label)} ({e(count)})" if count else e(label)
            self.parts.append(f'<section id="{anchor}"><h2>{heading}</h2>{body}</section>')

    def link(self, anchor: str, label: str, count: str = "") -> None:
        """A table-of-contents entry for a section rendered elsewhere."""
        self.toc.append((anchor, label, count))
        self.shown.add(anchor)

    def nav(self) -> str:
        items = "".join(
            (f'<li><a href="#{a}">{e(label)}</a>' if a in self.shown else f"<li>{e(label)}")
            + (f" <b>{e(count)}</b>" if count else "")
            + "</li>"
            for a, label, count in self.toc
        )
        return f'<nav aria-label="Contents" class="toc"><h2>Contents</h2><ol>{items}</ol></nav>'


def _facts(doc: d.Document) -> str:
    verdict = d.verdict(doc)
    report = d.report_of(doc)
    target = (doc.get("audit") or {}).get("target") or {}
    artifacts = doc.get("artifacts") or {}
    execution = (doc.get("execution") or {}).get("id") or d.execution_name(doc)
    canary = d.canary_mode(doc)
    return dl(
        [
            ("Audit", e(f"{d.kind(doc)} audit")),
            ("Cluster", f"<code>{e(d.cluster(doc))}</code>" if d.cluster(doc) else ""),
            (
                "Network modes",
                e(", ".join(target.get("networkModes") or [])) if d.kind(doc) == "cluster" else "",
            ),
            ("Canary's declared mode", f"<code>{e(canary)}</code>" if canary else ""),
            ("Execution", f"<code>{e(execution)}</code>"),
            ("Started", e(_time(d.started_at(doc)))),
            ("Report written", e(_time(d.written_at(doc)))),
            (
                "Error",
                f"<b>{e(report.get('error'))}</b>"
                if verdict not in ("ISOLATED", NOTHING_TO_AUDIT) and report.get("error")
                else "",
            ),
            (
                "Evidence (JSON)",
                f"<code>{e(report['evidenceUri'])}</code>" if report.get("evidenceUri") else "",
            ),
            (
                "Manifest (SHA-256)",
                f"<code>{e(artifacts['manifest'])}</code>" if artifacts.get("manifest") else "",
            ),
        ],
        "facts",
    )


def _coverage_line(doc: d.Document) -> str:
    c = d.counts(doc)
    total = c.get("tasks", 0)
    bar = ""
    if total:
        parts = [(n, c.get(n.lower(), 0)) for n in ("VIOLATION", "INCONCLUSIVE", "ISOLATED")]
        bar = (
            '<div class="bar" aria-hidden="true">'
            + "".join(
                f'<span class="{n.lower()}" style="width:{100 * k / total:.2f}%">{k}</span>'
                for n, k in parts
                if k
            )
            + "</div>"
        )
    hosts = d.hosts(doc)
    failed = sum(1 for h in hosts if h.get("error"))
    cov = d.coverage(doc)
    verified = (
        f" Verified: <b>{e(cov.get('verified'))}</b> of {e(cov.get('inScope'))} ({e(cov.get('percent'))}%)."
        if cov.get("inScope")
        else ""
    )
    return (
        f'<p class="counts"><b>{_plural(total, "task")}</b> audited on '
        f"{_plural(len(hosts), 'container instance')}: "
        f"<b>{c.get('isolated', 0)}</b> ISOLATED, <b>{c.get('violation', 0)}</b> VIOLATION, "
        f"<b>{c.get('inconclusive', 0)}</b> INCONCLUSIVE; <b>{len(d.not_probed(doc))}</b> not probed; "
        f"<b>{_plural(failed, 'host')}</b> whose probe failed or could not be sent.{verified}</p>{bar}"
    )


def _error_cause(page: Page, doc: d.Document) -> None:
    """An audit that stopped before judging any task: its cause first, with its line breaks."""
    cause = d.report_of(doc).get("summary") or ""
    if d.verdict(doc) == "ERROR" and not d.tasks(doc) and cause:
        page.add("cause", "Cause", "", f'<p>No task was judged.</p><pre class="cause">{e_lines(cause)}</pre>')


def _violations(page: Page, tasks: Sequence[Mapping[str, Any]]) -> None:
    bad = [t for t in tasks if t.get("verdict") == "VIOLATION"]
    body = (violations_table(bad) if len(bad) > 1 else "") + "".join(card(t) for t in bad)
    page.add("violations", "Violations", str(len(bad)), body)


def _exposure(page: Page, doc: d.Document) -> None:
    exposed = d.imds_exposure(doc)
    if "imdsExposure" not in doc:
        return
    body = (
        "<p>These tasks can reach the instance metadata service (169.254.169.254). This is not an "
        f"isolation verdict.</p>{exposure_table(exposed)}"
        if exposed
        else ""
    )
    page.add("imds-exposure", "IMDS exposure", str(len(exposed)), body)


def _inconclusive(page: Page, doc: d.Document) -> None:
    hosts, causes, cards = d.inconclusive_split(doc)
    grouped = sum(len(g.tasks) for g in hosts)
    body = (
        "<p>Each host below gave no verdict for these tasks, for one cause given once. Not a pass: "
        "these tasks were not checked.</p>"
        + "".join(group(g, "INCONCLUSIVE", f"host-{g.instance_id}") for g in hosts)
        if hosts
        else ""
    )
    by_host = f"{_plural(len(hosts), 'host')}, {_plural(grouped, 'task')}" if hosts else "0"
    page.add("inconclusive-hosts", "Inconclusive, by host", by_host, body)
    rest = "".join(group(g, "INCONCLUSIVE", f"cause-inconclusive-{n}") for n, g in enumerate(causes, 1))
    count = sum(len(g.tasks) for g in causes) + len(cards)
    page.add("inconclusive", "Inconclusive tasks", str(count), rest + "".join(card(t) for t in cards))


def _not_probed(page: Page, doc: d.Document) -> None:
    groups = d.not_probed_groups(doc)
    body = (
        "<p>No host could be probed for these tasks (no verdict; they are not counted as isolated), "
        "by cause.</p>"
        + "".join(group(g, "NOT PROBED", f"cause-not-probed-{n}") for n, g in enumerate(groups, 1))
        if groups
        else ""
    )
    page.add("not-probed", "Not probed", str(sum(len(g.tasks) for g in groups)), body)


def _platforms(page: Page, doc: d.Document) -> None:
    """The coverage's platforms with no way in (netaudit.exports.html_platforms), after the tasks
    not probed."""
    table = platforms_section(doc)
    if table:
        page.parts.append(f'<section id="platforms">{table}</section>')
        page.link("platforms", "Not verifiable, by platform")


def _isolated(page: Page, tasks: Sequence[Mapping[str, Any]]) -> None:
    good = [t for t in tasks if t.get("verdict") == "ISOLATED"]
    if not good:
        page.add("isolated", "ISOLATED", "0", "")
    elif len(tasks) <= FULL_DETAIL_UP_TO:
        page.add("isolated", "ISOLATED", str(len(good)), "".join(card(t) for t in good))
    else:
        page.add("isolated", "ISOLATED", str(len(good)), isolated_table(good))


def _audit_details(doc: d.Document) -> str:
    by_mode = (d.report_of(doc).get("countsByMode") or {}).items()
    rows = "".join(
        f"<tr><td><code>{e(mode)}</code></td><td>{e(m.get('tasks'))}</td><td>{e(m.get('isolated'))}</td>"
        f"<td>{e(m.get('violation'))}</td><td>{e(m.get('inconclusive'))}</td>"
        f"<td>{e(compliance.config_text(str(mode)) or 'mode unknown: no config check applies')}</td></tr>"
        for mode, m in by_mode
    )
    table = (
        '<table><thead><tr><th scope="col">Declared mode</th><th scope="col">Tasks</th>'
        '<th scope="col">Isolated</th><th scope="col">Violation</th><th scope="col">Inconclusive</th>'
        f'<th scope="col">Config checks say of this mode</th></tr></thead><tbody>{rows}</tbody></table>'
        if rows
        else ""
    )
    cov = d.coverage(doc)
    reasons = "".join(
        f"<li>{e(bucket)}: " + ", ".join(f"{e(cause)} <b>{e(n)}</b>" for cause, n in causes.items()) + "</li>"
        for bucket, causes in (cov.get("reasons") or {}).items()
        if isinstance(causes, Mapping)
    )
    return (
        '<section id="audit"><h2>Audit details</h2>'
        + _facts(doc)
        + (f"<h3>Not verified, by cause</h3><ul>{reasons}</ul>" if reasons else "")
        + table
        + "</section>"
    )


def _hosts_section(doc: d.Document) -> str:
    hosts = d.hosts(doc)
    if not hosts:
        return ""
    rows = "".join(
        f"<tr><td><code>{e(h.get('instanceId') or '?')}</code></td>"
        f"<td>{badge(str(h.get('verdict') or '?'))}</td>"
        f"<td>{e((h.get('counts') or {}).get('tasks', '-'))}</td><td>{e(d.host_access(h))}</td>"
        f"<td>{e(h.get('error') or '-')}</td>"
        f"<td><code>{e(h.get('commandId') or '-')}</code></td></tr>"
        for h in hosts
    )
    return (
        f'<section id="hosts"><h2>Container instances ({len(hosts)})</h2><table class="hosts"><thead><tr>'
        '<th scope="col">Instance</th><th scope="col">Verdict</th><th scope="col">Tasks</th>'
        '<th scope="col">Host read</th><th scope="col">Probe error</th><th scope="col">SSM command</th>'
        "</tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def _compliance_section() -> str:
    reqs = "".join(
        f"<tr><td>{e(r.standard)}</td><td><b>{e(r.id)}</b></td><td>{e(r.title)}</td></tr>"
        for r in compliance.REQUIREMENTS
    )
    checks = "".join(
        f"<tr><td>{e(c.source)}</td><td><b>{e(c.id)}</b></td><td>{e(c.title)}</td>"
        f"<td>{e(', '.join(sorted(c.fails_for)) or '-')}</td></tr>"
        for c in compliance.CONFIG_CHECKS
    )
    return (
        '<section id="supports"><h2>What this evidence supports</h2><p>Each task\'s verdict is a runtime '
        "test of network isolation: the task's network namespace, read on its container instance, against "
        "the network mode its task definition declares. It is evidence for these requirements:</p>"
        '<table><thead><tr><th scope="col">Standard</th><th scope="col">Requirement</th>'
        f'<th scope="col">What it asks</th></tr></thead><tbody>{reqs}</tbody></table>'
        "<p>Configuration checks read only the task definition; they cannot see a running task that "
        "differs from it. Each task card shows what they would say of its declared mode next to what was "
        'observed:</p><table><thead><tr><th scope="col">Source</th><th scope="col">Check</th>'
        '<th scope="col">What it looks at</th><th scope="col">Flags declared modes</th></tr></thead>'
        f"<tbody>{checks}</tbody></table></section>"
    )


def _footer(doc: d.Document) -> str:
    artifacts = doc.get("artifacts") or {}
    listed = "".join(f"<li>{e(k)}: <code>{e(v)}</code></li>" for k, v in artifacts.items())
    manifest = artifacts.get("manifest")
    verify = (
        f"<p>Check that none of it changed: <code>netaudit evidence verify {e(manifest)}</code></p>"
        if manifest
        else ""
    )
    return (
        f"<footer><p>{e(d.PRODUCT)} evidence schema {e(doc.get('schemaVersion'))}. "
        "This page was rendered from the evidence JSON, which holds everything shown here and more.</p>"
        + (f"<ul>{listed}</ul>" if listed else "")
        + verify
        + "</footer>"
    )


def render(doc: d.Document) -> str:
    """The whole HTML page for one evidence document."""
    verdict = d.verdict(doc)
    title = f"ecs-netaudit {verdict}: {d.kind(doc)} audit {d.execution_name(doc)}"
    tasks = d.tasks(doc)
    page = Page()
    _error_cause(page, doc)
    _violations(page, tasks)
    _exposure(page, doc)
    _inconclusive(page, doc)
    _not_probed(page, doc)
    _platforms(page, doc)
    _isolated(page, tasks)
    page.link("audit", "Audit details")
    if d.hosts(doc):
        page.link("hosts", "Container instances", str(len(d.hosts(doc))))
    page.link("supports", "What this evidence supports")
    report = d.report_of(doc)
    where = f" &middot; <code>{e(d.cluster(doc))}</code>" if d.cluster(doc) else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{e(title)}</title><style>{STYLE}</style></head><body>"
        f'<header class="banner {e(verdict.lower())}"><h1>ECS network isolation audit: {e(verdict)}</h1>'
        f"<p>{e(d.headline(doc))}</p><p><small>{e(d.kind(doc))} audit{where} &middot; "
        f"{e(_time(d.started_at(doc)))}"
        + (f" &middot; error {e(report['error'])}" if verdict == "ERROR" and report.get("error") else "")
        + "</small></p></header>"
        + page.nav()
        + f'<main><p class="meaning">{e(MEANING.get(verdict, ""))}</p>'
        + _coverage_line(doc)
        + "".join(page.parts)
        + _audit_details(doc)
        + _hosts_section(doc)
        + _compliance_section()
        + "</main>"
        + _footer(doc)
        + "</body></html>\n"
    )

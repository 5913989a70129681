"""Every export names the task's account (issue 21) when an audit spans several accounts, and a
single-account audit's exports stay as they were."""

import json
from xml.etree import ElementTree as ET

from sample import ARN, MEMBER, mixed, several_accounts, task

from netaudit.exports import html, html_tasks, junit, ocsf

OWN = "123456789012"


def _cases(doc: dict[str, object]) -> dict[str, str]:
    root = ET.fromstring(junit.render(doc))  # noqa: S314 (our own output)
    return {c.get("name") or "": c.get("classname") or "" for c in root.iter("testcase")}


def test_junit_classnames_name_the_account_and_its_cluster() -> None:
    doc = several_accounts()
    cases = _cases(doc)
    for t in doc["tasks"]:
        assert cases[t["taskArn"]] == f"ecs-netaudit.{t['account']}/prod.none"
    assert cases[doc["notProbed"][0]["taskArn"]] == f"ecs-netaudit.{MEMBER}/not-probed"
    root = ET.fromstring(junit.render(doc))  # noqa: S314 (our own output)
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["accounts"] == f"{OWN}, {MEMBER}"


def test_a_single_account_junit_is_unchanged() -> None:
    cases = _cases(mixed())
    plain = {"ecs-netaudit.prod.none", "ecs-netaudit.prod.bridge", "ecs-netaudit.not-probed"}
    assert set(cases.values()) == plain
    assert "accounts" not in junit.render(mixed())


def test_ocsf_takes_the_records_account() -> None:
    doc = several_accounts()
    # a record whose account differs from its ARN's: the record decides (the ARN is the fallback)
    doc["tasks"][0]["account"] = MEMBER
    found = [json.loads(line) for line in ocsf.render(doc).splitlines()]
    by_uid = {f["resources"][0]["uid"]: f["cloud"]["account"]["uid"] for f in found}
    assert by_uid[doc["tasks"][0]["taskArn"]] == MEMBER
    assert by_uid[doc["tasks"][2]["taskArn"]] == MEMBER and by_uid[doc["tasks"][1]["taskArn"]] == OWN
    plain = json.loads(ocsf.render(mixed()).splitlines()[0])
    assert plain["cloud"]["account"]["uid"] == OWN  # no account field: the ARN's


def test_html_cards_and_tables_name_the_account() -> None:
    doc = several_accounts()
    page = html.render(doc)
    for t in doc["tasks"]:
        assert f"<dt>Account</dt><dd><code>{t['account']}</code></dd>" in html_tasks.card(t)
    assert "<dt>Account</dt>" in page and '<th scope="col">Account</th>' in page  # the violations table
    table = html_tasks.isolated_table([t for t in doc["tasks"] if t["verdict"] == "ISOLATED"])
    assert '<th scope="col">Account</th>' in table
    assert f"<td><code>{MEMBER}</code></td>" in table and f"<td><code>{OWN}</code></td>" in table


def test_a_single_account_html_has_no_account_column() -> None:
    tasks = [task(n, "ISOLATED", account=OWN) for n in range(3)]
    assert "Account" not in html_tasks.isolated_table(tasks)
    assert "Account" not in html_tasks.violations_table([task(n, "VIOLATION", account=OWN) for n in range(2)])
    assert ARN in html_tasks.isolated_table(tasks)  # the shared ARN prefix (with its account) said once

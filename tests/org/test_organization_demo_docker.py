"""`netaudit demo --organization` on the local Docker engine: the hub and two member accounts,
one member's task tampered; exit 1 naming that task's account, evidence naming every task's
account, no container left."""

import json
from pathlib import Path

import pytest

from netaudit_local.cloud.account import ACCOUNT
from netaudit_local.demo.organization import MEMBERS, MODES, TAMPERED, run_organization_demo

pytestmark = pytest.mark.docker


def test_cli_demo_organization(
    docker_engine: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from netaudit_cli.main import main

    evidence_file = tmp_path / "evidence.json"
    exports = {"--html": tmp_path / "r.html", "--junit": tmp_path / "r.xml", "--ocsf": tmp_path / "r.ocsf"}
    flags = [str(a) for pair in [*exports.items(), ("--evidence-dir", tmp_path / "ev")] for a in pair]
    assert main(["demo", "--organization", "--evidence-out", str(evidence_file), *flags]) == 1  # VIOLATION
    out = capsys.readouterr().out
    assert "NOT SAVED" not in out and out.count(" written to: ") == 4
    _exports_name_the_accounts(*exports.values())
    assert any((tmp_path / "ev").rglob("*.manifest.json"))
    tampered_account = TAMPERED[0]
    assert f"violations in account(s): {tampered_account}" in out
    assert "containers left behind: 0" in out
    for account in (ACCOUNT, *MEMBERS):  # every task's line names its account
        assert out.count(f"account {account} ") == len(MODES[account])
    evidence = json.loads(evidence_file.read_text())
    tasks = evidence["tasks"]
    assert len(tasks) == sum(len(m) for m in MODES.values())  # every task, once
    assert {t["account"] for t in tasks} == {ACCOUNT, *MEMBERS}
    assert all(t["taskArn"].split(":")[4] == t["account"] for t in tasks)
    (violation,) = [t for t in tasks if t["verdict"] != "ISOLATED"]
    assert violation["verdict"] == "VIOLATION" and violation["account"] == tampered_account
    assert evidence["report"]["countsByAccount"][tampered_account]["violation"] == 1


def test_a_member_without_its_role_leaves_no_container_and_is_named(docker_engine: None) -> None:
    result = run_organization_demo(tamper=None, without_role=(MEMBERS[0],))
    assert result.leftovers == []
    assert result.verdict == "INCONCLUSIVE" and result.error == "AccountNotAudited"
    (gap,) = result.report["accountGaps"]
    assert gap["account"] == MEMBERS[0] and "AssumeRole" in gap["reason"]
    audited = {t["account"] for t in result.evidence["tasks"] if t["verdict"] == "ISOLATED"}
    assert audited == {ACCOUNT, MEMBERS[1]}
    assert result.ssm_commands == 2


def _exports_name_the_accounts(html: Path, junit: Path, ocsf: Path) -> None:
    """The exports the Report step stored, as --html/--junit/--ocsf saved them: every task's
    account named (the tampered one's in its failing case)."""
    tampered = TAMPERED[0]
    page = html.read_text()
    assert all(f"<dt>Account</dt><dd><code>{a}</code></dd>" in page for a in (ACCOUNT, *MEMBERS))
    xml = junit.read_text()
    assert all(f'classname="ecs-netaudit.{a}/default.' in xml for a in (ACCOUNT, *MEMBERS))
    findings = [json.loads(line) for line in ocsf.read_text().splitlines()]
    assert {f["cloud"]["account"]["uid"] for f in findings} == {ACCOUNT, *MEMBERS}
    (failed,) = [f for f in findings if f["compliance"]["status"] == "Fail"]
    assert failed["cloud"]["account"]["uid"] == tampered

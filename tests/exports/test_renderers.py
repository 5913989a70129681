"""The pure renderers: HTML, OCSF, JUnit and the compliance mapping, from evidence documents."""

import json
from xml.etree import ElementTree as ET

from sample import ARN, HOSTILE, document, mixed, task

from netaudit.exports import compliance, html, junit, ocsf
from netaudit.exports.text import visible


def test_visible_escapes_control_and_bidi_characters() -> None:
    assert visible("eth0") == "eth0"
    assert visible("a\x1bb\u202ec\x00") == "a\\x1bb\\u202ec\\x00"
    assert visible(None) == ""


def test_ocsf_one_compliance_finding_per_task() -> None:
    lines = ocsf.render(mixed()).splitlines()
    findings = [json.loads(line) for line in lines]
    assert len(findings) == 4  # 3 audited + 1 not probed
    for f in findings:
        assert (f["class_uid"], f["category_uid"], f["type_uid"], f["activity_id"]) == (2003, 2, 200301, 1)
        assert f["metadata"]["version"] == ocsf.OCSF_VERSION and f["metadata"]["product"]["name"]
        assert f["finding_info"]["uid"] and f["compliance"]["standards"]
        assert isinstance(f["time"], int) and f["severity_id"] in (1, 3, 4)
        assert f["cloud"]["provider"] == "AWS"
    status = {f["resources"][0]["uid"]: f["compliance"]["status_id"] for f in findings}
    assert status == {f"{ARN}{1:032x}": 1, f"{ARN}{2:032x}": 3, f"{ARN}{3:032x}": 2, f"{ARN}{4:032x}": 2}
    assert len({f["finding_info"]["uid"] for f in findings}) == 4
    violation = next(f for f in findings if f["compliance"]["status_id"] == 3)
    assert "PCI DSS v4.0.1 11.4.5" in violation["compliance"]["requirements"]
    assert violation["message"].startswith("declared none (config checks: ECS.17 PASSED")
    assert "\x1b" not in lines[0] + lines[1]


def test_ocsf_error_without_tasks_gives_one_audit_finding() -> None:
    doc = document([], verdict="ERROR", error="PlacementFailed")
    findings = [json.loads(line) for line in ocsf.render(doc).splitlines()]
    assert len(findings) == 1 and findings[0]["compliance"]["status_id"] == 2
    assert findings[0]["class_uid"] == 2003


def test_junit_failure_error_and_skipped() -> None:
    root = ET.fromstring(junit.render(mixed()))  # noqa: S314 (our own output)
    suite = root.find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert len(cases) == 4
    assert cases[f"{ARN}{2:032x}"].find("failure") is not None
    assert cases[f"{ARN}{2:032x}"].find("failure").get("type") == "IsolationViolated"  # type: ignore[union-attr]
    assert cases[f"{ARN}{3:032x}"].find("error") is not None
    assert cases[f"{ARN}{4:032x}"].find("skipped") is not None
    isolated = cases[f"{ARN}{1:032x}"]
    assert [child.tag for child in isolated] == ["system-out"]
    # `skipped` on the suite only: the xunit plugin's schema has none on <testsuites>
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        "4",
        "1",
        "1",
        None,
    )
    assert suite.get("skipped") == "1" and suite.get("tests") == "4"
    failure_text = cases[f"{ARN}{2:032x}"].find("failure").text or ""  # type: ignore[union-attr]
    assert "observed VIOLATION" in failure_text and "\\x1b" in failure_text


def test_junit_error_audit_is_one_error_with_its_lines() -> None:
    doc = document([], verdict="ERROR", error="TaskStartTimeout")
    doc["report"]["summary"] = "ecs-netaudit canary audit x: ERROR - TaskStartTimeout: late\nline 2\x1b"
    root = ET.fromstring(junit.render(doc))  # noqa: S314 (our own output)
    error = root.find("testsuite/testcase/error")
    assert root.get("errors") == "1" and error is not None
    assert error.text == "ecs-netaudit canary audit x: ERROR - TaskStartTimeout: late\nline 2\\x1b"


def test_compliance_mapping_says_what_config_checks_see() -> None:
    assert compliance.config_text("host") == (
        "ECS.17 FAILED, ecs-task-definition-network-mode-not-host NON_COMPLIANT, "
        "ecs-awsvpc-networking-enabled NON_COMPLIANT"
    )
    assert compliance.config_text("awsvpc").count(
        "COMPLIANT"
    ) == 2 and "FAILED" not in compliance.config_text("awsvpc")
    labels = compliance.requirement_labels()
    for wanted in ("11.4.5", "11.4.6", "2.2.3", "AC-4", "SC-7"):
        assert any(label.endswith(f" {wanted}") for label in labels)
    line = compliance.declared_observed(task(2, "VIOLATION"))
    assert (
        line.startswith("declared none (config checks: ECS.17 PASSED") and "observed VIOLATION: app:" in line
    )
    assert HOSTILE not in compliance.declared_observed(
        {"declaredMode": "none", "verdict": "VIOLATION", "reasons": [HOSTILE]}
    )


def test_security_hub_findings_carry_the_same_requirements() -> None:
    from netaudit.models.evidence import TaskRecord
    from netaudit.workflow.report.findings import ISOLATION, Stamp, build_finding

    record = {"taskArn": f"{ARN}{2:032x}", "declaredMode": "none", "verdict": "VIOLATION"}
    task = TaskRecord.model_validate({**record, "reasons": ["eth9 present"]})
    finding = build_finding(ISOLATION, task, "open", Stamp("2026-11-25T17:00:00Z", "s3://b/k.json"))
    assert finding["Compliance"]["RelatedRequirements"] == compliance.requirement_labels()
    assert len(finding["Compliance"]["RelatedRequirements"]) <= 32  # ASFF's limit


def test_an_audit_of_several_clusters_names_each_tasks_cluster() -> None:
    """A stack may audit several clusters (ClusterName a list): the HTML header lists them, each
    task card and JUnit case names the task's own cluster."""
    doc = document([task(1, "ISOLATED", cluster="prod"), task(2, "VIOLATION", cluster="blue")])
    doc["audit"] = {"cluster": "", "clusters": ["prod", "blue"], "target": {"kind": "cluster"}}
    page = html.render(doc)
    assert "<code>prod, blue</code>" in page and "<dt>Cluster</dt>" in page
    root = ET.fromstring(junit.render(doc))  # noqa: S314 (our own output)
    names = sorted(c.get("classname") or "" for c in root.iter("testcase"))
    assert names == ["ecs-netaudit.blue.none", "ecs-netaudit.prod.none"]

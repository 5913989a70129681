"""Every export checked by a validator nobody here wrote, installed from the registries:
- JUnit: the Jenkins xunit plugin's schema (xsd/junit-10.xsd, MIT) with xmlschema, and the counts
  as junitparser and the CI report parsers read them (GitLab's lib/gitlab/ci/parsers/test/junit.rb
  and GitHub's report actions take a case's status from its child element: failure, error, skipped);
- OCSF: the 1.3.0 schema as schema.ocsf.io exports it (shipped by ocsf-json-schema), class 2003
  with the cloud profile, as JSON Schema 2020-12 (jsonschema);
- ASFF: botocore's securityhub model, BatchImportFindings' input shape (ParamValidator) and the
  Description length it documents.
The HTML report in a browser with axe-core: tests/exports/test_html_browser.py.
"""

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
import jsonschema
import pytest
import xmlschema
from botocore.validate import ParamValidator
from junitparser import Error, Failure, JUnitXml, Skipped
from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema
from sample import ARN, document, fault_mix, mixed, several_accounts

from netaudit.exports import junit, ocsf
from netaudit.models.evidence import TaskRecord
from netaudit.verdict.rollup import NOTHING_TO_AUDIT
from netaudit.workflow.report.asff import DESCRIPTION_MAX
from netaudit.workflow.report.findings import IMDS_EXPOSURE, ISOLATION, Stamp, build_finding

XSD = Path(__file__).parent / "xsd" / "junit-10.xsd"


def error_doc(**extra: Any) -> dict[str, Any]:
    doc = document([], verdict="ERROR", error="TaskStoppedEarly")
    doc["report"]["summary"] = "ecs-netaudit canary audit x: ERROR - TaskStoppedEarly: exited\nexit code 1"
    doc["audit"] = {"target": {"kind": "canary"}}
    return doc | extra


DOCUMENTS = {
    "mixed": mixed,
    "several accounts": several_accounts,
    "fault mix": fault_mix,
    "error": error_doc,
    "nothing to audit": lambda: document([], verdict=NOTHING_TO_AUDIT, error=None),
}


@cache
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(XSD)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_junit_is_valid_for_the_jenkins_xunit_schema(name: str) -> None:
    junit_schema().validate(junit.render(DOCUMENTS[name]()))


def test_the_xunit_schema_refuses_what_the_plugin_refused() -> None:
    """The schema is not vacuous: `skipped` on <testsuites> (what every file had) fails it."""
    old = junit.render(mixed()).replace("<testsuites ", '<testsuites skipped="1" ', 1)
    with pytest.raises(xmlschema.XMLSchemaValidationError, match="skipped"):
        junit_schema().validate(old)


def ci_status(case: Any) -> str:
    """A case's status as the CI parsers read it: its first result element, else passed."""
    for result in case.result:
        for kind, status in ((Failure, "failed"), (Error, "error"), (Skipped, "skipped")):
            if isinstance(result, kind):
                return status
    return "passed"


def test_junitparser_and_ci_parsers_count_violation_inconclusive_and_not_probed() -> None:
    xml = JUnitXml.fromstring(junit.render(mixed()))
    (suite,) = list(xml)
    status = {case.name: ci_status(case) for case in suite}
    assert status == {
        f"{ARN}{1:032x}": "passed",  # ISOLATED
        f"{ARN}{2:032x}": "failed",  # VIOLATION -> failure
        f"{ARN}{3:032x}": "error",  # INCONCLUSIVE -> error
        f"{ARN}{4:032x}": "skipped",  # not probed -> skipped
    }
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (4, 1, 1, 1)
    xml.update_statistics()  # junitparser's own count of the cases matches the attributes
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (4, 1, 1, 1)


def test_junitparser_counts_the_fault_mix_and_an_error_audit() -> None:
    (suite,) = list(JUnitXml.fromstring(junit.render(fault_mix())))
    statuses = [ci_status(c) for c in suite]
    assert (statuses.count("failed"), statuses.count("error"), statuses.count("passed")) == (1, 310, 689)
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (1000, 1, 310, 0)
    (suite,) = list(JUnitXml.fromstring(junit.render(error_doc())))
    (case,) = list(suite)
    assert ci_status(case) == "error" and case.result[0].text.endswith("exited\nexit code 1")


@cache
def ocsf_validator() -> jsonschema.Draft202012Validator:
    schema = OcsfJsonSchemaEmbedded(get_ocsf_schema(version=ocsf.OCSF_VERSION))
    name = schema.lookup_class_name_from_uid(ocsf.CLASS_UID)
    return jsonschema.Draft202012Validator(schema.get_class_schema(class_name=name, profiles=["cloud"]))


@pytest.mark.parametrize("name", DOCUMENTS)
def test_ocsf_findings_are_valid_compliance_findings_of_ocsf_1_3_0(name: str) -> None:
    lines = ocsf.render(DOCUMENTS[name]()).splitlines()
    assert lines or name == "nothing to audit"
    for line in lines:
        errors = [f"{e.json_path}: {e.message}" for e in ocsf_validator().iter_errors(json.loads(line))]
        assert errors == []


def test_the_ocsf_schema_refuses_a_broken_finding() -> None:
    found = json.loads(ocsf.render(mixed()).splitlines()[0])
    del found["metadata"]
    found["compliance"]["status_id"] = "Pass"
    found["made_up"] = 1
    messages = " ".join(e.message for e in ocsf_validator().iter_errors(found))
    assert "'metadata' is a required property" in messages and "not of type 'integer'" in messages
    assert "made_up" in messages  # no attribute outside the class


def test_ocsf_claims_no_config_check_for_an_unknown_mode_and_uses_the_canarys() -> None:
    (unknown,) = [json.loads(line) for line in ocsf.render(error_doc()).splitlines()]
    text = json.dumps(unknown)
    for claim in ("ECS.17", "COMPLIANT", "PASSED", "configChecks", "declared unknown"):
        assert claim not in text, claim
    assert unknown["message"].startswith("declared mode unknown, observed INCONCLUSIVE")
    canary = error_doc(state={"canary": {"networkMode": "host"}})
    (known,) = [json.loads(line) for line in ocsf.render(canary).splitlines()]
    assert known["message"].startswith("declared host (config checks: ECS.17 FAILED")
    assert known["unmapped"]["configChecks"]["ECS.17"] == "FAILED"
    assert known["resources"] == [{"uid": doc_execution(), "type": "AWS::StepFunctions::Execution"}]


@cache
def findings_shape() -> Any:
    model = botocore.session.get_session().get_service_model("securityhub")
    return model.operation_model("BatchImportFindings").input_shape


def documented_max(member: str) -> int:
    """The maximum length botocore's model documents for an AwsSecurityFinding member."""
    doc = findings_shape().members["Findings"].member.members[member].documentation
    found = re.search(r"Maximum length of (\d+)", doc)
    assert found, doc
    return int(found.group(1))


def Audited(task_arn: str, mode: str, verdict: str, reasons: tuple[str, ...], imds: str = "") -> TaskRecord:
    record = {"taskArn": task_arn, "declaredMode": mode, "verdict": verdict, "reasons": list(reasons)}
    return TaskRecord.model_validate({**record, **({"imds": imds} if imds else {})})


VIOLATING = Audited(  # reasons over 1,024 characters
    f"{ARN}{2:032x}",
    "none",
    "VIOLATION",
    tuple(f"app: interface veth{n} present (expected only lo)" for n in range(80)),
)
EXPOSED = Audited(
    f"{ARN}{3:032x}", "bridge", "ISOLATED", (), imds="reachable (" + "via eth0 172.17.0.1, " * 80 + ")"
)


def asff_findings(uri: str) -> list[dict[str, Any]]:
    now = "2026-11-25T17:00:00.000Z"
    return [
        build_finding(ISOLATION, VIOLATING, "open", Stamp(now, uri)),
        build_finding(ISOLATION, VIOLATING, "resolved", Stamp(now, uri)),
        build_finding(ISOLATION, VIOLATING, "gone", Stamp(now, uri)),
        build_finding(IMDS_EXPOSURE, EXPOSED, "open", Stamp(now, uri)),
    ]


def test_asff_findings_are_valid_batch_import_findings_input() -> None:
    uri = "s3://evidence-bucket/audits/2026/11/25/" + "a" * 80 + ".json"
    report = ParamValidator().validate({"Findings": asff_findings(uri)}, findings_shape())
    assert not report.has_errors(), report.generate_report()
    broken = {**asff_findings(uri)[0], "Severity": {"Label": 4}}
    del broken["Description"]
    report = ParamValidator().validate({"Findings": [broken]}, findings_shape())
    assert "Description" in report.generate_report() and "Label" in report.generate_report()


def test_asff_cuts_the_reasons_never_the_evidence_uri() -> None:
    assert DESCRIPTION_MAX == documented_max("Description") == 1024
    uri = "s3://evidence-bucket/audits/2026/11/25/cluster-audit-7.json"
    for finding in asff_findings(uri):
        description = finding["Description"]
        assert len(description) <= DESCRIPTION_MAX
        assert description.endswith(f" Evidence: {uri}"), description[-120:]
        assert finding["ProductFields"]["ecs-netaudit/evidence"] == uri
    violation = asff_findings(uri)[0]["Description"]
    assert len(violation) == 1024 and "[...] Evidence: s3://" in violation
    assert violation.startswith("app: interface veth0 present (expected only lo); ")
    one = Audited(f"{ARN}{5:032x}", "none", "VIOLATION", ("eth9 present",))
    short = build_finding(ISOLATION, one, "open", Stamp("2026-11-25T17:00:00Z", uri))
    assert short["Description"] == f"eth9 present Evidence: {uri}"


def doc_execution() -> str:
    return str(document([])["execution"]["id"])


def test_an_ocsf_finding_of_each_task_kind_in_the_fault_mix_is_valid() -> None:
    doc = fault_mix()
    doc["notProbed"] = [{"taskArn": f"{ARN}{9999:032x}", "reason": "Fargate: no host to probe from"}]
    kinds = {}
    for line in ocsf.render(doc).splitlines():
        found = json.loads(line)
        kinds.setdefault(found["compliance"]["status_code"], found)
    assert set(kinds) == {"ISOLATED", "VIOLATION", "INCONCLUSIVE"}
    for found in kinds.values():
        assert list(ocsf_validator().iter_errors(found)) == []

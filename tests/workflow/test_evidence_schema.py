"""The evidence's published JSON Schema (docs/evidence.schema.json): generated from the model
(netaudit.models.evidence), and the evidence the state machine writes validates against it."""

import copy
import json
from typing import Any

import boto3
import jsonschema  # a pinned dev dependency (pyproject): missing, the tests fail, never skip
import pytest
from wf_harness import MakeHarness

from netaudit.models import evidence as model
from netaudit_local.cloud.account import REGION
from netaudit_local.hosts.recorded_host import Faults


def _validator() -> Any:
    schema = json.loads(model.SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _evidence(h: Any) -> dict[str, Any]:
    (key,) = h.evidence()
    s3 = boto3.client("s3", region_name=REGION)
    body: bytes = s3.get_object(Bucket=h.stack.bucket, Key=key)["Body"].read()
    return dict(json.loads(body))


def test_the_committed_schema_is_the_models() -> None:
    """Fails when the model changed and the schema was not regenerated:
    `python -m netaudit.models.evidence --write`."""
    assert model.SCHEMA_PATH.read_text() == model.schema_text()
    assert model.main(["--check"]) == 0


@pytest.mark.parametrize(
    ("recording", "faults", "verdict"),
    [
        ("probe-none-violation.json", None, "VIOLATION"),
        (None, None, "ISOLATED"),
        (None, Faults(command_status="Failed", command_exit_code=1), "INCONCLUSIVE"),
        (None, Faults(stops_before_running="Essential container exited"), "ERROR"),
    ],
)
def test_the_evidence_written_validates_against_the_published_schema(
    harness: MakeHarness, recording: str | None, faults: Faults | None, verdict: str
) -> None:
    h = harness(**({"none": recording} if recording else {}), **({"faults": faults} if faults else {}))
    h.run()
    document = _evidence(h)
    assert document["report"]["verdict"] == verdict
    errors = [e.message for e in _validator().iter_errors(document)]
    assert errors == []
    assert model.Evidence.model_validate(document).dump() == document  # the model reads it back as is


def test_the_schema_refuses_what_the_exports_could_not_read(harness: MakeHarness) -> None:
    """The schema is not vacuous: a verdict no reader knows, a task without its ARN, a missing
    part are each refused."""
    h = harness(none="probe-none-violation.json")
    h.run()
    document = _evidence(h)
    validator = _validator()
    bad_verdict = copy.deepcopy(document)
    bad_verdict["tasks"][0]["verdict"] = "PASSED"
    no_arn = copy.deepcopy(document)
    del no_arn["tasks"][0]["taskArn"]
    no_report = {k: v for k, v in document.items() if k != "report"}
    wrong_version = {**document, "schemaVersion": 2}
    for broken in (bad_verdict, no_arn, no_report, wrong_version):
        assert list(validator.iter_errors(broken)), broken.keys()

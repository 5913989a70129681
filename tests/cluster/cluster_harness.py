"""What the cluster tests read back from a local execution: the report and its evidence."""

import json
from typing import Any

import boto3

from netaudit_cli.artifacts import read_object
from netaudit_cli.history import audit_report
from netaudit_local.cloud.account import REGION
from netaudit_local.stack import ExecutionResult


def report_of(result: ExecutionResult) -> dict[str, Any]:
    """The Report step's output (also when the execution failed)."""
    report = audit_report(result.history)
    assert report, "no Report step"
    return report


def evidence_of(result: ExecutionResult) -> dict[str, Any]:
    """The evidence JSON the report points to."""
    uri = (result.output or {}).get("evidenceUri") or report_of(result)["evidenceUri"]
    return dict(json.loads(read_object(boto3.client("s3", region_name=REGION), str(uri))))

"""The evidence: one typed model from Report's collect step to the JSON it publishes.

- `TaskRecord`: one task's verdict as the report holds it (the engine's TaskOutcome plus where
  it ran), the one task verdict type from collect to the Security Hub findings;
- `NotProbedRecord`, `HostRecord`, `ProbeErrorRecord`, `ExposureRecord`: the other records;
- `Coverage`, `VerdictCounts`, `GroupCounts`, `ReportCounts`: the roll-ups;
- `ReportOutput`: what Report returns (`state_output` bounds it for the execution state);
- `Evidence`: the evidence JSON (`schemaVersion` 1) the exports (netaudit.exports) read.

Records keep the keys they had as dicts (camelCase); a key that was absent stays absent: every
dump is `by_alias=True, exclude_unset=True`, so a record built without `cluster` has none.
Every record tolerates keys it does not name (`extra="allow"`): a newer EvaluateHost may add one.

The published JSON Schema is generated from `Evidence` (docs/evidence.schema.json):
`python -m netaudit.models.evidence --write` rewrites it, `--check` fails when it differs.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from netaudit.models.account import AccountGap
from netaudit.models.verdict import NetworkMode, TaskOutcome

EVIDENCE_SCHEMA = 1
SCHEMA_PATH = Path(__file__).resolve().parents[3] / "docs" / "evidence.schema.json"

# An audit's verdict: a task verdict, NOTHING_TO_AUDIT (no task in scope) or ERROR (the audit failed).
AuditVerdict = Literal["ISOLATED", "VIOLATION", "INCONCLUSIVE", "NOTHING_TO_AUDIT", "ERROR"]


class Record(BaseModel):
    """camelCase on the wire, field names in Python, unknown keys kept."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    def dump(self) -> dict[str, Any]:
        """The record as the evidence JSON holds it."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class TaskRecord(TaskOutcome):
    """A task verdict in the report: the engine's dump (EvaluateHost's per-host file) or one
    Report made INCONCLUSIVE itself (no host result, host not reachable, asked for but not
    probed), with the account, host and cluster it belongs to. `cause`: the coded reason a task
    without a verdict has none (netaudit.workflow.coverage.CAUSES), when its producer knew it."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    account: str | None = None
    instance_id: str | None = None
    cluster: str | None = None
    cause: str | None = None

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class NotProbedRecord(Record):
    """A task no host could be probed for (netaudit.models.inputs.NotProbedTask), with its account.
    `code`: a platform code (netaudit.platforms) or a cause code (netaudit.workflow.coverage)."""

    task_arn: str
    reason: str
    declared_mode: NetworkMode | None = None
    cluster: str = ""
    code: str | None = None
    account: str = ""


class VerdictCounts(Record):
    tasks: int
    isolated: int
    violation: int
    inconclusive: int


class CoverageShare(Record):
    in_scope: int
    verified: int
    percent: float


class GroupCounts(VerdictCounts):
    """One cluster's (or account's) counts and coverage."""

    not_probed: int
    coverage: CoverageShare


class ReportCounts(VerdictCounts):
    not_probed: int
    hosts: int
    imds_exposure: int | None = None  # present when IMDS exposure is reported


class HostRecord(Record):
    instance_id: str | None
    account: str | None = None
    cluster: str | None = None
    container_instance_arn: str | None = None
    verdict: str | None = None
    counts: VerdictCounts | None = None
    command_id: str | None = None
    host_access: str | None = None
    error: str | None = None
    output_s3_uri: str | None = None
    result_key: str | None = None


class ProbeErrorRecord(Record):
    instance_id: str
    error: str
    cause: str = ""


class ExposureRecord(Record):
    """A task that can reach the instance metadata service (netaudit.workflow.imds_exposure)."""

    task_arn: str | None
    declared_mode: str | None
    instance_id: str | None
    verdict: str | None
    imds: str | None


class PlatformRow(Record):
    platform: str
    tasks: int
    why: str
    verifiable_when: str


class Delays(Record):
    count: int
    p50_seconds: float
    p95_seconds: float
    max_seconds: float


class Coverage(Record):
    """Of the tasks in scope, how many were verified and why the others were not."""

    in_scope: int
    verified: int
    not_verifiable: int
    stopped: int
    failed: int
    percent: float
    reasons: dict[str, dict[str, int]] = Field(default_factory=dict)
    platforms: dict[str, PlatformRow] | None = None
    running_to_verdict: Delays | None = None


class FindingsCounts(Record):
    """One kind of Security Hub finding: what was imported, or the error that stopped it."""

    imported: int | None = None
    resolved: int | None = None
    archived: int | None = None
    failed: int | None = None
    error: str | None = None


class ReportSummary(Record):
    """The report as the evidence's `report` object holds it."""

    verdict: AuditVerdict
    error: str | None = None
    summary: str | None = None
    evidence_uri: str | None = None
    counts: ReportCounts | None = None
    counts_by_mode: dict[str, VerdictCounts] | None = None
    counts_by_cluster: dict[str, GroupCounts] | None = None
    counts_by_account: dict[str, GroupCounts] | None = None  # an audit of several accounts
    account_gaps: list[AccountGap] | None = None
    coverage: Coverage | None = None
    tasks_omitted: int | None = None
    security_hub: FindingsCounts | None = None
    security_hub_imds_exposure: FindingsCounts | None = None
    dead_letter_batches: int | None = None


class ReportOutput(ReportSummary):
    """What Report returns: the summary plus the readable `cause`, the first task verdicts and
    the exposed tasks (the evidence holds all of them)."""

    cause: str = ""
    tasks: list[TaskRecord] | None = None
    imds_exposure: list[ExposureRecord] | None = None

    def summary_only(self) -> ReportSummary:
        kept = self.model_dump(by_alias=True, exclude_unset=True, exclude={"cause", "tasks", "imds_exposure"})
        return ReportSummary.model_validate(kept)


class Evidence(Record):
    """The evidence JSON (`canary/` or `audits/YYYY/MM/DD/<execution>.json`)."""

    schema_version: Literal[1]  # EVIDENCE_SCHEMA
    execution: dict[str, Any]
    report: ReportSummary
    audit: dict[str, Any]
    hosts: list[HostRecord]
    tasks: list[TaskRecord]
    not_probed: list[NotProbedRecord]
    imds_exposure: list[ExposureRecord] | None = None  # absent when IMDS exposure is not reported
    probe_errors: list[ProbeErrorRecord]
    api_calls: dict[str, int]
    state: dict[str, Any]
    written_at: str
    artifacts: dict[str, str]



def json_schema() -> dict[str, Any]:
    """The evidence's JSON Schema (Draft 2020-12), generated from `Evidence`."""
    schema = Evidence.model_json_schema(by_alias=True, mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The evidence's JSON Schema (docs/evidence.schema.json).")
    parser.add_argument("--write", action="store_true", help="rewrite the committed schema")
    parser.add_argument("--check", action="store_true", help="fail when the committed schema differs")
    args = parser.parse_args(argv)
    text = schema_text()
    if args.write:
        SCHEMA_PATH.write_text(text)
        return 0
    if args.check:
        if not SCHEMA_PATH.is_file() or SCHEMA_PATH.read_text() != text:
            print(f"{SCHEMA_PATH} differs from the model: python -m netaudit.models.evidence --write")
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

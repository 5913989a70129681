"""The evidence bucket's key layout: the one place its S3 keys and prefixes are built.

Four top-level prefixes, each granted by name in template.yaml's IAM policies (a test,
tests/workflow/test_keys.py, checks every evidence-bucket ARN and `s3:prefix` of the template
against PREFIXES):
- `runs/<execution>/`: what one execution passes between its steps (resolution, host groups,
  per-host verdicts, the Distributed Map's ResultWriter output);
- `ssm/<execution>/`: the SSM agent's copy of the probe's output (OutputS3KeyPrefix);
- `canary/YYYY/MM/DD/`, `audits/YYYY/MM/DD/`: the reports (evidence JSON and its siblings);
- `org/<account>/<execution>/`: the probe outputs SSM writes from a member account's instances
  (issue 21; the bucket policy lets each account write only below its own `org/<account>/`).
"""

import contextlib
from datetime import UTC, datetime

RUNS = "runs/"
SSM_OUTPUT = "ssm/"
CANARY_REPORTS = "canary/"
AUDIT_REPORTS = "audits/"
MEMBER_OUTPUT = "org/"
PREFIXES: tuple[str, ...] = (RUNS, SSM_OUTPUT, CANARY_REPORTS, AUDIT_REPORTS, MEMBER_OUTPUT)
# The Distributed Map's ResultWriter prefix: a constant, not per execution (statemachine/build_asl.py
# says why); Step Functions adds `<map run id>/` below it.
MAP_RESULTS = f"{RUNS}map-results"

# The report objects beside `<stem>.json` (netaudit.workflow.report.artifacts writes them).
REPORT_SUFFIXES = {
    "html": ".html",
    "ocsf": ".ocsf.jsonl",
    "junit": ".junit.xml",
    "manifest": ".manifest.json",
}


def run_prefix(execution_name: str) -> str:
    return f"{RUNS}{execution_name}"


def resolved_key(execution_name: str) -> str:
    """ResolveHosts' full resolution (netaudit.models.inputs.Resolved)."""
    return f"{run_prefix(execution_name)}/resolved.json"


def hosts_key(execution_name: str) -> str:
    """The host groups the Distributed Map's ItemReader reads."""
    return f"{run_prefix(execution_name)}/hosts.json"


def results_prefix(execution_name: str) -> str:
    """Each host's verdicts: `runs/<execution>/hosts/<instanceId>.json` (EvaluateHost writes)."""
    return f"{run_prefix(execution_name)}/hosts/"


def host_result_key(execution_name: str, instance_id: str) -> str:
    return f"{results_prefix(execution_name)}{instance_id}.json"


def ssm_output_prefix(execution_name: str, account: str = "") -> str:
    """SendCommand's OutputS3KeyPrefix for this execution's probes (in a member account: below
    that account's own `org/<account>/`, the only place its instances may write)."""
    if account:
        return f"{MEMBER_OUTPUT}{account}/{execution_name}"
    return f"{SSM_OUTPUT}{execution_name}"


def ssm_output_folder(prefix: str, command_id: str, instance_id: str) -> str:
    """Where the SSM agent writes one invocation's output: `<prefix>/<command>/<instance>/`, then
    `<plugin>/<step>/stdout` below it (SSM API reference, CommandPlugin.OutputS3KeyPrefix:
    "<bucket>/<prefix>/<instance id>/awsrunShellScript" below the command's folder)."""
    return "/".join(p for p in (prefix.strip("/"), command_id, instance_id) if p) + "/"


def report_key(kind: str, execution_name: str, start_time: str | None) -> str:
    """The evidence JSON: `canary/` for the canary, `audits/` for tasks and cluster audits, then
    the execution's start date (now, when it is not known or not ISO 8601)."""
    when = datetime.now(UTC)
    if start_time:
        with contextlib.suppress(ValueError):
            when = datetime.fromisoformat(start_time.replace("Z", "+00:00"))
    folder = CANARY_REPORTS if kind == "canary" else AUDIT_REPORTS
    return f"{folder}{when:%Y/%m/%d}/{execution_name}.json"


def sibling_keys(report: str) -> dict[str, str]:
    """The keys of the HTML, OCSF, JUnit and manifest objects beside `<stem>.json`."""
    stem = report.removesuffix(".json")
    return {name: stem + suffix for name, suffix in REPORT_SUFFIXES.items()}


def uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"

"""The largest audit the template allows keeps every state under Step Functions' 256 KiB: the
parent state holds references and a bounded report, never host lists or per-host results."""

import json

from wf_harness import audit_of

from netaudit.models.inputs import TasksTarget
from netaudit.models.state import ExecutionState
from netaudit.workflow.report_collect import Collected
from netaudit.workflow.report_summary import CAUSE_LIMIT, OUTPUT_TASKS_BYTES, state_output, summarise

STATE_LIMIT = 256 * 1024
ARN = "arn:aws:ecs:us-east-1:123456789012:task/a-cluster-name-of-some-length/{:032x}"
TASK = "arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef"


def _violating_task(i: int) -> dict:
    reasons = [
        f"app: interface veth{i}-{n} present (expected only lo); address 10.{n}.0.{i % 250}/24"
        for n in range(40)
    ]
    return {
        "taskArn": ARN.format(i),
        "declaredMode": "none",
        "verdict": "VIOLATION",
        "reasons": reasons,
        "containers": [{"containerName": f"c{n}", "reasons": reasons} for n in range(5)],
        "instanceId": f"i-{i:017x}",
    }


def test_report_output_is_bounded_for_a_thousand_violations() -> None:
    tasks = [_violating_task(i) for i in range(1000)]
    collected = Collected(tasks=tasks, hosts=[{"instanceId": t["instanceId"]} for t in tasks])
    state = ExecutionState(audit=audit_of({"kind": "cluster", "networkModes": ["none"]}, cluster="c"))
    result = summarise(state, "run-1", "s3://bucket/audits/run-1.json", collected)
    out = state_output(result)
    size = len(json.dumps(out, separators=(",", ":")))
    assert "summary" not in out and len(out["cause"]) <= CAUSE_LIMIT
    assert size <= CAUSE_LIMIT + OUTPUT_TASKS_BYTES + 8_000, size
    assert out["tasksOmitted"] == 1000 - len(out["tasks"])


def test_the_largest_parent_state_is_under_the_quota() -> None:
    # the largest input the model takes (100 task ARNs) plus every part a state can hold at once
    audit = {"target": TasksTarget(kind="tasks", task_arns=[ARN.format(i) for i in range(100)]).dump()}
    tasks = [_violating_task(i) for i in range(1000)]
    collected = Collected(tasks=tasks)
    report = state_output(
        summarise(ExecutionState(audit=audit_of(audit["target"])), "run-1", "s3://b/k", collected)
    )
    error_cause = json.dumps({"errorMessage": "x" * 32_000, "errorType": "ProbeFailed"})
    state = {
        "audit": {**audit, "cluster": "c" * 255, "execution": {"id": "x" * 200, "name": "y" * 80}},
        "canary": {"taskArn": ARN.format(1), "taskDefinitionArn": "t" * 200, "startedBy": "n" * 36},
        "resolved": {"bucket": "b" * 63, "resolvedKey": "k" * 120, "hostsKey": "k" * 120, "hostCount": 5000},
        "error": {"Error": "ProbeFailed", "Cause": error_cause},
        "cleanup": {"stoppedTasks": [ARN.format(1)], "deregistered": "t" * 200},
        "report": report,
    }
    size = len(json.dumps(state, separators=(",", ":")).encode())
    assert size < STATE_LIMIT, size


def test_report_text_is_bounded_for_sns_and_the_state() -> None:
    reason = "address 10.0.0.1/24 on dummy0 " * 40
    tasks = [
        {"taskArn": f"{TASK[:-4]}{i:04d}", "declaredMode": "none", "verdict": "VIOLATION"}
        | {"reasons": [reason]}
        for i in range(100)
    ]
    state = ExecutionState(audit=audit_of({"kind": "tasks", "taskArns": [TASK]}, cluster="default"))
    result = summarise(state, "review-1", "s3://b/audits/x.json", Collected(tasks=tasks))
    assert len(result["summary"]) <= CAUSE_LIMIT
    assert result["cause"] == result["summary"]
    assert result["summary"].endswith("s3://b/audits/x.json)")

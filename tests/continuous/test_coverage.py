"""Coverage in every report: each task in exactly one bucket, with its reason; the Express bound."""

import json
from pathlib import Path
from typing import Any

import pytest

from netaudit import causes
from netaudit.errors import InvalidInput
from netaudit.models.evidence import NotProbedRecord, TaskRecord
from netaudit.models.inputs import EXPRESS_PROBE_BUDGET, Defaults, ExecutionRef
from netaudit.settings import CanarySettings
from netaudit.workflow.coverage import coverage, coverage_line, percentile
from netaudit.workflow.prepare import prepare as _prepare
from netaudit_local.template import load_template

ROOT = Path(__file__).resolve().parents[2]


def _task(arn: str, verdict: str, *reasons: str, cause: str | None = None) -> TaskRecord:
    record = {"taskArn": arn, "verdict": verdict, "reasons": list(reasons)}
    return TaskRecord.model_validate({**record, **({"cause": cause} if cause else {})})


def _skipped(arn: str, reason: str, code: str | None = None) -> NotProbedRecord:
    return NotProbedRecord.model_validate({"taskArn": arn, "reason": reason, "code": code})


def test_coverage_numbers_and_reasons() -> None:
    tasks = [
        _task("a", "ISOLATED"),
        _task("b", "VIOLATION", "app: interface dummy0 present"),
        _task(
            "c",
            "INCONCLUSIVE",
            "probe on i-1 failed: ProbeTimedOut: still InProgress after 120 s",
            cause=causes.PROBE_TIMED_OUT,
        ),
        _task(
            "d",
            "INCONCLUSIVE",
            "container instance arn:x (EC2 i-2) is not Online in SSM (PingStatus ConnectionLost)",
            cause=causes.NO_SSM,
        ),
        _task("e", "INCONCLUSIVE", "no container of the task was found on this host"),
        _task("f", "INCONCLUSIVE", "not probed: task is STOPPED, not RUNNING", cause=causes.TASK_STOPPED),
    ]
    not_probed = [
        _skipped("f", "task is STOPPED, not RUNNING (Essential container exited)", causes.TASK_STOPPED),
        _skipped("g", "[FARGATE] task ENI 10.0.1.9 (DescribeTasks): AWS Fargate: ...", "FARGATE"),
        _skipped("h", "networkMode awsvpc not audited (networkModes: none)", causes.FILTERED_OUT),
    ]
    cov = coverage(tasks, not_probed)
    # f is in both lists and counts once; every bucket adds up to the tasks in scope
    assert cov["inScope"] == 8
    assert (cov["verified"], cov["notVerifiable"], cov["stopped"], cov["failed"]) == (2, 3, 1, 2)
    assert cov["verified"] + cov["notVerifiable"] + cov["stopped"] + cov["failed"] == cov["inScope"]
    assert cov["percent"] == 25.0
    assert cov["reasons"] == {
        "failed": {"command timed out": 1, "container gone mid-probe": 1},
        "notVerifiable": {"AWS Fargate": 1, "filtered out": 1, "no SSM": 1},
        "stopped": {"task stopped before its audit": 1},
    }
    line = coverage_line(cov)
    assert line.startswith("coverage: 2/8 tasks verified (25.0%)") and "AWS Fargate 1" in line


def test_coverage_sorts_by_codes_never_by_the_words_of_a_reason() -> None:
    """A reason's words decide nothing: the code does; without one, the task failed, under its
    reason (issue 22: hosts.py and inventory.py set the codes where they find the cause)."""
    words = "container instance arn:x is not Online in SSM; task is STOPPED, not RUNNING; timed out"
    tasks = [
        _task("a", "INCONCLUSIVE", words, cause=causes.OUTPUT_UNREADABLE),
        _task("b", "INCONCLUSIVE", words),
    ]
    not_probed = [_skipped("c", words, causes.FILTERED_OUT), _skipped("d", words)]
    cov = coverage(tasks, not_probed)
    assert (cov["notVerifiable"], cov["stopped"], cov["failed"]) == (1, 0, 3)
    assert cov["reasons"] == {
        "failed": {"output not readable": 1, words: 2},
        "notVerifiable": {"filtered out": 1},
    }
    # every code a producer sets has its bucket and label, and coverage knows no other
    assert {bucket for bucket, _ in causes.CAUSES.values()} == {"stopped", "notVerifiable", "failed"}


def test_stored_evidence_without_codes_is_still_grouped_by_cause() -> None:
    """The exports read evidence written before not-probed records carried codes."""
    from netaudit.workflow.coverage import of_not_probed

    old = {"taskArn": "x", "reason": "container instance arn:x (EC2 i-2) is not Online in SSM"}
    assert of_not_probed(old) == ("notVerifiable", "no SSM")
    assert of_not_probed({**old, "code": causes.TASK_STOPPED}) == ("stopped", "task stopped before its audit")


def test_platforms_with_no_way_in_are_not_verifiable_by_their_code_never_verified() -> None:
    from netaudit import platforms

    subject = "task ENI 10.0.1.7 (DescribeTasks), launch type X"
    not_probed = [
        _skipped("f", platforms.reason(platforms.FARGATE, subject), "FARGATE"),
        _skipped("m", platforms.reason(platforms.MANAGED_INSTANCES, subject)),
    ]
    windows = platforms.reason(platforms.WINDOWS, "container instance arn:ci (i-1, Windows (2022))")
    tasks = [
        _task("w", "INCONCLUSIVE", windows),
        _task("b", "INCONCLUSIVE", "no container of the task was found on this host",
              "probe error: [BOTTLEROCKET_ADMIN_OFF] Bottlerocket host not reachable: ..."),
        # a word in a sentence is not a code: this task failed, it is not a platform one
        _task("x", "INCONCLUSIVE", "probe on i-2 failed: ProbeFailed: Windows line endings? FARGATE?"),
        _task("v", "ISOLATED"),
    ]  # fmt: skip
    cov = coverage(tasks, not_probed)
    assert (cov["verified"], cov["notVerifiable"], cov["failed"]) == (1, 4, 1)
    named = ["AWS Fargate", "Bottlerocket (admin container off)", "ECS Managed Instances", "Windows"]
    assert cov["reasons"]["notVerifiable"] == dict.fromkeys(named, 1)
    assert set(cov["platforms"]) == {"FARGATE", "MANAGED_INSTANCES", "WINDOWS", "BOTTLEROCKET_ADMIN_OFF"}
    for code, row in cov["platforms"].items():
        p = platforms.NO_WAY_IN[code]
        assert row == {"platform": p.platform, "tasks": 1, "why": p.why, "verifiableWhen": p.to_verify}


def test_a_container_that_is_not_running_is_a_failure_not_a_stopped_task() -> None:
    cov = coverage([_task("a", "INCONCLUSIVE", "container app is not running (state exited, pid 0)")], [])
    assert cov["failed"] == 1 and cov["stopped"] == 0


def test_nothing_in_scope_is_full_coverage_and_delays_are_percentiles() -> None:
    assert coverage([], [])["percent"] == 100.0
    assert (
        percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
        and percentile([float(n) for n in range(1, 21)], 95) == 19.0
    )
    running = {"a": "2026-11-25T10:00:00Z", "b": "2026-11-25T10:00:10Z"}
    now = 1795600830.0  # 2026-11-25T10:00:30Z
    cov = coverage([_task("a", "ISOLATED"), _task("b", "VIOLATION")], [], running_at=running, now=now)
    assert cov["runningToVerdict"] == {"count": 2, "p50Seconds": 20.0, "p95Seconds": 30.0, "maxSeconds": 30.0}


def prepare(raw: Any, defaults: Defaults, execution: ExecutionRef, ecs: Any) -> Any:
    return _prepare(raw, defaults, execution, ecs, CanarySettings(image="busybox"))


class _Ecs:
    def describe_clusters(self, **_: Any) -> dict[str, Any]:
        return {"clusters": [{"clusterName": "prod", "status": "ACTIVE"}]}


def _defaults(probe: int = 120, poll: int = 5) -> Defaults:
    return Defaults(
        cluster="prod",
        image="busybox",
        poll_interval_seconds=poll,
        running_deadline_seconds=60,
        probe_deadline_seconds=probe,
    )


def test_probe_deadline_and_poll_fit_an_express_child() -> None:
    audit = prepare({"probeDeadlineSeconds": EXPRESS_PROBE_BUDGET - 5}, _defaults(), ExecutionRef(), _Ecs())
    assert audit.probe_deadline_seconds == EXPRESS_PROBE_BUDGET - 5
    with pytest.raises(
        InvalidInput, match=r"probeDeadlineSeconds: 236 s plus pollIntervalSeconds 6 s .*Express"
    ):
        prepare({"probeDeadlineSeconds": 236, "pollIntervalSeconds": 6}, _defaults(), ExecutionRef(), _Ecs())
    with pytest.raises(InvalidInput, match="probeDeadlineSeconds: Input should be less than or equal to 240"):
        prepare({"probeDeadlineSeconds": 3600}, _defaults(), ExecutionRef(), _Ecs())
    with pytest.raises(InvalidInput, match="pollIntervalSeconds 60 s"):  # the deployment's default poll
        prepare({"probeDeadlineSeconds": 200}, _defaults(poll=60), ExecutionRef(), _Ecs())


def test_template_bounds_the_probe_deadline_like_the_input_model() -> None:
    # any pair of values CloudFormation accepts fits the Express probe budget Prepare enforces:
    # otherwise a stack deploys whose every audit (the schedule's too) fails with InvalidInput
    params = load_template()["Parameters"]
    probe, poll = params["ProbeDeadlineSeconds"], params["PollIntervalSeconds"]
    assert probe["MaxValue"] + poll["MaxValue"] <= EXPRESS_PROBE_BUDGET
    assert probe["Default"] + poll["Default"] <= EXPRESS_PROBE_BUDGET
    assert probe["MinValue"] >= 1 and poll["MinValue"] >= 0


def _event_defaults(probe: int = 120, poll: int = 5) -> Defaults:
    """The event machine's defaults: Prepare's probeBudgetSeconds from the committed event ASL."""
    asl = json.loads((ROOT / "statemachine" / "netaudit-events.asl.json").read_text(encoding="utf-8"))
    budget = int(asl["States"]["Prepare"]["Parameters"]["defaults"]["probeBudgetSeconds"])
    return _defaults(probe, poll).model_copy(update={"probe_budget_seconds": budget})


def test_the_event_machine_fits_the_probe_deadline_in_its_budget_instead_of_refusing() -> None:
    # the Standard machine keeps the deployment's deadline; the event machine shortens it until
    # deadline + poll is its budget (a host still probing then is INCONCLUSIVE, the batch reported)
    events = _event_defaults()
    budget = events.probe_budget_seconds
    assert budget is not None and budget < 120 + 5  # the default deadline needs fitting

    def deadline(raw: dict[str, Any], defaults: Defaults) -> int:
        return int(prepare(raw, defaults, ExecutionRef(), _Ecs()).probe_deadline_seconds)

    assert deadline({}, _defaults()) == 120
    assert deadline({}, events) == budget - 5
    assert deadline({"pollIntervalSeconds": 0}, events) == budget
    assert deadline({"probeDeadlineSeconds": 30}, events) == 30
    with pytest.raises(InvalidInput, match=rf"pollIntervalSeconds: {budget} s leaves no probe time"):
        prepare({"pollIntervalSeconds": budget}, events, ExecutionRef(), _Ecs())


def test_every_poll_interval_the_template_accepts_leaves_the_event_machine_probe_time() -> None:
    # or every event audit of that deployment would be refused (and its batch dead-lettered)
    poll = load_template()["Parameters"]["PollIntervalSeconds"]
    budget = _event_defaults().probe_budget_seconds
    assert budget is not None and poll["MaxValue"] < budget

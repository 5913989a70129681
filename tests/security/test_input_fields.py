"""Every field of the execution input, malformed and oversized: InvalidInput naming the field,
a bounded message, and nothing created (threat T5 of docs/THREAT_MODEL.md).

The whole matrix runs through Prepare's domain function with an ECS client that records every
call (only DescribeClusters may be made, and none for a malformed input); one case per field
group runs through the real state machine as the console would start it (each execution costs
~0.3 s of moto's ASL parsing, so not all ~80). `test_every_field_has_cases` fails when the
input model gains a field without a case here.
"""

from typing import Any

import pytest
from sec_harness import Secured

from netaudit.errors import InvalidInput
from netaudit.models.inputs import (
    AuditInput,
    AwsvpcConfig,
    CanaryTarget,
    ClusterTarget,
    Defaults,
    ExecutionRef,
    TasksTarget,
)
from netaudit.settings import CanarySettings
from netaudit.workflow.prepare import prepare

BIG = "a" * 10_000  # an oversized string: 40 times any limit of the model
TASK = "arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef"
CAUSE_LIMIT = 4096  # an InvalidInput cause quotes what was given, bounded


def _canary(**fields: Any) -> dict[str, Any]:
    return {"target": {"kind": "canary", **fields}}


def _awsvpc(**fields: Any) -> dict[str, Any]:
    return _canary(networkMode="awsvpc", awsvpc={"subnets": ["subnet-0123456789abcdef0"], **fields})


# field path -> inputs that must each be refused naming that field
CASES: dict[str, list[Any]] = {
    "cluster": [BIG, 7, ["default"], "has space", "arn:aws:ecs:us-east-1:1:cluster/x", "a;b", "other"],
    "clusters": [  # several clusters (netaudit.workflow.scope)
        [],
        ["default"] * 101,
        BIG,
        7,
        ["*", "default"],
        {"clusters": ["default"], "cluster": "default"},
        {"clusters": ["default", "other"]},  # a canary runs in one cluster
    ],
    "clusters[0]": [[BIG], ["has space"], [7], ["other"], ["nope"]],
    "clusters[1]": [
        {"clusters": ["default", "other"], "target": {"kind": "cluster"}},  # out of scope
        {"clusters": ["default", "a;b"], "target": {"kind": "cluster"}},
    ],
    "accounts": [[], ["111111111111"] * 101, BIG, 7, ["*", "111111111111"]],  # issue 21
    "accounts[0]": [[BIG], ["12345"], ["has space"], [7], ["999999999999"]],  # the last: out of scope
    "target": [BIG, 7, ["canary"], None],
    "target.kind": [{"target": {"kind": "pwn"}}, {"target": {"kind": BIG}}, {"target": {"kind": 1}}],
    "target.networkMode": [_canary(networkMode="nat"), _canary(networkMode=BIG), _canary(networkMode=None)],
    "target.launchType": [_canary(launchType="FARGATE"), _canary(launchType=BIG), _canary(launchType=5)],
    "target.image": [
        _canary(image="-evil"),
        _canary(image="a b"),
        _canary(image="a" * 256),
        _canary(image=BIG),
        _canary(image="x$(id)"),
        _canary(image=["busybox"]),
    ],
    "target.command": [_canary(command=["sleep", "1"]), _canary(command=BIG)],
    "target.memoryMib": [_canary(memoryMib=5), _canary(memoryMib=10**12), _canary(memoryMib="32x")],
    "target.awsvpc": [
        _canary(networkMode="awsvpc"),
        _canary(awsvpc={"subnets": ["subnet-0123456789abcdef0"]}),
        _canary(networkMode="awsvpc", awsvpc=BIG),
    ],
    "target.awsvpc.subnets": [
        _canary(networkMode="awsvpc", awsvpc={"subnets": []}),
        _canary(networkMode="awsvpc", awsvpc={"subnets": ["subnet-0123456789abcdef0"] * 17}),
    ],
    "target.awsvpc.subnets[0]": [
        _canary(networkMode="awsvpc", awsvpc={"subnets": ["subnet-x"]}),
        _canary(networkMode="awsvpc", awsvpc={"subnets": [BIG]}),
    ],
    "target.awsvpc.securityGroups": [
        _awsvpc(securityGroups=["sg-0123456789abcdef0"] * 6),
        _awsvpc(securityGroups=BIG),
    ],
    "target.awsvpc.securityGroups[0]": [_awsvpc(securityGroups=["sg-;rm"]), _awsvpc(securityGroups=[BIG])],
    "target.awsvpc.bogus": [_awsvpc(bogus=1)],
    "target.taskArns": [
        {"target": {"kind": "tasks", "taskArns": []}},
        {"target": {"kind": "tasks", "taskArns": [TASK] * 101}},
        {"target": {"kind": "tasks"}},
    ],
    "target.taskArns[0]": [
        {"target": {"kind": "tasks", "taskArns": ["x; rm -rf /"]}},
        {"target": {"kind": "tasks", "taskArns": [BIG]}},
        {"target": {"kind": "tasks", "taskArns": [TASK.replace("/default/", "/other/")]}},
    ],
    "target.runningAt": [  # event-driven audits (netaudit.workflow.events_batch)
        {"target": {"kind": "tasks", "taskArns": [TASK], "runningAt": {TASK[:-1] + "0": "2026-11-25"}}},
        {"target": {"kind": "tasks", "taskArns": [TASK], "runningAt": {TASK: BIG}}},
        {"target": {"kind": "tasks", "taskArns": [TASK], "runningAt": "x"}},
        {"target": {"kind": "tasks", "taskArns": [TASK], "runningAt": {f"k{n}": "x" for n in range(101)}}},
    ],
    "target.networkModes": [
        {"target": {"kind": "cluster", "networkModes": []}},
        {"target": {"kind": "cluster", "networkModes": ["none"] * 17}},
    ],
    "target.networkModes[0]": [
        {"target": {"kind": "cluster", "networkModes": ["nat"]}},
        {"target": {"kind": "cluster", "networkModes": [BIG]}},
    ],
    "target.bogus": [_canary(bogus=1), {"target": {"kind": "cluster", "bogus": [TASK]}}],
    "pollIntervalSeconds": [-1, 301, BIG, 1.5, 10**30],
    "runningDeadlineSeconds": [0, 3601, BIG, -5],
    "probeDeadlineSeconds": [0, 3601, BIG, [1]],
    "maxConcurrency": [0, 1001, BIG, {"a": 1}],
    "bogus": [{"bogus": 1}],
}
TOP_LEVEL = {
    "accounts",
    "accounts[0]",
    "cluster",
    "clusters",
    "clusters[0]",
    "target",
    "pollIntervalSeconds",
    "runningDeadlineSeconds",
    "probeDeadlineSeconds",
    "maxConcurrency",
}


class RecordingEcs:
    """ECS as Prepare sees it: two ACTIVE clusters, `default` (the deployment's) and `other`."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def describe_clusters(self, clusters: list[str]) -> dict[str, Any]:
        self.calls.append("DescribeClusters")
        name = clusters[0].rsplit(":cluster/", 1)[-1]
        found = name in ("default", "other")
        return {"clusters": [{"clusterName": name, "status": "ACTIVE"}] if found else []}

    def __getattr__(self, name: str) -> Any:  # any other call would create or read something
        raise AssertionError(f"Prepare called ecs.{name}")


DEFAULTS = Defaults(
    cluster="default", poll_interval_seconds=5, running_deadline_seconds=300, probe_deadline_seconds=120
)
SETTINGS = CanarySettings(image="public.ecr.aws/docker/library/busybox:stable")


def _payload(path: str, value: Any) -> Any:
    if path in TOP_LEVEL and not (isinstance(value, dict) and path.startswith("clusters")):
        return {path.split("[")[0]: value}
    return value


def _cases() -> list[Any]:
    return [
        pytest.param(path, _payload(path, value), id=f"{path}-{i}")
        for path, values in CASES.items()
        for i, value in enumerate(values)
    ]


def _refusal(payload: Any) -> tuple[str, list[str]]:
    ecs = RecordingEcs()
    with pytest.raises(InvalidInput) as exc:
        prepare(payload, DEFAULTS, ExecutionRef(), ecs, SETTINGS)
    return exc.value.message, ecs.calls


@pytest.mark.parametrize(("path", "payload"), _cases())
def test_refused_naming_the_field_and_nothing_created(path: str, payload: Any) -> None:
    cause, calls = _refusal(payload)
    assert cause.startswith("invalid input: "), cause
    assert f" {path}: " in cause, cause
    assert len(cause) < CAUSE_LIMIT, len(cause)
    assert set(calls) <= {"DescribeClusters"}
    if not path.startswith(("cluster", "target.taskArns")):
        assert calls == [], f"a malformed input reached AWS: {calls}"


def test_an_unknown_key_of_any_size_is_named_bounded() -> None:
    cause, calls = _refusal({"x" * 5000: 1})
    assert "unknown field" in cause and len(cause) < 300 and calls == []


def test_every_problem_is_listed_up_to_a_bound() -> None:
    cause, _ = _refusal({f"k{i}": BIG[:1000] for i in range(100)})
    assert cause.count("unknown field") == 10 and "and 90 more" in cause
    assert len(cause) < CAUSE_LIMIT


@pytest.mark.parametrize("payload", [[], "x", 7, [{"target": {}}]])
def test_an_input_that_is_no_object_is_refused(payload: Any) -> None:
    cause, calls = _refusal(payload)
    assert "expected a JSON object" in cause and calls == []


# one per field group, through the real state machine: FAILED InvalidInput, nothing created
END_TO_END = [
    "cluster-0",
    "cluster-6",
    "clusters[1]-0",
    "target.kind-1",
    "target.image-3",
    "target.command-0",
    "target.awsvpc.subnets[0]-1",
    "target.taskArns[0]-2",
    "target.networkModes[0]-1",
    "pollIntervalSeconds-2",
    "bogus-0",
]


@pytest.mark.parametrize(("path", "payload"), [c for c in _cases() if c.id in END_TO_END])
def test_through_the_state_machine(stack: Secured, path: str, payload: Any) -> None:
    s = stack
    result = s.run(payload)
    assert result.status == "FAILED", result.output
    assert result.error == "InvalidInput", (result.error, result.cause)
    assert f" {path}: " in (result.cause or ""), result.cause
    s.assert_nothing_created()


def test_an_array_input_fails_the_execution_and_creates_nothing(stack: Secured) -> None:
    """Prepare refuses it (above); the ASL's Catch then cannot put `$.error` into an array (AWS:
    States.ResultPathMatchFailure, "a state's ResultPath field cannot be applied to the input the
    state received", states-language.net appendix A; moto: States.Runtime): the execution still
    fails, and before anything is created."""
    s = stack
    result = s.run([{"target": {"networkMode": "host"}}])
    assert result.status == "FAILED", result.output
    s.assert_nothing_created()


def _paths(model: Any, prefix: str = "") -> set[str]:
    out = set()
    for name, info in model.model_fields.items():
        alias = info.alias or name
        path = f"{prefix}{alias}"
        out.add(path)
        if model is CanaryTarget and name == "awsvpc":
            out |= _paths(AwsvpcConfig, path + ".")
    return out


def test_every_field_has_cases() -> None:
    fields = _paths(AuditInput)
    for target in (CanaryTarget, TasksTarget, ClusterTarget):
        fields |= _paths(target, "target.")
    missing = sorted(f for f in fields if f not in CASES and not any(c.startswith(f + "[") for c in CASES))
    assert missing == [], f"input fields without refusal cases: {missing}"

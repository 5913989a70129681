"""What AWS refuses in a deploy that moto and the local run never see (issue 19), read from the
template as aws-sam-translator transforms it (fixture `transformed`, conftest.py)."""

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from netaudit_local.template_rules import RuleFailed, failed_rules

ROOT = Path(__file__).resolve().parents[2]
ABSENT = object()

# Properties ending in "Name" that name no resource of the stack (a metric, a label).
NOT_PHYSICAL_NAMES = {"MetricName", "DisplayName"}
# CreateStackSet / CreateStack / UpdateStack* TemplateBody: 51,200 bytes at most; above it,
# TemplateURL (S3, 1 MB). CloudFormation API reference, CreateStackSet, TemplateBody.
TEMPLATE_BODY_MAX = 51_200
# "If you're using a batch window and your Amazon SQS queue contains low traffic, EventBridge
# might wait for up to 20 seconds before invoking your pipe" (EventBridge user guide, "Amazon SQS
# as a source"): a quiet queue holds a batch this long even with a shorter window.
PIPES_QUIET_WAIT_S = 20


def _resolve_if(value: Any, condition: str, on: bool) -> Any:
    """`value` with every Fn::If on `condition` taken (`on`), AWS::NoValue as ABSENT."""
    if isinstance(value, dict):
        if set(value) == {"Fn::If"} and value["Fn::If"][0] == condition:
            return _resolve_if(value["Fn::If"][1 if on else 2], condition, on)
        if value == {"Ref": "AWS::NoValue"}:
            return ABSENT
        return {k: _resolve_if(v, condition, on) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_if(v, condition, on) for v in value]
    return value


def _stack_unique(value: Any, resources: set[str]) -> bool:
    """Whether a name is made from the stack (its name or id) or from one of its resources."""
    text = json.dumps(value)
    if "AWS::StackName" in text or "AWS::StackId" in text or '"Fn::GetAtt"' in text:
        return True
    refs = set(re.findall(r'"Ref": "([^"]+)"', text)) | set(re.findall(r"\$\{([A-Za-z0-9]+)[.}]", text))
    return bool(refs & resources)


def test_no_resource_has_a_fixed_physical_name(transformed: dict[str, Any]) -> None:
    """A name that is the same in every stack fails the second stack of the account and Region
    (e.g. the ScheduleV2 event's AWS::Scheduler::Schedule without OmitName: SAM issue #3109)."""
    resources = transformed["Resources"]
    names = {
        (logical, prop): value
        for logical, res in resources.items()
        for prop, value in (res.get("Properties") or {}).items()
        if (prop == "Name" or prop.endswith("Name")) and prop not in NOT_PHYSICAL_NAMES
    }
    assert ("NetauditStateMachine", "StateMachineName") in names  # the walk sees the names there are
    fixed = {key: value for key, value in names.items() if not _stack_unique(value, set(resources))}
    assert fixed == {}, f"fixed physical names (a second stack fails on them): {fixed}"
    schedules = [r for r in resources.values() if r["Type"] == "AWS::Scheduler::Schedule"]
    assert schedules and all("Name" not in s["Properties"] for s in schedules)


@pytest.mark.parametrize("locked", [True, False])
def test_object_lock_is_enabled_at_the_top_level_with_its_configuration(
    transformed: dict[str, Any], locked: bool
) -> None:
    """AWS::S3::Bucket: ObjectLockConfiguration needs the top-level ObjectLockEnabled true (the
    resource schema: "Enable ObjectLockEnabled when you apply ObjectLockConfiguration"); the
    configuration alone hangs in CREATE_IN_PROGRESS (cloudformation-coverage-roadmap#626)."""
    bucket = transformed["Resources"]["EvidenceBucket"]["Properties"]
    props = _resolve_if(bucket, "EvidenceObjectLock", locked)
    if locked:
        assert props.get("ObjectLockEnabled") is True
        assert props.get("ObjectLockConfiguration") == {"ObjectLockEnabled": "Enabled"}
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    else:
        assert props.get("ObjectLockEnabled", ABSENT) is ABSENT
        assert props.get("ObjectLockConfiguration", ABSENT) is ABSENT


def _readme_cloudformation_commands() -> list[list[str]]:
    """Every `aws cloudformation ...` command of README.md, in code blocks (continuation lines
    joined) or inline code, as argv."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)
    lines = [line for b in blocks for line in b.replace("\\\n", " ").splitlines()]
    lines += re.findall(r"`(aws cloudformation [^`]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    commands = [line.split(" #", 1)[0] for line in lines if line.strip().startswith("aws cloudformation ")]
    return [shlex.split(c) for c in commands]


def test_the_readme_documents_no_command_over_the_api_limits(transformed: dict[str, Any]) -> None:
    """The processed template is over CreateStackSet's TemplateBody limit even as compact JSON, so
    no README command may pass it as --template-body (a file passed so must be within the limit and
    need no transform: the member template); and one processed template names one code bucket,
    which must be in each function's Region (Lambda: "The Amazon S3 bucket must be in the same AWS
    Region as your function", CreateFunction, Code.S3Bucket), so no StackSet command may deploy it
    to several Regions."""
    size = len(json.dumps(transformed, separators=(",", ":")).encode())
    assert size > TEMPLATE_BODY_MAX  # why --template-body cannot carry it (if this fails, revisit)
    commands = _readme_cloudformation_commands()
    for argv in commands:
        bodies = [a for a in argv if a.startswith("--template-body")]
        if bodies:
            value = bodies[0].split("=", 1)[1] if "=" in bodies[0] else argv[argv.index(bodies[0]) + 1]
            assert value.startswith("file://"), shlex.join(argv)
            body = (ROOT / value.removeprefix("file://")).read_bytes()
            assert len(body) <= TEMPLATE_BODY_MAX, f"{value}: {len(body):,} bytes: {shlex.join(argv)}"
            assert not re.search(rb"^Transform:", body, re.M), (
                f"{value} needs a transform, which StackSets do not run"
            )
        if "--regions" in argv and argv[2] in ("create-stack-instances", "update-stack-instances"):
            regions = argv[argv.index("--regions") + 1 :]
            regions = regions[: next((i for i, a in enumerate(regions) if a.startswith("--")), len(regions))]
            assert len(regions) <= 1, f"one code bucket cannot serve {regions}: {shlex.join(argv)}"


def test_the_queue_outlasts_the_longest_batching_window_the_enrichment_and_the_execution(
    transformed: dict[str, Any],
) -> None:
    """The Pipe's messages stay hidden for the queue's VisibilityTimeout while it gathers a batch,
    runs the enrichment and starts the audit; shorter, and a batch in flight is received again and
    dead-lettered after maxReceiveCount receives."""
    resources, params = transformed["Resources"], transformed["Parameters"]
    queue = resources["TaskEventsQueue"]["Properties"]
    pipe = resources["TaskEventsPipe"]["Properties"]
    window = pipe["SourceParameters"]["SqsQueueParameters"]["MaximumBatchingWindowInSeconds"]
    assert window == {"Ref": "EventBatchWindowSeconds"}
    longest_window = max(int(params["EventBatchWindowSeconds"]["MaxValue"]), PIPES_QUIET_WAIT_S)
    enrichment = pipe["Enrichment"]["Fn::GetAtt"][0]
    timeout = int(resources[enrichment]["Properties"]["Timeout"])
    target = pipe["TargetParameters"]["StepFunctionStateMachineParameters"]
    # the Pipe waits for the event machine (StartSyncExecution): its whole run holds the batch
    assert target["InvocationType"] == "REQUEST_RESPONSE"
    machine = resources[pipe["Target"]["Ref"]]["Properties"]
    assert machine["StateMachineType"] == "EXPRESS"  # REQUEST_RESPONSE: Express only (Pipes API reference)
    asl = json.loads((ROOT / "statemachine" / "netaudit-events.asl.json").read_text(encoding="utf-8"))
    execution = int(asl["TimeoutSeconds"])
    assert execution <= 300  # Express's 5-minute limit
    assert int(queue["VisibilityTimeout"]) > longest_window + timeout + execution, (longest_window, timeout)


@pytest.mark.parametrize(
    ("size", "window", "enabled", "refused"),
    [
        ("100", "0", "true", True),
        ("11", "0", "true", True),
        ("10", "0", "true", False),
        ("100", "1", "true", False),
        ("100", "0", "false", False),  # no Pipe without event-driven audits
    ],
)
def test_a_batch_over_ten_needs_a_window(
    transformed: dict[str, Any], size: str, window: str, enabled: str, refused: bool
) -> None:
    """BatchSize over 10 with MaximumBatchingWindowInSeconds 0 is refused for SQS sources of
    Lambda's event source mappings; the Pipes reference does not say, so the stack's Rules refuse
    it before anything is created (CloudFormation evaluates Rules before it creates a stack)."""
    params = {"EventBatchSize": size, "EventBatchWindowSeconds": window, "EnableEventDrivenAudits": enabled}
    failed = failed_rules(transformed, params)
    refusal = "EventBatchSize over 10 needs EventBatchWindowSeconds of at least 1"
    assert failed == ([refusal] if refused else [])


def test_the_local_stack_refuses_what_the_rules_refuse() -> None:
    from netaudit_local.cloud.aws import local_aws
    from netaudit_local.stack import create_stack

    with local_aws([]) as seams, pytest.raises(RuleFailed, match="EventBatchSize over 10"):
        create_stack(seams, {"EnableEventDrivenAudits": "true", "EventBatchWindowSeconds": "0"})
    with local_aws([]) as seams, pytest.raises(RuleFailed, match=r"ClusterName: \*"):
        create_stack(seams, {"ClusterName": "*,prod"})


def test_the_map_run_children_are_granted_under_the_asl_label(transformed: dict[str, Any]) -> None:
    """The state machine role names its Distributed Map's children by the map run label: it must
    be the ASL's (a renamed label would leave every child DescribeExecution denied)."""
    asl = json.loads((ROOT / "statemachine" / "netaudit.asl.json").read_text(encoding="utf-8"))
    labels = {
        s["Label"]
        for s in asl["States"].values()
        if s.get("ItemProcessor", {}).get("ProcessorConfig", {}).get("Mode") == "DISTRIBUTED"
    }
    assert len(labels) == 1
    (label,) = labels
    policies = json.dumps(transformed["Resources"]["NetauditStateMachineRole"]["Properties"]["Policies"])
    assert f":execution:netaudit-${{StackUuid}}/{label}:*" in policies
    assert f":express:netaudit-${{StackUuid}}/{label}:*" in policies

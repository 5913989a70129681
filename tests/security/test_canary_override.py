"""The canary runs the deployment's image and command, never code of the caller's choosing.

Threats T1-T4 and T11 of docs/THREAT_MODEL.md: an input may override the image only when the deployment
allows it, only from an allowed repository, never with networkMode host; never the command. A
refused override is InvalidInput naming the field, and nothing is created.
"""

import json
from typing import Any

import boto3
import pytest
from sec_harness import Secured

from netaudit.errors import InvalidInput
from netaudit.models.inputs import Defaults, ExecutionRef
from netaudit.settings import CanarySettings, SettingsError, image_repository
from netaudit.workflow.canary import CANARY_HARDENING
from netaudit.workflow.prepare import prepare
from netaudit_local.cloud.account import REGION
from netaudit_local.stack import ExecutionResult

DEPLOYED = "public.ecr.aws/docker/library/busybox:stable"
EVIL = "attacker.example.com/miner:latest"


def _refused(s: Secured, payload: dict, field: str, why: str) -> str:
    result = s.run(payload)
    assert result.status == "FAILED", result.output
    assert result.error == "InvalidInput", (result.error, result.cause)
    cause = result.cause or ""
    assert f"{field}: " in cause and why in cause, cause
    s.assert_nothing_created()
    return cause


def _registered_container(result: ExecutionResult) -> dict:
    """The canary container this execution registered (RegisterTaskDefinition's answer)."""
    [exited] = [
        e["stateExitedEventDetails"]
        for e in result.history
        if e.get("stateExitedEventDetails", {}).get("name") == "RegisterTaskDefinition"
    ]
    arn = json.loads(exited["output"])["canary"]["taskDefinitionArn"]
    ecs = boto3.client("ecs", region_name=REGION)
    return dict(ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]["containerDefinitions"][0])


class NoEcs:
    """Prepare's ECS client for refusals: the deployment's cluster exists; nothing else may be called."""

    def describe_clusters(self, clusters: list[str]) -> dict[str, Any]:
        return {"clusters": [{"clusterName": "default", "status": "ACTIVE"}]}


def _prepare(payload: dict, **settings: Any) -> str:
    """The image Prepare puts in the audit, or raises InvalidInput."""
    defaults = Defaults(
        cluster="default", poll_interval_seconds=0, running_deadline_seconds=60, probe_deadline_seconds=60
    )
    audit = prepare(payload, defaults, ExecutionRef(), NoEcs(), CanarySettings(image=DEPLOYED, **settings))
    return audit.image


def _prepare_refused(payload: dict, field: str, why: str, **settings: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        _prepare(payload, **settings)
    assert f"{field}: " in exc.value.message and why in exc.value.message, exc.value.message


ECR = r"123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com/canary/.+"


# --- through the state machine: refused means FAILED InvalidInput and nothing created ---------


def test_by_default_an_input_cannot_choose_the_image(deployed: Secured) -> None:
    cause = _refused(
        deployed, {"target": {"image": EVIL}}, "target.image", "AllowCanaryImageOverride is false"
    )
    assert EVIL in cause  # the refused value is named


def test_an_override_never_runs_in_the_host_netns(deployed: Secured) -> None:
    deployed.deploy({"AllowCanaryImageOverride": "true", "CanaryImageRepositoryPattern": ".*"})
    _refused(
        deployed,
        {"target": {"networkMode": "host", "image": "public.ecr.aws/docker/library/busybox:1.36"}},
        "target.image",
        "never runs in the host network namespace",
    )


def test_the_command_is_never_taken_from_an_input(deployed: Secured) -> None:
    deployed.deploy({"AllowCanaryImageOverride": "true", "CanaryImageRepositoryPattern": ".*"})
    _refused(
        deployed,
        {"target": {"command": ["sh", "-c", "wget 169.254.169.254"]}},
        "target.command",
        "never an input's",
    )


def test_state_keys_cannot_be_smuggled_in_the_input(deployed: Secured) -> None:
    """Prepare's output replaces the whole state: an input cannot pre-fill what later steps read."""
    smuggled = {"image": EVIL, "command": ["sh"], "target": {"networkMode": "host"}}
    _refused(deployed, {"audit": smuggled}, "audit", "unknown field")


def test_the_deployments_image_command_and_hardening_are_registered(deployed: Secured) -> None:
    deployed.deploy({"CanaryCommand": '["sleep", "123"]'})
    result = deployed.run({"target": {"networkMode": "host", "image": DEPLOYED}})  # naming it is no override
    assert result.status == "SUCCEEDED", result.cause
    container = _registered_container(result)
    assert container["command"] == ["sleep", "123"]
    assert container["image"] == DEPLOYED
    for key, value in CANARY_HARDENING.items():
        assert container[key] == value, key


def test_an_allowed_override_from_an_allowed_repository_runs(deployed: Secured) -> None:
    deployed.deploy({"AllowCanaryImageOverride": "true", "CanaryImageRepositoryPattern": ECR})
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/canary/sleeper:1.2"
    result = deployed.run({"target": {"networkMode": "bridge", "image": image}})
    assert result.status == "SUCCEEDED", result.cause
    container = _registered_container(result)
    assert container["image"] == image
    assert container["command"][0] == "sleep"  # still the deployment's command


def test_a_misconfigured_deployment_fails_without_creating_anything(deployed: Secured) -> None:
    deployed.deploy({"CanaryCommand": "[not json"})
    result = deployed.run({})
    assert result.status == "FAILED" and result.error != "InvalidInput"
    assert "CanaryCommand" in (result.cause or ""), result.cause
    deployed.assert_nothing_created()


# --- Prepare's rules, case by case ------------------------------------------------------------


@pytest.mark.parametrize(
    "image",
    [
        EVIL,
        # a look-alike registry: the pattern must match the whole repository, not a prefix of it
        "123456789012.dkr.ecr.us-east-1.amazonaws.com.attacker.example.com/canary/miner:1",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/other/miner:1",
    ],
)
def test_an_override_from_another_repository_is_refused(image: str) -> None:
    _prepare_refused(
        {"target": {"image": image}},
        "target.image",
        "does not match the pattern",
        allow_image_override=True,
        repository_pattern=ECR,
    )


def test_without_a_pattern_only_the_deployed_repository_may_be_overridden() -> None:
    _prepare_refused(
        {"target": {"image": EVIL}}, "target.image", "CanaryImage's repository", allow_image_override=True
    )
    other_tag = "public.ecr.aws/docker/library/busybox:1.36"
    assert _prepare({"target": {"image": other_tag}}, allow_image_override=True) == other_tag
    assert _prepare({"target": {"image": other_tag + "@sha256:" + "a" * 64}}, allow_image_override=True)


@pytest.mark.parametrize("mode", ["none", "bridge", "host", "awsvpc"])
def test_a_refused_override_is_refused_in_every_mode(mode: str) -> None:
    target: dict[str, Any] = {"networkMode": mode, "image": EVIL}
    if mode == "awsvpc":
        target["awsvpc"] = {"subnets": ["subnet-0123456789abcdef0"]}
    _prepare_refused({"target": target}, "target.image", "AllowCanaryImageOverride is false")


def test_host_mode_refuses_any_override_even_a_matching_one() -> None:
    _prepare_refused(
        {"target": {"networkMode": "host", "image": "public.ecr.aws/docker/library/busybox:1"}},
        "target.image",
        "host network namespace",
        allow_image_override=True,
        repository_pattern=".*",
    )
    assert _prepare({"target": {"networkMode": "host"}}, allow_image_override=True) == DEPLOYED


@pytest.mark.parametrize("command", [["sleep", "1"], "sleep 1", [], {"a": 1}, 7, [["x"]]])
def test_no_command_of_any_shape_is_taken(command: object) -> None:
    _prepare_refused(
        {"target": {"command": command}},
        "target.command",
        "never an input's",
        allow_image_override=True,
        repository_pattern=".*",
    )


@pytest.mark.parametrize(
    "key",
    [
        "audit",
        "canary",
        "defaults",
        "execution",
        "image",
        "command",
        "documentName",
        "probeDocument",
        "taskDefinition",
        "overrides",
    ],
)
def test_no_state_or_document_key_is_accepted(key: str) -> None:
    _prepare_refused({key: {"image": EVIL}}, key, "unknown field")


def test_an_input_without_image_gets_the_deployments() -> None:
    assert _prepare({}) == DEPLOYED
    assert _prepare({"target": {"image": None}}) == DEPLOYED


@pytest.mark.parametrize(
    ("image", "repository"),
    [
        ("busybox", "busybox"),
        ("busybox:1.36", "busybox"),
        ("localhost:5000/team/app", "localhost:5000/team/app"),
        ("localhost:5000/team/app:1.2", "localhost:5000/team/app"),
        ("r.example.com/app@sha256:" + "a" * 64, "r.example.com/app"),
        ("r.example.com/app:1@sha256:" + "a" * 64, "r.example.com/app"),
    ],
)
def test_image_repository(image: str, repository: str) -> None:
    assert image_repository(image) == repository


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"CANARY_IMAGE": "busybox", "CANARY_COMMAND": '"sleep 1"'},
        {"CANARY_IMAGE": "busybox", "CANARY_COMMAND": "[1, 2]"},
        {"CANARY_IMAGE": "busybox", "ALLOW_IMAGE_OVERRIDE": "yes"},
        {"CANARY_IMAGE": "busybox", "IMAGE_REPOSITORY_PATTERN": "("},
        {"CANARY_IMAGE": "bad image"},
    ],
)
def test_bad_settings_are_a_settings_error(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        CanarySettings.from_env(environ)


def test_settings_from_the_environment() -> None:
    s = CanarySettings.from_env({"CANARY_IMAGE": "busybox", "CANARY_COMMAND": json.dumps(["sleep", "5"])})
    assert s.command == ["sleep", "5"] and not s.allow_image_override and s.repository_pattern == ""

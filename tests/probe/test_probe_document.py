"""The ProbeDocument resource in template.yaml: the one input, its pattern, the script's shape."""

import re
from pathlib import Path

import pytest

from netaudit_local.template import probe_document

DOC = probe_document()
PARAM = DOC["parameters"]["taskArn"]
SCRIPT = "\n".join(DOC["mainSteps"][0]["inputs"]["runCommand"])


def test_document_shape() -> None:
    assert DOC["schemaVersion"] == "2.2"
    assert list(DOC["parameters"]) == ["taskArn"]
    assert PARAM["type"] == "String" and PARAM["default"] == ""
    assert PARAM["interpolationType"] == "ENV_VAR"
    (step,) = DOC["mainSteps"]
    assert step["action"] == "aws:runShellScript"
    assert 0 < step["inputs"]["timeoutSeconds"] <= 600


@pytest.mark.parametrize(
    "arn",
    [
        "",
        "arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef",
        "arn:aws:ecs:eu-west-3:123456789012:task/my_cluster-2/ffffffffffffffffffffffffffffffff",
        "arn:aws:ecs:us-east-1:123456789012:task/0123456789abcdef0123456789abcdef",
        "arn:aws-us-gov:ecs:us-gov-west-1:123456789012:task/c/0123456789abcdef0123456789abcdef",
        "arn:aws-cn:ecs:cn-north-1:123456789012:task/c/0123456789abcdef0123456789abcdef",
    ],
)
def test_pattern_admits_task_arns(arn: str) -> None:
    assert re.fullmatch(PARAM["allowedPattern"], arn)


@pytest.mark.parametrize(
    "value",
    [
        "x; touch /tmp/pwned",
        "arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef0123456789abcdef; id",
        "arn:aws:ecs:us-east-1:123456789012:task/c/$(id)",
        "arn:aws:ecs:us-east-1:123456789012:task/c/0123456789ABCDEF0123456789ABCDEF",
        "arn:aws:ecs:us-east-1:123456789012:container-instance/c/0123456789abcdef0123456789abcdef",
        "arn:aws:ecs:us-east-1:123456789012:task-definition/fam:1",
        "arn:aws:ecs:us-east-1:12345678901:task/c/0123456789abcdef0123456789abcdef",
        "arn:aws:ecs:us-east-1:123456789012:task/a/b/0123456789abcdef0123456789abcdef",
        "arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef0123456789abcdef\n",
        "*",
    ],
)
def test_pattern_rejects_anything_else(value: str) -> None:
    assert re.fullmatch(PARAM["allowedPattern"], value) is None


def test_script_never_interpolates_ssm_parameters() -> None:
    assert "{{" not in SCRIPT
    assert "SSM_taskArn" in SCRIPT


def test_script_uses_only_sh_docker_nsenter_ip() -> None:
    assert SCRIPT.count("docker inspect -f") == 1  # one inspect call for all containers
    assert "nsenter -t" in SCRIPT and "ip -j -force -batch -" in SCRIPT  # one ip per netns
    for command in ("addr show", "route show table all", "route get $IMDS", "route get $OFF6"):
        assert f"\n{command}\n" in SCRIPT
    for sender in (" ping ", "curl", "wget", " nc ", "socat"):  # lookups only, nothing is sent
        assert sender not in SCRIPT
    for forbidden in ("eval ", "docker exec", ".Config.Env", "bash", "jq", "python"):
        assert forbidden not in SCRIPT


def test_on_bottlerocket_every_host_read_is_one_binary_through_the_admin_container() -> None:
    # the one place a host command is run: here, or `apiclient exec -T admin sheltie CMD ARGS...`
    code = [line for line in SCRIPT.splitlines() if not line.lstrip().startswith("#")]
    assert sum("apiclient exec -T admin sheltie" in line for line in code) == 1
    for direct in ("$(docker", "$(readlink", "$(nsenter", "$(find", "$(iptables-save"):
        assert not any(direct in line for line in code), direct  # every host read goes through h
    assert 'apiclient exec -T admin sheltie "$@"; else "$@"; fi' in SCRIPT
    for read in ("h readlink /proc/self/ns/net", "h docker ps ", "h docker inspect -f ", "h find ",
                 "h nsenter -t ", "h iptables-save "):  # fmt: skip
        assert read in SCRIPT, read
    assert "settings.host-containers.admin.enabled=true" in SCRIPT


def test_the_input_model_and_the_document_accept_the_same_task_arns() -> None:
    # The Lambdas cannot read template.yaml: the input model keeps its own copy of the pattern.
    from netaudit.models.inputs import TASK_ARN_RE

    assert PARAM["allowedPattern"] == "^(" + TASK_ARN_RE.removeprefix("^").removesuffix("$") + ")?$"


def test_template_carries_the_probe_file_verbatim() -> None:
    from netaudit_local.template import TEMPLATE_PATH, probe_script, render_template

    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    assert render_template(text, probe_script()) == text, "run python -m netaudit_local.template --write"
    assert probe_script() == SCRIPT


def test_a_template_whose_probe_differs_from_the_file_is_refused(tmp_path: Path) -> None:
    from netaudit_local.template import (
        TEMPLATE_PATH,
        ProbeDocumentDrift,
        probe_script,
        render_template,
    )

    changed = render_template(TEMPLATE_PATH.read_text(encoding="utf-8"), probe_script() + "echo changed\n")
    path = tmp_path / "template.yaml"
    path.write_text(changed, encoding="utf-8")
    with pytest.raises(ProbeDocumentDrift, match="--write"):
        probe_document(path)
    # the rewrite touches that one block only
    original = TEMPLATE_PATH.read_text(encoding="utf-8")
    assert changed.replace("                    echo changed\n", "", 1) == original

"""The local stack's roles are the ones aws-sam-translator makes (netaudit_local.sam_transform):
SAM's own policy templates, not a copy of them; its output cached on disk by the template's hash."""

import copy
from pathlib import Path
from typing import Any

import pytest

from netaudit_local import sam_transform
from netaudit_local.iam.lint import ALL_ON, STACK, _physical
from netaudit_local.iam.policies import Resolver, roles
from netaudit_local.stack import (
    PSEUDO,
    deployed_functions,
    function_environments,
    function_name,
    placeholder_resolver,
)
from netaudit_local.template import load_template


def _resolver(template: dict[str, Any]) -> Resolver:
    params = {k: str(v.get("Default", "")) for k, v in template["Parameters"].items()} | ALL_ON
    return Resolver(template, params, _physical(template), {**PSEUDO, "AWS::StackName": STACK})


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(sam_transform, "CACHE_DIR", tmp_path / "sam-transform")
    sam_transform._transformed.cache_clear()
    yield tmp_path / "sam-transform"
    sam_transform._transformed.cache_clear()


def test_any_sam_policy_template_is_expanded_by_sam(transformed: dict[str, Any], fresh_cache: Path) -> None:
    """A policy template the project never used (S3ReadPolicy) gets SAM's own statements; a copy
    of SAM's templates knew only those it had copied (it refused this one)."""
    template = copy.deepcopy(load_template())
    policies = template["Resources"]["EvaluateFunction"]["Properties"]["Policies"]
    policies.append({"S3ReadPolicy": {"BucketName": {"Ref": "EvidenceBucket"}}})
    role = roles(template, _resolver(template), {})["EvaluateFunction"]
    added = role.policies[-1]
    assert added["name"] == f"EvaluateFunctionRolePolicy{len(role.policies) - 1}"
    (statement,) = added["policy"]["Statement"]
    bucket = f"arn:aws:s3:::{STACK}-evidencebucket-0123456789ab"
    assert "s3:GetObject" in statement["Action"] and f"{bucket}/*" in statement["Resource"]
    assert "Version" not in added["policy"]  # as SAM deploys it (lint.py waives NO_VERSION for it)


def test_the_state_machine_role_is_sams_and_matches_the_deployed_template(
    transformed: dict[str, Any],
) -> None:
    template = load_template()
    role = roles(template, _resolver(template), {})["NetauditStateMachine"]
    deployed = transformed["Resources"]["NetauditStateMachineRole"]["Properties"]["Policies"]
    assert [p["name"] for p in role.policies] == [p["PolicyName"] for p in deployed]
    invoke = role.policies[0]["policy"]["Statement"][0]
    assert invoke["Action"] == ["lambda:InvokeFunction"]
    assert invoke["Resource"].endswith(f"function:{STACK}-PrepareFunction-0123456789ab*")


def test_the_translator_runs_once_per_template(
    transformed: dict[str, Any], fresh_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[str] = []
    real = sam_transform._run_translator
    monkeypatch.setattr(sam_transform, "_run_translator", lambda text: runs.append(text) or real(text))
    template = load_template()
    first = sam_transform.transformed(template)
    assert len(runs) == 1 and len(list(fresh_cache.glob("*.json"))) == 1
    sam_transform._transformed.cache_clear()  # a new process: the file is read, SAM not run
    assert sam_transform.transformed(template) == first and len(runs) == 1
    changed = copy.deepcopy(template)
    changed["Description"] = "another template"
    assert sam_transform.transformed(changed)["Description"] == "another template"
    assert len(runs) == 2 and len(list(fresh_cache.glob("*.json"))) == 2


def test_without_the_sam_venv_it_says_what_to_run(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sam_transform, "SAM_PYTHON", fresh_cache / "no-venv" / "bin" / "python")
    with pytest.raises(sam_transform.SamTransformError, match="make sam-tools"):
        sam_transform.transformed({"Resources": {}})


def test_the_functions_are_read_as_sam_deploys_them(transformed: dict[str, Any], fresh_cache: Path) -> None:
    """Handler and environment as the transform makes each function, Globals merged by SAM (a
    Handler given only in Globals reaches the function; a function's own wins)."""
    template = copy.deepcopy(load_template())
    handler = template["Resources"]["PrepareFunction"]["Properties"].pop("Handler")
    template["Globals"]["Function"]["Handler"] = handler
    template["Globals"]["Function"]["Environment"]["Variables"]["EXTRA_SETTING"] = "from-globals"
    functions = deployed_functions(template)
    assert functions["PrepareFunction"]["Handler"] == handler
    assert functions["ReportFunction"]["Handler"] == "netaudit.handlers.report.handler"
    environments = function_environments(template, placeholder_resolver(template))
    assert {env["EXTRA_SETTING"] for env in environments.values()} == {"from-globals"}
    assert environments[function_name("ReportFunction")]["EVIDENCE_BUCKET"] == "netaudit-evidencebucket"

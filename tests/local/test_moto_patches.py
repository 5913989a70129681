"""Every patch into moto is in netaudit_local.cloud.moto_patches, for the one moto it was written for."""

import ast
import re
import tomllib
from contextlib import ExitStack
from pathlib import Path

import pytest

from netaudit_local.cloud import moto_patches
from netaudit_local.cloud.moto_patches import SUPPORTED_MOTO, TARGETS, UnsupportedMoto

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ROOT / "local" / "netaudit_local"


def test_the_supported_version_is_the_pinned_one() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pins = [
        d
        for deps in _dependency_lists(project)
        for d in deps
        if d.startswith("moto[") or d.startswith("moto=")
    ]
    assert pins, "moto is not pinned in pyproject.toml"
    assert {re.split(r"==", p)[1] for p in pins} == {SUPPORTED_MOTO}


def test_another_moto_is_refused_naming_both_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    import moto

    monkeypatch.setattr(moto, "__version__", "5.3.0")
    with ExitStack() as stack, pytest.raises(UnsupportedMoto) as info:
        moto_patches.patch(stack, "lambda.invoke", lambda *a: None)
    assert "moto 5.3.0 is installed" in str(info.value) and f"moto {SUPPORTED_MOTO}" in str(info.value)
    from moto.awslambda_simple.models import LambdaSimpleBackend

    assert LambdaSimpleBackend.invoke.__module__.startswith("moto.")  # nothing was patched
    with pytest.raises(UnsupportedMoto):
        moto_patches.require_supported("5.2.4")
    moto_patches.require_supported(SUPPORTED_MOTO)


@pytest.mark.parametrize("key", sorted(TARGETS))
def test_every_target_exists_in_the_installed_moto(key: str) -> None:
    owner, name = TARGETS[key].owner()
    # moto lacks them: created
    created = {"ec2.eni_dns_name", "ssm.describe_instance_information", "sfn.start_sync_execution"}
    assert hasattr(owner, name) != (key in created), key


def test_every_private_target_is_named_in_the_module_doc() -> None:
    doc = moto_patches.__doc__ or ""
    private = {t.attribute for t in TARGETS.values() if t.private}
    assert len(private) >= 6
    assert [a for a in sorted(private) if a not in doc] == []


def test_the_engine_signs_with_the_key_iam_knows_it_by() -> None:
    from moto import mock_aws
    from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for

    with mock_aws():
        client = boto_client_for("us-east-1", "lambda")
        assert client._request_signer._credentials.access_key == moto_patches.ENGINE_ACCESS_KEY


def test_no_patch_of_moto_the_product_or_the_standard_library_outside_moto_patches() -> None:
    found = []
    for path in LOCAL.rglob("*.py"):
        if path.name == "moto_patches.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "patch" and _name(node.value) == "mock":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} mock.patch")
            if isinstance(node, ast.Call) and _name(node.func) == "setattr":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} setattr")
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "unittest"
                and any(a.name == "mock" for a in node.names)
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} from unittest import mock")
    assert found == []


def _name(node: ast.AST) -> str:
    return node.id if isinstance(node, ast.Name) else ""


def _dependency_lists(project: dict[str, object]) -> list[list[str]]:
    proj = project.get("project")
    lists: list[list[str]] = []
    if isinstance(proj, dict):
        lists.append(list(proj.get("dependencies") or []))
        for deps in (proj.get("optional-dependencies") or {}).values():
            lists.append(list(deps))
    return lists

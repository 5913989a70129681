"""The operator CLI (`netaudit audit`, `netaudit evidence verify`) ships in a plain `pip install .`:
every module of netaudit_cli, and everything it imports from the product, imports only the
standard library and the runtime dependencies of pyproject.toml (never moto, never the local
runner netaudit_local), TYPE_CHECKING and function-level imports included. The development
commands say what to install when their packages are missing."""

import ast
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from netaudit_cli import main as cli_main

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = {"netaudit_cli": ROOT / "cli" / "netaudit_cli", "netaudit": ROOT / "functions" / "netaudit"}
# pyproject.toml [project] dependencies, by import name (and what they bring: botocore with boto3,
# aws_xray_sdk with powertools[tracer]); the type stubs are imported under TYPE_CHECKING only
RUNTIME = {"boto3", "botocore", "pydantic", "yaml", "aws_lambda_powertools", "aws_xray_sdk"}
STUBS_PREFIX = "mypy_boto3_"


def _module_file(name: str, packages: Mapping[str, Path]) -> Path | None:
    top, *rest = name.split(".")
    if top not in packages:
        return None
    base = packages[top].joinpath(*rest)
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path, module: str) -> set[str]:
    """Every module name the file imports, anywhere in it (`from a import b` gives a and a.b)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def closure(start: list[str], packages: Mapping[str, Path]) -> dict[str, str]:
    """Every module imported from `start`, transitively through `packages`: name -> an importer."""
    seen: dict[str, str] = {name: "(start)" for name in start}
    todo = list(start)
    while todo:
        module = todo.pop()
        path = _module_file(module, packages)
        if path is None:
            continue
        for name in sorted(_imports(path, module)):
            parts = name.split(".")
            for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__
                prefix = ".".join(parts[:i])
                if prefix not in seen:
                    seen[prefix] = module
                    todo.append(prefix)
    return seen


def not_shipped(imported: Mapping[str, str]) -> dict[str, str]:
    """The imported modules a plain install of the runtime dependencies lacks."""
    allowed = set(sys.stdlib_module_names) | RUNTIME | set(SHIPPED)
    return {
        name: by
        for name, by in imported.items()
        if name.split(".")[0] not in allowed and not name.startswith(STUBS_PREFIX)
    }


def _modules(packages: Mapping[str, Path], top: str) -> list[str]:
    root = packages[top]
    return [
        ".".join([top, *p.relative_to(root).with_suffix("").parts]).removesuffix(".__init__")
        for p in sorted(root.rglob("*.py"))
    ]


def test_the_shipped_cli_imports_nothing_a_plain_install_lacks() -> None:
    modules = _modules(SHIPPED, "netaudit_cli")
    assert {"netaudit_cli.audit", "netaudit_cli.evidence", "netaudit_cli.main"} <= set(modules)
    imported = closure(modules, SHIPPED)
    assert "netaudit.exports.manifest" in imported  # it does follow the imports into the product
    assert not_shipped(imported) == {}


def test_the_scan_finds_a_dev_import_however_it_is_written(tmp_path: Path) -> None:
    """The check above can fail: moto or netaudit_local imported under TYPE_CHECKING, in a
    function, relatively, or through a module of the package that imports it."""
    pkg = tmp_path / "netaudit_cli"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\nfrom .sub import c\n")
    (pkg / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import netaudit_local.stack\n"
    )
    (pkg / "sub" / "c.py").write_text("def f() -> None:\n    from moto import mock_aws\n")
    found = not_shipped(closure(["netaudit_cli.a"], {"netaudit_cli": pkg}))
    assert found == {
        "netaudit_local": "netaudit_cli.b",
        "netaudit_local.stack": "netaudit_cli.b",
        "moto": "netaudit_cli.sub.c",
        "moto.mock_aws": "netaudit_cli.sub.c",
    }


def test_the_old_home_of_the_operator_cli_fails_the_scan() -> None:
    """What the CLI imported before it moved (the local runner's history readers) is refused."""
    local = {"netaudit_local": ROOT / "local" / "netaudit_local", **SHIPPED}
    found = not_shipped(closure(["netaudit_local.cloud.history"], local))
    assert "netaudit_local.cloud.sfn_strict" in found


def test_demo_without_moto_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli_main, "installed", lambda package: package != "moto")
    assert cli_main.main(["demo", "--network-mode", "none", "--json"]) == 2
    err = capsys.readouterr().err
    assert "netaudit demo: needs moto" in err and "pip install '.[dev]'" in err
    parser = cli_main.build_parser()  # check needs no moto: still the real command
    assert parser.parse_args(["check", "--task-arn", "x", "--declared-mode", "none"]).declared_mode == "none"


def test_the_development_commands_are_there_with_the_dev_install() -> None:
    args = cli_main.build_parser().parse_args(["demo", "--network-mode", "bridge"])
    assert args.network_mode == "bridge"


def test_check_outside_a_checkout_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plain install has no template.yaml: `netaudit check` says it needs a checkout (exit 2)
    instead of a traceback."""
    from netaudit_local import template

    monkeypatch.setattr(template, "TEMPLATE_PATH", tmp_path / "template.yaml")
    arn = "arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef"
    assert cli_main.main(["check", "--task-arn", arn, "--declared-mode", "none"]) == 2
    err = capsys.readouterr().err
    assert f"needs a checkout of ecs-netaudit; not found: {tmp_path / 'template.yaml'}" in err

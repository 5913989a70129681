"""One settings model per function, held to the template as aws-sam-translator transforms it (the
Globals merged into each function): a model variable its function lacks fails, a variable the
template gives one function that its model ignores fails, a default that is not the parameter's
fails; and the local stack hands each function exactly the variables the transform gives it."""

import ast
from pathlib import Path
from typing import Any

import pytest

from netaudit import settings
from netaudit_local.stack import function_environments, function_name, placeholder_resolver
from netaudit_local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
POWERTOOLS = {"LOG_LEVEL", "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"}  # Powertools' own
MODELS: dict[str, type[settings.FunctionSettings] | None] = {  # None: the function reads no variable
    "PrepareFunction": settings.CanarySettings,
    "RegisterTaskDefinitionFunction": settings.RegisterTaskDefinitionSettings,
    "RunTaskFunction": None,
    "DescribeTaskFunction": None,
    "ResolveHostsFunction": settings.ResolveHostsSettings,
    "SendProbeFunction": settings.SendProbeSettings,
    "GetProbeFunction": None,
    "EvaluateFunction": settings.EvaluateSettings,
    "StopCanaryFunction": None,
    "CanaryJanitorFunction": settings.JanitorSettings,
    "ReportFunction": settings.ReportSettings,
    "EventsBatchFunction": settings.EventsBatchSettings,
}


def _functions(transformed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    resources = transformed["Resources"]
    return {k: r["Properties"] for k, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}


def _variables(function: dict[str, Any]) -> dict[str, Any]:
    variables: dict[str, Any] = function.get("Environment", {}).get("Variables", {})
    return variables


def _shared() -> set[str]:
    """The Globals' variables: every function has them, so no one model must read them all."""
    return set(load_template()["Globals"]["Function"]["Environment"]["Variables"])


def _model_variables(model: type[settings.FunctionSettings] | None) -> set[str]:
    return set(model.variables()) if model else set()


def test_every_function_of_the_template_has_its_entry(transformed: dict[str, Any]) -> None:
    assert set(_functions(transformed)) == set(MODELS)


@pytest.mark.parametrize("logical", sorted(MODELS))
def test_the_functions_model_reads_exactly_its_variables(logical: str, transformed: dict[str, Any]) -> None:
    variables = set(_variables(_functions(transformed)[logical]))
    read = _model_variables(MODELS[logical])
    assert read <= variables, f"{logical}'s model reads variables its function lacks: {read - variables}"
    own = variables - _shared() - POWERTOOLS
    assert own <= read, f"{logical}'s model ignores its variables {own - read}"


@pytest.mark.parametrize("logical", sorted(k for k, m in MODELS.items() if m))
def test_a_default_is_the_parameters_default(logical: str, transformed: dict[str, Any]) -> None:
    """A variable may be left out only where the model then means what the template's default does."""
    model = MODELS[logical]
    assert model is not None
    variables = _variables(_functions(transformed)[logical])
    parameters = transformed["Parameters"]
    required = {v: "x" for v, f in model.variables().items() if model.model_fields[f].is_required()}
    for variable, name in model.variables().items():
        field = model.model_fields[name]
        ref = variables[variable].get("Ref") if isinstance(variables[variable], dict) else None
        if field.is_required() or ref not in parameters:
            continue
        default = str(parameters[ref].get("Default", ""))
        parsed = model.from_env({**required, variable: default})  # "" is unset, as on AWS
        assert getattr(parsed, name) == field.default, f"{variable}: the default is not {ref}'s {default!r}"


def test_every_shared_variable_is_read_by_some_function() -> None:
    read = set().union(*(_model_variables(m) for m in MODELS.values()))
    assert _shared() - POWERTOOLS <= read


def _settings_imports(module: Path) -> tuple[set[str], bool]:
    """The names a handler imports from netaudit.settings, and whether it touches os.environ/getenv."""
    tree = ast.parse(module.read_text())
    names = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "netaudit.settings"
        for alias in node.names
    }
    raw = any(isinstance(n, ast.Attribute) and n.attr in ("environ", "getenv") for n in ast.walk(tree))
    return names, raw


@pytest.mark.parametrize("logical", sorted(MODELS))
def test_the_handler_reads_only_its_functions_model(logical: str, transformed: dict[str, Any]) -> None:
    handler = _functions(transformed)[logical]["Handler"]
    module = handler.rsplit(".", 1)[0]
    # read, not imported: Powertools takes its settings from the first import (tests/workflow)
    names, raw = _settings_imports(ROOT / "functions" / (module.replace(".", "/") + ".py"))
    model = MODELS[logical]
    assert names == ({model.__name__} if model else set())
    assert not raw, f"{module} reads the environment itself"


@pytest.mark.parametrize("logical", sorted(MODELS))
def test_the_local_stack_hands_each_function_its_transformed_environment(
    logical: str, transformed: dict[str, Any]
) -> None:
    template = load_template()
    local = function_environments(template, placeholder_resolver(template))[function_name(logical)]
    assert set(local) == set(_variables(_functions(transformed)[logical]))
    model = MODELS[logical]
    if model is not None:  # the template's defaults start the function
        model.from_env(local)

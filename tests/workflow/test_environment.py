"""One settings model reads the functions' environment: every variable the template sets is a
field of `Environment` or one of the canary's settings, and every field is set by the template."""

from typing import Any

import pytest

from netaudit import settings
from netaudit.settings import Environment, SettingsError
from netaudit_local.template import load_template

POWERTOOLS = {"LOG_LEVEL", "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"}
CANARY = {
    settings.ENV_IMAGE,
    settings.ENV_COMMAND,
    settings.ENV_ALLOW_OVERRIDE,
    settings.ENV_REPOSITORY_PATTERN,
}


def _template_variables() -> set[str]:
    template: dict[str, Any] = load_template()
    names: set[str] = set()
    blocks = [template.get("Globals", {}).get("Function", {})]
    blocks += [r.get("Properties", {}) for r in template["Resources"].values()]
    for block in blocks:
        names.update((block.get("Environment") or {}).get("Variables") or {})
    return names


def test_the_template_sets_exactly_the_variables_the_settings_read() -> None:
    fields = {name.upper() for name in Environment.model_fields}
    set_by_template = _template_variables()
    assert set_by_template - POWERTOOLS - CANARY == fields
    assert set_by_template >= CANARY


def test_values_are_read_stripped_with_the_templates_defaults() -> None:
    env = Environment.load({"EVIDENCE_BUCKET": " b ", "CLUSTER_NAME": "", "SECURITYHUB_FINDINGS": "TRUE"})
    assert env.evidence_bucket == "b"
    assert env.cluster_name == "default"  # unset or "" is the template's default
    assert env.securityhub_findings is True
    assert env.report_imds_exposure is True
    assert env.probe_document_name == "netaudit-probe"


@pytest.mark.parametrize("name", ["SECURITYHUB_FINDINGS", "REPORT_IMDS_EXPOSURE"])
def test_a_flag_that_is_neither_true_nor_false_is_refused_naming_it(name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Environment.load({name: "yes"})


def test_a_required_variable_that_is_missing_is_named() -> None:
    with pytest.raises(SettingsError, match="EVIDENCE_BUCKET is not set"):
        Environment.load({}).require("evidence_bucket")

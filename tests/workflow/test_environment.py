"""The functions' settings (netaudit.settings): each model reads its variables stripped, "" as
unset; a required variable that is missing, or a value the parameter would refuse, fails the
function's first invocation naming the variable and what it should hold, before any AWS call.
(Which function reads which variable: tests/template/test_settings.py.)"""

import json
from pathlib import Path
from typing import Any

import pytest

from netaudit import aws_clients
from netaudit.settings import (
    CanarySettings,
    EventsBatchSettings,
    JanitorSettings,
    ReportSettings,
    SendProbeSettings,
    SettingsError,
    environ,
    function_environment,
)
from netaudit_local.cloud.account import LOCAL_ENV
from netaudit_local.cloud.lambdas import FakeLambdaContext

EVENTS = Path(__file__).resolve().parents[2] / "events"
REPORT = {"EVIDENCE_BUCKET": "evidence", "ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts"}


def test_values_are_read_stripped_with_the_parameters_defaults() -> None:
    env = ReportSettings.from_env({**REPORT, "EVIDENCE_BUCKET": " b ", "SECURITYHUB_FINDINGS": "TRUE"})
    assert env.evidence_bucket == "b"
    assert env.securityhub_findings is True
    assert env.report_imds_exposure is True  # ReportImdsExposure's default
    assert env.dead_letter_queue_url is None  # "" when event-driven audits are off
    assert (env.evidence_lock_mode, env.evidence_lock_days) == ("NONE", 365)
    off = ReportSettings.from_env({**REPORT, "REPORT_IMDS_EXPOSURE": "False", "DEAD_LETTER_QUEUE_URL": ""})
    assert off.report_imds_exposure is False and off.dead_letter_queue_url is None


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SECURITYHUB_FINDINGS", "yes", "EnableSecurityHubFindings"),
        ("REPORT_IMDS_EXPOSURE", "1", "ReportImdsExposure"),
        ("EVIDENCE_LOCK_MODE", "governance-ish", "NONE, GOVERNANCE or COMPLIANCE"),
        ("EVIDENCE_LOCK_DAYS", "0", "at least 1"),
    ],
)
def test_a_value_the_parameter_refuses_is_named_with_what_was_expected(
    variable: str, value: str, expected: str
) -> None:
    with pytest.raises(SettingsError, match=f"{variable} is '{value}'") as exc:
        ReportSettings.from_env({**REPORT, variable: value})
    assert expected in str(exc.value)


@pytest.mark.parametrize(
    ("model", "env", "missing"),
    [
        (ReportSettings, {"ALERT_TOPIC_ARN": "arn"}, "EVIDENCE_BUCKET"),
        (ReportSettings, {**REPORT, "ALERT_TOPIC_ARN": "  "}, "ALERT_TOPIC_ARN"),
        (SendProbeSettings, {"EVIDENCE_BUCKET": "b"}, "PROBE_DOCUMENT_NAME"),
        (JanitorSettings, {"CANARY_FAMILY_PREFIX": "p"}, "CLUSTER_NAME"),
        (EventsBatchSettings, {"CLUSTER_NAME": "prod"}, "MEMBER_CLUSTER_NAME"),
        (CanarySettings, {"CANARY_COMMAND": '["sleep", "5"]'}, "CANARY_IMAGE"),
    ],
)
def test_a_required_variable_that_is_missing_is_named(model: Any, env: dict[str, str], missing: str) -> None:
    with pytest.raises(SettingsError, match=f"{missing} is not set"):
        model.from_env(env)


def test_a_model_reads_only_its_own_variables() -> None:
    with pytest.raises(SettingsError, match="CLUSTER_NAME is not set"):  # Report's variables are no janitor's
        JanitorSettings.from_env({**REPORT, "CANARY_FAMILY_PREFIX": "p", "MEMBER_CLUSTER_NAME": "prod"})


def test_the_environment_is_os_environ_unless_the_local_runner_sets_the_functions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLUSTER_NAME", "from-os-environ")
    monkeypatch.setenv("CANARY_FAMILY_PREFIX", "p")
    assert JanitorSettings.from_env().cluster_name == "from-os-environ"  # AWS: one function per process
    with function_environment({"CLUSTER_NAME": "the-janitors", "CANARY_FAMILY_PREFIX": "p"}):
        assert JanitorSettings.from_env().cluster_name == "the-janitors"
    with function_environment({}), pytest.raises(SettingsError, match="CLUSTER_NAME is not set"):
        JanitorSettings.from_env()
    assert environ()["CLUSTER_NAME"] == "from-os-environ"


class NoAws:
    """Any AWS client the handler asks for: the test fails if it gets that far."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"an AWS call ({name}) before the settings were checked")


def test_report_without_its_bucket_fails_naming_it_writing_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """It used to write no evidence and say nothing; now the first invocation fails."""
    # Powertools reads its settings when netaudit.observability is first imported: as in Lambda,
    # set them first (the local runner's environment), so later tests see the same Metrics.
    for key, value in LOCAL_ENV.items():
        monkeypatch.setenv(key, value)
    from netaudit.handlers import report

    for client in ("s3", "sns", "sqs", "securityhub"):
        monkeypatch.setattr(aws_clients, client, lambda *a, **k: NoAws())
    event = json.loads((EVENTS / "report.json").read_text())
    only_the_topic = {"ALERT_TOPIC_ARN": REPORT["ALERT_TOPIC_ARN"]}
    with (
        function_environment(only_the_topic),
        pytest.raises(SettingsError, match="EVIDENCE_BUCKET is not set"),
    ):
        report.handler(event, FakeLambdaContext("report"))

"""The local runner hands each invocation its own function's environment, and nothing else: two
handlers running at once (Map iterations are threads here) each read their own variables through
netaudit.settings, neither sees the other's, and os.environ (shared by every thread) holds none."""

import os
import sys
import threading
import types
from collections.abc import Iterator
from typing import Any

import pytest

from netaudit import settings
from netaudit_local.cloud.aws import Seams

KEY = "NETAUDIT_TEST_ONLY_SETTING"
OTHER = "NETAUDIT_TEST_ONLY_OTHER"


@pytest.fixture
def two_handlers() -> Iterator[dict[str, Any]]:
    first_running, second_running, first_done = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, Any] = {}

    def first(event: Any, context: Any) -> dict[str, str]:
        first_running.set()
        second_running.wait(5)
        seen["first"] = dict(settings.environ())
        return {}

    def second(event: Any, context: Any) -> dict[str, str]:
        second_running.set()
        first_done.wait(5)  # the first invocation has ended while this one still runs
        seen["second"] = dict(settings.environ())
        seen["os.environ"] = {k: os.environ.get(k) for k in (KEY, OTHER)}
        return {}

    sys.modules["na_test_handlers"] = types.ModuleType("na_test_handlers")
    sys.modules["na_test_handlers.first"] = types.SimpleNamespace(handler=first)  # type: ignore[assignment]
    sys.modules["na_test_handlers.second"] = types.SimpleNamespace(handler=second)  # type: ignore[assignment]
    try:
        yield {"seen": seen, "events": (first_running, first_done)}
    finally:
        for name in ("na_test_handlers", "na_test_handlers.first", "na_test_handlers.second"):
            sys.modules.pop(name, None)


def test_each_invocation_sees_only_its_own_functions_environment(two_handlers: dict[str, Any]) -> None:
    seams = Seams([], {"first": "na_test_handlers.first", "second": "na_test_handlers.second"})
    seams.environments["first"] = {KEY: "the-first-functions"}
    seams.environments["second"] = {KEY: "the-second-functions", OTHER: "only-the-second-has-it"}
    first_running, first_done = two_handlers["events"]
    assert KEY not in os.environ and OTHER not in os.environ
    one = threading.Thread(target=seams.invoke, args=("first", b"{}", {}))
    one.start()
    assert first_running.wait(5)
    two = threading.Thread(target=seams.invoke, args=("second", b"{}", {}))
    two.start()
    one.join(5)
    first_done.set()
    two.join(5)
    seen = two_handlers["seen"]
    assert seen["first"] == {KEY: "the-first-functions"}  # not the second's OTHER
    assert seen["second"] == {KEY: "the-second-functions", OTHER: "only-the-second-has-it"}
    assert seen["os.environ"] == {KEY: None, OTHER: None}
    assert settings.environ() is os.environ  # outside an invocation: as on AWS


def test_a_variable_only_another_function_has_fails_the_handler_naming_it() -> None:
    """The janitor's CLUSTER_NAME is no variable of Report: Report's settings refuse to start."""
    import json

    def report_like(event: Any, context: Any) -> dict[str, str]:
        settings.JanitorSettings.from_env()  # a handler reading a model its function lacks
        return {}

    sys.modules["na_test_report_like"] = types.SimpleNamespace(handler=report_like)  # type: ignore[assignment]
    try:
        seams = Seams([], {"report": "na_test_report_like", "janitor": "na_test_report_like"})
        seams.environments["report"] = {"EVIDENCE_BUCKET": "b", "CANARY_FAMILY_PREFIX": "p"}
        seams.environments["janitor"] = {"CLUSTER_NAME": "prod", "CANARY_FAMILY_PREFIX": "p"}
        headers: dict[str, str] = {}
        answer = json.loads(seams.invoke("report", b"{}", headers))
        assert headers["x-amz-function-error"] == "Unhandled"
        assert answer["errorType"] == "SettingsError"
        assert "CLUSTER_NAME is not set" in answer["errorMessage"]
        assert json.loads(seams.invoke("janitor", b"{}", {})) == {}
    finally:
        sys.modules.pop("na_test_report_like", None)

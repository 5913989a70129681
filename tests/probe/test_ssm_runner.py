"""The local SSM runner: parameters checked like SSM, ENV_VAR only as env, minimal env, timeouts."""

from pathlib import Path
from typing import Any

import pytest

from netaudit_local.hosts.ssm_runner import DocumentError, ParameterError, resolve_parameters, run_document


def _doc(*lines: str, timeout: int = 10, **params: dict[str, Any]) -> dict[str, Any]:
    return {
        "schemaVersion": "2.2",
        "parameters": params,
        "mainSteps": [
            {
                "action": "aws:runShellScript",
                "name": "run",
                "inputs": {"timeoutSeconds": timeout, "runCommand": list(lines)},
            }
        ],
    }


ENV_PARAM = {"type": "String", "default": "", "interpolationType": "ENV_VAR", "allowedPattern": "^[a-z]*$"}


def test_env_var_parameter_arrives_only_as_environment() -> None:
    out = run_document(_doc('printf "%s" "$SSM_word"', word=ENV_PARAM), {"word": "hello"})
    assert (out.status, out.exit_code, out.stdout) == ("Success", 0, "hello")


def test_default_is_filled() -> None:
    doc = _doc('printf "[%s]" "${SSM_word-unset}"', word={**ENV_PARAM, "default": "dflt"})
    assert run_document(doc).stdout == "[dflt]"


def test_environment_is_minimal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_TOKEN", "do-not-pass")
    out = run_document(_doc("env", word=ENV_PARAM), {"word": "abc"})
    names = {line.split("=", 1)[0] for line in out.stdout.splitlines()}
    assert "SECRET_TOKEN" not in names
    assert names - {"PWD", "SHLVL", "_", "OLDPWD"} == {"PATH", "SSM_word"}


def test_unknown_parameter_rejected() -> None:
    with pytest.raises(ParameterError, match="unknown parameter 'other'"):
        run_document(_doc("true", word=ENV_PARAM), {"other": "x"})


def test_pattern_mismatch_names_parameter_and_pattern(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    with pytest.raises(ParameterError) as info:
        run_document(_doc(f"touch {marker}", word=ENV_PARAM), {"word": "a;b"})
    assert info.value.parameter == "word"
    assert "'word'" in str(info.value) and "^[a-z]*$" in str(info.value)
    assert not marker.exists()


def test_pattern_must_match_whole_value() -> None:
    with pytest.raises(ParameterError):
        resolve_parameters(_doc("true", word=ENV_PARAM), {"word": "abc\n"})


def test_required_parameter_without_default() -> None:
    spec = {"type": "String", "interpolationType": "ENV_VAR"}
    with pytest.raises(ParameterError, match="required"):
        run_document(_doc("true", word=spec), {})


def test_env_var_parameter_in_script_text_is_refused() -> None:
    with pytest.raises(DocumentError, match=r"SSM_word"):
        run_document(_doc("echo {{ word }}", word=ENV_PARAM), {"word": "abc"})


def test_plain_parameter_is_substituted_like_ssm() -> None:
    spec = {"type": "String", "default": "x", "allowedPattern": "^[a-z]+$"}
    assert run_document(_doc("echo {{ word }}", word=spec), {"word": "abc"}).stdout == "abc\n"


def test_non_zero_exit_is_failed() -> None:
    out = run_document(_doc("echo oops >&2", "exit 3"))
    assert (out.status, out.exit_code, out.stderr) == ("Failed", 3, "oops\n")


def test_timeout_kills_and_reports_timed_out() -> None:
    out = run_document(_doc("echo started", "sleep 30", "echo never", timeout=1))
    assert out.status == "TimedOut"
    assert out.stdout == "started\n"


def test_caller_timeout_caps_document_timeout() -> None:
    assert run_document(_doc("sleep 5", timeout=60), timeout_s=0.5).status == "TimedOut"


def test_only_run_shell_script_documents() -> None:
    doc = _doc("true")
    doc["mainSteps"][0]["action"] = "aws:runPowerShellScript"
    with pytest.raises(DocumentError, match="aws:runShellScript"):
        run_document(doc)
    with pytest.raises(DocumentError, match="schemaVersion"):
        run_document({**_doc("true"), "schemaVersion": "1.2"})

"""Runs an SSM Command document (schemaVersion 2.2, aws:runShellScript) on this machine, the way
the SSM agent does.

- Parameters are checked before anything runs: unknown names and values that do not match the
  parameter's `allowedPattern` raise `ParameterError` naming the parameter and the pattern.
  Defaults are filled in.
- `interpolationType: ENV_VAR` parameters reach the script ONLY as the environment variables
  `SSM_<name>`; a document whose script text names such a parameter in `{{ }}` is refused.
  Other String parameters are substituted into the text, as SSM does.
- The runCommand lines go to a temp script file run by `sh` (argv, no shell=True) in a minimal
  environment: PATH and the SSM_ variables only (the caller's environment never leaks in).
- `timeoutSeconds` (or the caller's timeout, whichever is shorter) is enforced: the whole process
  group is killed and the outcome is "TimedOut".
"""

import contextlib
import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from netaudit_local.hosts.host import CommandOutcome

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_TIMEOUT_S = 3600  # SSM's default for aws:runShellScript
_REF = re.compile(r"\{\{\s*([A-Za-z0-9_.:-]+)\s*\}\}")


class DocumentError(ValueError):
    """The document is not something this runner (or SSM) can run."""


class ParameterError(ValueError):
    """A parameter is unknown or its value does not match the document's allowedPattern."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.parameter = name


def resolve_parameters(document: Mapping[str, Any], parameters: Mapping[str, str]) -> dict[str, str]:
    """The full parameter set: caller's values checked against the document, defaults filled in.

    Raises ParameterError (unknown parameter, missing required one, value not matching
    allowedPattern) before anything runs.
    """
    declared: Mapping[str, Mapping[str, Any]] = document.get("parameters") or {}
    for name in parameters:
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise ParameterError(name, f"unknown parameter {name!r} (document declares: {known})")
    resolved: dict[str, str] = {}
    for name, spec in declared.items():
        if name in parameters:
            value = parameters[name]
        elif "default" in spec:
            value = spec["default"]
        else:
            raise ParameterError(name, f"parameter {name!r} is required and has no default")
        if spec.get("type", "String") != "String":
            raise DocumentError(f"parameter {name!r}: only String parameters are supported")
        if not isinstance(value, str):
            raise ParameterError(name, f"parameter {name!r} must be a string")
        pattern = spec.get("allowedPattern")
        if pattern is not None and re.fullmatch(pattern, value) is None:
            raise ParameterError(
                name, f"parameter {name!r} value {value!r} does not match allowedPattern {pattern}"
            )
        allowed = spec.get("allowedValues")
        if allowed is not None and value not in allowed:
            raise ParameterError(name, f"parameter {name!r} value {value!r} not in allowedValues")
        resolved[name] = value
    return resolved


def render_script(document: Mapping[str, Any], resolved: Mapping[str, str]) -> tuple[str, int]:
    """The shell text of all aws:runShellScript steps and the summed timeoutSeconds."""
    if str(document.get("schemaVersion")) != "2.2":
        raise DocumentError(f"schemaVersion {document.get('schemaVersion')!r} (expected '2.2')")
    declared: Mapping[str, Mapping[str, Any]] = document.get("parameters") or {}
    env_vars = {n for n, s in declared.items() if s.get("interpolationType") == "ENV_VAR"}
    parts: list[str] = []
    timeout = 0
    steps = document.get("mainSteps") or []
    if not steps:
        raise DocumentError("the document has no mainSteps")
    for step in steps:
        if step.get("action") != "aws:runShellScript":
            raise DocumentError(f"step {step.get('name')!r}: only aws:runShellScript is supported")
        inputs = step.get("inputs") or {}
        commands = inputs.get("runCommand")
        if isinstance(commands, str):
            commands = [commands]
        if not isinstance(commands, list) or not all(isinstance(c, str) for c in commands):
            raise DocumentError(f"step {step.get('name')!r}: runCommand must be a list of strings")
        text = "\n".join(commands)

        def substitute(m: re.Match[str], step_name: str = str(step.get("name"))) -> str:
            name = m.group(1)
            if name in env_vars:
                raise DocumentError(
                    f"step {step_name!r} puts ENV_VAR parameter {name!r} into its script text; "
                    f"read $SSM_{name} instead"
                )
            if name in resolved:
                return resolved[name]
            raise DocumentError(f"step {step_name!r} references undeclared parameter {name!r}")

        parts.append(_REF.sub(substitute, text))
        timeout += int(inputs.get("timeoutSeconds", DEFAULT_TIMEOUT_S))
    return "\n".join(parts) + "\n", timeout


# Runs a rendered script: (script text, environment, time limit in s) -> outcome.
ScriptRunner = Callable[[str, dict[str, str], float], CommandOutcome]


def run_document(
    document: Mapping[str, Any],
    parameters: Mapping[str, str] | None = None,
    timeout_s: float | None = None,
    *,
    path: str | None = None,
    runner: ScriptRunner | None = None,
) -> CommandOutcome:
    """Run the document here and return its outcome (Success / Failed / TimedOut).

    Raises ParameterError / DocumentError before anything runs. `timeout_s` caps the document's
    own timeoutSeconds. `path` is the PATH the script gets (default: a standard system PATH).
    `runner` runs the script elsewhere (default: `run_script` with `sh` on this machine; the
    Bottlerocket-shaped host runs it in its control container).
    """
    resolved = resolve_parameters(document, parameters or {})
    script, doc_timeout = render_script(document, resolved)
    limit = float(doc_timeout) if timeout_s is None else min(float(doc_timeout), timeout_s)
    declared: Mapping[str, Mapping[str, Any]] = document.get("parameters") or {}
    env = {"PATH": path or DEFAULT_PATH}
    for name, value in resolved.items():
        if declared[name].get("interpolationType") == "ENV_VAR":
            env[f"SSM_{name}"] = value
    return (runner or run_script)(script, env, limit)


def run_script(
    script: str, env: dict[str, str], limit: float, interpreter: Sequence[str] = ("sh",)
) -> CommandOutcome:
    """Run `script` from a temp file with `interpreter` (argv, no shell=True) in exactly `env`."""
    with tempfile.TemporaryDirectory(prefix="netaudit-ssm-") as workdir:
        script_path = Path(workdir) / "_script.sh"
        script_path.write_text(script, encoding="utf-8")
        return run_argv([*interpreter, str(script_path)], env, limit, cwd=workdir)


def run_argv(
    argv: Sequence[str], env: dict[str, str] | None, limit: float, cwd: str | None = None
) -> CommandOutcome:
    """Run `argv` as the agent runs a script: its own process group, killed whole at `limit`."""
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    started = time.monotonic()
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        note = f"\nfailed to run commands: exit status timed out after {time.monotonic() - started:.1f}s"
        return CommandOutcome(
            status="TimedOut",
            exit_code=-1,
            stdout=out.decode("utf-8", errors="replace"),
            stderr=err.decode("utf-8", errors="replace") + note,
        )
    code = proc.returncode
    return CommandOutcome(
        status="Success" if code == 0 else "Failed",
        exit_code=code,
        stdout=out.decode("utf-8", errors="replace"),
        stderr=err.decode("utf-8", errors="replace"),
    )


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)

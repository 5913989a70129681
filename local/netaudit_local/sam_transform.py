"""The template as CloudFormation receives it: after the AWS::Serverless transform, run by
aws-sam-translator itself (the transform `sam deploy` runs), not by a copy of it.

SAM expands what only it defines: the policy templates (`LambdaInvokePolicy: ...` becomes the
statement of its policy_templates.json), each function's and state machine's role
(`<LogicalId>Role` with one inline policy `<LogicalId>RolePolicy<N>` per `Policies` item, a
conditional item kept as `Fn::If`), Globals merged into each function. The intrinsics that need
the deployed stack's values (Ref, GetAtt, Sub, If on its parameters) are left for the one resolver
of the local stack (netaudit_local.iam.policies.Resolver).

aws-sam-translator lives in .venv-sam (its pydantic pin clashes with the project's:
scripts/bootstrap-sam.sh, `make sam-tools`; `make demo` and `make test` depend on it), so it runs
as a subprocess (scripts/sam-transform.py, ~4 s). Its output is cached on disk under
build/sam-transform/, keyed by the SHA-256 of the template, the script and the SAM pins, so only
the first run after a change of the template pays the subprocess.
"""

import hashlib
import json
import os
import subprocess
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"
SCRIPT = ROOT / "scripts" / "sam-transform.py"
CACHE_DIR = ROOT / "build" / "sam-transform"


class SamTransformError(RuntimeError):
    """aws-sam-translator is not installed or refused the template (the message says which)."""


def _sam_version() -> str:
    """What decides the translator's output besides the template: the SAM venv's pins."""
    stamp = SAM_PYTHON.parent.parent / ".installed"
    if stamp.is_file():
        return stamp.read_text(encoding="utf-8").strip()
    return ",".join(sorted(p.name for p in SAM_PYTHON.parent.parent.glob("lib/*/site-packages/aws_sam_*")))


def cache_key(text: str) -> str:
    digest = hashlib.sha256(text.encode())
    digest.update(SCRIPT.read_bytes())
    digest.update(_sam_version().encode())
    return digest.hexdigest()


def _run_translator(text: str) -> str:
    if not SAM_PYTHON.is_file():
        raise SamTransformError(
            f"aws-sam-translator is not installed ({SAM_PYTHON} missing): run `make sam-tools`"
        )
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as source:
        source.write(text)
        source.flush()
        proc = subprocess.run(
            [str(SAM_PYTHON), str(SCRIPT), source.name], capture_output=True, text=True, timeout=300
        )
    if proc.returncode != 0:
        raise SamTransformError(f"aws-sam-translator refused the template: {proc.stderr.strip()[-2000:]}")
    return proc.stdout


@cache
def _transformed(text: str) -> str:
    path = CACHE_DIR / f"{cache_key(text)}.json"
    if path.is_file():
        return path.read_text(encoding="utf-8")
    out = _run_translator(text)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")  # concurrent runs: each renames a whole file
    partial.write_text(out, encoding="utf-8")
    partial.replace(path)
    return out


def transformed(template: Mapping[str, Any]) -> dict[str, Any]:
    """`template` (as netaudit_local.template.load_template parses it) after the AWS::Serverless
    transform; a fresh copy each call (callers may change it)."""
    result: dict[str, Any] = json.loads(_transformed(json.dumps(template, sort_keys=True, default=str)))
    return result

"""The template as CloudFormation receives it: transformed by aws-sam-translator (the transform
`sam deploy` runs), in .venv-sam (its pydantic pin clashes with the project's, so it cannot be in
.venv). `scripts/bootstrap-sam.sh` makes .venv-sam when it is missing (it returns at once when it
is there), so `make test` needs nothing else on a fresh machine."""

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from netaudit_local.template import TEMPLATE_PATH

ROOT = Path(__file__).resolve().parents[2]
SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"


def sam_transform(template: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """`template` after the AWS::Serverless transform (scripts/sam-transform.py in .venv-sam)."""
    proc = subprocess.run(
        [str(SAM_PYTHON), str(ROOT / "scripts" / "sam-transform.py"), str(template)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0:
        pytest.fail(f"aws-sam-translator refused {template.name}: {proc.stderr.strip()[-2000:]}")
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


@pytest.fixture(scope="session")
def transformed() -> dict[str, Any]:
    try:
        proc = subprocess.run(
            ["bash", str(ROOT / "scripts" / "bootstrap-sam.sh")], capture_output=True, text=True, timeout=1200
        )
        why = proc.stderr.strip()[-1000:] if proc.returncode else ""
    except (OSError, subprocess.TimeoutExpired) as exc:
        why = str(exc)
    if why or not SAM_PYTHON.exists():
        pytest.fail(f"no aws-sam-translator (.venv-sam, `make sam-tools`): {why}")
    return sam_transform()

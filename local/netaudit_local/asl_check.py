"""`make lint`'s ASL check: the definition CloudFormation would create, validated by asl-validator.

Neither `sam validate --lint` nor cfn-lint reads a `DefinitionUri` file, and moto accepts what
Step Functions refuses (a state name defined twice in the machine, Map processors included, fails
CreateStateMachine). npm `asl-validator` knows the ASL rules; it checks the definition with its
DefinitionSubstitutions filled, as the stack would create it.

    python -m netaudit_local.asl_check [--template template.yaml]   (exit 1 on any error)
"""

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from netaudit_local.stack import placeholder_resolver, render_definition
from netaudit_local.template import TEMPLATE_PATH, load_template

VALIDATOR = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "asl-validator"


class AslInvalid(Exception):
    """asl-validator refused the definition (the message lists its errors)."""


def validate(template_path: Path = TEMPLATE_PATH) -> None:
    """Every state machine of the template (the Standard one and the event machine)."""
    template = load_template(template_path)
    resolve = placeholder_resolver(template)
    for machine, res in template["Resources"].items():
        if res.get("Type") == "AWS::Serverless::StateMachine":
            _validate_one(render_definition(template, resolve, template_path.parent, machine))


def _validate_one(definition: str) -> None:
    json.loads(definition)  # a JSON error names its line here, before the validator
    if not VALIDATOR.exists():
        raise FileNotFoundError(f"{VALIDATOR} is missing: run `make setup` (scripts/bootstrap-node.sh)")
    with tempfile.NamedTemporaryFile("w", suffix=".asl.json", delete=False) as fh:
        fh.write(definition)
    try:
        proc = subprocess.run(
            [str(VALIDATOR), "--json-path", fh.name], capture_output=True, text=True, timeout=60, check=False
        )
    finally:
        Path(fh.name).unlink(missing_ok=True)
    if proc.returncode != 0:
        raise AslInvalid((proc.stdout + proc.stderr).strip())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--template", type=Path, default=TEMPLATE_PATH)
    args = parser.parse_args(argv)
    try:
        validate(args.template)
    except AslInvalid as exc:
        print(f"asl-validator refused the state machine definition:\n{exc}", file=sys.stderr)
        return 1
    print("asl-validator: the state machine definition is valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())

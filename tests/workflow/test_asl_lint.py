"""`make lint` validates the definition as Step Functions would (asl-validator, substitutions filled)."""

import json
import shutil
from pathlib import Path

import pytest

from netaudit_local.asl_check import AslInvalid, validate

ROOT = Path(__file__).resolve().parents[2]


def _copy(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "template.yaml", tmp_path / "template.yaml")
    (tmp_path / "statemachine").mkdir()
    for name in ("netaudit.asl.json", "netaudit-events.asl.json"):
        shutil.copy(ROOT / "statemachine" / name, tmp_path / "statemachine" / name)
    return tmp_path


def test_the_shipped_definition_is_valid() -> None:
    validate(ROOT / "template.yaml")


def test_a_state_name_defined_twice_fails_lint(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    asl = root / "statemachine" / "netaudit.asl.json"
    definition = json.loads(asl.read_text())
    # a parent state with the name of a state of the Map's processor: CreateStateMachine refuses it
    definition["States"]["SendProbe"] = {"Type": "Pass", "Next": "Report"}
    definition["States"]["IsCanary"]["Default"] = "SendProbe"
    asl.write_text(json.dumps(definition))
    with pytest.raises(AslInvalid, match="DUPLICATE_STATE_NAMES"):
        validate(root / "template.yaml")


def test_a_missing_next_state_fails_lint(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    asl = root / "statemachine" / "netaudit.asl.json"
    definition = json.loads(asl.read_text())
    definition["States"]["Report"]["Next"] = "NoSuchState"
    asl.write_text(json.dumps(definition))
    with pytest.raises(AslInvalid):
        validate(root / "template.yaml")


def test_the_event_machine_is_validated_too(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    asl = root / "statemachine" / "netaudit-events.asl.json"
    definition = json.loads(asl.read_text())
    definition["States"]["ViolationReported"]["Next"] = "NoSuchState"  # a Succeed state has no Next
    asl.write_text(json.dumps(definition))
    with pytest.raises(AslInvalid):
        validate(root / "template.yaml")

"""docs/THREAT_MODEL.md stays true: every boundary is there, every threat names a test or says
why it is accepted, and every test it names exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "THREAT_MODEL.md").read_text(encoding="utf-8")
BOUNDARIES = {
    "B0": "deployment settings",
    "B1": "execution input",
    "B2": "SSM document",
    "B3": "probe output",
    "B4": "S3 evidence",
    "B5": "SNS",
    "B6": "Security Hub",
}


def _references() -> list[tuple[str, str]]:
    """(file, test) for each `path.py::test` or `::test` (the last file named before it)."""
    found, current = [], ""
    for m in re.finditer(r"`((?:sec|tests)/[\w/]+\.py)?(?:::(\w+))?`", DOC):
        current = m.group(1) or current
        if m.group(2):
            found.append((current, m.group(2)))
    return found


def test_every_boundary_has_a_section() -> None:
    for key, name in BOUNDARIES.items():
        assert re.search(rf"^### {key}: .*{name}", DOC, re.M | re.I), key


def test_every_threat_names_a_test_or_why_not() -> None:
    rows = [line for line in DOC.splitlines() if re.match(r"\| T\d+ \|", line)]
    assert len(rows) >= 25
    for row in rows:
        # its last cell names a test (`file.py::test`) or says accepted / open; "tests" in prose is not one
        last = row.rstrip(" |").rsplit(" | ", 1)[-1]
        assert re.search(r"`[^`]*::\w+`", last) or "**accepted**" in last or "**open**" in last, row


def test_every_named_test_exists() -> None:
    refs = _references()
    assert len(refs) >= 30
    missing = []
    for file, name in refs:
        path = ROOT / file.replace("sec/", "tests/security/", 1)
        if not path.exists() or not re.search(rf"^def {name}\(", path.read_text(encoding="utf-8"), re.M):
            missing.append(f"{file}::{name}")
    assert missing == [], missing

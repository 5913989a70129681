"""Small modules, one job each (issue 11: no module of the functions or the local runner over 400 lines)."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 400


@pytest.mark.parametrize("package", ["functions/netaudit", "local/netaudit_local"])
def test_no_module_is_over_400_lines(package: str) -> None:
    top = ROOT / package
    sizes = {p.relative_to(top).as_posix(): len(p.read_text().splitlines()) for p in top.rglob("*.py")}
    assert len(sizes) > 20  # the package was found
    assert {name: lines for name, lines in sizes.items() if lines > LIMIT} == {}

"""The local runner stays in small modules, one job each (issue 11: no module over 400 lines)."""

from pathlib import Path

LOCAL = Path(__file__).resolve().parents[2] / "local" / "netaudit_local"
LIMIT = 400


def test_no_module_of_the_local_runner_is_over_400_lines() -> None:
    sizes = {p.relative_to(LOCAL).as_posix(): len(p.read_text().splitlines()) for p in LOCAL.rglob("*.py")}
    assert len(sizes) > 20  # the package was found
    assert {name: lines for name, lines in sizes.items() if lines > LIMIT} == {}

"""The scale benchmark's smoke run (its --quick sizes; `make bench` runs the 1,000-task one and
holds the timed targets): every row finds exactly the tampered task, every task once."""

import importlib.util
import logging
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_cluster.py"


def test_bench_cluster_quick(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # bench_cluster puts bench/ on sys.path to import cost.py; monkeypatch restores sys.path after
    monkeypatch.syspath_prepend(str(BENCH.parent))
    # main() silences moto's logger for good (a script's whole life): only for this test here
    moto_logger = logging.getLogger("moto")
    monkeypatch.setattr(moto_logger, "propagate", moto_logger.propagate)
    monkeypatch.setattr(moto_logger, "handlers", list(moto_logger.handlers))
    spec = importlib.util.spec_from_file_location("bench_cluster", BENCH)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = [bench.run_scenario(s) for s in bench.QUICK_SCENARIOS]
    # what the bench's rows must show, timing aside (timed targets are `make bench`'s, not a test's)
    for row in rows:
        assert row.violations == [row.tampered], row.violations
        assert row.accounted == "every task once"
        assert row.ssm_commands == row.reachable  # one SSM command per reachable host
        assert row.verdict == "VIOLATION"
    assert "exactly the tampered task" in bench.table(rows)

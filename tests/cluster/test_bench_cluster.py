"""The scale benchmark's smoke run (small sizes; `make bench` runs the 1,000-task one)."""

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_cluster.py"


def test_bench_cluster_quick(capsys) -> None:  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(BENCH.parent))
    spec = importlib.util.spec_from_file_location("bench_cluster", BENCH)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "targets met" in out and "exactly the tampered task" in out

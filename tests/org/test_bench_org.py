"""The organization bench's smoke run (3 accounts x 2 instances; `make bench` runs 20 x 25)."""

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_org.py"


def test_bench_org_small(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH.parent))  # bench_org imports bench_cluster and cost
    spec = importlib.util.spec_from_file_location("bench_org", BENCH)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    args = ["--accounts", "3", "--instances-per-account", "2", "--tasks-per-instance", "2", "--json"]
    assert bench.main(args) == 0
    row = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert row["everyTaskOnce"] and row["tamperedFound"] and row["verdict"] == "VIOLATION"
    assert row["ssmCommands"] == row["instances"] == 6 and row["accountsWithTasks"] == 3
    assert row["stsAssumeRole"] >= 2 * 3  # ResolveHosts, SendProbe, GetProbe each assume both members
    assert row["costUsd"]["total"] < 0.12

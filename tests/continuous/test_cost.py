"""bench/cost.py prices Express children as AWS does: 100 ms units, 64-MB chunks, per request."""

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

COST = Path(__file__).resolve().parents[2] / "bench" / "cost.py"


@pytest.fixture(scope="module")
def cost() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cost", COST)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_express_duration_rounds_up_to_100_ms_and_memory_to_64_mb(cost: ModuleType) -> None:
    assert cost.express_billed_memory_mb(30_000, 40_000, 25) == 64  # 50 MB + ~1 MB
    assert cost.express_billed_memory_mb(0, 600_000, 25) == 128  # 50 MB + 14.3 MB
    one = cost.express_duration_usd([0.01], 64)  # billed as 100 ms
    assert one == pytest.approx(0.1 * 64 / 1024 * 0.06 / 3600)
    assert cost.express_duration_usd([0.1], 64) == one and cost.express_duration_usd([0.101], 64) == 2 * one


def test_children_are_requests_plus_duration_and_the_parent_pays_transitions(cost: ModuleType) -> None:
    usage = cost.AuditUsage(
        state_transitions=209,
        lambda_invocations=0,
        lambda_gb_seconds=0.0,
        s3_puts=0,
        s3_gets=0,
        sns_publishes=0,
        ssm_commands=5000,
        express_durations_s=[6.0] * 200,
        express_memory_mb=64,
    )
    parts = cost.estimate_usd(usage)
    assert parts["stepfunctions"] == pytest.approx(209 * 0.025 / 1000)
    assert parts["express"] == pytest.approx(200 / 1e6 + 200 * 6 * 64 / 1024 * 0.06 / 3600)
    assert parts["ssm"] == 0.0


def test_event_path_cost_falls_with_the_batch_size(cost: ModuleType) -> None:
    sparse, batched = cost.event_path_usd(10_000, 1), cost.event_path_usd(10_000, 50)
    assert sparse > 0.50 > batched  # the $0.50 per 10,000 starts target needs batching

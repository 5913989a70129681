"""Multipath routes: `ip -j route` prints a route over several devices as `nexthops` (no `dev` of
its own, or one plus the hops). Every device a route uses is judged, not just its first."""

import json
from typing import Any

from netaudit.models.verdict import ExpectedTask, TaskVerdict
from netaudit.probe.parse import repair_json
from netaudit.verdict import evaluate_probe
from recordings import EXPECTATIONS, probe


def _judged_with_routes(name: str, routes: list[dict[str, Any]]) -> TaskVerdict:
    raw: dict[str, Any] = json.loads(repair_json(probe(name).strip()))
    netns = next(c["netns"] for c in raw["containers"] if c["state"] == "running")
    raw["namespaces"][netns]["route"] += routes
    e = EXPECTATIONS[name]
    task = ExpectedTask(e["taskArn"], e["declaredMode"], e["eniIpv4"], e.get("eniIpv6"))
    (verdict,) = evaluate_probe(json.dumps(raw), [task])
    return verdict


def test_none_mode_multipath_default_route_is_a_violation() -> None:
    hops = {"dst": "default", "nexthops": [{"dev": "lo", "weight": 1}, {"dev": "eth0", "weight": 1}]}
    v = _judged_with_routes("none-isolated", [hops])
    assert v.verdict == "VIOLATION"
    assert "app: route default via eth0 (expected routes only via lo)" in v.reasons
    assert v.containers[0].evidence is not None and "eth0" in v.containers[0].evidence.route_devices


def test_a_hop_is_judged_besides_the_route_own_device() -> None:
    route = {"dst": "10.0.0.0/8", "dev": "lo", "table": "local", "nexthops": [{"dev": "eth9"}, {}]}
    v = _judged_with_routes("none-isolated", [route])
    assert v.verdict == "VIOLATION"
    assert v.reasons == ["app: route 10.0.0.0/8 via eth9 table local (expected routes only via lo)"]


def test_multipath_over_allowed_devices_only_stays_isolated() -> None:
    route = {"dst": "169.254.170.2", "nexthops": [{"dev": "ecs-eth0"}, {"dev": "ecs-eth0"}]}
    assert _judged_with_routes("awsvpc-isolated", [route]).verdict == "ISOLATED"
    off_link = {"dst": "default", "nexthops": [{"dev": "ecs-eth0"}]}  # metadata link carries only link-local
    v = _judged_with_routes("awsvpc-isolated", [off_link])
    assert v.verdict == "VIOLATION"
    assert any("route default via ecs-eth0" in r for r in v.reasons)

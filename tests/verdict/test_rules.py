"""Rules engine over recorded probe documents (and small edits of them)."""

import copy
import json
from typing import Any

import pytest

from netaudit.models.verdict import ExpectedTask, TaskVerdict
from netaudit.probe.parse import repair_json
from netaudit.verdict import evaluate_probe, inconclusive_all, overall
from recordings import EXPECTATIONS, probe


def _raw(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(repair_json(probe(name).strip()))
    return data


def _task(name: str, **overrides: Any) -> ExpectedTask:
    e = EXPECTATIONS[name]
    fields = {
        "task_arn": e["taskArn"],
        "declared_mode": e["declaredMode"],
        "eni_ipv4": e["eniIpv4"],
        "eni_ipv6": e.get("eniIpv6"),
    }
    return ExpectedTask(**{**fields, **overrides})


def _judge(doc: dict[str, Any] | str | None, task: ExpectedTask) -> TaskVerdict:
    raw = doc if doc is None or isinstance(doc, str) else json.dumps(doc)
    (verdict,) = evaluate_probe(raw, [task])
    return verdict


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_recorded_fixture_verdict(name: str) -> None:
    v = _judge(probe(name), _task(name))  # as printed, unrepaired
    assert v.verdict == EXPECTATIONS[name]["verdict"], v.reasons
    assert v.containers, "per-container verdicts are included"
    if v.verdict == "ISOLATED":
        assert v.reasons == [] and all(c.verdict == "ISOLATED" for c in v.containers if c.checked)
        assert [c for c in v.containers if not c.checked] == [] or v.not_checked
    else:
        assert v.reasons


def test_extra_interface_reasons_name_interface_and_address() -> None:
    v = _judge(_raw("none-tamper-extra-interface"), _task("none-tamper-extra-interface"))
    assert "app: interface dummy0 present (expected only lo)" in v.reasons
    assert "app: address 10.9.9.9/24 on dummy0" in v.reasons
    assert any("via dummy0" in r for r in v.reasons)
    ev = v.containers[0].evidence
    assert ev is not None and {i.name for i in ev.interfaces} == {"lo", "dummy0"}
    assert "dummy0" in ev.route_devices


def test_host_netns_tamper_reason() -> None:
    raw = _raw("none-tamper-host-netns")
    v = _judge(raw, _task("none-tamper-host-netns"))
    assert v.verdict == "VIOLATION"
    assert f"app: netns {raw['hostNetns']} is the host's" in v.reasons


def test_task_with_no_running_container_is_inconclusive_never_isolated() -> None:
    v = _judge(_raw("none-exited"), _task("none-exited"))
    assert v.verdict == "INCONCLUSIVE"
    assert v.reasons == ["no container of the task is running: nothing to check"]
    assert v.not_checked == ["job: exited (pid 0), not checked"]
    assert [c.checked for c in v.containers] == [False]


def test_exited_init_container_is_listed_not_checked_and_does_not_block() -> None:
    v = _judge(_raw("none-init-exited"), _task("none-init-exited"))
    assert v.verdict == "ISOLATED" and v.reasons == []
    assert v.not_checked == ["init: exited (pid 0), not checked"]
    assert {c.container_name: c.checked for c in v.containers} == {"init": False, "app": True}


def test_multi_container_task_one_bad_container_is_a_violation() -> None:
    raw = _raw("none-multi-container")
    side = next(c for c in raw["containers"] if c["containerName"] == "sidecar")
    raw["namespaces"][side["netns"]]["addr"].append(
        {"ifname": "eth9", "addr_info": [{"family": "inet", "local": "10.1.2.3", "prefixlen": 16}]}
    )
    v = _judge(raw, _task("none-multi-container"))
    assert v.verdict == "VIOLATION"
    bad = [c for c in v.containers if c.verdict == "VIOLATION"]
    assert [c.container_name for c in bad] == ["sidecar"]
    assert "sidecar: interface eth9 present (expected only lo)" in v.reasons
    assert "sidecar: address 10.1.2.3/16 on eth9" in v.reasons


def test_none_mode_other_rules() -> None:
    raw = _raw("none-isolated")
    (c,) = raw["containers"]
    ns = raw["namespaces"][c["netns"]]
    ns["addr"][0]["addr_info"].append({"family": "inet", "local": "127.0.0.2", "prefixlen": 8})
    ns["route"].append({"dst": "default", "gateway": "10.0.0.1", "dev": "eth0"})
    c["networkMode"] = "bridge"
    v = _judge(raw, _task("none-isolated"))
    assert v.verdict == "VIOLATION"
    assert "app: address 127.0.0.2/8 on lo (expected only 127.0.0.1/8, ::1/128)" in v.reasons
    assert "app: route default via eth0 (expected routes only via lo)" in v.reasons
    assert "app: docker NetworkMode is 'bridge' (expected 'none')" in v.reasons


def test_ipv6_loopback_is_allowed_in_none_mode() -> None:
    raw = _raw("none-isolated")
    (c,) = raw["containers"]
    raw["namespaces"][c["netns"]]["addr"][0]["addr_info"].append(
        {"family": "inet6", "local": "::1", "prefixlen": 128}
    )
    assert _judge(raw, _task("none-isolated")).verdict == "ISOLATED"


def test_missing_namespace_data_is_inconclusive() -> None:
    raw = _raw("none-isolated")
    raw["namespaces"] = {}
    v = _judge(raw, _task("none-isolated"))
    assert v.verdict == "INCONCLUSIVE"
    assert any("namespace data missing" in r for r in v.reasons)


def test_unreadable_netns_with_probe_error_is_inconclusive() -> None:
    raw = _raw("none-isolated")
    (c,) = raw["containers"]
    ns, c["netns"] = c["netns"], ""
    raw["namespaces"].pop(ns)
    raw["errors"] = [{"container": c["id"], "message": "cannot read the netns of pid 1"}]
    v = _judge(raw, _task("none-isolated"))
    assert v.verdict == "INCONCLUSIVE"
    assert "app: probe error: cannot read the netns of pid 1" in v.reasons


def test_nsenter_failure_on_netns_is_inconclusive() -> None:
    raw = _raw("none-isolated")
    (c,) = raw["containers"]
    raw["namespaces"].pop(c["netns"])
    raw["errors"] = [{"netns": c["netns"], "message": "nsenter ip addr failed (pid 1 of x)"}]
    v = _judge(raw, _task("none-isolated"))
    assert v.verdict == "INCONCLUSIVE"
    assert any("nsenter ip addr failed" in r for r in v.reasons)


def test_probe_level_error_is_inconclusive() -> None:
    raw = _raw("none-isolated")
    raw["errors"] = ["docker ps failed"]
    assert _judge(raw, _task("none-isolated")).verdict == "INCONCLUSIVE"


def test_vanished_container_concerns_that_container_only() -> None:
    raw = _raw("none-isolated")
    arn = raw["taskArnFilter"]
    gone = {"container": "ab" * 32, "message": "container vanished before it was inspected"}
    raw["errors"] = [{**gone, "taskArn": arn}]
    v = _judge(raw, _task("none-isolated"))
    assert v.verdict == "ISOLATED"
    assert v.not_checked == ["container abababababab: vanished before it was inspected, not checked"]
    raw["taskArnFilter"] = ""  # unfiltered probe, another task's container vanished
    raw["errors"] = [{**gone, "taskArn": arn.replace("/recorded/", "/other/")}]
    v = _judge(raw, _task("none-isolated"))
    assert v.verdict == "ISOLATED" and v.not_checked == []
    raw["containers"] = []  # the task's only container vanished: nothing left to prove it
    raw["errors"] = [{**gone, "taskArn": arn}]
    v = _judge(raw, _task("none-isolated"))
    assert v.verdict == "INCONCLUSIVE" and v.not_checked


def test_a_container_listed_but_not_inspected_makes_its_task_inconclusive_never_vanished() -> None:
    raw = _raw("none-isolated")
    arn = raw["taskArnFilter"]
    cut = {"container": "cd" * 32, "message": "container listed but not inspected"}
    raw["errors"] = [{**cut, "taskArn": arn}]
    v = _judge(raw, _task("none-isolated"))
    assert v.verdict == "INCONCLUSIVE" and v.not_checked == []
    assert "probe error: container cdcdcdcdcdcd: container listed but not inspected" in v.reasons
    raw["taskArnFilter"] = ""  # another task's container: this task is not concerned
    raw["errors"] = [{**cut, "taskArn": arn.replace("/recorded/", "/other/")}]
    assert _judge(raw, _task("none-isolated")).verdict == "ISOLATED"
    raw["errors"] = [cut]  # whose task is unknown: every task is in doubt
    assert _judge(raw, _task("none-isolated")).verdict == "INCONCLUSIVE"


def test_task_not_found_is_inconclusive() -> None:
    raw = _raw("none-isolated")
    other = ExpectedTask(raw["taskArnFilter"].replace("/recorded/", "/other/"), "none")
    raw["taskArnFilter"] = ""
    v = _judge(raw, other)
    assert v.verdict == "INCONCLUSIVE"
    assert v.reasons == ["no container of the task was found on this host"]


def test_probe_filtered_to_another_task_is_inconclusive() -> None:
    raw = _raw("none-isolated")
    arn = raw["taskArnFilter"]
    v = _judge(raw, ExpectedTask(arn[:-1] + ("1" if arn.endswith("0") else "0"), "none"))
    assert v.verdict == "INCONCLUSIVE" and "filtered to another task" in v.reasons[0]


@pytest.mark.parametrize("raw", [None, "", "garbage", '{"schemaVersion": 7}', '{"schemaVersion":1,'])
def test_unusable_output_is_inconclusive_for_every_task(raw: str | None) -> None:
    tasks = [_task("none-isolated"), _task("bridge-isolated")]
    verdicts = evaluate_probe(raw, tasks)
    assert [v.verdict for v in verdicts] == ["INCONCLUSIVE", "INCONCLUSIVE"]
    assert all(v.reasons[0].startswith("probe output unusable: ") for v in verdicts)


def test_bridge_ip_mismatch_is_a_violation() -> None:
    raw = _raw("bridge-isolated")
    (c,) = raw["containers"]
    c["networks"]["bridge"]["IPAddress"] = "172.17.99.99"
    v = _judge(raw, _task("bridge-isolated"))
    assert v.verdict == "VIOLATION"
    assert any("differs from docker's bridge IPAddress 172.17.99.99" in r for r in v.reasons)


def test_bridge_extra_interface_is_a_violation() -> None:
    raw = _raw("bridge-isolated")
    (c,) = raw["containers"]
    ns = raw["namespaces"][c["netns"]]
    eth0 = next(i for i in ns["addr"] if i["ifname"] == "eth0")
    address = {**eth0["addr_info"][0], "local": "10.9.9.9", "label": "eth1"}
    extra = {**eth0, "ifname": "eth1", "addr_info": [address]}
    ns["addr"].append(extra)
    v = _judge(raw, _task("bridge-isolated"))
    assert v.verdict == "VIOLATION"
    assert "web: interface eth1 present (expected only lo, eth0)" in v.reasons


def test_bridge_without_eth0_is_a_violation() -> None:
    raw = _raw("bridge-isolated")
    (c,) = raw["containers"]
    ns = raw["namespaces"][c["netns"]]
    ns["addr"] = [i for i in ns["addr"] if i["ifname"] != "eth0"]
    v = _judge(raw, _task("bridge-isolated"))
    assert "web: interface eth0 missing (expected lo, eth0)" in v.reasons


def test_modes_judged_against_each_other() -> None:
    # a bridge container declared none, a none container declared bridge, host declared none
    assert (
        _judge(_raw("bridge-isolated"), _task("bridge-isolated", declared_mode="none")).verdict == "VIOLATION"
    )
    assert (
        _judge(_raw("none-isolated"), _task("none-isolated", declared_mode="bridge")).verdict == "VIOLATION"
    )
    host = _judge(_raw("host-isolated"), _task("host-isolated", declared_mode="none"))
    assert host.verdict == "VIOLATION" and "is the host's" in host.reasons[0]
    v = _judge(_raw("none-isolated"), _task("none-isolated", declared_mode="host"))
    assert v.verdict == "VIOLATION" and "is not the host's" in v.reasons[0]


def test_awsvpc_wrong_expected_ip_is_a_violation() -> None:
    v = _judge(_raw("awsvpc-isolated"), _task("awsvpc-isolated", eni_ipv4="10.0.0.99"))
    assert v.verdict == "VIOLATION"
    real = EXPECTATIONS["awsvpc-isolated"]["eniIpv4"]
    assert any("ENI address 10.0.0.99 not found on eth0" in r for r in v.reasons)
    assert any(f"address {real}/24 on eth0 (expected only the ENI's 10.0.0.99" in r for r in v.reasons)


def test_awsvpc_without_expected_ip_is_never_isolated() -> None:
    v = _judge(_raw("awsvpc-isolated"), _task("awsvpc-isolated", eni_ipv4=None))
    assert v.verdict == "INCONCLUSIVE"


def test_awsvpc_ecs_link_local_is_allowed_elsewhere_not() -> None:
    raw = _raw("awsvpc-isolated")
    ns = next(iter(raw["namespaces"].values()))
    ns["addr"].append(
        {"ifname": "ecs-eth0", "addr_info": [{"family": "inet", "local": "169.254.172.2", "prefixlen": 22}]}
    )
    assert _judge(raw, _task("awsvpc-isolated")).verdict == "ISOLATED"
    ns["addr"].append(
        {"ifname": "eth5", "addr_info": [{"family": "inet", "local": "169.254.172.9", "prefixlen": 22}]}
    )
    v = _judge(raw, _task("awsvpc-isolated"))
    assert v.verdict == "VIOLATION" and any("169.254.172.9/22 on eth5" in r for r in v.reasons)


def test_awsvpc_containers_in_different_netns_is_a_violation() -> None:
    raw = _raw("awsvpc-isolated")
    app = next(c for c in raw["containers"] if c["containerName"] == "app")
    shared = app["netns"]
    app["netns"] = "net:[1]"
    raw["namespaces"]["net:[1]"] = copy.deepcopy(raw["namespaces"][shared])
    v = _judge(raw, _task("awsvpc-isolated"))
    assert v.verdict == "VIOLATION"
    assert "network namespaces" in v.reasons[0]


def test_overall() -> None:
    def tv(verdict: str) -> TaskVerdict:
        return TaskVerdict(task_arn="a", declared_mode="none", verdict=verdict)  # type: ignore[arg-type]

    assert overall([]) == "INCONCLUSIVE"
    assert overall([tv("ISOLATED"), tv("ISOLATED")]) == "ISOLATED"
    assert overall([tv("ISOLATED"), tv("INCONCLUSIVE")]) == "INCONCLUSIVE"
    assert overall([tv("INCONCLUSIVE"), tv("VIOLATION"), tv("ISOLATED")]) == "VIOLATION"


def test_expected_task_positional_keyword_and_alias() -> None:
    a = ExpectedTask("arn:x", "awsvpc", "10.0.0.1")
    b = ExpectedTask(task_arn="arn:x", declared_mode="awsvpc", eni_ipv4="10.0.0.1")
    c = ExpectedTask.model_validate({"taskArn": "arn:x", "declaredMode": "awsvpc", "eniIpv4": "10.0.0.1"})
    assert a == b == c
    with pytest.raises(ValueError):
        ExpectedTask("arn:x", "overlay")


def test_verdict_serialises_camel_case_without_secrets() -> None:
    (v,) = evaluate_probe(json.dumps(_raw("none-isolated")), [_task("none-isolated")])
    dumped = v.model_dump(mode="json", by_alias=True)
    assert {"taskArn", "declaredMode", "verdict", "reasons", "containers"} <= set(dumped)
    assert {"containerId", "verdict", "evidence"} <= set(dumped["containers"][0])
    assert {"netns", "interfaces", "routeDevices", "dockerNetworkMode"} <= set(
        dumped["containers"][0]["evidence"]
    )
    assert TaskVerdict.model_validate(dumped) == v


def test_inconclusive_all() -> None:
    vs = inconclusive_all([_task("none-isolated")], "probe TimedOut")
    assert vs[0].verdict == "INCONCLUSIVE" and vs[0].reasons == ["probe TimedOut"]


def test_schema_1_documents_still_parse_with_imds_and_escapes_unknown() -> None:
    raw = probe("v1-none-isolated")
    arn = json.loads(raw)["taskArnFilter"]
    (v,) = evaluate_probe(raw, [ExpectedTask(arn, "none")])
    assert v.verdict == "ISOLATED", v.reasons
    assert v.imds is not None and v.imds.startswith("unknown (no route lookup")


def test_every_recorded_task_says_something_about_imds() -> None:
    for name in EXPECTATIONS:
        v = _judge(probe(name), _task(name))
        assert v.imds and v.imds.split(" ", 1)[0] in ("blocked", "reachable", "unknown"), (name, v.imds)
    awsvpc = _judge(_raw("awsvpc-dual-stack-imds-blocked"), _task("awsvpc-dual-stack-imds-blocked"))
    assert awsvpc.imds == "blocked (blackhole route for 169.254.169.254)"


def test_a_stopped_container_configured_for_the_host_network_is_a_violation() -> None:
    raw = _raw("none-init-exited")
    init = next(c for c in raw["containers"] if c["containerName"] == "init")
    init["networkMode"] = "host"
    v = _judge(raw, _task("none-init-exited"))
    assert v.verdict == "VIOLATION"
    assert "init: docker NetworkMode is 'host' (exited now)" in v.reasons


def test_a_restarting_container_blocks_the_verdict() -> None:
    raw = _raw("none-init-exited")
    init = next(c for c in raw["containers"] if c["containerName"] == "init")
    init["state"] = "restarting"
    v = _judge(raw, _task("none-init-exited"))
    assert v.verdict == "INCONCLUSIVE"
    assert "init: restarting (pid 0): cannot be checked now" in v.reasons

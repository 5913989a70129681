"""Probe documents for many tasks on one host, shaped like the real probe's output.

For the scale benchmark and multi-host workflow tests, where starting 1,000 real containers is
not the point. The shapes (ip -j addr / route, docker networks) are those of the documents
recorded from the real script in tests/fixtures/probes/.
"""

import json
from collections.abc import Collection, Sequence
from typing import Any

from netaudit.models.verdict import ExpectedTask

HOST_NETNS = "net:[4026531840]"
_FOREVER = 4294967295


def _addr(family: str, local: str, prefixlen: int, label: str) -> dict[str, Any]:
    return {
        "family": family, "local": local, "prefixlen": prefixlen,
        "scope": "host" if label == "lo" else "global", "label": label,
        "valid_life_time": _FOREVER, "preferred_life_time": _FOREVER,
    }


def _lo() -> dict[str, Any]:
    return {
        "ifindex": 1, "ifname": "lo", "flags": ["LOOPBACK", "UP", "LOWER_UP"], "mtu": 65536,
        "operstate": "UNKNOWN", "link_type": "loopback", "address": "00:00:00:00:00:00",
        "addr_info": [_addr("inet", "127.0.0.1", 8, "lo")],
    }


def _eth(name: str, ifindex: int, ipv4: str, prefixlen: int) -> dict[str, Any]:
    return {
        "ifindex": ifindex, "ifname": name, "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
        "mtu": 1500, "operstate": "UP", "link_type": "ether", "address": "02:42:ac:11:00:02",
        "addr_info": [_addr("inet", ipv4, prefixlen, name)],
    }


def _lo_routes() -> list[dict[str, Any]]:
    return [
        {"type": "local", "dst": "127.0.0.0/8", "dev": "lo", "table": "local", "scope": "host"},
        {"type": "local", "dst": "127.0.0.1", "dev": "lo", "table": "local", "scope": "host"},
    ]


def _container(task_arn: str, index: int, name: str, mode: str, netns: str, ip: str = "") -> dict[str, Any]:
    network = "none" if mode in ("none", "awsvpc") else mode
    return {
        "id": f"{index:064x}", "name": f"ecs-synthetic-{index}", "image": "busybox",
        "taskArn": task_arn, "containerName": name, "state": "running", "pid": 1000 + index,
        "networkMode": network,
        "networks": {network: {"IPAddress": ip, "IPPrefixLen": 16 if ip else 0, "Gateway": "",
                               "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "MacAddress": ""}},
        "netns": netns,
    }


def synthetic_probe(
    tasks: Sequence[ExpectedTask], *, violating: Collection[str] = (), generated_at: str = ""
) -> str:
    """One probe document covering `tasks`, each isolated as declared unless its ARN is in
    `violating`, in which case its namespace also holds `dummy0` with 10.9.9.9/24."""
    containers: list[dict[str, Any]] = []
    namespaces: dict[str, dict[str, Any]] = {}
    for number, task in enumerate(tasks, start=1):
        netns = f"net:[{4026600000 + number}]"
        addr = [_lo()]
        routes = _lo_routes()
        index = number * 4
        if task.declared_mode == "none":
            containers.append(_container(task.task_arn, index, "app", "none", netns))
        elif task.declared_mode == "bridge":
            ip = f"172.17.{number // 250}.{number % 250 + 2}"
            addr.append(_eth("eth0", 2, ip, 16))
            routes = [*routes, {"dst": "default", "gateway": "172.17.0.1", "dev": "eth0"}]
            containers.append(_container(task.task_arn, index, "app", "bridge", netns, ip))
        elif task.declared_mode == "host":
            containers.append(_container(task.task_arn, index, "app", "host", HOST_NETNS))
            continue  # the host's own namespace is never dumped
        else:  # awsvpc as the agent builds it: pause (docker mode none) + app joined to its netns
            ip = task.eni_ipv4 or "10.0.0.1"
            addr.append(_eth("eth0", 2, ip, 24))
            addr.append(_eth("ecs-eth0", 3, "169.254.172.2", 22))
            routes = [
                *routes,
                {"dst": "default", "gateway": "10.0.0.1", "dev": "eth0"},
                {"dst": "169.254.170.2", "gateway": "169.254.172.1", "dev": "ecs-eth0"},
            ]
            containers.append(_container(task.task_arn, index, "~internal~ecs~pause", "awsvpc", netns))
            containers.append(_container(task.task_arn, index + 1, "app", "awsvpc", netns))
            containers[-1]["networkMode"] = f"container:{index:064x}"
        if task.task_arn in violating:
            addr.append(_eth("dummy0", 9, "10.9.9.9", 24))
        namespaces[netns] = {"addr": addr, "route": routes}
    document = {
        "schemaVersion": 1, "probe": "ecs-netaudit", "generatedAt": generated_at,
        "hostNetns": HOST_NETNS, "taskArnFilter": "", "containers": containers,
        "namespaces": namespaces, "errors": [],
    }
    return json.dumps(document, separators=(",", ":"))

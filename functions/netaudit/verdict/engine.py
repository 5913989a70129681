"""Rules per declared network mode, per container and per task."""

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field

from netaudit.models.probe import NamespaceDump, ProbeContainer, ProbeDocument
from netaudit.models.verdict import (
    ContainerEvidence,
    ContainerVerdict,
    ExpectedTask,
    InterfaceEvidence,
    TaskVerdict,
    Verdict,
)
from netaudit.probe import ProbeParseError, parse_probe

PAUSE_CONTAINER_NAME = "~internal~ecs~pause"
LOOPBACK_ALLOWED = frozenset({"127.0.0.1/8", "::1/128"})
ECS_LINK_IFACE = "ecs-eth0"
ECS_LINK_NET = ipaddress.IPv4Network("169.254.172.0/22")
_RANK: dict[Verdict, int] = {"ISOLATED": 0, "INCONCLUSIVE": 1, "VIOLATION": 2}


def _worst(verdicts: Sequence[Verdict]) -> Verdict:
    return max(verdicts, key=_RANK.__getitem__, default="INCONCLUSIVE")


def overall(verdicts: Sequence[TaskVerdict]) -> Verdict:
    """Any VIOLATION > any INCONCLUSIVE > ISOLATED; no verdict at all -> INCONCLUSIVE."""
    return _worst([v.verdict for v in verdicts])


@dataclass(frozen=True)
class _Netns:
    """One namespace dump, digested once however many containers share it."""

    interfaces: dict[str, list[str]]  # ifname -> ["addr/prefix", ...]
    ipv4: list[tuple[str, str]]  # (ifname, address) without prefix
    route_devices: list[str]
    foreign_routes: list[str]  # "dst via dev" for routes through a device other than lo


def _digest(dump: NamespaceDump) -> _Netns:
    interfaces: dict[str, list[str]] = {}
    ipv4: list[tuple[str, str]] = []
    for iface in dump.addr:
        addrs = interfaces.setdefault(iface.ifname, [])
        for a in iface.addr_info:
            if a.local is None:
                continue
            addrs.append(a.cidr)
            if a.family == "inet":
                ipv4.append((iface.ifname, a.local))
    devices: set[str] = set()
    foreign: list[str] = []
    for route in dump.route:
        for dev in route.devices:
            devices.add(dev)
            if dev != "lo":
                table = f" table {route.table}" if route.table and route.table != "main" else ""
                foreign.append(f"route {route.dst or '?'} via {dev}{table}")
    return _Netns(interfaces, ipv4, sorted(devices), foreign)


@dataclass
class _Ctx:
    doc: ProbeDocument
    netns: dict[str, _Netns] = field(default_factory=dict)
    container_errors: dict[str, list[str]] = field(default_factory=dict)
    netns_errors: dict[str, list[str]] = field(default_factory=dict)
    probe_errors: list[str] = field(default_factory=list)

    def ns(self, key: str) -> _Netns | None:
        digest = self.netns.get(key)
        if digest is None and key in self.doc.namespaces:
            digest = self.netns[key] = _digest(self.doc.namespaces[key])
        return digest

    def errors_for(self, container_id: str) -> list[str]:
        found: list[str] = []
        for ref, messages in self.container_errors.items():
            if ref and container_id.startswith(ref):
                found.extend(messages)
        return found


def _context(doc: ProbeDocument) -> _Ctx:
    ctx = _Ctx(doc)
    for err in doc.errors:
        if err.container:
            ctx.container_errors.setdefault(err.container, []).append(err.message)
        elif err.netns:
            ctx.netns_errors.setdefault(err.netns, []).append(err.message)
        else:
            ctx.probe_errors.append(err.message)
    return ctx


def _evidence(c: ProbeContainer, ctx: _Ctx, digest: _Netns | None) -> ContainerEvidence:
    return ContainerEvidence(
        netns=c.netns,
        host_netns=bool(c.netns) and c.netns == ctx.doc.host_netns,
        docker_network_mode=c.network_mode,
        docker_ipv4={name: n.ip_address for name, n in (c.networks or {}).items()},
        interfaces=[InterfaceEvidence(name=k, addresses=v) for k, v in digest.interfaces.items()]
        if digest
        else [],
        route_devices=digest.route_devices if digest else [],
    )


def _lo_reasons(ns: _Netns) -> list[str]:
    return [
        f"address {a} on lo (expected only 127.0.0.1/8, ::1/128)"
        for a in ns.interfaces.get("lo", [])
        if a not in LOOPBACK_ALLOWED
    ]


def _rules_none(c: ProbeContainer, ns: _Netns) -> list[str]:
    reasons: list[str] = []
    for name, addrs in ns.interfaces.items():
        if name != "lo":
            reasons.append(f"interface {name} present (expected only lo)")
            reasons.extend(f"address {a} on {name}" for a in addrs)
    if "lo" not in ns.interfaces:
        reasons.append("interface lo missing")
    reasons.extend(_lo_reasons(ns))
    reasons.extend(f"{r} (expected routes only via lo)" for r in ns.foreign_routes)
    if c.network_mode != "none":
        reasons.append(f"docker NetworkMode is {c.network_mode!r} (expected 'none')")
    return reasons


def _rules_bridge(c: ProbeContainer, ns: _Netns) -> list[str]:
    reasons: list[str] = []
    for name, addrs in ns.interfaces.items():
        if name not in ("lo", "eth0"):
            reasons.append(f"interface {name} present (expected only lo, eth0)")
            reasons.extend(f"address {a} on {name}" for a in addrs)
    if "eth0" not in ns.interfaces:
        reasons.append("interface eth0 missing (expected lo, eth0)")
    reasons.extend(_lo_reasons(ns))
    if c.network_mode not in ("bridge", "default"):
        reasons.append(f"docker NetworkMode is {c.network_mode!r} (expected 'bridge')")
    networks = c.networks or {}
    bridge = networks.get("bridge") or (next(iter(networks.values())) if len(networks) == 1 else None)
    docker_ip = bridge.ip_address if bridge else ""
    eth0_v4 = sorted({a for dev, a in ns.ipv4 if dev == "eth0"})
    if not docker_ip:
        reasons.append("docker reports no bridge IPAddress for the container")
    elif eth0_v4 != [docker_ip]:
        shown = ", ".join(eth0_v4) or "none"
        reasons.append(f"eth0 IPv4 {shown} differs from docker's bridge IPAddress {docker_ip}")
    return reasons


def _rules_awsvpc(ns: _Netns, eni_ipv4: str | None) -> tuple[list[str], bool]:
    """Returns (violations, eni_address_seen)."""
    reasons: list[str] = []
    seen = False
    for dev, addr in ns.ipv4:
        ip = ipaddress.IPv4Address(addr)
        if eni_ipv4 and addr == eni_ipv4:
            seen = True
        elif (ip.is_loopback and dev == "lo") or (dev == ECS_LINK_IFACE and ip in ECS_LINK_NET):
            continue
        elif eni_ipv4:
            reasons.append(f"address {addr} on {dev} (expected only the ENI address {eni_ipv4})")
    if eni_ipv4 and not seen:
        reasons.append(f"ENI address {eni_ipv4} not found in the task's netns")
    return reasons, seen


def _unreadable(c: ProbeContainer, ctx: _Ctx, declared: str) -> list[str]:
    """Reasons the container cannot be checked at all (-> INCONCLUSIVE)."""
    reasons = [f"probe error: {m}" for m in ctx.errors_for(c.id)]
    label = c.container_name or c.name or c.id[:12]
    if c.state != "running" or c.pid <= 0:
        reasons.append(f"container {label} is not running (state {c.state or '?'}, pid {c.pid})")
        return reasons
    if not c.netns:
        reasons.append(f"netns of container {label} could not be read")
        return reasons
    if c.netns == ctx.doc.host_netns:
        return reasons  # nothing is dumped for the host's netns, by design
    if not ctx.doc.host_netns and declared == "host":
        reasons.append("the host's netns could not be read")
    reasons.extend(f"probe error on {c.netns}: {m}" for m in ctx.netns_errors.get(c.netns, []))
    if c.netns not in ctx.doc.namespaces:
        reasons.append(f"namespace data missing for {c.netns} (container {label})")
    return reasons


def _container_verdict(c: ProbeContainer, ctx: _Ctx, task: ExpectedTask) -> ContainerVerdict:
    mode = task.declared_mode
    digest = ctx.ns(c.netns) if c.netns else None
    blocked = _unreadable(c, ctx, mode)
    violations: list[str] = []
    in_host = bool(c.netns) and c.netns == ctx.doc.host_netns
    if c.state == "running" and c.pid > 0 and c.netns:
        if mode == "host":
            if not ctx.doc.host_netns:
                pass
            elif not in_host:
                violations.append(f"netns {c.netns} is not the host's ({ctx.doc.host_netns})")
        elif in_host:
            violations.append(f"netns {c.netns} is the host's")
        elif digest is not None:
            if mode == "none":
                violations = _rules_none(c, digest)
            elif mode == "bridge":
                violations = _rules_bridge(c, digest)
            # awsvpc is judged per task (shared netns), see _task_awsvpc
    if violations:
        verdict: Verdict = "VIOLATION"
        reasons = violations + blocked
    elif blocked:
        verdict, reasons = "INCONCLUSIVE", blocked
    else:
        verdict, reasons = "ISOLATED", []
    return ContainerVerdict(
        container_id=c.id,
        container_name=c.container_name,
        docker_name=c.name,
        state=c.state,
        pid=c.pid,
        verdict=verdict,
        reasons=reasons,
        evidence=_evidence(c, ctx, digest),
    )


def _task_awsvpc(
    task: ExpectedTask, containers: list[ProbeContainer], verdicts: list[ContainerVerdict], ctx: _Ctx
) -> list[str]:
    """Task-level awsvpc rules; updates container verdicts in place. Returns task reasons."""
    reasons: list[str] = []
    namespaces = sorted({c.netns for c in containers if c.netns})
    if len(namespaces) > 1:
        reasons.append(
            f"containers of the task are in {len(namespaces)} network namespaces "
            f"({', '.join(namespaces)}); awsvpc shares one"
        )
    if not task.eni_ipv4:
        reasons.append("no expected ENI address given: cannot prove the awsvpc ENI")
    for ns_key in namespaces:
        digest = ctx.ns(ns_key)
        if ns_key == ctx.doc.host_netns or digest is None:
            continue  # host netns: already a container VIOLATION; missing: INCONCLUSIVE
        found, _ = _rules_awsvpc(digest, task.eni_ipv4)
        if found:
            for cv in verdicts:
                if cv.evidence and cv.evidence.netns == ns_key:
                    cv.verdict = "VIOLATION"
                    cv.reasons = found + [r for r in cv.reasons if r not in found]
    return reasons


def _judge_task(task: ExpectedTask, ctx: _Ctx) -> TaskVerdict:
    doc = ctx.doc
    base = TaskVerdict(
        task_arn=task.task_arn,
        declared_mode=task.declared_mode,
        expected_eni_ipv4=task.eni_ipv4,
        verdict="INCONCLUSIVE",
        probe_generated_at=doc.generated_at,
        host_netns=doc.host_netns or None,
    )
    if doc.task_arn_filter and doc.task_arn_filter != task.task_arn:
        base.reasons = [f"the probe was filtered to another task ({doc.task_arn_filter})"]
        return base
    containers = [c for c in doc.containers if c.task_arn == task.task_arn]
    task_reasons = [f"probe error: {m}" for m in ctx.probe_errors]
    if doc.task_arn_filter == task.task_arn:
        present = {c.id for c in doc.containers}
        for ref, messages in ctx.container_errors.items():
            if not any(i.startswith(ref) for i in present):
                task_reasons.extend(f"probe error for container {ref[:12]}: {m}" for m in messages)
    if not containers:
        base.reasons = [*task_reasons, "no container of the task was found on this host"]
        return base
    verdicts = [_container_verdict(c, ctx, task) for c in containers]
    awsvpc_reasons: list[str] = []
    if task.declared_mode == "awsvpc":
        awsvpc_reasons = _task_awsvpc(task, containers, verdicts, ctx)
    worst = _worst([cv.verdict for cv in verdicts])
    violation_reasons = [r for r in awsvpc_reasons if "network namespaces" in r]
    blocking = task_reasons + [r for r in awsvpc_reasons if r not in violation_reasons]
    if violation_reasons or worst == "VIOLATION":
        verdict: Verdict = "VIOLATION"
    elif blocking or worst == "INCONCLUSIVE":
        verdict = "INCONCLUSIVE"
    else:
        verdict = "ISOLATED"
    reasons = violation_reasons + blocking
    for cv in verdicts:
        label = cv.container_name or cv.docker_name or cv.container_id[:12]
        reasons.extend(f"{label}: {r}" for r in cv.reasons)
    base.verdict, base.reasons, base.containers = verdict, reasons, verdicts
    return base


def inconclusive_all(expected: Sequence[ExpectedTask], reason: str) -> list[TaskVerdict]:
    """Every expected task INCONCLUSIVE for the same reason (probe failed, timed out, ...)."""
    return [
        TaskVerdict(
            task_arn=t.task_arn,
            declared_mode=t.declared_mode,
            expected_eni_ipv4=t.eni_ipv4,
            verdict="INCONCLUSIVE",
            reasons=[reason],
        )
        for t in expected
    ]


def evaluate_document(doc: ProbeDocument, expected: Sequence[ExpectedTask]) -> list[TaskVerdict]:
    """Judge already-parsed probe output."""
    ctx = _context(doc)
    return [_judge_task(task, ctx) for task in expected]


def evaluate_probe(raw: str | None, expected: Sequence[ExpectedTask]) -> list[TaskVerdict]:
    """Judge the probe's stdout. None / unparsable / wrong schema -> every task INCONCLUSIVE."""
    try:
        doc = parse_probe(raw)
    except ProbeParseError as exc:
        return inconclusive_all(expected, f"probe output unusable: {exc}")
    return evaluate_document(doc, expected)

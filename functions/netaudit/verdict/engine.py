"""Per container and per task: which rules apply to which container, and the task's verdict.

Containers are judged by their role in the task as the ECS agent builds it
(docs/CONTRACTS.md, README "Verdict rules"):
- `~internal~ecs~pause~namespace` (pidMode/ipcMode `task`) holds namespaces, not the network:
  its own netns must be none-shaped whatever the task declares.
- a container started with docker NetworkMode `container:<id>` (awsvpc apps, Service Connect
  apps joined to their `~internal~ecs~pause-<name>`) is judged by the namespace it joined, which
  must belong to a container of the same task.
- awsvpc: every other container shares one netns (the pause container's), judged once.
- containers that are not running (exited init or non-essential containers, vanished ones) are
  listed as not checked; a task with no running container stays INCONCLUSIVE. A container the
  probe listed but could not inspect (and did not see gone) makes its task INCONCLUSIVE.
A probe problem concerns only what it names (container, netns); only a host-wide one (docker
unreadable, the host netns unknown) concerns every task.
"""

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from netaudit.models.probe import ProbeContainer, ProbeDocument
from netaudit.models.verdict import (
    ContainerEvidence,
    ContainerVerdict,
    ExpectedTask,
    InterfaceEvidence,
    TaskVerdict,
    Verdict,
)
from netaudit.probe import ProbeParseError, parse_probe
from netaudit.verdict import exposure, rollup
from netaudit.verdict import netns as rules
from netaudit.verdict.netns import shown

PAUSE_CONTAINER_NAME = "~internal~ecs~pause"
NAMESPACE_PAUSE_NAME = "~internal~ecs~pause~namespace"
_LIVE_STATES = frozenset({"running", "paused"})
_JOIN = "container:"
VANISHED = "container vanished before it was inspected"  # the probe's message (docs/CONTRACTS.md)
NO_CONTAINER = "no container of the task was found on this host"  # coverage: container gone mid-probe


def overall(verdicts: Sequence[TaskVerdict]) -> Verdict:
    """One host's (or one `netaudit check`'s) verdict: rollup.overall, the one definition."""
    return rollup.overall(v.verdict for v in verdicts)


def _running(c: ProbeContainer) -> bool:
    return c.state in _LIVE_STATES and c.pid > 0


def _label(c: ProbeContainer) -> str:
    return shown(c.container_name or c.name or c.id[:12])


class _Ctx:
    """One probe document and what is derived from it once, whatever the number of tasks."""

    def __init__(self, doc: ProbeDocument) -> None:
        self.doc = doc
        self.netns: dict[str, rules.Netns] = {}
        self.container_errors: dict[str, list[str]] = {}
        self.vanished: dict[str, list[str]] = {}  # task ARN -> container ids
        self.task_errors: dict[str, list[str]] = {}  # task ARN -> reasons
        self.netns_errors: dict[str, list[str]] = {}
        self.probe_errors: list[str] = []
        self.interfaces: dict[str, list[InterfaceEvidence]] = {}  # per netns

    def ns(self, key: str) -> rules.Netns | None:
        found = self.netns.get(key)
        if found is None and key in self.doc.namespaces:
            found = self.netns[key] = rules.digest(self.doc.namespaces[key])
        return found

    def errors_for(self, container_id: str) -> list[str]:
        found: list[str] = []
        if not self.container_errors:
            return found
        for ref, messages in self.container_errors.items():
            if ref and container_id.startswith(ref):
                found.extend(messages)
        return found


def _context(doc: ProbeDocument) -> _Ctx:
    ctx = _Ctx(doc)
    if not doc.errors:
        return ctx
    present = [c.id for c in doc.containers]
    for err in doc.errors:
        absent = bool(err.container) and not any(i.startswith(err.container or "") for i in present)
        task = (err.task_arn or doc.task_arn_filter) if absent else None
        if absent and task and err.message == VANISHED:
            # listed by docker ps, gone from a second listing: that container only, not checked
            ctx.vanished.setdefault(task, []).append(err.container or "")
        elif absent and task:
            # listed, still there, not inspected (cut output): its task cannot be judged
            ref = shown((err.container or "")[:12])
            ctx.task_errors.setdefault(task, []).append(f"container {ref}: {err.message}")
        elif absent:  # a container of an unknown task: every task is in doubt
            ctx.probe_errors.append(f"container {shown((err.container or '')[:12])}: {err.message}")
        elif err.container:
            ctx.container_errors.setdefault(err.container, []).append(err.message)
        elif err.netns:
            ctx.netns_errors.setdefault(err.netns, []).append(err.message)
        else:  # a reason code goes first, in brackets (netaudit.platforms.code_of reads it)
            ctx.probe_errors.append(f"[{err.code}] {err.message}" if err.code else err.message)
    return ctx


def _validated[M: BaseModel](model: type[M], values: dict[str, Any]) -> M:
    """`model(**values)`, the same validation without BaseModel.__init__'s Python wrapper: the
    engine builds several models per container."""
    built: M = model.__pydantic_validator__.validate_python(values)
    return built


def _evidence(c: ProbeContainer, ctx: _Ctx, ns: rules.Netns | None, escape: list[str]) -> ContainerEvidence:
    interfaces: list[InterfaceEvidence] = []
    if ns is not None:  # built once per netns, shared by the containers in it
        interfaces = ctx.interfaces.get(c.netns) or []
        if not interfaces:
            interfaces = [
                _validated(InterfaceEvidence, {"name": k, "addresses": v}) for k, v in ns.interfaces.items()
            ]
            ctx.interfaces[c.netns] = interfaces
    values = {
        "netns": c.netns,
        "host_netns": bool(c.netns) and c.netns == ctx.doc.host_netns,
        "docker_network_mode": c.network_mode,
        "docker_ipv4": {name: n.ip_address for name, n in (c.networks or {}).items()},
        "interfaces": interfaces,
        "route_devices": list(ns.route_devices) if ns else [],
        "escape": escape,
    }
    return _validated(ContainerEvidence, values)


def _unreadable(c: ProbeContainer, ctx: _Ctx, declared: str) -> list[str]:
    """Reasons a running container cannot be checked (-> INCONCLUSIVE)."""
    reasons = [f"probe error: {m}" for m in ctx.errors_for(c.id)] if ctx.container_errors else []
    netns, doc = c.netns, ctx.doc
    if not netns:
        return [*reasons, f"netns of container {_label(c)} could not be read"]
    if netns == doc.host_netns:
        return reasons  # nothing is dumped for the host's netns, by design
    if not doc.host_netns and declared == "host":
        reasons.append("the host's netns could not be read")
    if ctx.netns_errors:
        reasons.extend(f"probe error on {netns}: {m}" for m in ctx.netns_errors.get(netns, []))
    if netns not in doc.namespaces:
        reasons.append(f"namespace data missing for {netns} (container {_label(c)})")
    return reasons


def _owner(c: ProbeContainer, members: Sequence[ProbeContainer]) -> tuple[ProbeContainer | None, list[str]]:
    """The container whose network `c` uses (itself unless NetworkMode is container:<id>), and
    violations when that is not a container of the same task, or not the netns `c` is in."""
    current, hops = c, 0
    while (current.network_mode or "").startswith(_JOIN) and hops < 4:
        ref = (current.network_mode or "")[len(_JOIN) :]
        target = next((m for m in members if ref and (m.id.startswith(ref) or m.name == ref)), None)
        if target is None:
            outside = f"joins the netns of container {shown(ref[:12])}, which is not part of the task"
            return None, [outside]
        current, hops = target, hops + 1
    if current is not c and _running(current) and current.netns and current.netns != c.netns:
        joined = f"netns {c.netns} differs from {current.netns} of {_label(current)}, whose network it joined"
        return current, [joined]
    return current, []


def _judge_container(
    c: ProbeContainer, ctx: _Ctx, task: ExpectedTask, members: Sequence[ProbeContainer]
) -> ContainerVerdict:
    ns = ctx.ns(c.netns) if c.netns else None
    escapes, notes = exposure.escape_findings(c.escape)
    mode = "none" if c.container_name == NAMESPACE_PAUSE_NAME else task.declared_mode
    verdict: Verdict
    checked = True
    if not _running(c):
        verdict, reasons, checked = _not_running(c, mode)
    else:
        violations, joined_blocked = _netns_violations(c, ctx, ns, mode, members)
        blocked = _unreadable(c, ctx, mode) + joined_blocked
        if mode != "host":
            violations += escapes
        if violations:
            verdict, reasons = "VIOLATION", violations + blocked
        else:
            verdict, reasons = ("INCONCLUSIVE", blocked) if blocked else ("ISOLATED", [])
    values = {  # built once: assigning to a model costs more than building it
        "container_id": c.id,
        "container_name": c.container_name,
        "docker_name": c.name,
        "state": c.state,
        "pid": c.pid,
        "verdict": verdict,
        "reasons": reasons,
        "evidence": _evidence(c, ctx, ns, escapes + notes),
        "checked": checked,
    }
    return _validated(ContainerVerdict, values)


def _not_running(c: ProbeContainer, mode: str) -> tuple[Verdict, list[str], bool]:
    """Nothing to look at now, but what it will run with when (re)started is known:
    (verdict, reasons, checked)."""
    if mode != "host" and c.network_mode == "host":
        return "VIOLATION", [f"docker NetworkMode is 'host' ({c.state or 'not running'} now)"], True
    if c.state == "restarting":  # about to run again: neither checked nor to be ignored
        return "INCONCLUSIVE", [f"restarting (pid {c.pid}): cannot be checked now"], True
    return "INCONCLUSIVE", [f"{c.state or 'not running'} (pid {c.pid}), not checked"], False


def _netns_violations(
    c: ProbeContainer, ctx: _Ctx, ns: rules.Netns | None, mode: str, members: Sequence[ProbeContainer]
) -> tuple[list[str], list[str]]:
    """A running container's netns against its declared mode: (violations, what blocks a verdict)."""
    in_host = bool(c.netns) and c.netns == ctx.doc.host_netns
    if c.netns and mode == "host":
        if ctx.doc.host_netns and not in_host:
            return [f"netns {c.netns} is not the host's ({ctx.doc.host_netns})"], []
        return [], []
    if in_host:
        return [f"netns {c.netns} is the host's"], []
    if not c.netns:
        return [], []
    blocked: list[str] = []
    # a container on its own network (the usual case) owns it: _owner follows container:<id> joins
    owner, violations = _owner(c, members) if (c.network_mode or "").startswith(_JOIN) else (c, [])
    if owner is not None and owner is not c and not _running(owner):
        blocked.append(f"the container it joined, {_label(owner)}, is not running")
    elif owner is not None and ns is not None and mode == "none":
        violations += rules.rules_none(ns)
        if owner.network_mode != "none":
            violations.append(f"docker NetworkMode is {owner.network_mode!r} (expected 'none')")
    elif owner is not None and ns is not None and mode == "bridge":
        violations += _bridge(owner, ns)
    # awsvpc: the shared netns is judged once per task, see _judge_awsvpc
    if mode == "none":
        violations += exposure.off_host_routes(ctx.doc.namespaces.get(c.netns))
    return violations, blocked


def _bridge(owner: ProbeContainer, ns: rules.Netns) -> list[str]:
    reasons: list[str] = []
    if owner.network_mode not in ("bridge", "default"):
        reasons.append(f"docker NetworkMode is {owner.network_mode!r} (expected 'bridge')")
    networks = owner.networks or {}
    net = networks.get("bridge") or (next(iter(networks.values())) if len(networks) == 1 else None)
    ipv4, ipv6 = (net.ip_address, net.global_ipv6_address) if net else ("", "")
    return reasons + rules.rules_bridge(ns, ipv4, ipv6)


def _judge_awsvpc(
    task: ExpectedTask, verdicts: list[ContainerVerdict], ctx: _Ctx
) -> tuple[list[str], list[str]]:
    """Task-level awsvpc rules; updates container verdicts in place. (violations, blocking)."""
    sharing = [v for v in verdicts if v.checked and v.container_name != NAMESPACE_PAUSE_NAME and v.evidence]
    namespaces = sorted({v.evidence.netns for v in sharing if v.evidence and v.evidence.netns})
    violations: list[str] = []
    if len(namespaces) > 1:
        violations.append(
            f"containers of the task are in {len(namespaces)} network namespaces "
            f"({', '.join(namespaces)}); awsvpc shares one"
        )
    blocking = []
    if not (task.eni_ipv4 or task.eni_ipv6):
        blocking.append("no expected ENI address given: cannot prove the awsvpc ENI")
    for key in namespaces:
        ns = ctx.ns(key)
        if key == ctx.doc.host_netns or ns is None:
            continue  # host netns: already a container VIOLATION; missing: INCONCLUSIVE
        found = rules.rules_awsvpc(ns, task.eni_ipv4, task.eni_ipv6)
        if not (task.eni_ipv4 or task.eni_ipv6):
            found = [r for r in found if "ENI" not in r]
        for v in sharing:
            if v.evidence and v.evidence.netns == key and found:
                v.verdict = "VIOLATION"
                v.reasons = found + [r for r in v.reasons if r not in found]
    return violations, blocking


def _task_verdict(
    task: ExpectedTask, doc: ProbeDocument, verdict: Verdict, reasons: list[str], **more: Any
) -> TaskVerdict:
    values = {  # built once: assigning to a model costs more than building it
        "task_arn": task.task_arn,
        "declared_mode": task.declared_mode,
        "expected_eni_ipv4": task.eni_ipv4,
        "expected_eni_ipv6": task.eni_ipv6,
        "verdict": verdict,
        "reasons": reasons,
        "probe_generated_at": doc.generated_at,
        "host_netns": doc.host_netns or None,
        **more,
    }
    return _validated(TaskVerdict, values)


def _judge_task(task: ExpectedTask, ctx: _Ctx) -> TaskVerdict:
    doc = ctx.doc
    if doc.task_arn_filter and doc.task_arn_filter != task.task_arn:
        reason = f"the probe was filtered to another task ({doc.task_arn_filter})"
        return _task_verdict(task, doc, "INCONCLUSIVE", [reason])
    members = [c for c in doc.containers if c.task_arn == task.task_arn]
    blocking: list[str] = []
    not_checked: list[str] = []
    if ctx.probe_errors or ctx.task_errors or ctx.vanished:  # none, usually: skip the work
        blocking = [f"probe error: {m}" for m in (*ctx.probe_errors, *ctx.task_errors.get(task.task_arn, []))]
        not_checked = [
            f"container {shown(ref[:12])}: vanished before it was inspected, not checked"
            for ref in ctx.vanished.get(task.task_arn, [])
        ]
    verdicts = [_judge_container(c, ctx, task, members) for c in members]
    checked: list[ContainerVerdict] = []
    for v in verdicts:
        if v.checked:
            checked.append(v)
        else:
            not_checked.append(f"{shown(v.container_name or v.docker_name)}: {v.reasons[0]}")
    violations: list[str] = []
    if task.declared_mode == "awsvpc" and checked:
        violations, more = _judge_awsvpc(task, verdicts, ctx)
        blocking += more
    if not members:
        blocking.append(NO_CONTAINER)
    elif not checked:
        blocking.append("no container of the task is running: nothing to check")
    worst = rollup.overall([v.verdict for v in checked])
    verdict: Verdict = "ISOLATED"
    if violations or worst == "VIOLATION":
        verdict = "VIOLATION"
    elif blocking or worst == "INCONCLUSIVE":
        verdict = "INCONCLUSIVE"
    imds = _imds(task, members, doc)
    reasons = violations + blocking
    for v in checked:
        if v.reasons:
            label = shown(v.container_name or v.docker_name or v.container_id[:12])
            reasons += [f"{label}: {r}" for r in v.reasons]
    return _task_verdict(task, doc, verdict, reasons, not_checked=not_checked, containers=verdicts, imds=imds)


def _imds(task: ExpectedTask, members: Sequence[ProbeContainer], doc: ProbeDocument) -> str:
    """Can the task reach IMDS: read from its first running container's netns (not the pause
    container's namespace holder)."""
    for c in members:
        if _running(c) and c.netns and c.container_name != NAMESPACE_PAUSE_NAME:
            in_host = c.netns == doc.host_netns
            return exposure.imds_status(
                task.declared_mode, doc.namespaces.get(c.netns), in_host, doc.host_firewall
            )
    return "unknown (no running container)"


def inconclusive_all(expected: Sequence[ExpectedTask], reason: str) -> list[TaskVerdict]:
    """Every expected task INCONCLUSIVE for the same reason (probe failed, timed out, ...)."""
    return [
        TaskVerdict(
            task_arn=t.task_arn,
            declared_mode=t.declared_mode,
            expected_eni_ipv4=t.eni_ipv4,
            expected_eni_ipv6=t.eni_ipv6,
            verdict="INCONCLUSIVE",
            reasons=[reason],
        )
        for t in expected
    ]


def evaluate_document(doc: ProbeDocument, expected: Sequence[ExpectedTask]) -> list[TaskVerdict]:
    """Judge already-parsed probe output."""
    ctx = _context(doc)
    return [_judge_task(task, ctx) for task in expected]


def evaluate_output(
    raw: str | None, expected: Sequence[ExpectedTask]
) -> tuple[list[TaskVerdict], ProbeDocument | None]:
    """Judge the probe's stdout, and the document it parsed to (None when it did not)."""
    try:
        doc = parse_probe(raw)
    except ProbeParseError as exc:
        return inconclusive_all(expected, f"probe output unusable: {exc}"), None
    return evaluate_document(doc, expected), doc


def evaluate_probe(raw: str | None, expected: Sequence[ExpectedTask]) -> list[TaskVerdict]:
    """Judge the probe's stdout. None / unparsable / wrong schema -> every task INCONCLUSIVE."""
    return evaluate_output(raw, expected)[0]

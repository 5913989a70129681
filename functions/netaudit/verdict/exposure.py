"""Beyond interfaces (issue 12): what lets a container leave its network namespace, and whether
a task can reach the instance metadata service (IMDS) or off-host destinations.

Read from docker's HostConfig/Mounts and from `ip -j route get` lookups made inside each netns
(FIB lookups over netlink: nothing is ever sent). Entering another network namespace needs
setns(2) with CAP_SYS_ADMIN over it (man 2 setns), a handle on it (/proc/<pid>/ns/net through a
shared PID namespace or a host /proc mount, or /var/run/netns), or a container runtime's socket.
"""

from netaudit.models.probe import Escape, HostFirewall, Lookup, NamespaceDump

IMDS = "169.254.169.254"
CREDENTIALS = "169.254.170.2"
OFF_HOST = ("192.0.2.1", "2001:db8::1")  # documentation prefixes: looked up, never sent to
_SENTINELS = (IMDS, CREDENTIALS, *OFF_HOST)
_SOCKETS = {
    "docker": ("/var/run/docker.sock", "/run/docker.sock"),
    "containerd": ("/run/containerd/containerd.sock", "/var/run/containerd/containerd.sock"),
}
_RUNTIME_DIRS = (
    "/var/run",
    "/run",
    "/run/containerd",
    "/var/run/containerd",
    "/var/run/docker",
    "/run/docker",
)
_NETNS_DIRS = ("/var/run/netns", "/run/netns", "/var/run/docker/netns", "/run/docker/netns")


def escape_findings(e: Escape | None) -> tuple[list[str], list[str]]:
    """(violations, evidence notes). A violation: the container can enter another network
    namespace at will. Changing only its own namespace (CAP_NET_ADMIN) is evidence."""
    if e is None or not (e.privileged or e.cap_add or e.bind_mounts or e.devices or _host_ns(e)):
        return [], []  # nothing below can find anything (the usual container): skip the work
    caps = {c.upper().removeprefix("CAP_") for c in e.cap_add or []}
    sys_admin = e.privileged or "SYS_ADMIN" in caps or "ALL" in caps
    bad: list[str] = []
    notes: list[str] = []
    if e.privileged:
        bad.append(
            "privileged: every capability and the host's devices: can enter the host's network namespace"
        )
    if e.pid_mode == "host":
        if sys_admin:
            bad.append("host PID namespace with CAP_SYS_ADMIN: can enter the host's network namespace")
        else:
            notes.append("host PID namespace (without CAP_SYS_ADMIN it cannot enter other namespaces)")
    mount_bad, mount_notes = _mount_findings(e.bind_mounts, sys_admin)
    bad += mount_bad
    notes += mount_notes
    if "NET_ADMIN" in caps:
        notes.append("CAP_NET_ADMIN: can change its own namespace's interfaces and routes")
    if sys_admin and not bad and not e.privileged:
        notes.append("CAP_SYS_ADMIN (no handle on another namespace found)")
    if e.ipc_mode == "host":
        notes.append("host IPC namespace")
    if e.devices:
        notes.append(f"{e.devices} host device(s) mapped")
    return bad, notes


def _host_ns(e: Escape) -> bool:
    return e.pid_mode == "host" or e.ipc_mode == "host"


def _mount_findings(bind_mounts: list[str], sys_admin: bool) -> tuple[list[str], list[str]]:
    """(violations, notes) of the host paths bind-mounted into the container, in mount order."""
    bad: list[str] = []
    notes: list[str] = []
    for src in bind_mounts:
        path = src.rstrip("/") or "/"
        runtime = next((name for name, socks in _SOCKETS.items() if path in socks), None)
        if runtime:
            bad.append(
                f"{runtime.capitalize()} socket mounted ({path}): can start containers in the host network"
            )
        elif path == "/":
            bad.append("host / mounted: holds the Docker socket: can start containers in the host network")
        elif path in _RUNTIME_DIRS:
            bad.append(
                f"host {path} mounted: holds the container runtime's socket: "
                "can start containers in the host network"
            )
        elif path == "/proc" or path in _NETNS_DIRS:
            what = f"host {path} mounted"
            if sys_admin:
                bad.append(
                    f"{what} with CAP_SYS_ADMIN: can enter other network namespaces, the host's included"
                )
            else:
                notes.append(f"{what} (without CAP_SYS_ADMIN it cannot enter them)")
    return bad, notes


def _answer(dump: NamespaceDump | None, dst: str) -> tuple[bool, Lookup | None]:
    """(looked up?, the route found or None)."""
    if dump is None or dump.lookups is None or dst not in dump.lookups:
        return False, None
    found = dump.lookups[dst]
    return True, found[0] if found else None


def off_host_routes(dump: NamespaceDump | None) -> list[str]:
    """none mode: a route from the netns to any off-host destination (the sentinels)."""
    reasons: list[str] = []
    if dump is None or not dump.lookups:  # schemaVersion 1, or nothing looked up
        return reasons
    lookups = dump.lookups
    for dst in _SENTINELS:
        found = lookups.get(dst)  # not looked up, or no route (None / []): nothing reachable
        route = found[0] if found else None
        dev = route.get("dev") if route is not None else None
        if dev not in (None, "lo"):
            reasons.append(f"route lookup: {dst} is reachable via {dev} (none mode reaches nothing off-host)")
    return reasons


def imds_status(
    mode: str, dump: NamespaceDump | None, in_host_netns: bool, firewall: HostFirewall | None
) -> str:
    """`blocked (how)`, `reachable (how)` or `unknown (why)` for one task."""
    if mode == "host" or in_host_netns:
        return "reachable (the host's network namespace: only the instance's IMDS settings apply)"
    looked, route = _answer(dump, IMDS)
    if not looked:
        return "unknown (no route lookup from the task's netns: probe schemaVersion 1 or netns unreadable)"
    dev = route.get("dev") if route is not None else None
    if dev in (None, "lo"):
        blackhole = dump is not None and any(
            r.get("type") == "blackhole" and r.get("dst") in (IMDS, f"{IMDS}/32") for r in dump.route
        )
        return (
            "blocked (blackhole route for 169.254.169.254)"
            if blackhole
            else "blocked (no route to 169.254.169.254)"
        )
    gateway = route.get("gateway") if route is not None else None
    via = f"via {dev}" + (f" gateway {gateway}" if gateway else "")
    if mode != "bridge":
        return f"reachable ({via})"
    if firewall is None or not firewall.read:
        return f"unknown (routed {via} to the host; the host's firewall could not be read)"
    if firewall.imds_drop_rules:
        rules = f"{firewall.imds_drop_rules} DOCKER-USER/FORWARD rule(s)"
        return f"blocked (routed {via}; the host drops it: {rules})"
    return f"reachable ({via}; no host firewall rule drops it)"

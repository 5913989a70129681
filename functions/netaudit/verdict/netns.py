"""What one network namespace must hold, per declared mode (IPv4 and IPv6 alike).

Pure functions over a digest of `ip -j addr show` / `ip -j route show table all` (with `table
all`, ip lists routes of every family, IPv6 included). Each rule returns the violations found,
as readable reasons; interface names are shown escaped (`shown`), never raw.
"""

import ipaddress
from functools import lru_cache
from typing import NamedTuple

from netaudit.models.probe import NamespaceDump

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
LOOPBACK_ALLOWED = frozenset({"127.0.0.1/8", "::1/128"})
ECS_LINK_IFACE = "ecs-eth0"  # the task metadata link the ECS CNI plugins add (awsvpc)
ECS_LINK_NET = ipaddress.IPv4Network("169.254.172.0/22")
LINK_LOCAL_V6 = ipaddress.IPv6Network("fe80::/10")
# destinations a route through ecs-eth0 may have: the metadata link (169.254.0.0/16: the
# credentials endpoint 169.254.170.2, 169.254.172.0/22) and IPv6 link-local/multicast; anything
# else (a default route) would leave the task through the host
_ECS_LINK_DESTINATIONS = (
    ipaddress.IPv4Network("169.254.0.0/16"),
    LINK_LOCAL_V6,
    ipaddress.IPv6Network("ff00::/8"),
)


@lru_cache(maxsize=8192)
def shown(text: str) -> str:
    """`text` safe to print: as is when plain, else quoted with \\xNN / \\uNNNN escapes."""
    if text.isascii() and text.isprintable() and not any(ch in text for ch in "'\\ "):
        return text
    out = []
    for ch in text:
        if ch.isascii() and ch.isprintable() and ch not in "'\\":
            out.append(ch)
        else:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
    return "'" + "".join(out) + "'"


class Address(NamedTuple):  # a tuple: built for every address of every namespace digested
    ifname: str
    family: str  # inet | inet6
    local: str
    cidr: str

    @property
    def ip(self) -> IPAddress | None:
        return _ip(self.local.split("%", 1)[0])


class Netns(NamedTuple):  # a tuple: immutable, and cheaper to build than a frozen dataclass
    """One namespace dump, digested once however many containers share it."""

    interfaces: dict[str, list[str]]  # ifname -> ["addr/prefix", ...]
    addresses: list[Address]
    routes: list[tuple[str, str, str]]  # (dst, dev, table) for every device a route uses
    route_devices: tuple[str, ...]


def digest(dump: NamespaceDump) -> Netns:
    interfaces: dict[str, list[str]] = {}
    addresses: list[Address] = []
    for iface in dump.addr:
        name = iface["ifname"]
        addrs = interfaces.setdefault(name, [])
        for a in iface.get("addr_info", ()):
            local = a.get("local")
            if local is not None:
                prefixlen = a.get("prefixlen")
                cidr = local if prefixlen is None else f"{local}/{prefixlen}"
                addrs.append(cidr)
                addresses.append(Address(name, a.get("family", ""), local, cidr))
    routes: list[tuple[str, str, str]] = []
    for r in dump.route:  # every device a route uses: its own, then its nexthops'
        if dev := r.get("dev"):
            routes.append((r.get("dst") or "?", dev, r.get("table") or "main"))
        if "nexthops" in r:  # multipath: rare
            dst, table = r.get("dst") or "?", r.get("table") or "main"
            routes.extend((dst, hop_dev, table) for hop in r["nexthops"] if (hop_dev := hop.get("dev")))
    return Netns(interfaces, addresses, routes, tuple(sorted({dev for _, dev, _ in routes})))


def _route(dst: str, dev: str, table: str) -> str:
    where = f" table {table}" if table != "main" else ""
    return f"route {dst} via {shown(dev)}{where}"


def _extra_interfaces(ns: Netns, allowed: tuple[str, ...]) -> list[str]:
    expected = ", ".join(allowed)
    reasons: list[str] = []
    for name, addrs in ns.interfaces.items():
        if name not in allowed:
            reasons.append(f"interface {shown(name)} present (expected only {expected})")
            reasons.extend(f"address {a} on {shown(name)}" for a in addrs)
    return reasons


def _lo_reasons(ns: Netns) -> list[str]:
    return [
        f"address {a} on lo (expected only 127.0.0.1/8, ::1/128)"
        for a in ns.interfaces.get("lo", [])
        if a not in LOOPBACK_ALLOWED
    ]


def _foreign_routes(ns: Netns, allowed: tuple[str, ...]) -> list[str]:
    expected = ", ".join(allowed)
    return [
        f"{_route(dst, dev, table)} (expected routes only via {expected})"
        for dst, dev, table in ns.routes
        if dev not in allowed
    ]


def rules_none(ns: Netns) -> list[str]:
    """Only lo, with loopback addresses only, and no route through any other device."""
    reasons = _extra_interfaces(ns, ("lo",))
    if "lo" not in ns.interfaces:
        reasons.append("interface lo missing")
    reasons.extend(_lo_reasons(ns))
    reasons.extend(_foreign_routes(ns, ("lo",)))
    return reasons


def rules_bridge(ns: Netns, docker_ipv4: str, docker_ipv6: str) -> list[str]:
    """{lo, eth0}; eth0's IPv4 is docker's bridge address; IPv6 only docker's or link-local."""
    allowed = ("lo", "eth0")
    reasons = _extra_interfaces(ns, allowed)
    if "eth0" not in ns.interfaces:
        reasons.append("interface eth0 missing (expected lo, eth0)")
    reasons.extend(_lo_reasons(ns))
    eth0_v4 = sorted({a.local for a in ns.addresses if a.ifname == "eth0" and a.family == "inet"})
    if not docker_ipv4:
        reasons.append("docker reports no bridge IPAddress for the container")
    elif eth0_v4 != [docker_ipv4]:
        shown_v4 = ", ".join(eth0_v4) or "none"
        reasons.append(f"eth0 IPv4 {shown_v4} differs from docker's bridge IPAddress {docker_ipv4}")
    wanted_v6 = _ip(docker_ipv6)
    for a in ns.addresses:
        if a.ifname == "eth0" and a.family == "inet6":
            ip = a.ip
            if ip is None or (ip != wanted_v6 and ip not in LINK_LOCAL_V6):
                expected = f"docker's {docker_ipv6} or link-local" if docker_ipv6 else "only link-local"
                reasons.append(f"address {a.cidr} on eth0 (expected {expected})")
    reasons.extend(_foreign_routes(ns, allowed))
    return reasons


@lru_cache(maxsize=8192)  # the same addresses and destinations recur on every task
def _ip(text: str | None) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text) if text else None
    except ValueError:
        return None


@lru_cache(maxsize=8192)  # keyed by the text: hashing an ipaddress object costs more than this saves
def _facts(local: str) -> tuple[IPAddress | None, bool, bool]:
    """(the address, link-local IPv6?, allowed on ecs-eth0: 169.254.172.0/22 or link-local IPv6)."""
    ip = _ip(local.split("%", 1)[0])
    if ip is None:
        return None, False, False
    link_local = ip in LINK_LOCAL_V6
    return ip, link_local, (ip in ECS_LINK_NET if ip.version == 4 else link_local)


def rules_awsvpc(ns: Netns, eni_ipv4: str | None, eni_ipv6: str | None) -> list[str]:
    """{lo, eth0, ecs-eth0}; eth0 holds the ENI's addresses (and link-local IPv6) only; ecs-eth0
    only 169.254.172.0/22 (and link-local IPv6), routed to link-local destinations only; no
    route through any other device."""
    allowed = ("lo", "eth0", ECS_LINK_IFACE)
    reasons = _extra_interfaces(ns, allowed)
    reasons.extend(_lo_reasons(ns))
    eni = [ip for ip in (_ip(eni_ipv4), _ip(eni_ipv6)) if ip is not None]
    seen: set[IPAddress] = set()
    for a in ns.addresses:
        if a.ifname == "eth0":
            ip, link_local, _ = _facts(a.local)
            if ip in eni:
                seen.add(ip)
            elif not link_local:
                eni_text = " and ".join(str(ip) for ip in eni) or "none given"  # only for a reason
                expected = f"expected only the ENI's {eni_text} and link-local"
                reasons.append(f"address {a.cidr} on eth0 ({expected})")
        elif a.ifname == ECS_LINK_IFACE and not _facts(a.local)[2]:
            reasons.append(f"address {a.cidr} on {ECS_LINK_IFACE} (expected only {ECS_LINK_NET})")
    for ip in eni:
        if ip not in seen:
            reasons.append(f"ENI address {ip} not found on eth0")
    reasons.extend(_foreign_routes(ns, allowed))
    for dst, dev, table in ns.routes:
        if dev == ECS_LINK_IFACE and not _link_local_destination(dst):
            reasons.append(
                f"{_route(dst, dev, table)} ({ECS_LINK_IFACE} carries only the task metadata link)"
            )
    return reasons


@lru_cache(maxsize=8192)
def _link_local_destination(dst: str) -> bool:
    try:
        net = ipaddress.ip_network(dst, strict=False)
    except ValueError:
        return False  # "default" and anything unparsable
    return any(net.version == n.version and net.subnet_of(n) for n in _ECS_LINK_DESTINATIONS)  # type: ignore[arg-type]

"""Inside a local task's network namespace: what the ECS CNI plugins put in an awsvpc task's
netns, and the tampers tests add. Everything runs as `nsenter -t PID -n ip ...` from the host
(argv lists, fixed text), creates links only inside that netns and never sends anything.

Only veth and tun links can be created on these machines; IPv6 is off in a container netns until
switched on there (`ipv6_on`), without automatic link-local addresses, DAD or router solicitation.
"""

import subprocess
from collections.abc import Sequence

ECS_LINK_ADDRESS = "169.254.172.2/22"  # the agent hands out addresses in 169.254.172.0/22


class DockerError(RuntimeError):
    """A docker / nsenter call failed; the message carries the command and its stderr."""


def _ip_in(pid: int, lines: Sequence[str]) -> None:
    """`ip -batch -` inside the netns of `pid` (argv only; the lines are fixed text)."""
    proc = subprocess.run(
        ["nsenter", "-t", str(pid), "-n", "ip", "-batch", "-"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    if proc.returncode != 0:
        raise DockerError(f"nsenter ip -batch failed in the netns of pid {pid}: {proc.stderr.strip()}")


def wire_awsvpc(pid: int, ipv4: str | None, ipv6: str | None, *, block_imds: bool = False) -> None:
    """Give the netns of `pid` what the ECS CNI plugins give a task's: eth0 (the ENI) and
    ecs-eth0 (the metadata link), routes, and the IMDS blackhole route when blocked."""
    if ipv6:
        ipv6_on(pid)
    lines = ["link add eth0 type veth peer name ecs-eth0", f"addr add {ECS_LINK_ADDRESS} dev ecs-eth0"]
    if ipv4:
        lines.append(f"addr add {ipv4}/24 dev eth0")
    if ipv6:
        lines += [f"addr add {ipv6}/64 dev eth0 nodad", "addr add fe80::ec2:1/64 dev eth0 nodad"]
    lines += ["link set eth0 up", "link set ecs-eth0 up"]
    if ipv4:
        lines.append(f"route add default via {ipv4.rsplit('.', 1)[0]}.1 dev eth0")
    if ipv6:
        lines.append("route add default via fe80::1 dev eth0")
    lines.append("route add 169.254.170.2/32 via 169.254.172.1 dev ecs-eth0")
    if block_imds:
        lines.append("route add blackhole 169.254.169.254/32")
        if ipv6:
            lines.append("route add blackhole fd00:ec2::254/128")
    _ip_in(pid, lines)


def ipv6_on(pid: int) -> None:
    """Switch IPv6 on in the netns of `pid`: no automatic link-local address, no DAD, no router
    solicitation (the addresses set afterwards are set, nothing is announced)."""
    settings = [
        "net.ipv6.conf.all.disable_ipv6=0",
        "net.ipv6.conf.default.disable_ipv6=0",
        "net.ipv6.conf.default.addr_gen_mode=1",
        "net.ipv6.conf.default.accept_dad=0",
        "net.ipv6.conf.default.router_solicitations=0",
    ]
    proc = subprocess.run(
        ["nsenter", "-t", str(pid), "-n", "sysctl", "-q", "-w", *settings],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise DockerError(f"cannot switch IPv6 on in the netns of pid {pid}: {proc.stderr.strip()}")


def add_tun(pid: int, name: str, *, ipv6: str | None = None, default_route: bool = False) -> None:
    """A tun link `name` (any bytes a kernel accepts in a name) in the netns of `pid`; with
    `ipv6`, that address on it, and with `default_route`, an IPv6 default route through it."""
    if ipv6:
        ipv6_on(pid)
    proc = subprocess.run(
        ["nsenter", "-t", str(pid), "-n", "ip", "tuntap", "add", "dev", name, "mode", "tun"],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise DockerError(f"cannot add tun {name!r} in the netns of pid {pid}: {proc.stderr!r}")
    if ipv6:
        lines = [f"addr add {ipv6}/64 dev {name} nodad", f"link set {name} up"]
        if default_route:
            lines.append(f"route add ::/0 dev {name}")
        _ip_in(pid, lines)

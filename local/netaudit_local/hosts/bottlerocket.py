"""The local Bottlerocket-shaped host: a `DockerHost` whose probe runs in a control container.

`BottlerocketShape.attach(host)` gives a DockerHost (tasks are started the same way, in the
shapes the ECS agent makes) what a Bottlerocket ECS host gives SSM:
- the probe runs in the control container (netaudit_local.hosts.control_container): `sh`, no
  docker, nsenter or ip, its own PID namespace, `apiclient` on PATH;
- `apiclient exec admin sheltie CMD ARGS...` reaches this machine (the host) through the unix
  socket of `HostApi` (netaudit_local.hosts.host_api), served by this process: one host binary
  a call, argv only, shells refused, the admin container on or off (`admin_enabled`), a host
  command made to fail (`fail`);
- SSM's DescribeInstanceInformation names the platform `Bottlerocket`.

Why a container and a socket rather than the probe on this machine with a trimmed PATH: the
control container's /proc shows none of the host's PIDs and its filesystem has no docker socket,
which a PATH cannot take away; a unix socket (never a TCP port) is how Bottlerocket's own
apiclient reaches its API server.
"""

import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from netaudit_local.hosts.control_container import ControlContainer
from netaudit_local.hosts.host import CommandOutcome
from netaudit_local.hosts.host_api import HostApi

if TYPE_CHECKING:
    from netaudit_local.hosts.docker_host import DockerHost

PLATFORM_NAME = "Bottlerocket"  # SSM's PlatformName for Bottlerocket (bottlerocket-os #2056)


@dataclass
class BottlerocketShape:
    """The control container and the host API of one Bottlerocket-shaped host (module doc)."""

    run_label: str
    admin_enabled: bool = True
    fail: Callable[[list[str]], bool] | None = None
    api: HostApi | None = None
    control: ControlContainer | None = None
    _dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="na-br-")))

    def start(self) -> "BottlerocketShape":
        self.api = HostApi(self._dir / "api.sock", admin_enabled=self.admin_enabled, fail=self.fail)
        self.api.start()
        try:
            self.control = ControlContainer(self.run_label, self.api.socket_path).start()
        except Exception:
            self.close()
            raise
        return self

    def set_admin(self, enabled: bool) -> None:
        self.admin_enabled = enabled
        if self.api is not None:
            self.api.admin_enabled = enabled

    def run_script(self, script: str, env: dict[str, str], limit: float) -> CommandOutcome:
        if self.control is None:
            return CommandOutcome(
                "Failed", 1, "", "failed to run commands: the control container is not running"
            )
        return self.control.run_script(script, env, limit)

    def attach(self, host: "DockerHost") -> "DockerHost":
        """Make `host` Bottlerocket-shaped (started here if not yet); its cleanup closes this."""
        if self.control is None:
            self.start()
        host.bottlerocket = self
        return host

    def close(self) -> None:
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.api is not None:
            self.api.stop()
            self.api = None
        shutil.rmtree(self._dir, ignore_errors=True)


def bottlerocket_host(host: "DockerHost", **kwargs: object) -> "DockerHost":
    """`host` made Bottlerocket-shaped (BottlerocketShape's keyword arguments)."""
    shape = BottlerocketShape(run_label=host.run_label or f"na-br-{secrets.token_hex(4)}", **kwargs)  # type: ignore[arg-type]
    return shape.attach(host)

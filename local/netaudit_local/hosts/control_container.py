"""The control container of the local Bottlerocket-shaped host: where SSM runs the probe.

Bottlerocket's control container (bottlerocket-control-container: Dockerfile) is Amazon Linux 2
with the SSM agent: its `sh` is the GNU shell (POSIX mode when run as sh), it has no docker,
nsenter or ip, its own PID namespace (host-ctr gives a non-superpowered container none of the
host's but the network), and Bottlerocket mounts `apiclient` and the API socket into it.

The local one is a container on this Docker engine from an image imported here (no registry
answers): /bin/sh (this machine's GNU shell), date and sleep, and /usr/local/bin/apiclient (the
stand-in, netaudit_local.hosts.apiclient_standin, run by this machine's Python, whose standard
library is bind-mounted read-only) plus the shared libraries `ldd` lists for them. Nothing else:
no docker, nsenter, ip, find or readlink, and its /proc is its own. It reaches this machine only
through the unix socket of `HostApi`, bind-mounted at /run/api.sock. It runs with `--network
none` (the real one shares the host's network namespace; the probe never reads it, and a test
container here gets no network it does not need).
"""

import hashlib
import io
import os
import re
import secrets
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from netaudit_local.hosts import docker_tasks as dt
from netaudit_local.hosts.host import CommandOutcome
from netaudit_local.hosts.netns_shapes import DockerError
from netaudit_local.hosts.ssm_runner import run_argv

IMAGE_REPO = "netaudit-control"
CONTROL_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SCRIPT_DIR = "/run/ssm"  # the per-command scripts (bind-mounted read-only)
# where host-ctr mounts the host's apiclient (and /run/api.sock) into every host container
# (bottlerocket-core-kit sources/host-ctr/cmd/host-ctr/main.go)
APICLIENT = "/usr/local/bin/apiclient"
STANDIN = Path(__file__).with_name("apiclient_standin.py")
_LDD_PATH = re.compile(r"(/\S+) \(0x")


def _python() -> tuple[Path, Path]:
    """(the real Python executable, its standard library directory)."""
    exe = Path(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))
    stdlib = Path(sys.base_prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return exe, stdlib


def _libraries(*binaries: Path) -> set[Path]:
    """Shared libraries (and the loader) of the binaries, as `ldd` lists them."""
    out = subprocess.run(["ldd", *map(str, binaries)], capture_output=True, text=True, check=False).stdout
    return {Path(m.group(1)) for m in _LDD_PATH.finditer(out)}


def _add(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o755) -> None:
    info = tarfile.TarInfo(name.lstrip("/"))
    info.size, info.mode = len(data), mode
    tar.addfile(info, io.BytesIO(data))


def _image_tar() -> bytes:
    exe, stdlib = _python()
    tools = {"/bin/sh": shutil.which("bash"), "/usr/bin/date": shutil.which("date"),
             "/usr/bin/sleep": shutil.which("sleep")}  # fmt: skip
    missing = [k for k, v in tools.items() if not v]
    if missing:
        raise DockerError(f"cannot build the control container image: {missing} not on this machine")
    binaries = [Path(str(v)) for v in tools.values()]
    dynload = sorted((stdlib / "lib-dynload").glob("_socket*.so"))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for d in ("proc", "sys", "dev", "etc", "tmp", "run", "root", "usr/bin", "usr/sbin", "usr/local/bin"):
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if d == "tmp" else 0o755
            tar.addfile(info)
        for dest, src in tools.items():
            _add(tar, dest, Path(str(src)).read_bytes())
        _add(tar, str(exe), exe.read_bytes())
        for lib in sorted(_libraries(*binaries, exe, *dynload)):
            _add(tar, str(lib), lib.read_bytes())
        standin = f"#!{exe} -IS\n".encode() + STANDIN.read_bytes()
        _add(tar, APICLIENT, standin)
    return buf.getvalue()


def control_image() -> str:
    """The control container image (imported once; its tag is a hash of its content)."""
    data = _image_tar()
    tag = f"{IMAGE_REPO}:{hashlib.sha256(data).hexdigest()[:16]}"
    present = subprocess.run(["docker", "image", "inspect", tag], capture_output=True, check=False)
    if present.returncode != 0:
        proc = subprocess.run(
            ["docker", "import", "--change", f"ENV PATH={CONTROL_PATH}", "-", tag],
            input=data,
            capture_output=True,
            check=False,
            timeout=300,
        )
        if proc.returncode != 0:
            raise DockerError(f"docker import of the control image failed: {proc.stderr.decode()[-300:]}")
    return tag


@dataclass
class ControlContainer:
    """One running control container (see the module doc); `close()` removes it."""

    run_label: str
    socket_path: Path
    container_id: str = ""
    scripts: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="na-ssm-")))

    def start(self) -> "ControlContainer":
        _, stdlib = _python()
        self.container_id = dt._docker(
            "run", "-d", "--name", f"{self.run_label}-control-{secrets.token_hex(3)}",
            "--label", f"{dt.LOCAL_LABEL}=1", "--label", f"{dt.RUN_LABEL}={self.run_label}",
            "--network", "none",
            "-v", f"{self.socket_path}:/run/api.sock",
            "-v", f"{self.scripts}:{SCRIPT_DIR}:ro",
            "-v", f"{stdlib}:{stdlib}:ro",
            control_image(), "/usr/bin/sleep", "infinity",
        )  # fmt: skip
        return self

    def run_script(self, script: str, env: dict[str, str], limit: float) -> CommandOutcome:
        """Run the rendered document in the container with `sh`, as the SSM agent there does."""
        name = f"_script-{secrets.token_hex(4)}.sh"
        path = self.scripts / name
        path.write_text(script, encoding="utf-8")
        argv = ["docker", "exec", "-w", "/"]
        for key, value in env.items():
            argv += ["-e", f"{key}={value}"]
        try:
            outcome = run_argv([*argv, self.container_id, "sh", f"{SCRIPT_DIR}/{name}"], None, limit)
        finally:
            path.unlink(missing_ok=True)
        if outcome.status == "TimedOut":  # the script's processes live on in the container
            dt._docker("restart", "-t", "0", self.container_id, check=False)
        return outcome

    def close(self) -> None:
        if self.container_id:
            dt._docker("rm", "-f", self.container_id, check=False)
            self.container_id = ""
        shutil.rmtree(self.scripts, ignore_errors=True)

"""Shared fixtures: a Docker engine that answers, and ECS-labelled containers that always go away.

- `docker_engine` (session): runs scripts/ensure-docker.sh once. If no engine can be made to
  answer: pytest.fail when $CI is true (CI must run the Docker tests), else pytest.skip.
- `ecs_tasks`: a factory starting ECS-labelled tasks (netaudit_local.hosts.docker_tasks) with unique
  names `na-t-<test>-<hex>` and a per-test run label; every container is removed afterwards.
- `scratch_image` (session): an image holding nothing but /bin/busybox.
- `chromium` (session): Debian's chromium (scripts/ensure-chromium.sh installs it); pytest.fail
  without one when $CI is true, else pytest.skip.
"""

import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ci_env import in_ci
from netaudit_local.hosts import docker_tasks as dt

ROOT = Path(__file__).resolve().parents[1]
SCRATCH_IMAGE = "netaudit-scratch-busybox:latest"


@pytest.fixture(scope="session")
def docker_engine() -> None:
    """Makes sure a Docker engine answers and the busybox image exists."""
    script = ROOT / "scripts" / "ensure-docker.sh"
    try:
        proc = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=300)
        ok, why = proc.returncode == 0, proc.stderr.strip()[-500:]
    except (OSError, subprocess.TimeoutExpired) as exc:
        ok, why = False, str(exc)
    if not ok:
        message = f"no Docker engine: {why}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class EcsTasks:
    """Starts ECS-labelled tasks for one test; `cleanup()` removes them all (run label)."""

    prefix: str
    run_label: str
    started: list[dt.StartedTask] = field(default_factory=list)

    def start(
        self,
        network_mode: dt.NetworkMode,
        containers: Sequence[str | dt.ContainerSpec] = ("app",),
        *,
        tamper: dt.Tamper | None = None,
        task_arn: str | None = None,
        family: str = "netaudit-test",
        shape: dt.TaskShape | None = None,
    ) -> dt.StartedTask:
        arn = task_arn or dt.new_task_arn("netaudit-test")
        task = dt.start_task(
            dt.LocalTask(arn, family, containers, network_mode, shape=shape or dt.TaskShape()),
            run_label=self.run_label,
            name_prefix=self.prefix,
            tamper=tamper,
        )
        self.started.append(task)
        return task

    def cleanup(self) -> int:
        return dt.remove_run(self.run_label)


@pytest.fixture
def ecs_tasks(docker_engine: None, request: pytest.FixtureRequest) -> Iterator[EcsTasks]:
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:30]
    suffix = secrets.token_hex(3)
    tasks = EcsTasks(prefix=f"na-t-{name}-{suffix}", run_label=f"na-t-{name}-{suffix}")
    try:
        yield tasks
    finally:
        tasks.cleanup()


@pytest.fixture(scope="session")
def scratch_image(docker_engine: None, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An image with only /bin/busybox in it (no sh, no ip links): stands for scratch/distroless."""
    if subprocess.run(["docker", "image", "inspect", SCRATCH_IMAGE], capture_output=True).returncode == 0:
        return SCRATCH_IMAGE
    busybox = shutil.which("busybox") or "/bin/busybox"
    root = tmp_path_factory.mktemp("scratch")
    (root / "bin").mkdir()
    shutil.copy2(busybox, root / "bin" / "busybox")
    tar = subprocess.run(["tar", "-C", str(root), "-c", "."], capture_output=True, check=True).stdout
    subprocess.run(["docker", "import", "-", SCRATCH_IMAGE], input=tar, capture_output=True, check=True)
    return SCRATCH_IMAGE


@pytest.fixture(scope="session")
def chromium() -> str:
    proc = subprocess.run(
        ["sh", str(ROOT / "scripts" / "ensure-chromium.sh")], capture_output=True, text=True, timeout=600
    )
    path = shutil.which("chromium")
    if proc.returncode != 0 or not path:
        if in_ci():
            pytest.fail(f"no chromium: {proc.stderr.strip()}")
        pytest.skip(f"no chromium: {proc.stderr.strip()}")
    return path

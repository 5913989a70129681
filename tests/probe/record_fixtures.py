"""Re-record tests/fixtures/probes/*.json from the real probe script on this Docker host.

    .venv/bin/python tests/probe/record_fixtures.py

Each fixture `<name>.json` is exactly the probe's stdout (one compact JSON line, filtered to one
task), with the shapes the ECS agent builds (netaudit_local.hosts.docker_tasks.TaskShape); what the
unit tests expect of it goes to tests/verdict/fixture_expectations.json. One fixture is derived,
not recorded: `al2-iproute-quote` is `none-quote-ifname` as Amazon Linux 2's iproute2 5.10 prints
it (before 6.1 `ip -j` wrote `'` as `\\'`), which no iproute2 here can print.

The same run writes the per-mode recordings the local stack's recorded host replays
(tests/workflow/fixtures/probe-*.json, record_workflow.py): scenarios of this list, their task
ARN written as `__TASK_ARN__`.
"""

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from record_workflow import write_workflow_recordings

from netaudit_local.hosts import docker_tasks as dt
from netaudit_local.hosts import netns_shapes as shapes
from netaudit_local.hosts.ssm_runner import run_document
from netaudit_local.template import probe_document

TESTS = Path(__file__).resolve().parents[1]
OUT = TESTS / "fixtures" / "probes"
EXPECTATIONS = TESTS / "verdict" / "fixture_expectations.json"
RUN = "tests-record-fixtures"
HOSTILE_IFNAME = "ev\x01l\x1b[31m"
QUOTE_IFNAME = "it's"


def _pid(task: dt.StartedTask, name: str) -> int:
    return dt.container_pid(task.container_ids[name])


def _wait(task: dt.StartedTask, name: str) -> None:
    subprocess.run(["docker", "wait", task.container_ids[name]], check=True, capture_output=True)


@dataclass
class Scenario:
    name: str
    mode: dt.NetworkMode
    containers: list[str | dt.ContainerSpec]
    verdict: str
    started_as: dt.NetworkMode | None = None
    tamper: dt.Tamper | None = None
    shape: dt.TaskShape = field(default_factory=dt.TaskShape)
    after: Callable[[dt.StartedTask], None] | None = None


INIT = dt.ContainerSpec("init", command=["true"])
SCENARIOS = [
    Scenario("none-isolated", "none", ["app"], "ISOLATED"),
    Scenario("none-multi-container", "none", ["app", "sidecar", "logrouter"], "ISOLATED"),
    Scenario("bridge-isolated", "bridge", ["web"], "ISOLATED"),
    Scenario("host-isolated", "host", ["agent"], "ISOLATED"),
    Scenario("awsvpc-isolated", "awsvpc", ["app", "envoy"], "ISOLATED"),
    Scenario("none-tamper-host-netns", "none", ["app"], "VIOLATION", tamper="host-netns"),
    Scenario("none-tamper-extra-interface", "none", ["app"], "VIOLATION", tamper="extra-interface"),
    Scenario("none-started-as-bridge", "none", ["app"], "VIOLATION", started_as="bridge"),
    Scenario("none-exited", "none", [dt.ContainerSpec("job", command=["true"])], "INCONCLUSIVE",
             after=lambda t: _wait(t, "job")),
    Scenario("none-init-exited", "none", [INIT, "app"], "ISOLATED", after=lambda t: _wait(t, "init")),
    Scenario("bridge-service-connect", "bridge", ["web"], "ISOLATED",
             shape=dt.TaskShape(service_connect=True)),
    Scenario("bridge-pidmode-task", "bridge", ["web"], "ISOLATED", shape=dt.TaskShape(namespace_pause=True)),
    Scenario("awsvpc-pidmode-task", "awsvpc", ["app"], "ISOLATED", shape=dt.TaskShape(namespace_pause=True)),
    Scenario("awsvpc-dual-stack-imds-blocked", "awsvpc", ["app"], "ISOLATED",
             shape=dt.TaskShape(eni_ipv6=True, block_imds=True)),
    Scenario("awsvpc-ipv6-only", "awsvpc", ["app"], "ISOLATED", shape=dt.TaskShape(ipv6_only=True)),
    Scenario("awsvpc-extra-ipv6-interface", "awsvpc", ["app"], "VIOLATION",
             after=lambda t: shapes.add_tun(_pid(t, dt.PAUSE_CONTAINER_NAME), "eth1",
                                            ipv6="2001:db8:9::9", default_route=True)),
    Scenario("none-hostile-ifname", "none", ["app"], "VIOLATION",
             after=lambda t: shapes.add_tun(_pid(t, "app"), HOSTILE_IFNAME)),
    Scenario("none-quote-ifname", "none", ["app"], "VIOLATION",
             after=lambda t: shapes.add_tun(_pid(t, "app"), QUOTE_IFNAME)),
]


def al2_quoting(stdout: str) -> str:
    """The probe output as iproute2 < 6.1 prints it: `'` in a name written `\\'`."""
    return stdout.replace(f'"ifname":"{QUOTE_IFNAME}"', '"ifname":"it\\\'s"')


def main() -> int:
    doc = probe_document()
    expectations: dict[str, dict[str, object]] = {}
    recorded: dict[str, tuple[str, str]] = {}  # scenario -> (task ARN, probe stdout)
    try:
        for s in SCENARIOS:
            arn = dt.new_task_arn("recorded")
            task = dt.start_task(
                dt.LocalTask(arn, f"rec-{s.name}", s.containers, s.started_as or s.mode, shape=s.shape),
                run_label=RUN,
                name_prefix=f"tests-rec-{s.name}",
                tamper=s.tamper,
            )
            if s.after:
                s.after(task)
            out = run_document(doc, {"taskArn": arn})
            assert out.status == "Success", out
            expected = {
                "taskArn": arn,
                "declaredMode": s.mode,
                "eniIpv4": task.eni_ipv4,
                "eniIpv6": task.eni_ipv6,
                "verdict": s.verdict,
            }
            (OUT / f"{s.name}.json").write_text(out.stdout)
            expectations[s.name] = expected
            recorded[s.name] = (arn, out.stdout)
            if s.name == "none-quote-ifname":
                (OUT / "al2-iproute-quote.json").write_text(al2_quoting(out.stdout))
                expectations["al2-iproute-quote"] = expected
            print(s.name, len(out.stdout), "bytes")
        EXPECTATIONS.write_text(json.dumps(expectations, indent=2) + "\n")
        write_workflow_recordings(recorded)
    finally:
        dt.remove_run(RUN)
    return 0


if __name__ == "__main__":
    sys.exit(main())

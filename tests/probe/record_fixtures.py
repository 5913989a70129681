"""Re-record tests/fixtures/probes/*.json from the real probe script on this Docker host.

    .venv/bin/python tests/probe/record_fixtures.py

Each fixture `<name>.json` is exactly the probe's stdout (one compact JSON line, filtered to one
task); what the unit tests expect of it goes to tests/verdict/fixture_expectations.json.
"""

import json
import subprocess
import sys
from pathlib import Path

from netaudit_local import docker_tasks as dt
from netaudit_local.ssm_runner import run_document
from netaudit_local.template import probe_document

TESTS = Path(__file__).resolve().parents[1]
OUT = TESTS / "fixtures" / "probes"
EXPECTATIONS = TESTS / "verdict" / "fixture_expectations.json"
RUN = "na-record-fixtures"

# name: (declared mode, started as, containers, tamper, expected verdict, wrong eni?)
SCENARIOS: list[tuple[str, str, str, list[str], str | None, str]] = [
    ("none-isolated", "none", "none", ["app"], None, "ISOLATED"),
    ("none-multi-container", "none", "none", ["app", "sidecar", "logrouter"], None, "ISOLATED"),
    ("bridge-isolated", "bridge", "bridge", ["web"], None, "ISOLATED"),
    ("host-isolated", "host", "host", ["agent"], None, "ISOLATED"),
    ("awsvpc-isolated", "awsvpc", "awsvpc", ["app", "envoy"], None, "ISOLATED"),
    ("none-tamper-host-netns", "none", "none", ["app"], "host-netns", "VIOLATION"),
    ("none-tamper-extra-interface", "none", "none", ["app"], "extra-interface", "VIOLATION"),
    ("none-exited", "none", "none", ["job"], None, "INCONCLUSIVE"),
]


def main() -> int:
    doc = probe_document()
    expectations: dict[str, dict[str, object]] = {}
    try:
        for name, declared, started_as, containers, tamper, verdict in SCENARIOS:
            arn = dt.new_task_arn("recorded")
            specs: list[str | dt.ContainerSpec] = list(containers)
            if name == "none-exited":
                specs = [dt.ContainerSpec("job", command=["true"])]
            task = dt.start_task(
                arn,
                family=f"rec-{name}",
                containers=specs,
                network_mode=started_as,  # type: ignore[arg-type]
                run_label=RUN,
                name_prefix=f"na-rec-{name}",
                tamper=tamper,  # type: ignore[arg-type]
            )
            if name == "none-exited":
                subprocess.run(
                    ["docker", "wait", *task.container_ids.values()], check=True, capture_output=True
                )
            out = run_document(doc, {"taskArn": arn})
            assert out.status == "Success", out
            expected = {
                "taskArn": arn,
                "declaredMode": declared,
                "eniIpv4": task.eni_ipv4,
                "verdict": verdict,
            }
            (OUT / f"{name}.json").write_text(out.stdout)
            expectations[name] = expected
            print(name, len(out.stdout), "bytes")
        EXPECTATIONS.write_text(json.dumps(expectations, indent=2) + "\n")
    finally:
        dt.remove_run(RUN)
    return 0


if __name__ == "__main__":
    sys.exit(main())

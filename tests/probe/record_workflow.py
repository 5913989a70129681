"""The per-mode recordings the recorded container instance replays (tests/workflow/fixtures), written
from the scenarios record_fixtures.py has just recorded (it calls `write_workflow_recordings`).

Each is the probe's stdout for one task with that task's ARN written as `__TASK_ARN__`: the
recorded host (netaudit_local.hosts.recorded_host) puts the ARN of the task the local stack ran in
its place. The awsvpc task's ENI address stays the recorded one; tests/recordings.py reads it from
the recording for the host to hand out.
"""

from collections.abc import Mapping
from pathlib import Path

from netaudit_local.hosts.recorded_host import TASK_ARN_PLACEHOLDER

OUT = Path(__file__).resolve().parents[1] / "workflow" / "fixtures"

# workflow recording -> the record_fixtures scenario it is
WORKFLOW_RECORDINGS = {
    "probe-none-isolated": "none-isolated",
    "probe-none-violation": "none-started-as-bridge",  # declared none, running in docker's bridge
    "probe-bridge-isolated": "bridge-isolated",
    "probe-host-isolated": "host-isolated",
    "probe-awsvpc-isolated": "awsvpc-isolated",
}


def write_workflow_recordings(recorded: Mapping[str, tuple[str, str]]) -> None:
    """`recorded`: scenario -> (its task ARN, the probe's stdout)."""
    for name, scenario in WORKFLOW_RECORDINGS.items():
        arn, stdout = recorded[scenario]
        assert arn in stdout and TASK_ARN_PLACEHOLDER not in stdout, scenario
        (OUT / f"{name}.json").write_text(stdout.replace(arn, TASK_ARN_PLACEHOLDER))
        print(f"workflow/fixtures/{name}.json from {scenario}")

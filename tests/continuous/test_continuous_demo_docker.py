"""`netaudit demo --continuous` on the local Docker engine: each task audited from its own RUNNING
event through the rule -> queue -> pipe -> state machine path; the tampered one is the VIOLATION."""

import re
import secrets

import pytest

from netaudit_cli.exit_codes import EXIT_VIOLATION
from netaudit_local.demo.cluster import ClusterDockerHost
from netaudit_local.demo.continuous import run_continuous

pytestmark = pytest.mark.docker


def test_each_task_is_audited_from_its_running_event(docker_engine: None) -> None:
    host = ClusterDockerHost(run_label=f"na-t-continuous-{secrets.token_hex(3)}")
    code, text = run_continuous(3, host=host)
    assert code == EXIT_VIOLATION, text
    assert "coverage: 3/3 tasks verified" in text
    lines = re.findall(r"task (\d)/3 (\w+) +\w+: (\w+) +([\d.]+) s from RUNNING to verdict", text)
    assert [(n, v) for n, _, v, _ in lines] == [("1", "ISOLATED"), ("2", "VIOLATION"), ("3", "ISOLATED")]
    assert all(float(delay) < 60 for *_, delay in lines)
    assert "dummy0" in text and "containers left behind: 0" in text
    assert host.leftovers() == []

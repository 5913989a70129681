"""What one canary demo run is asked to do (`netaudit demo` without --cluster/--continuous/
--organization): read by `run` and by `inputs`, which builds the execution input from it."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netaudit.models.verdict import NetworkMode

if TYPE_CHECKING:
    from netaudit_cli.artifacts import OutputFiles
    from netaudit_local.hosts import docker_tasks as dt


@dataclass
class DemoOptions:
    network_mode: NetworkMode = "none"
    tamper: "dt.Tamper | None" = None
    poll_interval: int = 0  # the execution's pollIntervalSeconds (Wait states)
    timeout_s: float = 120.0
    as_json: bool = False
    mode: str = "canary"
    run_label: str | None = None
    evidence_file: str | None = None
    handler_log_level: str = "ERROR"
    payload: Any = None  # mode "input": the execution input, exactly as given (`demo --input`)
    parameters: dict[str, str] = field(default_factory=dict)  # template parameters (`--parameter`)
    outputs: "OutputFiles | None" = None  # --html/--ocsf/--junit/--evidence-dir

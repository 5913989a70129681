"""`netaudit demo --cluster`: the scheduled cluster audit, locally, on real containers.

Starts several ECS tasks of mixed network modes (none, bridge, host, awsvpc) through RunTask in
moto on two local clusters (the stack deployed with ClusterName "default,blue"), each cluster
with one container instance standing for this machine's Docker engine; one task is tampered (by
default an extra interface with 10.9.9.9/24 in a none-mode task's netns). Then it runs the real
state machine with the scheduled audit's input `{"clusters": "*", "target": {"kind": "cluster"}}`:
ResolveHosts lists the RUNNING tasks of both clusters, one SSM command per container instance
runs the template's probe script here, and the report must name exactly the tampered task with
its reason and cluster. Every container is removed afterwards (also on errors and Ctrl-C).

Run: `python -m netaudit_local.cluster_demo [--tamper host-netns] [--json]`.
"""

import argparse
import json
import secrets
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from netaudit.models.verdict import NetworkMode
from netaudit_local import docker_tasks as dt
from netaudit_local.artifacts import OutputFiles, Saved, save
from netaudit_local.docker_host import DockerHost, new_run_label
from netaudit_local.host import TaskLaunch, TaskPlacement

if TYPE_CHECKING:
    from netaudit_local.stack import LocalStack

DEMO_MODES: tuple[str, ...] = ("none", "none", "bridge", "host", "awsvpc")
TAMPERED_INDEX = 1  # the second none-mode task
DEMO_CLUSTERS: tuple[str, ...] = ("default", "blue")  # task i runs in DEMO_CLUSTERS[i % 2]
DOCKER_INSTANCE_ID = "i-0c1a5de70c1a5de70"
EXIT_ISOLATED, EXIT_VIOLATION, EXIT_ERROR = 0, 1, 2


@dataclass
class ClusterDockerHost(DockerHost):
    """The demo's `DockerHost` whose next task only is tampered (`tamper_next`): one tampered
    task among untampered ones. Placement, task states, clean-up and the probe are DockerHost's."""

    run_label: str = field(default_factory=lambda: new_run_label("na-cluster"))
    instance_id: str = DOCKER_INSTANCE_ID
    cluster: str = ""  # the local cluster it is a container instance of ("": the stack's first)
    tamper_next: dt.Tamper | None = None
    tampered: dict[str, str] = field(default_factory=dict)  # task ARN -> tamper

    def start_task(self, launch: TaskLaunch) -> TaskPlacement:
        self.tamper, self.tamper_next = self.tamper_next, None
        try:
            placement = super().start_task(launch)
        finally:
            tamper, self.tamper = self.tamper, None
        if tamper and launch.task_arn in self.started:
            self.tampered[launch.task_arn] = tamper
        return placement


@dataclass
class ClusterDemoResult:
    status: str
    verdict: str
    report: dict[str, Any]
    evidence: dict[str, Any]
    tasks: dict[str, str]  # task ARN -> declared mode, as started
    tampered: dict[str, str]  # task ARN -> tamper
    transitions: int
    lambda_invocations: int
    ssm_commands: int
    wall_s: float
    leftovers: list[str]
    error: str | None = None
    cause: str | None = None
    saved: Saved = field(default_factory=Saved)  # --html/--ocsf/--junit/--evidence-dir
    clusters: list[str] = field(default_factory=list)  # the local clusters the tasks ran in


def _report_of(history: Sequence[dict[str, Any]]) -> dict[str, Any]:
    for event in reversed(history):
        details = event.get("stateExitedEventDetails") or {}
        if details.get("name") in ("Report", "ReportError"):
            return dict(json.loads(details["output"]).get("report") or {})
    return {}


def demo_run_task(
    ecs: Any, stack: "LocalStack", families: dict[str, str], mode: str, prefix: str, cluster: str = ""
) -> dict[str, Any]:
    """RunTask's arguments for one demo task in `mode` (its family `<prefix>-<mode>` registered
    once, kept in `families`); awsvpc tasks get the local stack's subnet."""
    if mode not in families:
        families[mode] = ecs.register_task_definition(
            family=f"{prefix}-{mode}",
            networkMode=cast("NetworkMode", mode),
            requiresCompatibilities=["EC2"],
            containerDefinitions=[
                {"name": "app", "image": "busybox", "command": ["sleep", "3600"], "memory": 32}
            ],
        )["taskDefinition"]["taskDefinitionArn"]
    kwargs: dict[str, Any] = {
        "cluster": cluster or stack.cluster,
        "taskDefinition": families[mode],
        "launchType": "EC2",
        "startedBy": f"netaudit-{prefix}",
    }
    if mode == "awsvpc":
        kwargs["networkConfiguration"] = {
            "awsvpcConfiguration": {"subnets": [stack.subnet_id], "securityGroups": []}
        }
    return kwargs


def run_cluster_demo(
    modes: Sequence[str] = DEMO_MODES,
    *,
    tamper: dt.Tamper | None = "extra-interface",
    tampered_index: int = TAMPERED_INDEX,
    poll_interval: int = 0,
    timeout_s: float = 120,
    host: ClusterDockerHost | None = None,
    payload: dict[str, Any] | None = None,
    parameters: dict[str, str] | None = None,
    outputs: OutputFiles | None = None,
    clusters: Sequence[str] = ("default",),
) -> ClusterDemoResult:
    """Start the tasks, run the cluster audit through the local harness, remove the containers.
    `payload`: the execution input (`demo --input`; default the cluster audit); `parameters`:
    template parameters of the local stack; `clusters`: the local clusters (ClusterName unless the
    parameters say), one container instance each on this Docker engine, the tasks spread over them."""
    import boto3

    from netaudit_local.aws_seams import REGION, local_aws
    from netaudit_local.stack import create_stack, run_execution

    host = host or ClusterDockerHost()
    host.cluster = host.cluster or clusters[0]
    hosts = [host] + [
        ClusterDockerHost(
            run_label=f"{host.run_label}-{n}", instance_id=f"{DOCKER_INSTANCE_ID[:-1]}{n}", cluster=c
        )
        for n, c in enumerate(clusters[1:], 1)
    ]
    parameters = {"ClusterName": ",".join(clusters), **(parameters or {})}
    started_at = time.monotonic()
    try:
        with local_aws(hosts, in_progress_polls=0) as seams:
            stack = create_stack(seams, parameters=parameters)
            ecs = boto3.client("ecs", region_name=REGION)
            families: dict[str, str] = {}
            tasks: dict[str, str] = {}
            for index, mode in enumerate(modes):
                on = hosts[index % len(hosts)]
                kwargs = demo_run_task(ecs, stack, families, mode, "demo-cluster", on.cluster)
                on.tamper_next = tamper if index == tampered_index else None
                answer = ecs.run_task(**kwargs)
                if not answer.get("tasks"):
                    raise RuntimeError(f"RunTask placed no {mode} task: {answer.get('failures')}")
                tasks[answer["tasks"][0]["taskArn"]] = mode
            name = f"demo-cluster-{secrets.token_hex(3)}"
            result = run_execution(
                stack,
                name,
                payload
                if payload is not None
                else {"clusters": "*", "target": {"kind": "cluster"}, "pollIntervalSeconds": poll_interval},
                timeout_s=timeout_s,
            )
            report = _report_of(result.history)
            evidence: dict[str, Any] = {}
            uri = str(report.get("evidenceUri") or "")
            if uri:
                bucket, _, key = uri.removeprefix("s3://").partition("/")
                s3 = boto3.client("s3", region_name=REGION)
                evidence = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            saved = save(boto3.client("s3", region_name=REGION), uri or None, outputs or OutputFiles())
            commands = len(seams.commands)
    finally:
        for each in hosts:
            each.cleanup()
    return ClusterDemoResult(
        status=result.status,
        verdict=str(report.get("verdict") or "ERROR"),
        report=report,
        evidence=evidence,
        tasks=tasks,
        tampered={arn: how for each in hosts for arn, how in each.tampered.items()},
        transitions=result.transitions,
        lambda_invocations=result.lambda_invocations,
        ssm_commands=commands,
        wall_s=time.monotonic() - started_at,
        leftovers=[c for each in hosts for c in each.leftovers()],
        clusters=list(clusters),
        error=result.error,
        cause=result.cause,
        saved=saved,
    )


def render(result: ClusterDemoResult, title: str = "netaudit demo --cluster") -> str:
    lines = [
        f"{title}: {result.verdict} (execution {result.status})",
        f"tasks started: {len(result.tasks)} on {len(result.clusters) or 1} container instance(s) (this "
        f"Docker engine) in cluster(s) {', '.join(result.clusters) or 'default'}; "
        f"tampered: {', '.join(f'{a} ({t})' for a, t in result.tampered.items()) or 'none'}",
        "",
    ]
    if result.verdict == "ERROR":
        lines += [f"error: {result.error}: {result.cause}", ""]
    by_arn = {t["taskArn"]: t for t in result.evidence.get("tasks") or []}
    rows = [(by_arn.get(arn, {"verdict": "not audited"}), mode, arn) for arn, mode in result.tasks.items()]
    # a tasks input (`demo --input`) may name tasks this run did not start: show what the audit said
    rows += [(t, str(t.get("declaredMode") or "?"), str(t.get("taskArn"))) for t in by_arn.values()
             if t.get("taskArn") not in result.tasks]
    for task, mode, arn in rows:
        reasons = "; ".join(task.get("reasons") or [])
        lines.append(f"  {task.get('verdict', '?'):12} {mode:6} {task.get('cluster') or '':8} {arn}")
        if reasons:
            lines.append(f"      {reasons}")
        if task.get("imds"):
            lines.append(f"      IMDS: {task['imds']}")
    lines += [
        "",
        f"evidence: {result.report.get('evidenceUri')} (moto's S3, in memory)",
        f"SSM commands: {result.ssm_commands}, state transitions: {result.transitions}, "
        f"Lambda invocations: {result.lambda_invocations}, wall time: {result.wall_s:.1f} s",
        f"containers left behind: {len(result.leftovers)}",
        *(f"{kind} written to: {path}" for kind, path in result.saved.files.items()),
        *(f"NOT SAVED: {problem}" for problem in result.saved.problems),
    ]
    return "\n".join(lines)


def run_from_cli(
    tamper: str | None = "extra-interface",
    poll_interval: int = 0,
    timeout_s: float = 120.0,
    as_json: bool = False,
    handler_log_level: str = "ERROR",
    payload: dict[str, Any] | None = None,
    parameters: dict[str, str] | None = None,
    outputs: OutputFiles | None = None,
) -> int:
    """`netaudit demo --cluster` (two local clusters; or `--input` of a cluster/tasks audit:
    `payload`, on one): exit 0
    ISOLATED or NOTHING_TO_AUDIT, 1 VIOLATION, 2 otherwise (or a container left)."""
    import contextlib
    import io
    import os

    from netaudit_local.aws_seams import LOCAL_ENV

    # Powertools reads these when netaudit.observability is first imported (as in Lambda, where
    # the environment comes first): the demo module below imports it before moto starts.
    for key in ("POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"):
        os.environ.setdefault(key, LOCAL_ENV[key])
    from netaudit_local.demo import _quiet_handlers

    if tamper not in (None, "extra-interface", "host-netns"):
        print(f"netaudit demo --cluster: unknown tamper {tamper!r}", file=sys.stderr)
        return EXIT_ERROR
    from netaudit import observability

    saved_level = observability.logger.log_level
    saved_streams = [(h, getattr(h, "stream", None)) for h in observability.logger.handlers]
    restore = _quiet_handlers(handler_log_level)
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the handlers' EMF blobs
            result = run_cluster_demo(
                tamper=cast("dt.Tamper | None", tamper),
                poll_interval=poll_interval,
                timeout_s=timeout_s,
                payload=payload,
                parameters=parameters,
                outputs=outputs,
                clusters=DEMO_CLUSTERS if payload is None else ("default",),
            )
    finally:
        restore()
        observability.logger.setLevel(saved_level)
        for handler, stream in saved_streams:  # _quiet_handlers pointed them at this sys.stderr
            if stream is not None and hasattr(handler, "setStream"):
                handler.setStream(stream)
    if as_json:
        document = {
            "verdict": result.verdict,
            "executionStatus": result.status,
            "tampered": result.tampered,
            "tasks": result.tasks,
            "clusters": result.clusters,
            "report": result.report,
            "ssmCommands": result.ssm_commands,
            "stateTransitions": result.transitions,
            "lambdaInvocations": result.lambda_invocations,
            "leftovers": result.leftovers,
            "outputFiles": result.saved.files,
            "outputProblems": result.saved.problems,
        }
        print(json.dumps(document, default=str))
    else:
        print(render(result, "netaudit demo --input" if payload is not None else "netaudit demo --cluster"))
    if result.leftovers or result.saved.problems:
        return EXIT_ERROR
    exits = {"ISOLATED": EXIT_ISOLATED, "NOTHING_TO_AUDIT": EXIT_ISOLATED, "VIOLATION": EXIT_VIOLATION}
    return exits.get(result.verdict, EXIT_ERROR)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="netaudit demo --cluster",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--tamper", choices=("extra-interface", "host-netns"), default="extra-interface")
    parser.add_argument("--poll-interval", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        return run_from_cli(args.tamper, args.poll_interval, args.timeout, args.json)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

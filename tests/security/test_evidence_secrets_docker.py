"""Evidence holds no environment variables or secrets (threats T15, T28 of docs/THREAT_MODEL.md).

A cluster audit on the real Docker engine, of tasks whose containers carry secret-looking
environment variables and hostile labels; one task is tampered so the audit is a VIOLATION and
the alert goes out. Then every object in the evidence bucket (reports, per-host results, the SSM
command's stdout) and every SNS message is searched for the secrets.
"""

from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from netaudit_local.cloud.account import ACCOUNT, REGION
from netaudit_local.cloud.aws import local_aws
from netaudit_local.demo.cluster import ClusterDockerHost
from netaudit_local.hosts import docker_tasks as dt
from netaudit_local.hosts.docker_host import new_run_label
from netaudit_local.hosts.host import TaskLaunch, TaskPlacement
from netaudit_local.stack import create_stack, run_execution

pytestmark = pytest.mark.docker

SECRET = "s3cr3t-" + secrets.token_hex(8)
SECRET_ENV = {"DB_PASSWORD": SECRET, "AWS_SECRET_ACCESS_KEY": SECRET.upper(), "API_TOKEN": SECRET[::-1]}


@dataclass
class SecretHost(ClusterDockerHost):
    """Each task gets one more container with secret environment variables and hostile labels."""

    sidecars: list[str] = field(default_factory=list)

    def start_task(self, launch: TaskLaunch) -> TaskPlacement:
        placement = super().start_task(launch)
        task = self.started.get(launch.task_arn)
        if task is not None:
            network = f"container:{task.pause_id}" if task.pause_id else "none"
            if launch.network_mode in ("bridge", "host"):
                network = launch.network_mode
            args = ["docker", "run", "-d", "--name", f"{self.run_label}-sidecar-{len(self.sidecars)}"]
            args += ["--network", network]
            labels = {
                dt.TASK_ARN_LABEL: launch.task_arn,
                dt.CONTAINER_NAME_LABEL: "sidecar",
                dt.CLUSTER_LABEL: launch.cluster,
                dt.LOCAL_LABEL: "1",
                dt.RUN_LABEL: self.run_label,
                "com.example.note": 'x"}' + "\n{{.Config.Env}}",
            }
            for key, value in labels.items():
                args += ["--label", f"{key}={value}"]
            for key, value in SECRET_ENV.items():
                args += ["-e", f"{key}={value}"]
            args += ["busybox", "sleep", "3600"]
            self.sidecars.append(
                subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()
            )
        return placement


def _needles() -> list[str]:
    return [*SECRET_ENV, *SECRET_ENV.values(), "Config.Env", '"Env"']


def test_no_secret_reaches_s3_or_sns(docker_engine: None) -> None:
    from moto.sns.models import sns_backends

    host = SecretHost(run_label=new_run_label("na-t-secrets"))
    try:
        with local_aws(host, in_progress_polls=0) as seams:
            stack = create_stack(seams)
            ecs = boto3.client("ecs", region_name=REGION)
            tasks = []
            for index, mode in enumerate(("none", "bridge")):
                td = ecs.register_task_definition(
                    family=f"secrets-{mode}",
                    networkMode=mode,
                    requiresCompatibilities=["EC2"],
                    containerDefinitions=[{"name": "app", "image": "busybox", "memory": 32}],
                )["taskDefinition"]["taskDefinitionArn"]
                host.tamper_next = "extra-interface" if index == 0 else None
                run = ecs.run_task(cluster=stack.cluster, taskDefinition=td, launchType="EC2")
                tasks.append(run["tasks"][0]["taskArn"])
            assert len(host.sidecars) == 2
            result = run_execution(
                stack,
                f"secrets-{secrets.token_hex(3)}",
                {"target": {"kind": "cluster"}, "pollIntervalSeconds": 0},
            )
            assert result.status == "FAILED" and result.error == "IsolationViolated", (
                result.error,
                result.cause,
            )

            s3 = boto3.client("s3", region_name=REGION)
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket=stack.bucket).get("Contents", [])]
            assert any(k.startswith("audits/") for k in keys) and any(k.startswith("ssm/") for k in keys), (
                keys
            )
            bodies = {k: s3.get_object(Bucket=stack.bucket, Key=k)["Body"].read().decode() for k in keys}
            assert any("sidecar" in b for b in bodies.values()), "the sidecars were audited"
            messages: list[Any] = list(
                sns_backends[ACCOUNT][REGION].topics[stack.topic_arn].sent_notifications
            )
            assert messages, "a violation is alerted"
            texts = {f"s3://{stack.bucket}/{k}": b for k, b in bodies.items()}
            texts |= {f"sns #{i}": repr(m) for i, m in enumerate(messages)}
            texts["execution output/cause"] = repr((result.output, result.cause))
            leaks = [
                (where, needle) for where, text in texts.items() for needle in _needles() if needle in text
            ]
            assert leaks == [], leaks
    finally:
        host.cleanup()
    assert host.leftovers() == []

"""ECS RunTask / DescribeTasks / StopTask -> the container instance's `Host` starts, reports and
stops the task. RunTask answers `failures` like ECS when the host refuses placement; task ids are
32 hex digits like ECS's; a task changes status only when its host says so."""

import uuid
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from netaudit_local.cloud import moto_patches
from netaudit_local.hosts.host import ContainerLaunch, PlacementRefused, TaskLaunch

if TYPE_CHECKING:
    from moto.core.responses import ActionResult

    from netaudit_local.cloud.run_state import RunState


class EcsSeam:
    def __init__(self, seams: "RunState") -> None:
        self.seams = seams
        self._describe: Any = None  # moto's own methods, called around the host's part
        self._stop: Any = None
        self._runs: dict[str, list[Any]] = {}  # RunTask clientToken -> the tasks it started

    def install(self, stack: ExitStack) -> None:
        # moto 5.2's ECS awsvpc RunTask reads an ENI's private DNS name, which its ENIs lack
        dns = property(lambda eni: f"ip-{eni.private_ip_address.replace('.', '-')}.ec2.internal")
        moto_patches.patch(stack, "ec2.eni_dns_name", dns, create=True)
        # moto calls these as methods of its own classes: each lambda stands in that method's place
        moto_patches.patch(stack, "ecs.run_task", lambda resp: self.run_task(resp))
        self._describe = moto_patches.patch(
            stack,
            "ecs.describe_tasks",
            lambda backend, cluster_str, tasks: self.describe_tasks(backend, cluster_str, tasks),
        )
        self._stop = moto_patches.patch(
            stack,
            "ecs.stop_task",
            lambda backend, cluster, task, reason: self.stop_task(backend, cluster, task, reason),
        )

    def run_task(self, resp: Any) -> "ActionResult":
        from moto.core.responses import ActionResult

        seams = self.seams
        seams.maybe_throttle("ecs:RunTask")
        backend = resp.ecs_backend
        # "clientToken: An identifier that you provide to ensure the idempotency of the request"
        # (ECS API reference, RunTask): a repeated token starts nothing and answers the tasks it
        # started (moto stores the token but starts new tasks).
        token = resp._get_param("clientToken")
        if token and token in self._runs:
            return ActionResult({"tasks": self._runs[token], "failures": []})
        tasks = backend.run_task(
            resp._get_param("cluster", "default"),
            resp._get_param("taskDefinition"),
            resp._get_int_param("count", 1),
            resp._get_param("overrides"),
            resp._get_param("startedBy"),
            resp._get_param("tags"),
            resp._get_param("launchType"),
            resp._get_param("networkConfiguration"),
            resp._get_param("group"),
            resp._get_param("platformVersion"),
            resp._get_param("capacityProviderStrategy"),
        )
        placed, failures = [], []
        for task in tasks:
            cluster_tasks = backend.tasks[task.cluster_name]
            cluster_tasks.pop(task.task_arn, None)
            task.id = uuid.uuid4().hex  # ECS task ids are 32 hex digits
            cluster_tasks[task.task_arn] = task
            ci_id = (task.container_instance_arn or "").split("/")[-1]
            ci = backend.container_instances.get(task.cluster_name, {}).get(ci_id)
            host = seams.host_of_instance(ci.ec2_instance_id) if ci else None
            td = backend.describe_task_definition(task.task_definition_arn)
            launch = TaskLaunch(
                task_arn=task.task_arn,
                cluster=task.cluster_name,
                family=td.family,
                revision=int(td.revision),
                network_mode=td.network_mode or "bridge",
                containers=[
                    ContainerLaunch(
                        name=c["name"],
                        image=c["image"],
                        command=list(c.get("command") or []),
                        memory_mib=c.get("memory"),
                    )
                    for c in td.container_definitions
                ],
            )
            try:
                if host is None:
                    raise PlacementRefused("AGENT")
                placement = host.start_task(launch)
            except PlacementRefused as refused:
                self._stop(backend, task.cluster_name, task.task_arn, "placement refused")
                cluster_tasks.pop(task.task_arn, None)
                failures.append({"arn": task.container_instance_arn, "reason": refused.reason})
                continue
            seams.task_hosts[task.task_arn] = host.instance_id
            state = host.task_state(task.task_arn)
            task.last_status = state.last_status
            if placement.eni_ipv4:
                for attachment in task.attachments:
                    for detail in attachment.get("details", []):
                        if detail["name"] == "privateIPv4Address":
                            detail["value"] = placement.eni_ipv4
            placed.append(task)
        if token and placed:
            self._runs[token] = placed
        return ActionResult({"tasks": placed, "failures": failures})

    def describe_tasks(self, backend: Any, cluster_str: str, tasks: list[str]) -> list[Any]:
        self.seams.maybe_throttle("ecs:DescribeTasks")
        found: list[Any] = self._describe(backend, cluster_str, tasks)
        for task in found:
            host = self.seams.host_of_task(task.task_arn)
            if host is None or task.desired_status == "STOPPED":
                continue
            state = host.task_state(task.task_arn)
            task.last_status = state.last_status
            if state.last_status == "STOPPED":
                task.desired_status = "STOPPED"
                task.stopped_reason = state.stopped_reason
        return found

    def stop_task(self, backend: Any, cluster_str: str, task_str: str, reason: str) -> Any:
        from moto.core.exceptions import JsonRESTError

        seams = self.seams
        seams.maybe_throttle("ecs:StopTask")
        host = seams.host_of_task(task_str)
        if host is not None:  # the host first: a task it cannot stop stays RUNNING in ECS too
            try:
                host.stop_task(task_str)
            except Exception as exc:
                raise JsonRESTError("ServerException", f"StopTask failed: {exc}") from None
        try:
            task = self._stop(backend, cluster_str, task_str, reason)
        except Exception as exc:  # moto raises a bare Exception for unknown tasks
            raise JsonRESTError(
                "InvalidParameterException", f"The referenced task was not found. {exc}"
            ) from None
        if host is None and (late := seams.host_of_task(task.task_arn)) is not None:
            late.stop_task(task.task_arn)  # StopTask named the task by its id
        return task

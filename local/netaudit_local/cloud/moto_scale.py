"""moto's paths that grow with the square of the fleet, made linear for the local run.

At ECS's largest cluster (5,000 container instances, 50,000 tasks; bench/bench_cluster.py) they,
not the project's code, decided the time and memory of a local audit:

- **SendCommand to every instance.** moto's `Command` adds to the given InstanceIds the instances
  its `Targets` select, and with no Targets its EC2 filter is empty, so it selects every instance
  of the account: each one-host command stored one invocation per instance (5,000 commands x
  5,000 invocations). On SSM, InstanceIds are "the IDs of the managed nodes where the command
  should run" and Targets a tag search used instead of them (SendCommand API reference,
  InstanceIds / Targets): with no Targets, the targets add no instance here.
- **DescribeTasks scans every task.** moto compares each requested reference with every task of
  every cluster, task id as a substring of each reference: 100 references x 50,000 tasks per
  call, 500 calls. Here references that are full task ARNs (what ListTasks returns, what the
  functions send) are looked up directly; anything else (a task id, an old-format ARN) still
  takes moto's scan, so moto's answer is unchanged.
- **Every engine thread is kept.** moto's Step Functions engine appends each thread it starts (one
  per Task state, Map iteration, execution) to a module list and never drops it; Python 3.13
  detaches a thread's stack only when its Thread object goes, so each kept thread keeps its 8 MiB
  stack mapping: a 5,000-host audit left 32,000 of them and hit the kernel's 65,530 mappings
  (MemoryError). Finished threads are dropped from that list as new ones start.
- **An instance by id copies every reservation.** moto's `get_instance` (RegisterContainerInstance
  calls it) copies all reservations to find one instance: here it walks them without copying.

Never imported by a Lambda.
"""

import itertools
from contextlib import ExitStack
from typing import Any

from netaudit_local.cloud import moto_patches


def install(stack: ExitStack) -> None:
    """Patch moto for the lifetime of `stack` (local_aws)."""
    moto_patches.wrap(stack, "ssm.targets", _targets)
    moto_patches.wrap(stack, "ecs.describe_tasks", _describe_tasks)
    moto_patches.patch(stack, "ec2.get_instance", _get_instance)
    moto_patches.wrap(stack, "sfn.task_thread", _drop_finished_threads)


def _targets(original_targets: Any) -> Any:
    def instance_ids_from_targets(self: Any) -> list[str]:
        return list(original_targets(self)) if self.targets else []

    return instance_ids_from_targets


def _describe_tasks(original_describe: Any) -> Any:
    def describe_tasks(self: Any, cluster_str: str, tasks: list[str]) -> list[Any]:
        found: dict[str, Any] = {}
        for ref in tasks or []:
            task = next((c[ref] for c in self.tasks.values() if ref in c), None)
            if task is None:  # not a full ARN moto knows: moto's own matching decides
                return list(original_describe(self, cluster_str, tasks))
            found.setdefault(task.task_arn, task)
        if not found:  # no references: moto's error
            return list(original_describe(self, cluster_str, tasks))
        self._get_cluster(cluster_str)  # an unknown cluster raises, as in moto
        for task in found.values():
            task.advance()
        return list(found.values())

    return describe_tasks


def _get_instance(self: Any, instance_id: str) -> Any:
    from moto.ec2.exceptions import InvalidInstanceIdError

    for reservation in list(self.reservations.values()):
        for instance in reservation.instances:
            if instance.id == instance_id:
                return instance
    raise InvalidInstanceIdError(instance_id)


def _drop_finished_threads(original_evaluate: Any) -> Any:
    from moto.stepfunctions.parser.utils import TMP_THREADS

    started = itertools.count()

    def evaluate_with_timeout(self: Any, env: Any) -> None:
        if next(started) % 500 == 0:  # a thread lost from the list while pruning is only not kept
            TMP_THREADS[:] = [t for t in list(TMP_THREADS) if t.is_alive()]
        original_evaluate(self, env)

    return evaluate_with_timeout

"""The event path of event-driven audits, locally: rule -> queue -> pipe -> state machine.

What moto runs itself, from the template's own resources: the EventBridge rule (TaskRunningRule,
its EventPattern resolved like CloudFormation would, matched by moto's EventBridge, which delivers
to the SQS target) and the queues (TaskEventsQueue with its RedrivePolicy to
TaskEventsDeadLetterQueue: moto moves a message after maxReceiveCount receives, as SQS does).

What moto cannot run, played here: the Pipe (TaskEventsPipe). `poll()` receives up to the
template's BatchSize messages (waiting up to MaximumBatchingWindowInSeconds for a full batch),
invokes the enrichment (EventsBatchFunction, the real handler through the Lambda seam) with the SQS
records, and runs the event machine (EventAuditStateMachine, EXPRESS) with its response and waits
for it (REQUEST_RESPONSE: StartSyncExecution); the messages are deleted once it SUCCEEDED. If the
enrichment fails, or the execution is refused, FAILS or TIMES OUT, the messages stay, become
visible again (here at once, on AWS after VisibilityTimeout) and are retried; after
maxReceiveCount receives SQS puts them in the dead-letter queue.

Never imported by a Lambda.
"""

import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config

from netaudit_local.cloud import chaos, sfn_strict
from netaudit_local.cloud.account import ACCOUNT, REGION
from netaudit_local.cloud.stepfunctions import check_payload_sizes
from netaudit_local.iam.policies import Resolver, iam_role
from netaudit_local.stack import EVENT_QUEUES, PSEUDO, LocalStack, function_name
from netaudit_local.template import load_template

SQS_RECEIVE_MAX = 10  # ReceiveMessage returns at most 10 messages a call
# Stack parameters of a local event path that does not wait for a batch: with no window a batch
# holds at most 10 messages (the template's rule EventBatchOverTenNeedsAWindow).
NO_WINDOW = {"EnableEventDrivenAudits": "true", "EventBatchSize": "10", "EventBatchWindowSeconds": "0"}
PIPE_ROLE = "TaskEventsPipeRole"


def sync_client() -> Any:
    """Step Functions for StartSyncExecution: AWS serves it at sync-states.<region> (botocore's
    hostPrefix "sync-"), moto's routes match states.<region> only: the prefix is left out."""
    return boto3.client("stepfunctions", region_name=REGION, config=Config(inject_host_prefix=False))


class PipeAccessDenied(PermissionError):
    """The Pipe's role may not read its source queue: AWS leaves the messages where they are."""


@dataclass
class Batch:
    messages: int
    execution_arn: str | None
    error: str | None = None
    status: str | None = None  # StartSyncExecution's: SUCCEEDED, FAILED or TIMED_OUT
    output: dict[str, Any] | None = None  # the execution's output (the report), when SUCCEEDED


@dataclass
class EventPath:
    stack: LocalStack
    queue_url: str
    dlq_url: str
    batch_size: int
    window_s: float
    max_receives: int
    rule_name: str
    batches: list[Batch] = field(default_factory=list)
    enrichment_arn: str = ""

    def _denied(self, service: str, operation: str, params: dict[str, Any]) -> str | None:
        """What AWS says when the Pipe's role may not make this call (iam-simulate decides it
        against TaskEventsPipeRole, as for the functions and the state machine), else None."""
        iam = self.stack.seams.iam
        return None if iam is None else iam.check(PIPE_ROLE, service, operation, params)

    @property
    def sqs(self) -> Any:
        return boto3.client("sqs", region_name=REGION)

    def emit(
        self, task: dict[str, Any], *, cluster_arn: str | None = None, when: datetime | None = None
    ) -> None:
        """ECS's part: an "ECS Task State Change" event of `task` (a DescribeTasks task), put on the
        default bus; the rule decides whether it reaches the queue."""
        detail = {
            "clusterArn": cluster_arn or task.get("clusterArn"),
            "taskArn": task["taskArn"],
            "lastStatus": task.get("lastStatus"),
            "desiredStatus": task.get("desiredStatus", "RUNNING"),
            "launchType": task.get("launchType", "EC2"),
            "containerInstanceArn": task.get("containerInstanceArn"),
            "taskDefinitionArn": task.get("taskDefinitionArn"),
            "startedAt": (when or datetime.now(UTC)).isoformat(),
            "version": task.get("version", 1),
        }
        entry = {
            "Source": "aws.ecs",
            "DetailType": "ECS Task State Change",
            "Detail": json.dumps(detail, default=str),
            "Resources": [task["taskArn"]],
        }
        answer = boto3.client("events", region_name=REGION).put_events(Entries=[entry])
        if answer.get("FailedEntryCount"):
            raise RuntimeError(f"PutEvents failed: {answer}")

    def queued(self, url: str | None = None) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=url or self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def dead_letters(self) -> int:
        return self.queued(self.dlq_url)

    def _receive(self, wait: bool) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        denied = self._denied("sqs", "ReceiveMessage", {"QueueUrl": self.queue_url})
        if denied:
            raise PipeAccessDenied(denied)
        deadline = time.monotonic() + (self.window_s if wait else 0)
        while len(messages) < self.batch_size:
            got = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(SQS_RECEIVE_MAX, self.batch_size - len(messages)),
                AttributeNames=["All"],
            ).get("Messages", [])
            messages += got
            if not got:
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.05)
        return messages

    def _deliver(self, records: list[dict[str, Any]], batch: Batch) -> None:
        """Enrichment, then target, into `batch`. An error sends the batch back to the queue
        (retried, then dead-lettered), as a failed Pipe invocation does."""
        if denied := self._denied("lambda", "Invoke", {"FunctionName": self.enrichment_arn}):
            batch.error = f"AccessDeniedException: {denied}"
            return
        headers: dict[str, str] = {}
        body = self.stack.seams.invoke(
            function_name("EventsBatchFunction"), json.dumps(records).encode(), headers
        )
        answer = json.loads(body)
        if headers.get("x-amz-function-error"):
            batch.error = f"{answer.get('errorType')}: {answer.get('errorMessage')}"
            return
        if not answer:  # an empty response: no target invocation
            return
        target = {"stateMachineArn": self.stack.event_state_machine_arn}
        if denied := self._denied("states", "StartSyncExecution", target):
            batch.error = f"AccessDeniedException: {denied}"
            return
        try:
            result = sync_client().start_sync_execution(
                **target, name=f"events-{secrets.token_hex(6)}", input=json.dumps(answer)
            )
        except Exception as exc:  # StartSyncExecution refused: the batch is retried
            batch.error = f"StartSyncExecution: {exc}"
            return
        batch.execution_arn, batch.status = str(result["executionArn"]), str(result["status"])
        # what moto does not hold the event machine to: 256 KiB per state (its state keeps the
        # resolution and the hosts' verdicts: netaudit.workflow.hosts.INLINE_*_BYTES)
        check_payload_sizes(sfn_strict.express_history(batch.execution_arn))
        if result["status"] != "SUCCEEDED":  # a failed target invocation: the batch is retried
            batch.error = f"{result['status']}: {result.get('error')}: {result.get('cause')}"
        elif result.get("output"):
            batch.output = json.loads(result["output"])

    def poll(self, *, wait: bool = False) -> Batch | None:
        """One Pipe batch (None when the queue is empty)."""
        with chaos.as_pipe():  # the Pipe's calls, as AWS answers them (faults when armed)
            return self._poll(wait)

    def _poll(self, wait: bool) -> Batch | None:
        messages = self._receive(wait)
        if not messages:
            return None
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{self.queue_url.rsplit('/', 1)[-1]}",
                "awsRegion": REGION,
            }
            for m in messages
        ]
        batch = Batch(messages=len(messages), execution_arn=None)
        self._deliver(records, batch)
        for m in messages:
            if batch.error:  # back to the queue: visible again (AWS: after VisibilityTimeout)
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                if denied := self._denied("sqs", "DeleteMessage", {"QueueUrl": self.queue_url}):
                    raise PipeAccessDenied(denied)
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
        self.batches.append(batch)
        return batch


def create_event_path(stack: LocalStack, template: Mapping[str, Any] | None = None) -> EventPath:
    """The template's rule and queues on moto (needs EnableEventDrivenAudits "true"); the Pipe's
    calls are decided against its role (`template`: another template, for tests)."""
    template = template or load_template()
    resources = template["Resources"]
    resolve = Resolver(template, stack.parameters, {}, PSEUDO)
    if not resolve.condition("EventDriven"):
        raise ValueError("the stack was created with EnableEventDrivenAudits false")
    sqs = boto3.client("sqs", region_name=REGION)
    dlq_url = sqs.create_queue(QueueName=EVENT_QUEUES["TaskEventsDeadLetterQueue"])["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    props = resources["TaskEventsQueue"]["Properties"]
    max_receives = int(props["RedrivePolicy"]["maxReceiveCount"])
    queue_url = sqs.create_queue(
        QueueName=EVENT_QUEUES["TaskEventsQueue"],
        Attributes={
            "VisibilityTimeout": str(props["VisibilityTimeout"]),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives}),
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    rule = resources["TaskRunningRule"]["Properties"]
    pattern = resolve(rule["EventPattern"])
    events = boto3.client("events", region_name=REGION)
    rule_name = "netaudit-task-running"
    text = pattern if isinstance(pattern, str) else json.dumps(pattern)  # the template gives a string
    events.put_rule(Name=rule_name, EventPattern=text, State="ENABLED")
    events.put_targets(Rule=rule_name, Targets=[{"Id": "task-events-queue", "Arn": queue_arn}])
    source = resources["TaskEventsPipe"]["Properties"]["SourceParameters"]["SqsQueueParameters"]
    report_env = stack.seams.environments[function_name("ReportFunction")]
    if report_env.get("DEAD_LETTER_QUEUE_URL") != dlq_url:  # Report's, from the template
        raise ValueError(f"the template's dead-letter queue URL is not {dlq_url}")
    enrichment_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name('EventsBatchFunction')}"
    if stack.seams.iam is not None:
        physical = {
            "TaskEventsQueue.Arn": queue_arn,
            "EventsBatchFunction.Arn": enrichment_arn,
            "NetauditStateMachine": stack.state_machine_arn,
            "EventAuditStateMachine": stack.event_state_machine_arn,
        }
        pipe_resolve = Resolver(template, stack.parameters, physical, PSEUDO)
        stack.seams.iam.add_role(iam_role(template, pipe_resolve, PIPE_ROLE, "pipe"))
    return EventPath(
        stack=stack,
        enrichment_arn=enrichment_arn,
        queue_url=queue_url,
        dlq_url=dlq_url,
        batch_size=int(resolve(source["BatchSize"])),
        window_s=float(resolve(source["MaximumBatchingWindowInSeconds"])),
        max_receives=max_receives,
        rule_name=rule_name,
    )

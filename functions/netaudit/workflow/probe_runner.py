"""SendProbe / GetProbe: one SSM command per host, polled by the state machine's Wait loop.

The probe's stdout goes to S3 too (OutputS3BucketName): GetCommandInvocation returns at most
24,000 characters of StandardOutputContent, so longer outputs are read from S3 by Evaluate.
"""

import contextlib
import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from netaudit import aws_clients, keys
from netaudit.errors import HostNotManaged, ProbeFailed, ProbeTimedOut
from netaudit.models.inputs import MAX_POLLS, Audit, HostTarget, ProbeResult, SentCommand
from netaudit.probe.parse import SSM_INLINE_OUTPUT_LIMIT

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient


PENDING = {"Pending", "InProgress", "Delayed", "Cancelling"}
SSM_MIN_TIMEOUT = 30
SSM_COMMENT_MAX = 100  # SendCommand Comment: at most 100 characters (SSM API reference)


def command_comment(audit: Audit, host: HostTarget) -> str:
    """The probe command's Comment: readable, and a marker unique to (execution, account, host).

    SendCommand takes no client token (SSM API reference, SendCommand): a call whose answer was
    lost may have started the command, and sending again would probe the host twice. The marker
    lets `send` find the command it already sent (ListCommands returns each command's Comment)."""
    key = f"{audit.execution.id or audit.execution.name}/{host.account or ''}/{host.instance_id}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"ecs-netaudit {digest} {audit.execution.name}"[:SSM_COMMENT_MAX]


def _already_sent(
    ssm: "SSMClient", audit: Audit, host: HostTarget, document: str, comment: str
) -> str | None:
    """The command this execution already sent to the host (found by its Comment), if any."""
    filters = [{"key": "DocumentName", "value": document}]
    if audit.execution.start_time:  # the documented form, 2024-07-07T00:00:00Z (ListCommands)
        filters.append({"key": "InvokedAfter", "value": audit.execution.start_time[:19] + "Z"})
    try:
        listed = ssm.list_commands(InstanceId=host.instance_id, Filters=filters, MaxResults=50)  # type: ignore[arg-type]
    except ClientError as exc:
        # A member stack deployed before ListCommands was granted: send as before (a lost answer
        # may then probe the host twice) rather than fail the host.
        if exc.response["Error"]["Code"] == "AccessDeniedException":
            return None
        raise
    for command in listed.get("Commands", []):
        if command.get("Comment") == comment and command.get("DocumentName") == document:
            return str(command["CommandId"])
    return None


def _send_once(ssm: "SSMClient", audit: Audit, host: HostTarget, kwargs: dict[str, Any]) -> str:
    """SendCommand at most once per (execution, host) (`aws_clients.at_most_once`)."""
    return aws_clients.at_most_once(
        lambda: _already_sent(ssm, audit, host, kwargs["DocumentName"], kwargs["Comment"]),
        lambda: str(ssm.send_command(**kwargs)["Command"]["CommandId"]),
    )


def send(
    ssm: "SSMClient", audit: Audit, host: HostTarget, document: str, bucket: str | None, now: float
) -> SentCommand:
    parameters: dict[str, list[str]] = {}
    if len(host.tasks) == 1:  # one task: the probe only looks at its containers
        parameters["taskArn"] = [host.tasks[0].task_arn]
    prefix = keys.ssm_output_prefix(audit.execution.name, host.account)
    kwargs: dict[str, Any] = {
        "InstanceIds": [host.instance_id],
        "DocumentName": document,
        "Parameters": parameters,
        "TimeoutSeconds": max(SSM_MIN_TIMEOUT, audit.probe_deadline_seconds),
        "Comment": command_comment(audit, host),
    }
    if bucket:
        kwargs["OutputS3BucketName"] = bucket
        kwargs["OutputS3KeyPrefix"] = prefix
    try:
        command_id = _send_once(ssm, audit, host, kwargs)
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code in ("InvalidInstanceId", "UnsupportedPlatformType"):
            raise HostNotManaged(
                f"SSM refused to send the probe to {host.instance_id}: {code}: "
                f"{exc.response['Error'].get('Message', '')}"
            ) from None
        message = exc.response["Error"].get("Message", "")
        if code == "AccessDeniedException" and f"/{host.instance_id} " in f"{message} ":
            # Denied on the instance itself: the role targets only instances tagged for the cluster.
            tag = f"ecs-netaudit:cluster={host.cluster or audit.cluster}"  # the instance's own cluster
            role = f"the member role of account {host.account}" if host.account else "the role"
            raise HostNotManaged(
                f"SSM SendCommand to {host.instance_id} was denied on the instance ({message}); "
                f"{role} sends the probe only to instances tagged {tag}"
            ) from None
        # Any other denial (the document, the output bucket) is the deployment's: AWS's message
        # names the action and the resource, and travels unchanged.
        if code == "InvalidParameters":
            raise ProbeFailed(
                f"SSM rejected the probe parameters for {host.instance_id}: "
                f"{exc.response['Error'].get('Message', '')}"
            ) from None
        raise
    return SentCommand(
        command_id=command_id,
        instance_id=host.instance_id,
        sent_at=now,
        deadline=now + audit.probe_deadline_seconds,
        output_s3_bucket=bucket,
        output_s3_prefix=prefix if bucket else None,
    )


def _tail(text: str, limit: int = 600) -> str:
    text = text.strip()
    return text if len(text) <= limit else "..." + text[-limit:]


def get(ssm: "SSMClient", host: HostTarget, sent: SentCommand, now: float) -> ProbeResult:
    """The command's state; terminal=False keeps the Wait loop going."""
    base = {"instance_id": host.instance_id, "command_id": sent.command_id}
    inv: Mapping[str, Any]
    try:
        inv = ssm.get_command_invocation(CommandId=sent.command_id, InstanceId=host.instance_id)
        status = inv.get("Status", "Pending")
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "InvocationDoesNotExist":
            raise
        inv, status = {}, "Pending"  # asked too early: the invocation is not there yet

    if status in PENDING:
        if now >= sent.deadline:
            # best effort: the command's own timeout ends it anyway
            with contextlib.suppress(ClientError):
                ssm.cancel_command(CommandId=sent.command_id, InstanceIds=[host.instance_id])
            raise ProbeTimedOut(
                f"The probe command {sent.command_id} on {host.instance_id} was still {status} "
                f"after {int(sent.deadline - sent.sent_at)} s (probeDeadlineSeconds)"
            )
        return ProbeResult(**base, status=status, terminal=False)

    code = inv.get("ResponseCode")
    stderr = _tail(inv.get("StandardErrorContent", ""))
    if status == "TimedOut":
        raise ProbeTimedOut(
            f"The probe command {sent.command_id} on {host.instance_id} timed out in SSM "
            f"({inv.get('StatusDetails', 'TimedOut')}){': ' + stderr if stderr else ''}"
        )
    if status != "Success":
        raise ProbeFailed(
            f"The probe command {sent.command_id} on {host.instance_id} ended {status} "
            f"({inv.get('StatusDetails', status)}, exit code {code})"
            f"{': ' + stderr if stderr else ''}"
        )
    stdout = inv.get("StandardOutputContent", "")
    # The agent cuts at 24,000 bytes (a multi-byte character may be cut off): compare bytes.
    truncated = len(stdout.encode("utf-8")) >= SSM_INLINE_OUTPUT_LIMIT - 3
    uri = None
    if sent.output_s3_bucket:
        folder = keys.ssm_output_folder(sent.output_s3_prefix or "", sent.command_id, host.instance_id)
        uri = keys.uri(sent.output_s3_bucket, folder)
    if truncated and not uri:
        raise ProbeFailed(
            f"The probe output on {host.instance_id} is longer than {SSM_INLINE_OUTPUT_LIMIT} characters "
            "and no S3 output bucket was configured to read it from"
        )
    return ProbeResult(
        **base,
        status=status,
        terminal=True,
        response_code=code,
        stdout=None if truncated else stdout,
        truncated=truncated,
        output_s3_uri=uri,
    )


def poll(ssm: "SSMClient", host: HostTarget, sent: SentCommand, now: float) -> SentCommand:
    """One poll of the loop: the command back with its poll count, status and, once terminal, the
    result. Bounded by MAX_POLLS as well as by the deadline, so a poll interval of 0 cannot fill
    the execution's 25,000-event history (ProbeTimedOut: this host's tasks INCONCLUSIVE)."""
    polls = sent.polls + 1
    result = get(ssm, host, sent, now)
    if not result.terminal and polls >= MAX_POLLS:
        with contextlib.suppress(ClientError):
            ssm.cancel_command(CommandId=sent.command_id, InstanceIds=[host.instance_id])
        raise ProbeTimedOut(
            f"The probe command {sent.command_id} on {host.instance_id} was still {result.status} "
            f"after {polls} polls (at most {MAX_POLLS} per command; raise pollIntervalSeconds)"
        )
    return sent.model_copy(
        update={
            "polls": polls,
            "status": result.status,
            "terminal": result.terminal,
            "result": result if result.terminal else None,
        }
    )

"""SSM: SendCommand, GetCommandInvocation and DescribeInstanceInformation as SSM answers them.

- SendCommand: the document's `allowedPattern` enforced (moto does not), the script run by the
  instance's `Host`, stdout written to S3 (OutputS3BucketName) with AWS's key layout.
- GetCommandInvocation answers from that record: InProgress first, then the output cut at
  24,000 characters as AWS does.
- DescribeInstanceInformation (missing in moto) from the hosts, paged and validated like SSM
  (MaxResults 5-50, NextToken).
"""

from collections.abc import Mapping
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from netaudit import keys
from netaudit.probe.parse import SSM_INLINE_OUTPUT_LIMIT as STDOUT_LIMIT
from netaudit_local.cloud import moto_patches
from netaudit_local.cloud.account import ACCOUNT, REGION
from netaudit_local.cloud.run_state import CommandRecord
from netaudit_local.hosts.ssm_runner import DocumentError, ParameterError, resolve_parameters

if TYPE_CHECKING:
    from moto.core.responses import ActionResult

    from netaudit_local.cloud.run_state import RunState

STDERR_LIMIT = 8_000
SSM_INFO_PAGE_MIN, SSM_INFO_PAGE_MAX = 5, 50  # DescribeInstanceInformation's MaxResults range
# The agent version local hosts report: the first that passes ENV_VAR parameters (a host may set
# `ssm_agent_version` to play an older one).
LOCAL_AGENT_VERSION = "3.3.2746.0"


def check_parameters(content: dict[str, Any], given: Mapping[str, list[str]]) -> dict[str, str]:
    """SSM's parameter validation for a Command document, answered the way SSM answers it."""
    from moto.core.exceptions import JsonRESTError

    several = sorted(name for name, values in given.items() if len(values) > 1)
    if several:  # every parameter of the probe document is a String: one value each
        raise JsonRESTError("InvalidParameters", f"parameter {several[0]!r} takes one value, got several")
    try:
        return resolve_parameters(content, {name: values[0] for name, values in given.items() if values})
    except (ParameterError, DocumentError) as exc:
        raise JsonRESTError("InvalidParameters", str(exc)) from exc


class SsmSeam:
    def __init__(self, seams: "RunState") -> None:
        self.seams = seams
        self._send: Any = None  # moto's own methods: documents that are not the project's
        self._get: Any = None

    def install(self, stack: ExitStack) -> None:
        # moto calls these as methods of its own classes: each lambda stands in that method's place
        self._send = moto_patches.patch(
            stack, "ssm.send_command", lambda backend, **kw: self.send_command(backend, **kw)
        )
        self._get = moto_patches.patch(
            stack,
            "ssm.get_command_invocation",
            lambda backend, command_id, instance_id, plugin_name: self.get_command_invocation(
                backend, command_id, instance_id, plugin_name
            ),
        )
        moto_patches.patch(
            stack,
            "ssm.describe_instance_information",
            lambda resp: self.describe_instance_information(resp),
            create=True,
        )

    def send_command(self, backend: Any, **kwargs: Any) -> Any:
        from moto.core.exceptions import JsonRESTError
        from moto.s3.models import s3_backends

        seams = self.seams
        seams.maybe_throttle("ssm:SendCommand")
        name = kwargs.get("document_name") or ""
        content = seams.documents.get(name)
        if content is None:
            return self._send(backend, **kwargs)
        values = check_parameters(content, kwargs.get("parameters") or {})
        instance_ids = list(kwargs.get("instance_ids") or [])
        for iid in instance_ids:
            host = seams.host_of_instance(iid)
            # an instance of another account is not this account's to command (SSM: InvalidInstanceId)
            elsewhere = seams.host_account(iid) != backend.account_id
            if host is None or host.ping_status() != "Online" or elsewhere:
                raise JsonRESTError(
                    "InvalidInstanceId",
                    f"Instances [[{iid}]] not in a valid state for account {backend.account_id}",
                )
        command = self._send(backend, **kwargs)
        step = str((content.get("mainSteps") or [{}])[0].get("name", "step"))
        bucket = kwargs.get("output_s3_bucket_name") or ""
        prefix = (kwargs.get("output_s3_key_prefix") or "").strip("/")
        for iid in instance_ids:
            host = seams.hosts[iid]
            outcome = host.run_command(content, values, int(kwargs.get("timeout_seconds") or 3600))
            record = CommandRecord(command.command_id, iid, name, outcome, seams.in_progress_polls, step)
            # the instance writes the output (its own role): a member's instance only where the
            # bucket policy and its role allow (AWS: the upload fails, the command still succeeds)
            base = keys.ssm_output_folder(prefix, command.command_id, iid) + f"awsrunShellScript/{step}"
            account = seams.host_account(iid)
            denied = (
                seams.iam.instance_write(account, iid, bucket, f"{base}/stdout")
                if bucket and account != ACCOUNT and seams.iam is not None
                else None
            )
            if bucket and denied is None:
                s3 = s3_backends[ACCOUNT]["aws"]
                s3.put_object(bucket, f"{base}/stdout", outcome.stdout.encode())
                record.stdout_url = f"https://s3.{REGION}.amazonaws.com/{bucket}/{base}/stdout"
                if outcome.stderr:
                    s3.put_object(bucket, f"{base}/stderr", outcome.stderr.encode())
                    record.stderr_url = f"https://s3.{REGION}.amazonaws.com/{bucket}/{base}/stderr"
            seams.commands[(command.command_id, iid)] = record
        command.status = "InProgress"
        return command

    def get_command_invocation(
        self, backend: Any, command_id: str, instance_id: str, plugin_name: str | None
    ) -> dict[str, Any]:
        from moto.core.exceptions import JsonRESTError

        seams = self.seams
        seams.maybe_throttle("ssm:GetCommandInvocation")
        record = seams.commands.get((command_id, instance_id))
        if record is None:
            if any(cid == command_id for cid, _ in seams.commands):  # ours, not on that instance
                raise JsonRESTError("InvocationDoesNotExist", "")
            return dict(self._get(backend, command_id, instance_id, plugin_name))
        base = {
            "CommandId": command_id,
            "InstanceId": instance_id,
            "Comment": "",
            "DocumentName": record.document_name,
            "DocumentVersion": "$DEFAULT",
            "PluginName": plugin_name or record.step_name,
            "ExecutionStartDateTime": record.requested.isoformat(),
        }
        if record.polls_before_done > 0:
            record.polls_before_done -= 1
            return {
                **base,
                "ResponseCode": -1,
                "Status": "InProgress",
                "StatusDetails": "InProgress",
                "StandardOutputContent": "",
                "StandardErrorContent": "",
            }
        o = record.outcome
        details = {
            "Success": "Success",
            "Failed": "Failed",
            "TimedOut": "ExecutionTimedOut",
            "Cancelled": "Cancelled",
        }[o.status]
        return {
            **base,
            "ResponseCode": o.exit_code,
            "ExecutionEndDateTime": datetime.now(UTC).isoformat(),
            "Status": o.status,
            "StatusDetails": details,
            "StandardOutputContent": o.stdout[:STDOUT_LIMIT],
            "StandardOutputUrl": record.stdout_url,
            "StandardErrorContent": o.stderr[:STDERR_LIMIT],
            "StandardErrorUrl": record.stderr_url,
        }

    def describe_instance_information(self, resp: Any) -> "ActionResult":
        """SSM's answer, with SSM's checks: MaxResults 5-50, Filters and the legacy
        InstanceInformationFilterList not both, at most MaxResults a page (NextToken)."""
        from moto.core.exceptions import JsonRESTError
        from moto.core.responses import ActionResult

        seams = self.seams
        seams.maybe_throttle("ssm:DescribeInstanceInformation")
        filters = resp._get_param("Filters") or []
        legacy = resp._get_param("InstanceInformationFilterList") or []
        if filters and legacy:
            raise JsonRESTError(
                "ValidationException", "InstanceInformationFilterList and Filters cannot be used together"
            )
        max_results = resp._get_param("MaxResults")
        page_size = SSM_INFO_PAGE_MAX if max_results is None else int(max_results)
        if not SSM_INFO_PAGE_MIN <= page_size <= SSM_INFO_PAGE_MAX:
            raise JsonRESTError(
                "ValidationException",
                f"1 validation error detected: Value '{page_size}' at 'maxResults' failed to satisfy "
                f"constraint: Member must have value between {SSM_INFO_PAGE_MIN} and {SSM_INFO_PAGE_MAX}",
            )
        token = resp._get_param("NextToken")
        if token is not None and not str(token).isdigit():
            raise JsonRESTError("InvalidNextToken", "The specified token is not valid.")
        start = int(token or 0)
        wanted: set[str] | None = None
        for f in filters:
            if f.get("Key") == "InstanceIds":
                wanted = set(f.get("Values") or [])
        for f in legacy:
            if f.get("key") == "InstanceIds":
                wanted = set(f.get("valueSet") or [])
        infos = []
        for iid, host in sorted(seams.hosts.items()):
            ping = host.ping_status()
            if ping == "NotRegistered" or (wanted is not None and iid not in wanted):
                continue
            if seams.host_account(iid) != resp.current_account:  # each account sees its own instances
                continue
            infos.append(
                {
                    "InstanceId": iid,
                    "PingStatus": ping,
                    "LastPingDateTime": datetime.now(UTC),
                    "AgentVersion": getattr(host, "ssm_agent_version", LOCAL_AGENT_VERSION),
                    "IsLatestVersion": True,
                    "PlatformType": "Linux",
                    "PlatformName": getattr(host, "platform_name", "Amazon Linux"),
                    "PlatformVersion": "2023",
                    "ResourceType": "EC2Instance",
                }
            )
        answer: dict[str, Any] = {"InstanceInformationList": infos[start : start + page_size]}
        if start + page_size < len(infos):
            answer["NextToken"] = str(start + page_size)
        return ActionResult(answer)

"""SendProbe: the project's SSM Command document to one host."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from netaudit import aws_clients
from netaudit.handlers._common import now
from netaudit.models.events import SendProbeEvent
from netaudit.observability import lambda_handler
from netaudit.settings import SendProbeSettings
from netaudit.workflow import probe_runner


@lambda_handler(SendProbeEvent)
def handler(event: SendProbeEvent, context: LambdaContext) -> dict[str, Any]:
    env = SendProbeSettings.from_env()
    audit, host = event.audit, event.host
    who = aws_clients.member(host.account, audit.execution.name, audit.hub_account)
    # in a member: its own copy of the document (member/netaudit-member.yaml, a fixed name)
    document = env.probe_document_name if who is None else aws_clients.MEMBER_PROBE_DOCUMENT
    ssm = aws_clients.never_resend(aws_clients.ssm(who), "SendCommand")
    sent = probe_runner.send(ssm, audit, host, document, env.evidence_bucket, now())
    return sent.dump()

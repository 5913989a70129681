"""EvaluateHost: one host's probe output -> its tasks' verdicts in S3, a small summary back."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from netaudit import aws_clients
from netaudit.models.events import EvaluateHostEvent
from netaudit.observability import lambda_handler
from netaudit.settings import EvaluateSettings
from netaudit.workflow.evaluate import evaluate_host, probe_outcome


@lambda_handler(EvaluateHostEvent)
def handler(event: EvaluateHostEvent, context: LambdaContext) -> dict[str, Any]:
    settings = EvaluateSettings.from_env()
    it = event.iteration
    probe = probe_outcome(it.host, it.command, it.error)
    bucket = settings.evidence_bucket
    return evaluate_host(aws_clients.s3(), bucket, it.audit, it.host, probe, it.result_bytes)

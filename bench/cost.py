"""Estimated AWS cost of one audit, from published on-demand list prices (us-east-1, 2026).

Free tiers are ignored (worst case). SSM Run Command on EC2 instances has no charge.
"""

from dataclasses import dataclass

SFN_STANDARD_PER_TRANSITION = 0.025 / 1_000  # Step Functions Standard: $0.025 per 1,000
LAMBDA_PER_REQUEST = 0.20 / 1_000_000  # $0.20 per 1M requests
LAMBDA_ARM_PER_GB_SECOND = 0.0000133334  # arm64
S3_PUT_PER_REQUEST = 0.005 / 1_000
S3_GET_PER_REQUEST = 0.0004 / 1_000
SNS_PER_PUBLISH = 0.50 / 1_000_000
SECURITYHUB_PER_FINDING_INGESTED = 0.00003  # first 10,000 a month are free; ignored here
SSM_RUN_COMMAND_EC2 = 0.0


@dataclass(frozen=True)
class AuditUsage:
    state_transitions: int
    lambda_invocations: int
    lambda_gb_seconds: float
    s3_puts: int
    s3_gets: int
    sns_publishes: int
    ssm_commands: int
    findings: int = 0


def estimate_usd(usage: AuditUsage) -> dict[str, float]:
    """Cost per service and the total, in US dollars."""
    parts = {
        "stepfunctions": usage.state_transitions * SFN_STANDARD_PER_TRANSITION,
        "lambda": usage.lambda_invocations * LAMBDA_PER_REQUEST
        + usage.lambda_gb_seconds * LAMBDA_ARM_PER_GB_SECOND,
        "s3": usage.s3_puts * S3_PUT_PER_REQUEST + usage.s3_gets * S3_GET_PER_REQUEST,
        "sns": usage.sns_publishes * SNS_PER_PUBLISH,
        "ssm": usage.ssm_commands * SSM_RUN_COMMAND_EC2,
        "securityhub": usage.findings * SECURITYHUB_PER_FINDING_INGESTED,
    }
    parts["total"] = sum(parts.values())
    return parts

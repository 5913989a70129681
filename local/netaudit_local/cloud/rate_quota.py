"""API rate quotas, held locally the way AWS holds them: a token bucket per API and account,
refilled at the quota's rate up to its burst; a call with no token left gets AWS's
`ThrottlingException` ("Rate exceeded"), which the caller retries (boto3, then the Task's Retry
on AwsThrottled). moto has no rate quota at all.

SSM's Run Command APIs (SendCommand, GetCommandInvocation, ListCommandInvocations) are throttled
per account and Region; their values are the account's, read in Service Quotas (a
ThrottlingException names its QuotaCode and ServiceCode: botocore's SSM model). AWS's pages
reachable here publish no default for these three APIs, so `SSM_ASSUMED` below is an assumption
to test against, not AWS's number: pass the account's own values where they are known.

Never imported by a Lambda.
"""

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass
class RateQuota:
    per_second: float
    burst: float
    _tokens: float = field(default=-1.0, repr=False)
    _at: float = field(default=0.0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take(self, now: float | None = None) -> bool:
        """One call: True when a token was left (the call goes through), False when throttled."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if self._tokens < 0:  # first call: a full bucket
                self._tokens, self._at = self.burst, now
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.per_second)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


# Assumed (see the module doc): requests per second and burst, per account and Region.
SSM_ASSUMED: Mapping[str, tuple[float, float]] = {
    "ssm:SendCommand": (20.0, 40.0),
    "ssm:GetCommandInvocation": (20.0, 40.0),
    "ssm:ListCommandInvocations": (20.0, 40.0),
}


def buckets(quotas: Mapping[str, tuple[float, float]]) -> dict[str, RateQuota]:
    return {op: RateQuota(rate, burst) for op, (rate, burst) in quotas.items()}

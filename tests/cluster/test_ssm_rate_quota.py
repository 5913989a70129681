"""SSM rate quotas held locally (netaudit_local.cloud.rate_quota): over the quota, AWS answers
ThrottlingException; the audit retries each host's own calls and still verifies every host,
and one host's throttled call never becomes another host's result."""

import contextlib
import io

import pytest
from botocore.exceptions import ClientError
from cluster_harness import evidence_of

from netaudit_local.cloud.aws import local_aws
from netaudit_local.cloud.rate_quota import RateQuota
from netaudit_local.hosts.fleet import Placer, fleet_hosts, spread
from netaudit_local.stack import create_stack, run_execution


def test_a_bucket_refills_at_its_rate_up_to_its_burst() -> None:
    quota = RateQuota(per_second=2.0, burst=3.0)
    assert [quota.take(now=10.0) for _ in range(4)] == [True, True, True, False]
    assert quota.take(now=10.4) is False  # 0.8 token
    assert quota.take(now=10.5) is True  # 1 token after 0.5 s at 2/s
    assert [quota.take(now=100.0) for _ in range(4)] == [True, True, True, False]  # never above burst


def test_over_the_quota_ssm_answers_throttling_as_aws_does() -> None:
    import boto3
    from botocore.config import Config

    with local_aws(fleet_hosts(1), rate_quotas={"ssm:GetCommandInvocation": (0.001, 1.0)}):
        ssm = boto3.client("ssm", region_name="us-east-1", config=Config(retries={"max_attempts": 1}))
        for expected in ("InvalidCommandId", "ThrottlingException"):
            with pytest.raises(ClientError) as caught:
                ssm.get_command_invocation(CommandId="0" * 36, InstanceId="i-0f1ee700000000000")
            assert caught.value.response["Error"]["Code"] == expected


def test_a_throttled_audit_still_verifies_every_host_on_its_own_result() -> None:
    hosts = fleet_hosts(6)
    # a burst of 2 and 4 calls a second: six hosts sending at once are throttled and retried
    quotas = {"ssm:SendCommand": (4.0, 2.0), "ssm:GetCommandInvocation": (4.0, 2.0)}
    with local_aws(hosts, in_progress_polls=0, rate_quotas=quotas) as seams:
        stack = create_stack(seams)
        placer = Placer(seams, stack.cluster, stack.container_instances, stack.subnet_id)
        layout = spread(12, hosts, ("none",))
        placed = {h.instance_id: placer.place(h, layout[h.instance_id]) for h in hosts}
        tampered = placed[hosts[3].instance_id][0]
        hosts[3].violating.add(tampered)
        with contextlib.redirect_stdout(io.StringIO()):
            result = run_execution(
                stack, "throttled", {"target": {"kind": "cluster"}, "pollIntervalSeconds": 0}, timeout_s=600
            )
        throttled = list(seams.throttled)
        evidence = evidence_of(result)
    assert "ssm:SendCommand" in throttled  # the quota did bind
    verdicts = {t["taskArn"]: t["verdict"] for t in evidence["tasks"]}
    assert len(verdicts) == 12 and not evidence["notProbed"]
    assert [arn for arn, v in verdicts.items() if v != "ISOLATED"] == [tampered]
    assert verdicts[tampered] == "VIOLATION"

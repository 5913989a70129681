"""SSM Run Command at scale: what an audit sends per second, against SSM's rate quotas.

The calls per host come from a real local run (its Lambda invocations: each SendProbe sends one
SendCommand, each GetProbe one GetCommandInvocation; nothing calls ListCommandInvocations); the
timing is AWS's at the template's defaults, because the local run polls at 0 s:

- hosts in flight = MapMaxConcurrency (groups) x HOSTS_PER_GROUP (25), all of a group at once
  (the child's Inline Map has no MaxConcurrency);
- a host's cycle = SendProbe + polls x (PollIntervalSeconds + a GetProbe) + Evaluate, each Lambda
  call CALL_S;
- mean rate = calls per host x hosts in flight / cycle; peak = a whole wave of groups starting
  (or polling) in the same second: hosts in flight x calls per host per wave.

Quotas: rate_quota.SSM_ASSUMED (per account and Region; AWS publishes no default for these APIs
in the pages reachable here: the bench says so and compares with the assumption). Throttled calls
are retried (boto3 standard mode, then the Task's Retry on AwsThrottled), per host.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from netaudit.workflow.hosts import HOSTS_PER_GROUP
from netaudit_local.cloud.rate_quota import SSM_ASSUMED
from netaudit_local.template import load_template

ROOT = Path(__file__).resolve().parents[1]
CALL_S = 0.3  # one Lambda call with its AWS round trip (bench_cluster's EXPRESS_CALL_S)


@dataclass(frozen=True)
class Rates:
    api: str
    per_host: float  # calls per host, measured
    mean_per_s: float
    peak_per_s: float
    quota: tuple[float, float]  # (per second, burst), assumed

    @property
    def over(self) -> bool:
        """Sustained above the refill rate, or a wave above what the bucket holds."""
        rate, burst = self.quota
        return self.mean_per_s > rate or self.peak_per_s > burst + rate


def template_defaults() -> tuple[int, float]:
    params = load_template(ROOT / "template.yaml")["Parameters"]
    return int(params["MapMaxConcurrency"]["Default"]), float(params["PollIntervalSeconds"]["Default"])


def audit_rates(
    hosts: int, calls: Mapping[str, int], target_hosts: int, concurrency: int, poll_s: float
) -> list[Rates]:
    """`calls`: API -> calls the local run made for `hosts` hosts."""
    in_flight = min(target_hosts, concurrency * HOSTS_PER_GROUP)
    polls = max(1.0, calls.get("ssm:GetCommandInvocation", 0) / max(hosts, 1))
    cycle = CALL_S + polls * (poll_s + CALL_S) + CALL_S
    out = []
    for api in ("ssm:SendCommand", "ssm:GetCommandInvocation", "ssm:ListCommandInvocations"):
        per_host = calls.get(api, 0) / max(hosts, 1)
        per_wave = per_host / polls if api == "ssm:GetCommandInvocation" else per_host
        out.append(
            Rates(
                api=api,
                per_host=per_host,
                mean_per_s=per_host * in_flight / cycle,
                peak_per_s=per_wave * in_flight,
                quota=SSM_ASSUMED[api],
            )
        )
    return out


def report(hosts: int, calls: Mapping[str, int], target_hosts: int = 5000) -> list[str]:
    concurrency, poll_s = template_defaults()
    lines = [
        f"SSM at {target_hosts:,} hosts, template defaults (MapMaxConcurrency {concurrency} x "
        f"{HOSTS_PER_GROUP} hosts in flight, PollIntervalSeconds {poll_s:g}), calls per host from the "
        f"local run of {hosts:,} hosts; quota = ASSUMED (AWS publishes none for these APIs in the "
        "pages reachable here; yours: Service Quotas):"
    ]
    rates = audit_rates(hosts, calls, target_hosts, concurrency, poll_s)
    for r in rates:
        rate, burst = r.quota
        verdict = "over: throttled calls are retried per host" if r.over else "under"
        lines.append(
            f"  {r.api:<28} {r.per_host:4.2f}/host  mean {r.mean_per_s:6.1f}/s  peak {r.peak_per_s:6.0f}/s "
            f"(a wave)  vs {rate:g}/s, burst {burst:g}: {verdict}"
        )
    # the audit's rate is proportional to MapMaxConcurrency: the largest that keeps every mean under
    binding = [r for r in rates if r.mean_per_s > 0]
    fits = min(
        (max(1, int(concurrency * r.quota[0] / r.mean_per_s)) for r in binding), default=concurrency
    )
    if fits < concurrency:
        lines.append(
            f"  to stay under the assumed rates: MapMaxConcurrency {fits} (mean scales with it; "
            f"{target_hosts:,} hosts then take about {audit_seconds(target_hosts, fits, poll_s):.0f} s "
            f"instead of {audit_seconds(target_hosts, concurrency, poll_s):.0f} s)"
        )
    return lines


def audit_seconds(hosts: int, concurrency: int, poll_s: float, polls: float = 1.0) -> float:
    waves = -(-hosts // (concurrency * HOSTS_PER_GROUP))
    return waves * (CALL_S + polls * (poll_s + CALL_S) + CALL_S)

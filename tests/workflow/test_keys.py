"""The evidence bucket's key layout (netaudit.keys) and the template's IAM grants agree: every
grant on the bucket names a prefix of the layout, every prefix is granted, and each key a step
builds falls under what that step's role is allowed."""

import fnmatch
from collections.abc import Iterator
from typing import Any

import pytest

from netaudit import keys
from netaudit_local.template import load_template

BUCKET_ARN = "${EvidenceBucket.Arn}/"
EXECUTION = "netaudit-exec-1"
INSTANCE = "i-0123456789abcdef0"
SSM_FOLDER = keys.ssm_output_folder(keys.ssm_output_prefix(EXECUTION), "cmd-1", INSTANCE)


def _statements(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Statement" and isinstance(value, list):
                yield from (s for s in value if isinstance(s, dict))
            else:
                yield from _statements(value)
    elif isinstance(node, list):
        for item in node:
            yield from _statements(item)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _grants() -> dict[str, list[tuple[str, str]]]:
    """Resource name -> [(action, object pattern or `prefix:` + s3:prefix)] on the evidence bucket,
    Allow statements only (the bucket policy's Deny of insecure transport covers `/*`)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for name, resource in load_template()["Resources"].items():
        for statement in _statements(resource):
            if statement.get("Effect") != "Allow":
                continue
            actions = [str(a) for a in _listed(statement.get("Action"))]
            for res in _listed(statement.get("Resource")):
                sub = res.get("Fn::Sub") if isinstance(res, dict) else None
                if isinstance(sub, str) and sub.startswith(BUCKET_ARN):
                    out.setdefault(name, []).extend((a, sub.removeprefix(BUCKET_ARN)) for a in actions)
            like = (statement.get("Condition") or {}).get("StringLike") or {}
            for prefix in _listed(like.get("s3:prefix", [])):
                out.setdefault(name, []).extend((a, f"prefix:{prefix}") for a in actions)
    return out


def test_every_grant_on_the_evidence_bucket_is_a_prefix_of_the_layout() -> None:
    patterns = [p.removeprefix("prefix:") for grants in _grants().values() for _, p in grants]
    assert patterns, "no grant on the evidence bucket found in template.yaml"
    for pattern in patterns:
        assert pattern.endswith("*") and pattern.removesuffix("*") in keys.PREFIXES, pattern


def test_every_prefix_of_the_layout_is_granted() -> None:
    granted = {p.removeprefix("prefix:").removesuffix("*") for g in _grants().values() for _, p in g}
    assert granted == set(keys.PREFIXES)


@pytest.mark.parametrize(
    ("resource", "action", "key"),
    [
        ("ResolveHostsFunction", "s3:PutObject", keys.resolved_key(EXECUTION)),
        ("ResolveHostsFunction", "s3:PutObject", keys.hosts_key(EXECUTION)),
        ("EvaluateFunction", "s3:PutObject", keys.host_result_key(EXECUTION, INSTANCE)),
        ("EvaluateFunction", "s3:GetObject", SSM_FOLDER + "awsrunShellScript/probe/stdout"),
        ("EvaluateFunction", "s3:ListBucket", "prefix:" + SSM_FOLDER),
        ("ReportFunction", "s3:GetObject", keys.resolved_key(EXECUTION)),
        ("ReportFunction", "s3:GetObject", keys.host_result_key(EXECUTION, INSTANCE)),
        ("ReportFunction", "s3:ListBucket", "prefix:" + keys.results_prefix(EXECUTION)),
        ("ReportFunction", "s3:PutObject", keys.report_key("canary", EXECUTION, "2026-11-25T10:00:00Z")),
        ("ReportFunction", "s3:PutObject", keys.report_key("cluster", EXECUTION, None)),
        *[
            ("ReportFunction", "s3:PutObject", sibling)
            for sibling in keys.sibling_keys(keys.report_key("tasks", EXECUTION, None)).values()
        ],
        ("NetauditStateMachine", "s3:GetObject", keys.hosts_key(EXECUTION)),
        ("NetauditStateMachine", "s3:PutObject", f"{keys.MAP_RESULTS}/run-1/manifest.json"),
    ],
)
def test_each_key_a_step_builds_is_granted_to_that_step(resource: str, action: str, key: str) -> None:
    grants = _grants().get(resource, [])
    if key.startswith("prefix:"):
        allowed = [p for a, p in grants if a == action and p.startswith("prefix:")]
    else:
        allowed = [p for a, p in grants if a == action and not p.startswith("prefix:")]
    assert any(fnmatch.fnmatchcase(key, p) for p in allowed), (resource, action, key, allowed)


def test_the_ssm_output_prefix_is_the_granted_prefix_and_the_probe_runner_uses_it() -> None:
    """SendCommand's OutputS3KeyPrefix: the agent writes below it (instance role: `ssm/*`)."""
    from netaudit.models.inputs import Audit, HostTarget
    from netaudit.workflow import probe_runner

    class Ssm:
        def send_command(self, **kwargs: Any) -> dict[str, Any]:
            self.kwargs = kwargs
            return {"Command": {"CommandId": "cmd-1"}}

        def list_commands(self, **_: Any) -> dict[str, Any]:  # nothing sent before
            return {"Commands": []}

    audit = Audit.model_validate(
        {
            "execution": {"name": EXECUTION},
            "cluster": "c",
            "target": {"kind": "cluster"},
            "image": "x",
            "pollIntervalSeconds": 1,
            "runningDeadlineSeconds": 1,
            "probeDeadlineSeconds": 1,
        }
    )
    host = HostTarget(instance_id=INSTANCE, container_instance_arn="arn:ci", tasks=[])
    ssm = Ssm()
    sent = probe_runner.send(ssm, audit, host, "doc", "bucket", now=0.0)  # type: ignore[arg-type]
    assert ssm.kwargs["OutputS3KeyPrefix"] == keys.ssm_output_prefix(EXECUTION) == sent.output_s3_prefix
    assert sent.output_s3_prefix.startswith(keys.SSM_OUTPUT)

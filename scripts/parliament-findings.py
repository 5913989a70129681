"""Runs in .venv-parliament (parliament's own venv: it needs pkg_resources, i.e. setuptools<81).
stdin: {"<role>/<policy name>": <IAM policy document>, ...}
stdout: [{"policy", "issue", "severity", "title", "detail"}, ...] (parliament's findings, JSON)."""

import json
import sys
import warnings

warnings.simplefilter("ignore")  # pkg_resources' deprecation notice on every run

from parliament import analyze_policy_string, config  # noqa: E402

findings = []
for name, document in json.load(sys.stdin).items():
    policy = analyze_policy_string(json.dumps(document), include_community_auditors=False)
    for f in policy.findings:
        meta = config.get(f.issue, {})
        findings.append(
            {
                "policy": name,
                "issue": f.issue,
                "severity": meta.get("severity", ""),
                "title": meta.get("title", ""),
                "detail": f.detail,
            }
        )
json.dump(findings, sys.stdout, default=str)

"""Copies an audit's objects (HTML, OCSF, JUnit, or the whole manifest set) out of S3 into local
files: for `netaudit demo` (moto's S3) and `netaudit audit` (a deployed stack's bucket).

The files are exactly what the Report step stored, so they match the manifest."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netaudit.exports import manifest

KINDS: tuple[str, ...] = ("html", "ocsf", "junit")


@dataclass(frozen=True)
class OutputFiles:
    """Local files asked for on the command line (None: not asked for)."""

    html: str | None = None
    ocsf: str | None = None
    junit: str | None = None
    evidence_dir: str | None = None  # the manifest and every object it lists, keys as paths

    def requested(self) -> bool:
        return any((self.html, self.ocsf, self.junit, self.evidence_dir))


@dataclass
class Saved:
    files: dict[str, str] = field(default_factory=dict)  # kind -> local path
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What a demo prints of them: each file written, each one not."""
        return [f"{kind} written to: {path}" for kind, path in self.files.items()] + [
            f"NOT SAVED: {problem}" for problem in self.problems
        ]


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri.removeprefix("s3://"):
        raise ValueError(f"not an s3://bucket/key URI: {uri!r}")
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _get(s3: Any, bucket: str, key: str) -> bytes:
    body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


def read_object(s3: Any, uri: str) -> bytes:
    """The object at s3://bucket/key."""
    return _get(s3, *split_s3_uri(uri))


def save(s3: Any, evidence_uri: str | None, wanted: OutputFiles) -> Saved:
    """Write what `wanted` asks for; a missing object is a problem named in `Saved.problems`."""
    out = Saved()
    if not wanted.requested():
        return out
    if not evidence_uri:
        out.problems.append("the audit wrote no evidence (no report object to copy)")
        return out
    bucket, key = split_s3_uri(evidence_uri)
    keys = manifest.sibling_keys(key)
    for kind in KINDS:
        path = getattr(wanted, kind)
        if not path:
            continue
        try:
            Path(path).write_bytes(_get(s3, bucket, keys[kind]))
        except Exception as exc:
            out.problems.append(f"--{kind} {path}: s3://{bucket}/{keys[kind]}: {type(exc).__name__}: {exc}")
        else:
            out.files[kind] = path
    if wanted.evidence_dir:
        root = Path(wanted.evidence_dir)
        try:
            body = _get(s3, bucket, keys["manifest"])
            listed = manifest.parse(body)
            for obj in [*listed["objects"], {"key": keys["manifest"]}]:
                data = body if obj["key"] == keys["manifest"] else _get(s3, bucket, obj["key"])
                target = root / obj["key"]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        except Exception as exc:
            out.problems.append(f"--evidence-dir {root}: {type(exc).__name__}: {exc}")
        else:
            out.files["evidence-dir"] = str(root / keys["manifest"])
    return out


@dataclass
class AuditEvidence:
    """What a local demo reads back of an audit: the report its execution returned, the evidence
    JSON the Report step stored (empty when it stored none), and the local copies asked for."""

    report: dict[str, Any]
    uri: str
    evidence: dict[str, Any]
    saved: Saved


def audit_evidence(s3: Any, report: Mapping[str, Any], wanted: OutputFiles | None) -> AuditEvidence:
    """The report's evidence object from S3 and the files `wanted` asks for (netaudit demo
    --cluster and --organization)."""
    uri = str(report.get("evidenceUri") or "")
    evidence: dict[str, Any] = json.loads(read_object(s3, uri)) if uri else {}
    return AuditEvidence(dict(report), uri, evidence, save(s3, uri or None, wanted or OutputFiles()))

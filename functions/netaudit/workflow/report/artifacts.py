"""The Report step's extra objects beside the evidence JSON: HTML report, OCSF findings, JUnit
XML, and the manifest with the SHA-256 of every object written or read.

Keys sit beside `<folder>/YYYY/MM/DD/<execution>.json` (same prefix, so the Report function's
`s3:PutObject` on `canary/*` and `audits/*` covers them). Every PutObject sends a SHA-256
checksum (`ChecksumAlgorithm`): S3 checks the bytes it received and keeps the checksum, and a
bucket with Object Lock default retention requires an integrity header on every PutObject
(Content-MD5 or x-amz-sdk-checksum-algorithm, S3 PutObject API reference).
A renderer or a put that fails never stops the report: the manifest lists it as not written
and the alert says so.

Object Lock (template parameters EvidenceObjectLockMode / EvidenceObjectLockDays): these objects
are written with a retention (`ObjectLockMode`, `ObjectLockRetainUntilDate`; needs
s3:PutObjectRetention). Per object, not as the bucket's default retention, so the other
writers of the bucket (the per-host results, the SSM agent's outputs) are not affected; those
are covered by the manifest's SHA-256 instead. A locked version cannot be overwritten or deleted
before its date (COMPLIANCE: by nobody; GOVERNANCE: only with s3:BypassGovernanceRetention);
a later PutObject makes a new version, which `netaudit evidence verify` reports as changed.
"""

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from netaudit.exports import html, junit, manifest, ocsf

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


logger = logging.getLogger(__name__)

Renderer = Callable[[Mapping[str, Any]], str]
RENDERERS: tuple[tuple[str, Renderer, str], ...] = (
    ("html", html.render, "text/html; charset=utf-8"),
    ("ocsf", ocsf.render, "application/x-ndjson"),
    ("junit", junit.render, "application/xml"),
)


def artifact_uris(bucket: str, evidence_key: str) -> dict[str, str]:
    keys = {"json": evidence_key, **manifest.sibling_keys(evidence_key)}
    return {name: f"s3://{bucket}/{key}" for name, key in keys.items()}


LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")


@dataclass(frozen=True)
class Retention:
    """S3 Object Lock retention of the report objects."""

    mode: str
    days: int

    @classmethod
    def parse(cls, mode: str | None, days: str | None) -> "Retention | None":
        """From the template's parameters: mode NONE (or unset) -> None."""
        if not mode or mode.upper() == "NONE":
            return None
        if mode.upper() not in LOCK_MODES or not (days or "").isdigit() or int(days or 0) < 1:
            raise ValueError(f"object lock: mode {mode!r} / days {days!r} (expected {LOCK_MODES}, days >= 1)")
        return cls(mode.upper(), int(days or 0))

    def headers(self) -> dict[str, Any]:
        until = datetime.now(UTC) + timedelta(days=self.days)
        return {"ObjectLockMode": self.mode, "ObjectLockRetainUntilDate": until}


def put(
    s3: "S3Client", bucket: str, key: str, body: bytes, content_type: str, retention: Retention | None = None
) -> str | None:
    """PutObject with a SHA-256 checksum (and the retention, if any); the new VersionId."""
    lock = retention.headers() if retention else {}
    answer = s3.put_object(
        Bucket=bucket, Key=key, Body=body, ContentType=content_type, ChecksumAlgorithm="SHA256", **lock
    )
    version: str | None = answer.get("VersionId")
    return version


@dataclass(frozen=True)
class Destination:
    """Where the evidence goes: the bucket, the evidence JSON's key, the Object Lock retention."""

    bucket: str
    key: str
    retention: Retention | None = None


@dataclass
class Published:
    uris: dict[str, str] = field(default_factory=dict)
    manifest_sha256: str | None = None
    problems: list[str] = field(default_factory=list)

    def message(self) -> str:
        """Lines for the alert: where the report and the findings are, the manifest's digest."""
        lines = []
        for name, label in (("html", "report (HTML)"), ("ocsf", "OCSF findings"), ("junit", "JUnit XML")):
            if name in self.uris:
                lines.append(f"{label}: {self.uris[name]}")
        if self.manifest_sha256:
            lines.append(f"manifest: {self.uris.get('manifest')} (SHA-256 {self.manifest_sha256})")
        lines.extend(f"NOT WRITTEN: {p}" for p in self.problems)
        return "\n".join(lines)


def publish(
    s3: "S3Client",
    to: Destination,
    evidence: Mapping[str, Any],
    written: Mapping[str, Any],
    read: Mapping[str, Mapping[str, Any]],
    created_at: str,
) -> Published:
    """Render and write HTML/OCSF/JUnit, then the manifest. `written` is the evidence JSON's
    manifest entry, `read` the entries of the objects the report was built from."""
    bucket, retention = to.bucket, to.retention
    keys = manifest.sibling_keys(to.key)
    all_uris = artifact_uris(bucket, to.key)
    out = Published()
    entries: list[dict[str, Any]] = [dict(written)]
    not_written: list[dict[str, str]] = []
    for name, render, content_type in RENDERERS:
        try:
            body = render(evidence).encode()
            version = put(s3, bucket, keys[name], body, content_type, retention)
        except Exception as exc:  # an extra: the evidence JSON and the alert still go out
            logger.exception("could not write %s", keys[name])
            not_written.append(
                {"key": keys[name], "role": "written", "error": f"{type(exc).__name__}: {exc}"}
            )
            out.problems.append(f"{all_uris[name]}: {type(exc).__name__}: {exc}")
            continue
        entries.append(manifest.entry(keys[name], body, version, "written"))
        out.uris[name] = all_uris[name]
    entries.extend({**entry, "role": "read"} for entry in read.values())
    document = manifest.build(bucket, evidence.get("execution") or {}, entries, created_at, not_written)
    body = json.dumps(document, indent=1).encode()
    try:
        put(s3, bucket, keys["manifest"], body, "application/json", retention)
    except Exception as exc:
        logger.exception("could not write the manifest %s", keys["manifest"])
        out.problems.append(f"{all_uris['manifest']}: {type(exc).__name__}: {exc}")
    else:
        out.uris["manifest"] = all_uris["manifest"]
        out.manifest_sha256 = manifest.sha256_hex(body)
    return out

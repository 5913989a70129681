"""The Report step's extra objects beside the evidence JSON: HTML report, OCSF findings, JUnit
XML, and the manifest with the SHA-256 of every object written or read.

Keys sit beside `<folder>/YYYY/MM/DD/<execution>.json` (same prefix, so the Report function's
`s3:PutObject` on `canary/*` and `audits/*` covers them). Every PutObject sends a SHA-256
checksum (`ChecksumAlgorithm`): S3 checks the bytes it received and keeps the checksum, and a
bucket with Object Lock default retention requires an integrity header on every PutObject
(Content-MD5 or x-amz-sdk-checksum-algorithm, S3 PutObject API reference).
A renderer or a put that fails never stops the report: the manifest lists it as not written
and the alert says so.
"""

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from netaudit.exports import html, junit, manifest, ocsf

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


def put(s3: Any, bucket: str, key: str, body: bytes, content_type: str) -> str | None:
    """PutObject with a SHA-256 checksum; the new object's VersionId (None when unversioned)."""
    answer = s3.put_object(
        Bucket=bucket, Key=key, Body=body, ContentType=content_type, ChecksumAlgorithm="SHA256"
    )
    version: str | None = answer.get("VersionId")
    return version


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
    s3: Any,
    bucket: str,
    evidence_key: str,
    evidence: Mapping[str, Any],
    written: Mapping[str, Any],
    read: Mapping[str, Mapping[str, Any]],
    created_at: str,
) -> Published:
    """Render and write HTML/OCSF/JUnit, then the manifest. `written` is the evidence JSON's
    manifest entry, `read` the entries of the objects the report was built from."""
    keys = manifest.sibling_keys(evidence_key)
    all_uris = artifact_uris(bucket, evidence_key)
    out = Published()
    entries: list[dict[str, Any]] = [dict(written)]
    not_written: list[dict[str, str]] = []
    for name, render, content_type in RENDERERS:
        try:
            body = render(evidence).encode()
            version = put(s3, bucket, keys[name], body, content_type)
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
        put(s3, bucket, keys["manifest"], body, "application/json")
    except Exception as exc:
        logger.exception("could not write the manifest %s", keys["manifest"])
        out.problems.append(f"{all_uris['manifest']}: {type(exc).__name__}: {exc}")
    else:
        out.uris["manifest"] = all_uris["manifest"]
        out.manifest_sha256 = manifest.sha256_hex(body)
    return out

"""The evidence manifest of one audit: the SHA-256 of every object the Report step wrote or
read, and checking a manifest against the objects as they are now.

Format (`schema` = MANIFEST_SCHEMA):
    {"schema": ..., "bucket": ..., "execution": {...}, "createdAt": ...,
     "objects": [{"key", "sha256", "size", "versionId", "role"}, ...],
     "notWritten": [{"key", "role", "error"}]}
`role`: "written" (evidence JSON, HTML, OCSF, JUnit) or "read" (the per-host results and the
resolution under runs/, hashed as the Report step read them). With S3 versioning on, the
versionId names the exact version; with Object Lock that version cannot be overwritten or
deleted until its retention ends, so a changed object shows up as a newer version.

Verifying also looks for objects the manifest does not list under the audit's own prefixes
(`audit_prefixes`: the report's siblings `<stem>.*` and the execution's `runs/<execution>/`):
an object added there is reported "added". The manifest itself can be
checked against the SHA-256 the alert gave (`check_digest`): a forged object with a re-hashed
manifest changes the manifest's digest.
"""

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from netaudit.keys import REPORT_SUFFIXES, hosts_key, run_prefix
from netaudit.keys import sibling_keys as sibling_keys  # re-exported for readers of a manifest

MANIFEST_SCHEMA = "ecs-netaudit/evidence-manifest/1"
SUFFIXES = REPORT_SUFFIXES  # the key layout is netaudit.keys's


class ManifestError(ValueError):
    """The manifest itself is unreadable or not an ecs-netaudit manifest."""


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def entry(key: str, body: bytes, version_id: str | None, role: str) -> dict[str, Any]:
    return {"key": key, "sha256": sha256_hex(body), "size": len(body), "versionId": version_id, "role": role}


def build(
    bucket: str,
    execution: Mapping[str, Any],
    objects: list[dict[str, Any]],
    created_at: str,
    not_written: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    return {
        "schema": MANIFEST_SCHEMA,
        "bucket": bucket,
        "execution": dict(execution),
        "createdAt": created_at,
        "algorithm": "SHA-256",
        "objects": sorted(objects, key=lambda o: (o["role"] != "written", o["key"])),
        "notWritten": list(not_written or []),
    }


def parse(body: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(body)
    except ValueError as exc:
        raise ManifestError(f"not JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("schema") != MANIFEST_SCHEMA:
        raise ManifestError(f"not an ecs-netaudit manifest (schema is not {MANIFEST_SCHEMA})")
    objects = manifest.get("objects")
    if not isinstance(objects, list) or not all(
        isinstance(o, dict) and isinstance(o.get("key"), str) and isinstance(o.get("sha256"), str)
        for o in objects
    ):
        raise ManifestError("objects: expected a list of {key, sha256}")
    return manifest


@dataclass(frozen=True)
class Finding:
    key: str
    status: str  # "ok", "changed", "missing", "added"
    detail: str = ""


Reader = Callable[[Mapping[str, Any]], bytes | None]  # manifest object -> its bytes now (None: missing)


def verify(manifest: Mapping[str, Any], read: Reader) -> list[Finding]:
    """One Finding per manifest object: ok, changed (another SHA-256) or missing."""
    out: list[Finding] = []
    for obj in manifest.get("objects") or []:
        body = read(obj)
        if body is None:
            out.append(Finding(obj["key"], "missing", "not found"))
            continue
        digest = sha256_hex(body)
        if digest != obj["sha256"]:
            out.append(
                Finding(
                    obj["key"],
                    "changed",
                    f"sha256 {digest} (manifest: {obj['sha256']}), "
                    f"{len(body)} bytes (manifest: {obj.get('size')})",
                )
            )
        else:
            out.append(Finding(obj["key"], "ok"))
    return out


def _execution(manifest_key: str) -> str:
    """The execution name: the report's file name."""
    return manifest_key.removesuffix(SUFFIXES["manifest"]).rsplit("/", 1)[-1]


def audit_prefixes(manifest_key: str) -> tuple[str, ...]:
    """Where only this audit's objects live: the report's siblings (`<stem>.`) and everything the
    execution kept between its steps (`runs/<execution>/`: the resolution, the per-host results)."""
    stem = manifest_key.removesuffix(SUFFIXES["manifest"])
    return (stem + ".", run_prefix(_execution(manifest_key)) + "/")


def added(manifest: Mapping[str, Any], manifest_key: str, present: list[str]) -> list[Finding]:
    """An "added" Finding for each key in `present` under the audit's prefixes that the manifest
    does not list (the manifest itself aside, and the Distributed Map's host list: the Map's input,
    written before any probe; the verdicts rest on the per-host results, which the manifest lists)."""
    listed = {str(o["key"]) for o in manifest.get("objects") or []} | {manifest_key}
    listed.add(hosts_key(_execution(manifest_key)))
    prefixes = audit_prefixes(manifest_key)
    return [
        Finding(key, "added", "not in the manifest")
        for key in sorted(set(present))
        if key.startswith(prefixes) and key not in listed
    ]


HEX64 = frozenset("0123456789abcdef")


def check_digest(manifest_key: str, body: bytes, expected: str) -> Finding:
    """The manifest's own SHA-256 against the one the alert gave (`expected`, 64 hex digits)."""
    actual = sha256_hex(body)
    if actual == expected.lower():
        return Finding(manifest_key, "ok", f"manifest SHA-256 {actual} is the one expected")
    return Finding(
        manifest_key, "changed", f"manifest SHA-256 is {actual}, the alert gave {expected.lower()}"
    )


def is_sha256_hex(text: str) -> bool:
    return len(text) == 64 and set(text.lower()) <= HEX64

"""`netaudit evidence verify TARGET`: check an audit's manifest against its objects.

TARGET is an S3 URI (the manifest, or any object of the audit: its `.json`, `.html`, ...) or a
local path (a `*.manifest.json`, or a directory holding exactly one, e.g. what
`netaudit demo --evidence-dir DIR` or `aws s3 cp --recursive` wrote). Local objects are looked
up by their key under the manifest's directory or any directory above it, then by file name.
In S3 the current version of each object is read; when it differs, the version the manifest
recorded is read too, to say whether the original is still there (Object Lock keeps it).
Objects under the audit's own prefixes that the manifest does not list (the report's siblings
`<execution>.*`, the per-host results `runs/<execution>/hosts/`) are reported ADDED; in S3 that
takes s3:ListBucket on those prefixes. `--expect-sha256 HEX` checks the manifest itself against
the SHA-256 the alert gave (a forged object with a re-hashed manifest changes it).

Exit status: 0 every object is there with the recorded SHA-256, none was added, and the
manifest has the expected SHA-256 (when given); 1 at least one object changed, is missing or was
added, or the manifest's SHA-256 is not the expected one (each is named); 2 nothing could be
verified (manifest not found, not a manifest, access denied, bad target or --expect-sha256), or
added objects could not be ruled out (listing denied).
"""

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netaudit.exports import manifest
from netaudit_cli.artifacts import split_s3_uri
from netaudit_cli.main import subcommand

EXIT_OK, EXIT_TAMPERED, EXIT_UNVERIFIED = 0, 1, 2
MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound", "NoSuchVersion"})


class Unverifiable(Exception):
    """The manifest itself could not be read, or an object could not be read for another reason
    than not being there (e.g. AccessDenied): nothing can be said about it."""


def _manifest_key(key: str) -> str:
    if key.endswith(manifest.SUFFIXES["manifest"]):
        return key
    for suffix in (*manifest.SUFFIXES.values(), ".json"):
        if key.endswith(suffix):
            return key.removesuffix(suffix) + manifest.SUFFIXES["manifest"]
    raise Unverifiable(
        f"{key}: not an object of an ecs-netaudit audit (expected <execution>.json or a sibling)"
    )


@dataclass
class Checked:
    """What one verification found: the manifest (where, key, bytes, content), a Finding per
    object (and per added object), and what could not be checked at all."""

    where: str
    manifest_key: str
    body: bytes
    listed: dict[str, Any]
    findings: list[manifest.Finding]
    unchecked: list[str] = field(default_factory=list)


def _local_manifest(target: Path) -> Path:
    if target.is_file():
        return target
    if target.is_dir():
        found = sorted(target.rglob("*" + manifest.SUFFIXES["manifest"]))
        if len(found) == 1:
            return found[0]
        if not found:
            raise Unverifiable(f"{target}: no *{manifest.SUFFIXES['manifest']} in this directory")
        raise Unverifiable(
            f"{target}: {len(found)} manifests here; name one: " + ", ".join(map(str, found[:5]))
        )
    raise Unverifiable(f"{target}: no such file or directory")


def _key_of_manifest(listed: Mapping[str, Any], path: Path) -> str:
    """The manifest's own key: beside the evidence JSON it lists (its file name otherwise)."""
    for obj in listed.get("objects") or []:
        key = str(obj["key"])
        if obj.get("role") == "written" and key.endswith(".json"):
            return manifest.sibling_keys(key)["manifest"]
    return path.name


def _local_present(path: Path, manifest_key: str) -> list[str]:
    """The keys of the files under the audit's prefixes in the local copy: below the directory
    that holds the manifest at its key, or (a flat copy) beside the manifest, by file name."""
    posix = path.resolve().as_posix()
    if posix.endswith("/" + manifest_key):
        root = Path(posix.removesuffix(manifest_key))
        folders = {root / prefix.rsplit("/", 1)[0] for prefix in manifest.audit_prefixes(manifest_key)}
        files = [f for folder in folders if folder.is_dir() for f in folder.rglob("*") if f.is_file()]
        return [f.relative_to(root).as_posix() for f in files]
    folder = manifest_key.rsplit("/", 1)[0] + "/" if "/" in manifest_key else ""
    return [folder + f.name for f in path.parent.iterdir() if f.is_file()]


def verify_local(target: Path) -> Checked:
    path = _local_manifest(target)
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise Unverifiable(f"{path}: {exc}") from exc
    try:
        listed = manifest.parse(body)
    except manifest.ManifestError as exc:
        raise Unverifiable(f"{path}: {exc}") from exc
    roots = [path.parent, *path.parent.parents]

    def read(obj: Mapping[str, Any]) -> bytes | None:
        key = str(obj["key"])
        for candidate in [*(root / key for root in roots), path.parent / Path(key).name]:
            if candidate.is_file():
                return candidate.read_bytes()
        return None

    key = _key_of_manifest(listed, path)
    findings = manifest.verify(listed, read) + manifest.added(listed, key, _local_present(path, key))
    return Checked(str(path), key, body, listed, findings)


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str((response.get("Error") or {}).get("Code") or "")


def _s3_present(s3: Any, bucket: str, manifest_key: str) -> tuple[list[str], list[str]]:
    """(keys under the audit's prefixes, prefixes that could not be listed)."""
    present: list[str] = []
    unlisted: list[str] = []
    for prefix in manifest.audit_prefixes(manifest_key):
        try:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                present.extend(o["Key"] for o in page.get("Contents", []))
        except Exception as exc:
            unlisted.append(
                f"s3://{bucket}/{prefix}: {_error_code(exc) or type(exc).__name__}: cannot list it, so "
                "objects added there cannot be ruled out (needs s3:ListBucket on the prefix)"
            )
    return present, unlisted


def verify_s3(s3: Any, uri: str) -> Checked:
    try:
        bucket, key = split_s3_uri(uri)
    except ValueError as exc:
        raise Unverifiable(str(exc)) from exc
    manifest_key = _manifest_key(key)
    try:
        body: bytes = s3.get_object(Bucket=bucket, Key=manifest_key)["Body"].read()
    except Exception as exc:
        raise Unverifiable(
            f"s3://{bucket}/{manifest_key}: {_error_code(exc) or type(exc).__name__}: {exc}"
        ) from exc
    try:
        listed = manifest.parse(body)
    except manifest.ManifestError as exc:
        raise Unverifiable(f"s3://{bucket}/{manifest_key}: {exc}") from exc

    def get(obj_key: str, version: str | None = None) -> bytes | None:
        kwargs = {"Bucket": bucket, "Key": obj_key, **({"VersionId": version} if version else {})}
        try:
            data: bytes = s3.get_object(**kwargs)["Body"].read()
        except Exception as exc:
            if _error_code(exc) in MISSING_CODES:
                return None
            raise Unverifiable(
                f"s3://{bucket}/{obj_key}: {_error_code(exc) or type(exc).__name__}: {exc}"
            ) from exc
        return data

    findings = manifest.verify(listed, lambda obj: get(str(obj["key"])))
    recorded = {o["key"]: o for o in listed["objects"]}
    out: list[manifest.Finding] = []
    for found in findings:
        version = recorded[found.key].get("versionId")
        if found.status != "ok" and version:
            original = get(found.key, str(version))
            kept = original is not None and manifest.sha256_hex(original) == recorded[found.key]["sha256"]
            note = (
                f"the recorded version {version} is {'still there, unchanged' if kept else 'gone or changed'}"
            )
            found = manifest.Finding(found.key, found.status, f"{found.detail}; {note}")
        out.append(found)
    present, unlisted = _s3_present(s3, bucket, manifest_key)
    out += manifest.added(listed, manifest_key, present)
    return Checked(f"s3://{bucket}/{manifest_key}", manifest_key, body, listed, out, unlisted)


LABELS = {"ok": "ok     ", "changed": "CHANGED", "missing": "MISSING", "added": "ADDED  "}


def render(checked: Checked) -> str:
    findings = checked.findings
    bad = [f for f in findings if f.status != "ok"]
    lines = [
        f"manifest: {checked.where} (SHA-256 {manifest.sha256_hex(checked.body)})",
        f"execution: {(checked.listed.get('execution') or {}).get('id') or '?'}",
    ]
    for found in findings:
        lines.append(f"  {LABELS[found.status]} {found.key}" + (f": {found.detail}" if found.detail else ""))
    for skipped in checked.listed.get("notWritten") or []:
        lines.append(f"  (never written: {skipped.get('key')}: {skipped.get('error')})")
    lines.extend(f"  NOT CHECKED: {what}" for what in checked.unchecked)
    if bad:
        lines.append(
            f"TAMPERED OR INCOMPLETE: {len(bad)} of {len(findings)} objects changed, missing or added"
        )
    elif checked.unchecked:
        lines.append(
            f"NOT VERIFIED: {len(findings)} objects match, but "
            f"{len(checked.unchecked)} check(s) could not run"
        )
    else:
        lines.append(f"verified: all {len(findings)} objects match their SHA-256, none added")
    return "\n".join(lines)


def _arguments(p: argparse.ArgumentParser) -> None:
    p.description = __doc__
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = sub.add_parser("verify", help="check a manifest against its objects (S3 or a local directory)")
    verify.add_argument("target", metavar="PATH-or-S3-URI")
    verify.add_argument("--region", default=None, help="AWS region of the bucket (default: the AWS config's)")
    verify.add_argument("--profile", default=None, help="AWS profile to use")
    verify.add_argument("--json", action="store_true", help="print the findings as JSON")
    verify.add_argument(
        "--expect-sha256",
        default=None,
        metavar="HEX",
        help="the manifest's SHA-256 as the alert gave it: exit 1 when the manifest's is another",
    )


@subcommand("evidence", help="Check an audit's evidence against its SHA-256 manifest.", arguments=_arguments)
def evidence(args: argparse.Namespace) -> int:
    return verify_command(args)


def verify_command(args: argparse.Namespace, s3: Any = None) -> int:
    target: str = args.target
    expected: str | None = getattr(args, "expect_sha256", None)
    try:
        if expected is not None and not manifest.is_sha256_hex(expected):
            raise Unverifiable(
                f"--expect-sha256: expected 64 hexadecimal characters (a SHA-256), got {expected!r}"
            )
        if target.startswith("s3://"):
            if s3 is None:
                import boto3

                s3 = boto3.Session(profile_name=args.profile, region_name=args.region).client("s3")
            checked = verify_s3(s3, target)
        else:
            checked = verify_local(Path(target))
    except Unverifiable as exc:
        print(f"netaudit evidence verify: cannot verify: {exc}", file=sys.stderr)
        return EXIT_UNVERIFIED
    if expected is not None:
        checked.findings.insert(0, manifest.check_digest(checked.manifest_key, checked.body, expected))
    if args.json:
        print(
            json.dumps(
                {
                    "manifest": checked.where,
                    "manifestSha256": manifest.sha256_hex(checked.body),
                    "objects": [f.__dict__ for f in checked.findings],
                    "notChecked": checked.unchecked,
                },
                indent=1,
            )
        )
    else:
        print(render(checked))
    if any(f.status != "ok" for f in checked.findings):
        return EXIT_TAMPERED
    return EXIT_UNVERIFIED if checked.unchecked else EXIT_OK


def main_verify(target: str, s3: Any = None, expect_sha256: str | None = None) -> int:
    """`netaudit evidence verify TARGET` from Python (tests, scripts)."""
    args = argparse.Namespace(
        target=target, json=False, region=None, profile=None, expect_sha256=expect_sha256
    )
    return verify_command(args, s3=s3)

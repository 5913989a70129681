"""`netaudit evidence verify TARGET`: check an audit's manifest against its objects.

TARGET is an S3 URI (the manifest, or any object of the audit: its `.json`, `.html`, ...) or a
local path (a `*.manifest.json`, or a directory holding exactly one, e.g. what
`netaudit demo --evidence-dir DIR` or `aws s3 cp --recursive` wrote). Local objects are looked
up by their key under the manifest's directory or any directory above it, then by file name.
In S3 the current version of each object is read; when it differs, the version the manifest
recorded is read too, to say whether the original is still there (Object Lock keeps it).

Exit status: 0 every object is there with the recorded SHA-256; 1 at least one object changed or
is missing (each is named); 2 nothing could be verified (manifest not found, not a manifest,
access denied, bad target).
"""

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from netaudit.exports import manifest
from netaudit_local.artifacts import split_s3_uri
from netaudit_local.cli import subcommand

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


def verify_local(target: Path) -> tuple[str, dict[str, Any], list[manifest.Finding]]:
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

    return f"{path} (SHA-256 {manifest.sha256_hex(body)})", listed, manifest.verify(listed, read)


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str((response.get("Error") or {}).get("Code") or "")


def verify_s3(s3: Any, uri: str) -> tuple[str, dict[str, Any], list[manifest.Finding]]:
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
    return f"s3://{bucket}/{manifest_key} (SHA-256 {manifest.sha256_hex(body)})", listed, out


def render(where: str, listed: Mapping[str, Any], findings: list[manifest.Finding]) -> str:
    bad = [f for f in findings if f.status != "ok"]
    lines = [f"manifest: {where}", f"execution: {(listed.get('execution') or {}).get('id') or '?'}"]
    for found in findings:
        label = {"ok": "ok     ", "changed": "CHANGED", "missing": "MISSING"}[found.status]
        lines.append(f"  {label} {found.key}" + (f": {found.detail}" if found.detail else ""))
    for skipped in listed.get("notWritten") or []:
        lines.append(f"  (never written: {skipped.get('key')}: {skipped.get('error')})")
    if bad:
        lines.append(f"TAMPERED OR INCOMPLETE: {len(bad)} of {len(findings)} objects changed or missing")
    else:
        lines.append(f"verified: all {len(findings)} objects match their SHA-256")
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


@subcommand("evidence", help="Check an audit's evidence against its SHA-256 manifest.", arguments=_arguments)
def evidence(args: argparse.Namespace) -> int:
    return verify_command(args)


def verify_command(args: argparse.Namespace, s3: Any = None) -> int:
    target: str = args.target
    try:
        if target.startswith("s3://"):
            if s3 is None:
                import boto3

                s3 = boto3.Session(profile_name=args.profile, region_name=args.region).client("s3")
            where, listed, findings = verify_s3(s3, target)
        else:
            where, listed, findings = verify_local(Path(target))
    except Unverifiable as exc:
        print(f"netaudit evidence verify: cannot verify: {exc}", file=sys.stderr)
        return EXIT_UNVERIFIED
    if args.json:
        print(json.dumps({"manifest": where, "objects": [f.__dict__ for f in findings]}, indent=1))
    else:
        print(render(where, listed, findings))
    return EXIT_TAMPERED if any(f.status != "ok" for f in findings) else EXIT_OK


def main_verify(target: str, s3: Any = None) -> int:
    """`netaudit evidence verify TARGET` from Python (tests, scripts)."""
    return verify_command(argparse.Namespace(target=target, json=False, region=None, profile=None), s3=s3)

"""The manifest: what publish writes to S3, and `netaudit evidence verify` against S3 and a
local directory (ok, changed, missing, unverifiable)."""

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from sample import mixed

from netaudit.exports import manifest
from netaudit.workflow.report import artifacts
from netaudit_cli import evidence as evidence_cli

BUCKET = "evidence"
KEY = "audits/2026/11/25/audit-1.json"


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield client


def publish(s3: Any, doc: dict[str, Any] | None = None) -> artifacts.Published:
    doc = doc or mixed()
    body = json.dumps(doc).encode()
    version = artifacts.put(s3, BUCKET, KEY, body, "application/json")
    s3.put_object(Bucket=BUCKET, Key="runs/audit-1/resolved.json", Body=b"{}")
    read = s3.get_object(Bucket=BUCKET, Key="runs/audit-1/resolved.json")
    sources = {
        "runs/audit-1/resolved.json": manifest.entry(
            "runs/audit-1/resolved.json", b"{}", read["VersionId"], "read"
        )
    }
    return artifacts.publish(
        s3,
        artifacts.Destination(BUCKET, KEY),
        doc,
        manifest.entry(KEY, body, version, "written"),
        sources,
        "2026-11-25T17:00:05+00:00",
    )


def verify(target: str, s3: Any = None) -> int:
    return evidence_cli.main_verify(target, s3)


def test_publish_writes_every_object_and_a_manifest_of_them(s3: Any) -> None:
    published = publish(s3)
    assert not published.problems
    assert set(published.uris) == {"html", "ocsf", "junit", "manifest"}
    listed = manifest.parse(
        s3.get_object(Bucket=BUCKET, Key=KEY.replace(".json", ".manifest.json"))["Body"].read()
    )
    keys = {o["key"]: o for o in listed["objects"]}
    assert set(keys) == {
        KEY,
        *(KEY.replace(".json", s) for s in (".html", ".ocsf.jsonl", ".junit.xml")),
        "runs/audit-1/resolved.json",
    }
    for key, obj in keys.items():
        answer = s3.get_object(Bucket=BUCKET, Key=key)
        assert manifest.sha256_hex(answer["Body"].read()) == obj["sha256"]
        assert obj["versionId"] == answer["VersionId"]
    assert keys["runs/audit-1/resolved.json"]["role"] == "read"
    assert "manifest: s3://evidence/audits/2026/11/25/audit-1.manifest.json (SHA-256 " in published.message()
    html = s3.get_object(Bucket=BUCKET, Key=KEY.replace(".json", ".html"))
    assert html["ContentType"].startswith("text/html")


def test_a_failing_renderer_is_listed_not_fatal(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(doc: Any) -> str:
        raise RuntimeError("renderer bug")

    monkeypatch.setattr(artifacts, "RENDERERS", (("html", broken, "text/html"), *artifacts.RENDERERS[1:]))
    published = publish(s3)
    assert "html" not in published.uris and "ocsf" in published.uris and "manifest" in published.uris
    assert any("renderer bug" in p for p in published.problems) and "NOT WRITTEN" in published.message()
    listed = json.loads(
        s3.get_object(Bucket=BUCKET, Key=KEY.replace(".json", ".manifest.json"))["Body"].read()
    )
    assert listed["notWritten"][0]["key"].endswith(".html")


def test_verify_s3_ok_then_a_changed_and_a_missing_object(
    s3: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    publish(s3)
    assert verify(f"s3://{BUCKET}/{KEY}", s3) == evidence_cli.EXIT_OK
    assert "verified: all 5 objects" in capsys.readouterr().out
    s3.put_object(Bucket=BUCKET, Key=KEY.replace(".json", ".junit.xml"), Body=b"<testsuites/>")
    s3.delete_object(Bucket=BUCKET, Key="runs/audit-1/resolved.json")
    assert verify(f"s3://{BUCKET}/{KEY.replace('.json', '.manifest.json')}", s3) == evidence_cli.EXIT_TAMPERED
    out = capsys.readouterr().out
    assert "CHANGED audits/2026/11/25/audit-1.junit.xml" in out and "still there, unchanged" in out
    assert "MISSING runs/audit-1/resolved.json" in out and "TAMPERED OR INCOMPLETE: 2 of 5" in out


def test_verify_cannot_verify_without_a_manifest(s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert verify(f"s3://{BUCKET}/{KEY}", s3) == evidence_cli.EXIT_UNVERIFIED
    assert "cannot verify" in capsys.readouterr().err
    s3.put_object(Bucket=BUCKET, Key=KEY.replace(".json", ".manifest.json"), Body=b'{"schema": "other"}')
    assert verify(f"s3://{BUCKET}/{KEY}", s3) == evidence_cli.EXIT_UNVERIFIED
    assert verify(f"s3://{BUCKET}/unrelated.txt", s3) == evidence_cli.EXIT_UNVERIFIED


def test_verify_a_local_directory(s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    publish(s3)
    mkey = KEY.replace(".json", ".manifest.json")
    listed = manifest.parse(s3.get_object(Bucket=BUCKET, Key=mkey)["Body"].read())
    for key in [mkey, *(o["key"] for o in listed["objects"])]:
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_bytes(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    assert verify(str(tmp_path)) == evidence_cli.EXIT_OK
    assert verify(str(tmp_path / mkey)) == evidence_cli.EXIT_OK
    html = tmp_path / KEY.replace(".json", ".html")
    html.write_text(html.read_text().replace("VIOLATION", "ISOLATED"))
    (tmp_path / "runs/audit-1/resolved.json").unlink()
    capsys.readouterr()
    assert verify(str(tmp_path)) == evidence_cli.EXIT_TAMPERED
    out = capsys.readouterr().out
    assert "CHANGED audits/2026/11/25/audit-1.html" in out and "MISSING runs/audit-1/resolved.json" in out
    assert verify(str(tmp_path / "nowhere")) == evidence_cli.EXIT_UNVERIFIED


def test_retention_from_the_template_parameters() -> None:
    assert artifacts.Retention.parse("NONE", "365") is None and artifacts.Retention.parse(None, None) is None
    assert artifacts.Retention.parse("COMPLIANCE", "30") == artifacts.Retention("COMPLIANCE", 30)
    for mode, days in (("LEGAL", "30"), ("GOVERNANCE", "0"), ("GOVERNANCE", "x")):
        with pytest.raises(ValueError, match="object lock"):
            artifacts.Retention.parse(mode, days)


def test_report_objects_are_locked_when_asked() -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)  # versioning comes with it
        doc = mixed()
        body = json.dumps(doc).encode()
        retention = artifacts.Retention("GOVERNANCE", 1)
        version = artifacts.put(s3, BUCKET, KEY, body, "application/json", retention)
        published = artifacts.publish(
            s3,
            artifacts.Destination(BUCKET, KEY, retention),
            doc,
            manifest.entry(KEY, body, version, "written"),
            {},
            "2026-11-25T17:00:05+00:00",
        )
        assert not published.problems
        for key in [KEY, *manifest.sibling_keys(KEY).values()]:
            head = s3.head_object(Bucket=BUCKET, Key=key)
            assert head["ObjectLockMode"] == "GOVERNANCE" and head["ObjectLockRetainUntilDate"]
        with pytest.raises(s3.exceptions.ClientError, match="AccessDenied"):
            s3.delete_object(Bucket=BUCKET, Key=KEY, VersionId=version)


def manifest_key() -> str:
    return KEY.replace(".json", ".manifest.json")


def test_verify_reports_an_object_added_under_the_audits_prefixes(
    s3: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    publish(s3)
    # not this audit's: another execution's report, the Map's host list, another day's folder
    for other in ("audits/2026/11/25/audit-10.json", "runs/audit-1/hosts.json", "audits/2026/11/26/x.html"):
        s3.put_object(Bucket=BUCKET, Key=other, Body=b"{}")
    assert verify(f"s3://{BUCKET}/{KEY}", s3) == evidence_cli.EXIT_OK
    assert "none added" in capsys.readouterr().out
    s3.put_object(Bucket=BUCKET, Key="audits/2026/11/25/audit-1.extra.html", Body=b"<p>ISOLATED</p>")
    s3.put_object(Bucket=BUCKET, Key="runs/audit-1/hosts/i-0forged.json", Body=b'{"tasks": []}')
    # beside the listed resolution, not only below hosts/
    s3.put_object(Bucket=BUCKET, Key="runs/audit-1/resolved2.json", Body=b"{}")
    assert verify(f"s3://{BUCKET}/{KEY}", s3) == evidence_cli.EXIT_TAMPERED
    out = capsys.readouterr().out
    assert "ADDED   audits/2026/11/25/audit-1.extra.html: not in the manifest" in out
    assert "ADDED   runs/audit-1/hosts/i-0forged.json" in out and "audit-10.json" not in out
    assert "ADDED   runs/audit-1/resolved2.json" in out and "hosts.json" not in out
    assert "TAMPERED OR INCOMPLETE: 3 of 8 objects changed, missing or added" in out


class ListingDenied:
    """An S3 client that may read objects but not list them (no s3:ListBucket)."""

    def __init__(self, s3: Any) -> None:
        self.s3 = s3

    def get_object(self, **kwargs: Any) -> Any:
        return self.s3.get_object(**kwargs)

    def get_paginator(self, name: str) -> Any:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "denied"}}, "ListObjectsV2")


def test_verify_says_when_added_objects_cannot_be_ruled_out(
    s3: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    publish(s3)
    assert verify(f"s3://{BUCKET}/{KEY}", ListingDenied(s3)) == evidence_cli.EXIT_UNVERIFIED
    out = capsys.readouterr().out
    assert "NOT CHECKED: s3://evidence/audits/2026/11/25/audit-1.: AccessDenied: cannot list it" in out
    assert "NOT VERIFIED: 5 objects match, but 2 check(s) could not run" in out


def test_expect_sha256_catches_a_forged_object_with_a_rehashed_manifest(
    s3: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    published = publish(s3)
    alert_digest = published.manifest_sha256
    assert alert_digest
    assert evidence_cli.main_verify(f"s3://{BUCKET}/{KEY}", s3, expect_sha256=alert_digest.upper()) == 0
    # forge the HTML and re-hash the manifest: the objects match the forged manifest...
    html_key = KEY.replace(".json", ".html")
    forged = b"<h1>ISOLATED</h1>"
    s3.put_object(Bucket=BUCKET, Key=html_key, Body=forged)
    listed = manifest.parse(s3.get_object(Bucket=BUCKET, Key=manifest_key())["Body"].read())
    for obj in listed["objects"]:
        if obj["key"] == html_key:
            obj.update(sha256=manifest.sha256_hex(forged), size=len(forged), versionId=None)
    body = json.dumps(listed, indent=1).encode()
    s3.put_object(Bucket=BUCKET, Key=manifest_key(), Body=body)
    capsys.readouterr()
    assert verify(f"s3://{BUCKET}/{KEY}", s3) == evidence_cli.EXIT_OK  # what the issue found
    # ...but not the digest the alert gave
    assert evidence_cli.main_verify(f"s3://{BUCKET}/{KEY}", s3, expect_sha256=alert_digest) == 1
    out = capsys.readouterr().out
    assert f"CHANGED {manifest_key()}: manifest SHA-256 is {manifest.sha256_hex(body)}, " in out
    assert f"the alert gave {alert_digest}" in out


def test_expect_sha256_must_be_a_sha256(s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    publish(s3)
    for bad in ("abc", "g" * 64, "a" * 63):
        assert evidence_cli.main_verify(f"s3://{BUCKET}/{KEY}", s3, expect_sha256=bad) == 2
        assert "--expect-sha256: expected 64 hexadecimal characters" in capsys.readouterr().err


def test_verify_a_local_copy_finds_added_files_and_checks_the_digest_from_the_command_line(
    s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from netaudit_cli.main import main

    digest = publish(s3).manifest_sha256
    listed = manifest.parse(s3.get_object(Bucket=BUCKET, Key=manifest_key())["Body"].read())
    flat = tmp_path / "flat"
    flat.mkdir()
    for key in [manifest_key(), *(o["key"] for o in listed["objects"])]:
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_bytes(body)
        (flat / Path(key).name).write_bytes(body)
    assert main(["evidence", "verify", str(tmp_path / manifest_key()), "--expect-sha256", str(digest)]) == 0
    assert main(["evidence", "verify", str(flat)]) == 0
    (tmp_path / "runs/audit-1/hosts").mkdir(parents=True)
    (tmp_path / "runs/audit-1/hosts/i-0forged.json").write_text("{}")
    (flat / "audit-1.extra.html").write_text("<p>forged</p>")
    capsys.readouterr()
    assert main(["evidence", "verify", str(tmp_path / manifest_key())]) == evidence_cli.EXIT_TAMPERED
    assert "ADDED   runs/audit-1/hosts/i-0forged.json" in capsys.readouterr().out
    assert main(["evidence", "verify", str(flat)]) == evidence_cli.EXIT_TAMPERED
    assert "ADDED   audits/2026/11/25/audit-1.extra.html" in capsys.readouterr().out
    assert main(["evidence", "verify", str(flat), "--expect-sha256", "0" * 64]) == evidence_cli.EXIT_TAMPERED
    assert f"the alert gave {'0' * 64}" in capsys.readouterr().out


def test_verify_json_names_added_objects_and_the_manifests_digest(
    s3: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from netaudit_cli.main import main

    digest = publish(s3).manifest_sha256
    s3.put_object(Bucket=BUCKET, Key="audits/2026/11/25/audit-1.extra.html", Body=b"<p>ISOLATED</p>")
    args = argparse.Namespace(
        target=f"s3://{BUCKET}/{KEY}", json=True, region=None, profile=None, expect_sha256=digest
    )
    assert evidence_cli.verify_command(args, s3=s3) == evidence_cli.EXIT_TAMPERED
    out = json.loads(capsys.readouterr().out)
    assert out["manifestSha256"] == digest and out["notChecked"] == []
    statuses = {o["key"]: o["status"] for o in out["objects"]}
    assert statuses["audits/2026/11/25/audit-1.extra.html"] == "added"
    assert statuses[manifest_key()] == "ok" and list(statuses).index(manifest_key()) == 0
    with pytest.raises(SystemExit) as exited:  # argparse: the option needs its value
        main(["evidence", "verify", "s3://x/y.json", "--expect-sha256"])
    assert exited.value.code == 2 and "--expect-sha256: expected one argument" in capsys.readouterr().err

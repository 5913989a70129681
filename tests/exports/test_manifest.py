"""The manifest: what publish writes to S3, and `netaudit evidence verify` against S3 and a
local directory (ok, changed, missing, unverifiable)."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from sample import mixed

from netaudit.exports import manifest
from netaudit.workflow import artifacts
from netaudit_local import evidence_cli

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
        BUCKET,
        KEY,
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
            BUCKET,
            KEY,
            doc,
            manifest.entry(KEY, body, version, "written"),
            {},
            "2026-11-25T17:00:05+00:00",
            retention,
        )
        assert not published.problems
        for key in [KEY, *manifest.sibling_keys(KEY).values()]:
            head = s3.head_object(Bucket=BUCKET, Key=key)
            assert head["ObjectLockMode"] == "GOVERNANCE" and head["ObjectLockRetainUntilDate"]
        with pytest.raises(s3.exceptions.ClientError, match="AccessDenied"):
            s3.delete_object(Bucket=BUCKET, Key=KEY, VersionId=version)

"""The evidence bucket as CloudFormation creates it is private (threat T25): no public access,
no ACLs, encrypted at rest, reachable over TLS only. Read on the transformed template, so a
change of the raw template that the transform would carry through is caught too."""

from typing import Any


def _bucket(transformed: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = transformed["Resources"]["EvidenceBucket"]["Properties"]
    return props


def _statements(statements: list[Any]) -> list[dict[str, Any]]:
    """Every statement a deployment may have: both branches of a conditional one (Fn::If)."""
    out: list[dict[str, Any]] = []
    for s in statements:
        if isinstance(s, dict) and "Fn::If" in s:
            out += _statements([b for b in s["Fn::If"][1:] if b != {"Ref": "AWS::NoValue"}])
        else:
            out.append(s)
    return out


def test_the_evidence_bucket_blocks_public_access_and_acls(transformed: dict[str, Any]) -> None:
    props = _bucket(transformed)
    block = props["PublicAccessBlockConfiguration"]
    flags = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
    assert {flag: block.get(flag) for flag in flags} == dict.fromkeys(flags, True)
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_the_evidence_bucket_encrypts_at_rest(transformed: dict[str, Any]) -> None:
    rules = _bucket(transformed)["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rules and all(
        r["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms") for r in rules
    )


def test_the_evidence_bucket_refuses_requests_without_tls(transformed: dict[str, Any]) -> None:
    policies = [
        r["Properties"]
        for r in transformed["Resources"].values()
        if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": "EvidenceBucket"}
    ]
    assert len(policies) == 1
    denies = [
        s
        for s in _statements(policies[0]["PolicyDocument"]["Statement"])
        if s["Effect"] == "Deny"
        and s["Principal"] == "*"
        and s["Action"] in ("s3:*", ["s3:*"])
        and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(denies) == 1, "no statement denies every request made without TLS"
    resources = denies[0]["Resource"]
    # the bucket and every object in it
    assert {"Fn::GetAtt": ["EvidenceBucket", "Arn"]} in resources
    assert {"Fn::Sub": "${EvidenceBucket.Arn}/*"} in resources

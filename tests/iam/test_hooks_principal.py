"""The principal a call is decided as comes from its credentials, as on AWS (iam.hooks)."""

import boto3
import botocore
from botocore.config import Config

from netaudit_local.iam.hooks import _access_key


def test_the_access_key_of_a_signed_and_of_an_unsigned_client() -> None:
    keys = {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "secret"}
    signed = boto3.client("sqs", region_name="us-east-1", **keys)
    unsigned = boto3.client(
        "sqs", region_name="us-east-1", config=Config(signature_version=botocore.UNSIGNED), **keys
    )
    assert _access_key(signed._request_signer) == "AKIDEXAMPLE"
    assert _access_key(unsigned._request_signer) is None  # no principal: never a member's or the engine's

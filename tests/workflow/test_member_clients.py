"""A member account's clients are cached by (service, region, account, session, credentials): the
same credentials give the same client, renewed ones a new client (aws_clients._member_client)."""

from typing import Any

from netaudit import aws_clients
from netaudit.aws_clients import MemberKeys


def _client(key_id: str) -> Any:
    keys = MemberKeys(key_id, "secret", "token")
    return aws_clients._member_client("ecs", "us-east-1", "222222222222", "run-1", keys)


def test_a_member_client_is_kept_until_its_credentials_change() -> None:
    aws_clients.reset()
    try:
        first = _client("A")
        assert _client("A") is first
        renewed = _client("B")
        assert renewed is not first
        assert renewed._request_signer._credentials.access_key == "B"
    finally:
        aws_clients.reset()

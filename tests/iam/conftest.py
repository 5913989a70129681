"""Fixtures of the IAM tests (helpers and constants are in iam_harness.py)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from iam_harness import StackMaker, make_authorizer, recordings

from netaudit_local.aws_seams import local_aws
from netaudit_local.iam import Authorizer
from netaudit_local.recorded_host import RecordedHost
from netaudit_local.stack import LocalStack, create_stack
from netaudit_local.template import TEMPLATE_PATH


@pytest.fixture(scope="session")
def authorizer() -> Authorizer:
    return make_authorizer()


@pytest.fixture
def local_stack() -> Iterator[StackMaker]:
    """`local_stack(template_path=..., **parameters)` -> (stack, recorded host) on moto."""
    with local_aws([]) as seams:

        def make(template_path: Path = TEMPLATE_PATH, **params: Any) -> tuple[LocalStack, RecordedHost]:
            host = RecordedHost(recordings(), eni_ipv4="172.17.0.3")
            seams.hosts[host.instance_id] = host
            seams.in_progress_polls = 0
            return create_stack(seams, params, template_path=template_path), host

        yield make

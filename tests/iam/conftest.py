"""Fixtures of the IAM tests (helpers: iam_harness.py)."""

from collections.abc import Iterator

import pytest
from iam_harness import StackMaker, local_stack_maker, make_authorizer

from netaudit_local.iam import Authorizer


@pytest.fixture(scope="session")
def authorizer() -> Authorizer:
    return make_authorizer()


@pytest.fixture
def local_stack() -> Iterator[StackMaker]:
    """`local_stack(template_path=..., **parameters)` -> (stack, recorded host) on moto."""
    yield from local_stack_maker()

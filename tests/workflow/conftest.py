"""Fixtures of the workflow tests."""

from collections.abc import Iterator
from typing import Any

import pytest
from wf_harness import Harness, MakeHarness

from netaudit_local.cloud.aws import local_aws
from netaudit_local.hosts.recorded_host import Faults
from recorded_stack import local_stack, recorded_host
from recordings import NONE_ISOLATED


@pytest.fixture
def harness() -> Iterator[MakeHarness]:
    """`harness(faults=Faults(...), none="probe-none-violation.json")` -> a fresh local stack."""
    with local_aws([]) as seams:
        made: list[Harness] = []

        def make(
            faults: Faults | None = None, none: str = NONE_ISOLATED, **kwargs: Any
        ) -> Harness:
            host = recorded_host(none, faults)
            polls = kwargs.pop("in_progress_polls", 1)
            h = Harness(local_stack(seams, host, in_progress_polls=polls, **kwargs), host)
            made.append(h)
            return h

        yield make

"""Fixtures of the workflow tests."""

from collections.abc import Iterator
from typing import Any

import pytest
from wf_harness import Harness, MakeHarness

from netaudit_local.cloud.aws import local_aws
from netaudit_local.hosts.recorded_host import Faults, RecordedHost
from netaudit_local.stack import create_stack
from recordings import AWSVPC_ENI, NONE_ISOLATED, by_mode


@pytest.fixture
def harness() -> Iterator[MakeHarness]:
    """`harness(faults=Faults(...), none="probe-none-violation.json")` -> a fresh local stack."""
    with local_aws([]) as seams:
        made: list[Harness] = []

        def make(
            faults: Faults | None = None, none: str = NONE_ISOLATED, **kwargs: Any
        ) -> Harness:
            host = RecordedHost(by_mode(none=none), eni_ipv4=AWSVPC_ENI, faults=faults or Faults())
            seams.hosts[host.instance_id] = host
            seams.throttles |= host.faults.throttle_once
            seams.in_progress_polls = kwargs.pop("in_progress_polls", 1)
            h = Harness(create_stack(seams, **kwargs), host)
            made.append(h)
            return h

        yield make

"""Fixtures of the security tests: a local stack (the real ASL, handlers and template on moto)
with a recorded container instance, and what "nothing was created" means, in one place.

One stack per test module (`stack`): creating one costs ~1 s. `stack.deploy(parameters)` changes
the Prepare function's environment the way a stack update of those template parameters would
(read from template.yaml), so a module runs many deployments on one stack.
"""

from collections.abc import Iterator

import boto3
import pytest
from sec_harness import Secured

from netaudit_local.cloud.account import REGION
from netaudit_local.cloud.aws import local_aws
from recorded_stack import local_stack, recorded_host


@pytest.fixture(scope="module")
def stack() -> Iterator[Secured]:
    """One local stack for the module, with an ACTIVE cluster `other` that is not the deployment's."""
    with local_aws([]) as seams:
        host = recorded_host()
        secured = Secured(local_stack(seams, host), host)
        boto3.client("ecs", region_name=REGION).create_cluster(clusterName="other")
        yield secured


@pytest.fixture
def deployed(stack: Secured) -> Iterator[Secured]:
    """The module's stack with the template's default parameters (a test may `deploy` others)."""
    stack.deploy()
    yield stack
    stack.deploy()

"""ResolveHosts' SSM check: the fewest DescribeInstanceInformation calls the API allows."""

import math
from typing import Any

import botocore.session
from botocore.validate import ParamValidator

from netaudit.workflow.hosts import ping_statuses

_MODEL = botocore.session.get_session().get_service_model("ssm")
_OP = _MODEL.operation_model("DescribeInstanceInformation")
# the largest page SSM serves, from botocore's model (the shape AWS's SDKs validate with)
MAX_PAGE = int(_OP.input_shape.members["MaxResults"].metadata["max"])


class FakeSsm:
    """Answers as SSM does: at most MaxResults instances a page, the rest behind a NextToken;
    a request the model refuses fails the test."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def describe_instance_information(self, **kwargs: Any) -> dict[str, Any]:
        report = ParamValidator().validate(kwargs, _OP.input_shape)
        assert not report.has_errors(), report.generate_report()
        self.calls.append(kwargs)
        ids = kwargs["Filters"][0]["Values"]
        start = int(kwargs.get("NextToken", "0"))
        page = ids[start : start + kwargs["MaxResults"]]
        out: dict[str, Any] = {
            "InstanceInformationList": [{"InstanceId": i, "PingStatus": "Online"} for i in page]
        }
        if start + len(page) < len(ids):
            out["NextToken"] = str(start + len(page))
        return out


def test_one_call_per_largest_page() -> None:
    ssm = FakeSsm()
    ids = [f"i-{n:017x}" for n in range(4 * MAX_PAGE)]
    calls: dict[str, int] = {}
    statuses = ping_statuses(ssm, [*ids, ids[0]], calls)
    assert statuses == dict.fromkeys(ids, "Online")  # every instance once, none lost to paging
    fewest = math.ceil(len(ids) / MAX_PAGE)
    assert len(ssm.calls) == fewest == calls["ssm:DescribeInstanceInformation"]


def test_host_groups_bound_count_and_bytes() -> None:
    from netaudit.workflow.hosts import GROUP_BYTES, HOSTS_PER_GROUP, host_groups

    small = [{"instanceId": f"i-{n:017x}", "tasks": []} for n in range(2 * HOSTS_PER_GROUP + 1)]
    groups = host_groups(small)
    assert [len(g["hosts"]) for g in groups] == [HOSTS_PER_GROUP, HOSTS_PER_GROUP, 1]
    assert [h for g in groups for h in g["hosts"]] == small  # every host once, in order
    big = [{"instanceId": f"i-{n:017x}", "pad": "x" * (GROUP_BYTES // 2)} for n in range(3)]
    assert [len(g["hosts"]) for g in host_groups(big)] == [1, 1, 1]
    assert host_groups([]) == []

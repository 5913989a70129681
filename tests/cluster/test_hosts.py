"""ResolveHosts' SSM check: the fewest DescribeInstanceInformation calls the API allows."""

from typing import Any

from netaudit.workflow.hosts import SSM_PAGE, ping_statuses


class FakeSsm:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def describe_instance_information(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        ids = kwargs["Filters"][0]["Values"]
        assert len(ids) <= 100 and kwargs["MaxResults"] <= 50
        return {"InstanceInformationList": [{"InstanceId": i, "PingStatus": "Online"} for i in ids]}


def test_one_call_per_50_instances() -> None:
    ssm = FakeSsm()
    ids = [f"i-{n:017x}" for n in range(120)]
    calls: dict[str, int] = {}
    statuses = ping_statuses(ssm, [*ids, ids[0]], calls)
    assert len(statuses) == 120 and set(statuses.values()) == {"Online"}
    assert len(ssm.calls) == 3 == calls["ssm:DescribeInstanceInformation"]  # ceil(120 / 50)
    assert SSM_PAGE == 50

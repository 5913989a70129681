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


def test_host_groups_bound_count_and_bytes() -> None:
    from netaudit.workflow.hosts import GROUP_BYTES, HOSTS_PER_GROUP, host_groups

    small = [{"instanceId": f"i-{n:017x}", "tasks": []} for n in range(2 * HOSTS_PER_GROUP + 1)]
    groups = host_groups(small)
    assert [len(g["hosts"]) for g in groups] == [HOSTS_PER_GROUP, HOSTS_PER_GROUP, 1]
    assert [h for g in groups for h in g["hosts"]] == small  # every host once, in order
    big = [{"instanceId": f"i-{n:017x}", "pad": "x" * (GROUP_BYTES // 2)} for n in range(3)]
    assert [len(g["hosts"]) for g in host_groups(big)] == [1, 1, 1]
    assert host_groups([]) == []

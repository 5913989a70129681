"""Parser: probe stdout -> ProbeDocument, with clear errors."""

import json
import re
from pathlib import Path

import pytest

from netaudit.models.probe import ProbeDocument
from netaudit.probe import ProbeParseError, parse_probe
from netaudit.probe.parse import repair_json
from recordings import NONE_VIOLATION, by_mode, probe, probe_paths

ALL = probe_paths()
PROBE_SCRIPT = Path(__file__).resolve().parents[2] / "probe" / "netaudit-probe.sh"
NETWORK_FIELDS = {
    "IPAddress",
    "IPPrefixLen",
    "Gateway",
    "GlobalIPv6Address",
    "GlobalIPv6PrefixLen",
    "MacAddress",
}


@pytest.mark.parametrize("path", ALL, ids=[p.stem for p in ALL])
def test_every_recorded_document_parses_and_round_trips(path: Path) -> None:
    doc = parse_probe(path.read_text())
    assert doc.schema_version in (1, 2) and doc.probe == "ecs-netaudit"
    assert doc.host_netns.startswith("net:[") and doc.host_netns not in doc.namespaces
    dumped = doc.model_dump(mode="json", by_alias=True)
    assert set(dumped) >= {
        "schemaVersion",
        "hostNetns",
        "taskArnFilter",
        "containers",
        "namespaces",
        "errors",
    }
    assert ProbeDocument.model_validate(dumped) == doc


@pytest.mark.parametrize("path", ALL, ids=[p.stem for p in ALL])
def test_recorded_documents_hold_no_environment(path: Path) -> None:
    raw = json.loads(repair_json(path.read_text()))
    for c in raw["containers"]:
        assert set(c) <= {
            "id", "name", "image", "taskArn", "containerName", "cluster", "taskDefinitionFamily",
            "taskDefinitionVersion", "state", "pid", "networkMode", "networks", "netns", "escape",
        }  # fmt: skip
        if raw["schemaVersion"] >= 2:
            assert set(c["escape"]) == {"privileged", "pidMode", "ipcMode", "capAdd", "devices", "bindMounts"}
        for net in c["networks"].values():
            assert set(net) == NETWORK_FIELDS


def test_multi_container_fixture() -> None:
    doc = parse_probe(probe("none-multi-container"))
    assert {c.container_name for c in doc.containers} == {"app", "sidecar", "logrouter"}
    assert len({c.netns for c in doc.containers}) == 3
    assert all(c.netns in doc.namespaces for c in doc.containers)


def test_awsvpc_fixture_shares_one_netns() -> None:
    doc = parse_probe(probe("awsvpc-isolated"))
    assert len(doc.containers) == 3
    assert len({c.netns for c in doc.containers}) == 1
    pause = next(c for c in doc.containers if c.container_name == "~internal~ecs~pause")
    assert pause.network_mode == "none"  # as the agent starts it; the CNI plugins wire its netns
    ifaces = {i["ifname"] for i in doc.namespaces[pause.netns].addr}
    assert ifaces == {"lo", "eth0", "ecs-eth0"}
    assert all(c.network_mode == f"container:{pause.id}" for c in doc.containers if c is not pause)


def test_stray_lines_before_the_document_are_tolerated() -> None:
    doc = parse_probe("warning: something\n" + probe("none-isolated") + "\n\n")
    assert len(doc.containers) == 1


def test_bytes_are_accepted() -> None:
    assert parse_probe(probe("none-isolated").encode()).schema_version == 2


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "no probe output"),
        ("", "empty"),
        ("   \n", "empty"),
        ("docker: command not found", "no JSON document"),
        ('{"schemaVersion":1,"containers":[', "not valid JSON"),
        ('{"schemaVersion":3,"probe":"ecs-netaudit"}', "unsupported probe schemaVersion 3"),
        ('{"probe":"ecs-netaudit"}', "unsupported probe schemaVersion None"),
        ('{"schemaVersion":1,"probe":"other"}', "not an ecs-netaudit probe document"),
        ('{"schemaVersion":1,"containers":[{"pid":"x"}]}', "containers.0"),
    ],
)
def test_unusable_output_raises_a_clear_error(raw: str | None, message: str) -> None:
    with pytest.raises(ProbeParseError, match=message.replace("(", r"\(")):
        parse_probe(raw)


def test_truncated_output_says_so() -> None:
    raw = probe("none-multi-container").strip()
    big = raw[:-1] + "," + '"pad":"' + "x" * 24_000 + '"}'
    with pytest.raises(ProbeParseError, match="truncated"):
        parse_probe(big[:24_000])


def test_plain_string_errors_become_messages() -> None:
    doc = parse_probe('{"schemaVersion":1,"errors":["docker ps failed"]}')
    assert doc.errors[0].message == "docker ps failed" and doc.errors[0].container is None


def test_control_bytes_and_al2_quoting_in_interface_names_are_read() -> None:
    """ip -j passes control bytes through raw; iproute2 < 6.1 writes ' as \\' (AL2 ships 5.10)."""
    hostile = parse_probe(probe("none-hostile-ifname"))
    names = {i["ifname"] for ns in hostile.namespaces.values() for i in ns.addr}
    assert "ev\x01l\x1b[31m" in names
    quoted = parse_probe(probe("al2-iproute-quote"))
    assert "it's" in {i["ifname"] for ns in quoted.namespaces.values() for i in ns.addr}
    with pytest.raises(json.JSONDecodeError):
        json.loads(probe("al2-iproute-quote"))  # what the fixture stands for: not JSON as printed


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ('{"a":"x\x01y"}', {"a": "x\x01y"}),
        ('{"a":"it\\\'s"}', {"a": "it's"}),
        ('{"a":"q\\\\\'"}', {"a": "q\\'"}),  # an escaped backslash before ' stays one
        ('{"a":"\\"\\u0041"}', {"a": '"A'}),
        ('{"a":"\\q"}', {"a": "\\q"}),  # an unknown escape keeps its backslash
    ],
)
def test_repair_json(broken: str, fixed: dict[str, str]) -> None:
    assert json.loads(repair_json(broken)) == fixed


def test_every_recording_is_what_todays_probe_prints() -> None:
    """The recordings the tests replay carry the top-level fields of the document the probe script
    prints today (its last printf), schemaVersion included; v1-* stands for an older probe."""
    printed = PROBE_SCRIPT.read_text().rstrip().splitlines()[-1]
    fields = re.findall(r'"(\w+)":', printed.split("\\n")[0])
    version = int(re.findall(r'"schemaVersion":(\d+)', printed)[0])
    replayed = [*by_mode().values(), by_mode(["none"], none=NONE_VIOLATION)["none"]]
    recorded = [p.read_text() for p in ALL if not p.stem.startswith("v1-")]
    for text in [*replayed, *recorded]:
        doc = json.loads(repair_json(text.strip()))
        assert list(doc) == fields and doc["schemaVersion"] == version, (list(doc), fields)

"""A task author's names, labels and interface names cannot change a verdict or break the
probe's JSON (threats T17-T20 of docs/THREAT_MODEL.md), on the real Docker engine.

What a task author controls on a real host: dockerLabels (any key and value; the agent's own
com.amazonaws.ecs.* labels override theirs), container and family names (ECS allows only letters,
digits, - and _, but the probe must not rely on it), the image, and, with NET_ADMIN in their own
netns, interface names (any bytes but whitespace, '/' and ':', at most 15). Here every one of them
holds quotes, backslashes, newlines, `{{`, and JSON fragments that try to forge another
container, another task or another netns.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from typing import TYPE_CHECKING

import pytest

from netaudit.models.verdict import ExpectedTask
from netaudit.probe import parse_probe
from netaudit.verdict import evaluate_probe
from netaudit_local.hosts import docker_tasks as dt
from netaudit_local.hosts.ssm_runner import run_document
from netaudit_local.template import probe_document

if TYPE_CHECKING:
    from tests.conftest import EcsTasks

pytestmark = pytest.mark.docker

FORGED_TASK = "arn:aws:ecs:us-east-1:123456789012:task/default/ffffffffffffffffffffffffffffffff"
HOSTILE = [
    'app","taskArn":"' + FORGED_TASK + '","x":"',
    'back\\slash\\"quote',
    "new\nline\r\tand\x1b[31mescape",
    "{{json .}}{{.Config.Env}}{{range .}}",
    '{"netns":"net:[1]"}]},"namespaces":{},"errors":[]}',
    "$(id) `id` ; rm -rf / #",
    "ünïcödé ✓ \u2028",
]
SECRET = "s3cr3t-" + secrets.token_hex(8)


def _hostile_container(ecs_tasks: EcsTasks, task_arn: str, index: int) -> str:
    """A container of `task_arn` whose ECS container name, other ECS labels, own labels and
    environment are hostile; started like docker_tasks does (argv only, the test's run label)."""
    value = HOSTILE[index % len(HOSTILE)]
    labels = {
        dt.TASK_ARN_LABEL: task_arn,
        dt.CONTAINER_NAME_LABEL: value,
        dt.CLUSTER_LABEL: value,
        dt.FAMILY_LABEL: value,
        dt.VERSION_LABEL: value,
        dt.LOCAL_LABEL: "1",
        dt.RUN_LABEL: ecs_tasks.run_label,
        'evil"key\\{{': value,
        "com.example.json": '{"containers":[{"id":"' + "f" * 64 + '"}]}',
    }
    args = ["docker", "run", "-d", "--name", f"{ecs_tasks.prefix}-hostile-{index}", "--network", "none"]
    for key, val in labels.items():
        args += ["--label", f"{key}={val}"]
    args += [
        "-e",
        f"DB_PASSWORD={SECRET}",
        "-e",
        f"AWS_SECRET_ACCESS_KEY={SECRET}",
        "busybox",
        "sleep",
        "3600",
    ]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()


def _probe(task_arn: str) -> str:
    out = run_document(probe_document(), {"taskArn": task_arn}, timeout_s=30)
    assert out.status == "Success", out
    assert out.stdout.count("\n") == 1, "one JSON line, whatever the names hold"
    json.loads(out.stdout)  # strict JSON
    return out.stdout


def _add_veth(container_id: str, name: str, peer: str) -> None:
    pid = dt.container_pid(container_id)
    cmd = ["nsenter", "-t", str(pid), "-n", "ip", "link", "add", name, "type", "veth", "peer", "name", peer]
    subprocess.run(cmd, capture_output=True, check=True)


def test_hostile_labels_and_names_change_nothing(ecs_tasks: EcsTasks) -> None:
    task = ecs_tasks.start("none", ["app"])
    ids = {_hostile_container(ecs_tasks, task.task_arn, i) for i in range(len(HOSTILE))}
    raw = _probe(task.task_arn)
    assert SECRET not in raw and "DB_PASSWORD" not in raw
    doc = parse_probe(raw)
    assert doc.errors == []
    by_id = {c.id: c for c in doc.containers}
    assert set(by_id) == ids | {task.container_ids["app"]}, "a label forged or hid a container"
    assert {by_id[i].container_name for i in ids} == set(HOSTILE), "names must come back byte for byte"
    assert all(c.task_arn == task.task_arn for c in doc.containers), (
        "a label moved a container to another task"
    )
    (verdict,) = evaluate_probe(raw, [ExpectedTask(task.task_arn, "none", None)])
    assert verdict.verdict == "ISOLATED", verdict.reasons
    # the forged task is not there at all
    (forged,) = evaluate_probe(raw, [ExpectedTask(FORGED_TASK, "none", None)])
    assert forged.verdict != "ISOLATED"


PRINTABLE_NAMES = [('a"b\\c', 'p"{{x'), ("{{json}}", "lo\\"), ("lo'", '"lo"')]


@pytest.mark.parametrize(
    ("name", "peer"), PRINTABLE_NAMES, ids=["quote-backslash", "braces", "lo-lookalikes"]
)
def test_an_interface_with_a_hostile_name_is_still_a_violation(
    ecs_tasks: EcsTasks, name: str, peer: str
) -> None:
    task = ecs_tasks.start("none", ["app"])
    _add_veth(task.container_ids["app"], name, peer)
    raw = _probe(task.task_arn)
    doc = parse_probe(raw)
    names = {i["ifname"] for ns in doc.namespaces.values() for i in ns.addr}
    assert {"lo", name, peer} <= names, names
    (verdict,) = evaluate_probe(raw, [ExpectedTask(task.task_arn, "none", None)])
    assert verdict.verdict == "VIOLATION", verdict.reasons


def test_an_interface_name_with_control_bytes_is_never_isolated(ecs_tasks: EcsTasks) -> None:
    """`ip -j` passes control bytes in names through unescaped (iproute2 lib/json_writer.c,
    jsonw_puts: it escapes tab, newline, CR, form feed, backspace, backslash and double quote
    only): the probe output may then be no JSON; whatever the parser makes of it, the verdict
    must not be ISOLATED."""
    task = ecs_tasks.start("none", ["app"])
    _add_veth(task.container_ids["app"], "lo\x01", "x\x1b[0m")
    out = run_document(probe_document(), {"taskArn": task.task_arn}, timeout_s=30)
    (verdict,) = evaluate_probe(
        out.stdout if out.status == "Success" else None, [ExpectedTask(task.task_arn, "none", None)]
    )
    assert verdict.verdict in ("VIOLATION", "INCONCLUSIVE"), verdict


def test_a_hostile_interface_name_does_not_blind_the_audit_of_other_tasks(ecs_tasks: EcsTasks) -> None:
    victim = ecs_tasks.start("none", ["app"])
    attacker = ecs_tasks.start("none", ["app"])
    _add_veth(attacker.container_ids["app"], "e\x01", "f\x02")
    out = run_document(probe_document(), {}, timeout_s=60)  # one command for the whole host
    assert out.status == "Success", out
    verdicts = evaluate_probe(
        out.stdout,
        [ExpectedTask(victim.task_arn, "none", None), ExpectedTask(attacker.task_arn, "none", None)],
    )
    assert [v.verdict for v in verdicts] == ["ISOLATED", "VIOLATION"], [v.reasons for v in verdicts]

"""The HTML report's pieces about tasks: a task card (full evidence), the tables of ISOLATED tasks
and IMDS exposure, and a group (one cause said once, its tasks listed).

Every value is escaped: task authors choose container names, and interface names can hold any
byte (`netaudit.exports.text.visible` shows control characters as escapes; `visible_lines`
keeps line breaks of multi-line causes). Evidence fields this module does not know (e.g. escape
routes added later) are rendered generically, so they show up without a change here; empty ones
(None, "", [], {}) are left out.
"""

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from netaudit.exports import compliance
from netaudit.exports import document as d
from netaudit.exports.text import visible, visible_lines

GENERIC_DEPTH = 4
SHOWN = 3  # a card's reasons said in its "Observed" line; more get a "Why" list of them all
GENERIC_ITEMS = 50
KNOWN_TASK = frozenset(
    {
        "taskArn",
        "declaredMode",
        "expectedEniIpv4",
        "verdict",
        "reasons",
        "containers",
        "probeGeneratedAt",
        "hostNetns",
        "instanceId",
        "cluster",
        "imds",
        "account",
    }
)
KNOWN_EVIDENCE = frozenset(
    {"netns", "hostNetns", "dockerNetworkMode", "dockerIpv4", "interfaces", "routeDevices"}
)


def e(value: Any) -> str:
    """Escaped, visible text of any value (one line: a line break shows as `\\x0a`)."""
    return html.escape(visible(value), quote=True)


def e_lines(value: Any) -> str:
    """Escaped, visible text that keeps its line breaks (for `<pre>`)."""
    return html.escape(visible_lines(value), quote=True)


def badge(verdict: str) -> str:
    return f'<span class="badge {e(verdict.lower())}">{e(verdict)}</span>'


def dl(pairs: Iterable[tuple[str, str]], cls: str = "") -> str:
    """A definition list of (label, already escaped HTML) pairs; empty values left out."""
    rows = "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in pairs if v)
    attr = f' class="{cls}"' if cls else ""
    return f"<dl{attr}>{rows}</dl>" if rows else ""


def generic(value: Any, depth: int = 0) -> str:
    """Any JSON value as escaped HTML (dicts as definition lists, lists as lists), bounded; empty
    values of a dict are left out."""
    if depth >= GENERIC_DEPTH:
        return f"<code>{e(value)}</code>"
    if isinstance(value, Mapping):
        shown = [(str(k), v) for k, v in value.items() if not d.is_empty(v)][:GENERIC_ITEMS]
        return dl((k, generic(v, depth + 1)) for k, v in shown)
    if isinstance(value, (list, tuple)):
        if all(not isinstance(v, (Mapping, list, tuple)) for v in value):
            return ", ".join(f"<code>{e(v)}</code>" for v in value[:GENERIC_ITEMS]) or "-"
        items = "".join(f"<li>{generic(v, depth + 1)}</li>" for v in value[:GENERIC_ITEMS])
        more = f"<li>... {len(value) - GENERIC_ITEMS} more</li>" if len(value) > GENERIC_ITEMS else ""
        return f"<ul>{items}{more}</ul>"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"<code>{e(value)}</code>" if value not in (None, "") else "-"


def _extra(found: Mapping[str, Any], known: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in found.items() if k not in known and not d.is_empty(v)}


def _interfaces(evidence: Mapping[str, Any]) -> str:
    rows = []
    for iface in evidence.get("interfaces") or []:
        addrs = " ".join(f"<code>{e(a)}</code>" for a in iface.get("addresses") or []) or "<i>no address</i>"
        rows.append(f"<div><b>{e(iface.get('name'))}</b> {addrs}</div>")
    return "".join(rows) or "-"


def _container_rows(task: Mapping[str, Any]) -> str:
    rows = []
    for c in task.get("containers") or []:
        ev = c.get("evidence") or {}
        where = '<span class="bad">the HOST\'s netns</span>' if ev.get("hostNetns") else "own netns"
        reasons = "".join(f"<li>{e(r)}</li>" for r in c.get("reasons") or [])
        extra = _extra(ev, KNOWN_EVIDENCE)
        ipv4 = f"<br>{generic(ev['dockerIpv4'])}" if any((ev.get("dockerIpv4") or {}).values()) else ""
        rows.append(
            "<tr>"
            f"<td><b>{e(c.get('containerName') or '-')}</b><br><small>{e(c.get('dockerName'))}</small>"
            f"<br><small>{e(c.get('state'))}, pid {e(c.get('pid'))}</small></td>"
            f"<td>{badge(str(c.get('verdict') or '?'))}{f'<ul>{reasons}</ul>' if reasons else ''}</td>"
            f"<td><code>{e(ev.get('netns') or '-')}</code><br><small>{where}</small></td>"
            f"<td><code>{e(ev.get('dockerNetworkMode') or '-')}</code>{ipv4}</td>"
            f"<td>{_interfaces(ev)}</td>"
            f"<td>{generic(list(ev.get('routeDevices') or []))}</td>"
            "</tr>"
        )
        if extra:
            rows.append(f'<tr class="extra"><td colspan="6">{generic(extra)}</td></tr>')
    return "".join(rows)


def _containers(task: Mapping[str, Any]) -> str:
    rows = _container_rows(task)
    if not rows:
        return '<p class="none">No container evidence: nothing could be read for this task.</p>'
    return (
        '<table class="containers"><thead><tr><th scope="col">Container</th><th scope="col">Verdict</th>'
        '<th scope="col">Network namespace</th><th scope="col">Docker network mode</th>'
        '<th scope="col">Interfaces and addresses</th><th scope="col">Routes via</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def declared_text(mode: Any) -> str:
    """The declared mode and what config checks say of it (nothing claimed for an unknown mode)."""
    checks = compliance.config_text(mode)
    if not checks:
        return "<b>Declared</b> mode unknown (no config check applies)"
    return f"<b>Declared</b> <code>{e(mode)}</code> (config checks: {e(checks)})"


def anchor(task: Mapping[str, Any]) -> str:
    return f"task-{e(d.task_id(str(task.get('taskArn') or '')) or 'unknown')}"


def card(task: Mapping[str, Any]) -> str:
    """One task with all its evidence."""
    verdict = str(task.get("verdict") or "?")
    arn = str(task.get("taskArn") or "")
    reasons = "".join(f"<li>{e(r)}</li>" for r in task.get("reasons") or [])
    extra = _extra(task, KNOWN_TASK)
    meta = dl(
        [
            ("Container instance", f"<code>{e(task.get('instanceId') or 'none (not probed)')}</code>"),
            (
                "Expected ENI IPv4",
                f"<code>{e(task['expectedEniIpv4'])}</code>" if task.get("expectedEniIpv4") else "",
            ),
            ("Account", f"<code>{e(task['account'])}</code>" if task.get("account") else ""),
            ("Cluster", f"<code>{e(task['cluster'])}</code>" if task.get("cluster") else ""),
            ("Host's own netns", f"<code>{e(task['hostNetns'])}</code>" if task.get("hostNetns") else ""),
            ("IMDS (169.254.169.254)", e(task.get("imds") or "unknown (not recorded)")),
            ("Probed at", e(task["probeGeneratedAt"]) if task.get("probeGeneratedAt") else ""),
        ],
        "meta",
    )
    return (
        f'<article class="task {e(verdict.lower())}" id="{anchor(task)}">'
        f"<h3>{badge(verdict)} task <code>{e(arn or '?')}</code></h3>"
        f'<p class="do">{declared_text(task.get("declaredMode"))}<br>'
        f"<b>Observed</b> {e(compliance.observed_text(task, limit=SHOWN))}</p>"
        f"{meta}"
        + (
            f'<h4>Why</h4><ul class="reasons">{reasons}</ul>'
            if len(task.get("reasons") or []) > SHOWN
            else ""
        )
        + _containers(task)
        + (f"<h4>More evidence</h4>{generic(extra)}" if extra else "")
        + "</article>"
    )


def _arn_prefix(arns: Sequence[str]) -> str:
    """The part of the ARNs before the task id, when they all share it ("" otherwise)."""
    prefixes = {a.rsplit("/", 1)[0] + "/" for a in arns if "/" in a}
    return prefixes.pop() if len(prefixes) == 1 and len(arns) == len([a for a in arns if "/" in a]) else ""


def _arn_note(prefix: str) -> str:
    """The tasks' shared ARN prefix, said once above their ids."""
    return f"<p><small>Task ARNs <code>{e(prefix)}</code>&hellip;</small></p>" if prefix else ""


def task_list(tasks: Sequence[Mapping[str, Any]], *, instances: bool = False) -> str:
    """Task ids with their declared mode (and instance), the shared ARN prefix said once."""
    arns = [str(t.get("taskArn") or "") for t in tasks]
    prefix = _arn_prefix(arns)
    items = "".join(
        f"<li><code>{e(arn.removeprefix(prefix) if prefix else arn)}</code> "
        f"<small>{e(t.get('declaredMode') or '?')}"
        + (f" on {e(t.get('instanceId') or '-')}" if instances else "")
        + "</small></li>"
        for arn, t in zip(arns, tasks, strict=True)
    )
    return f'{_arn_note(prefix)}<ul class="ids{" wide" if instances else ""}">{items}</ul>'


def group(g: d.Group, verdict: str, anchor_id: str) -> str:
    """One cause said once, its tasks listed: a host's (`g.instance_id`), or one reason's across
    hosts, or a not-probed cause's (each of its reasons once, with its tasks)."""
    n = len(g.tasks)
    if g.kind == "host":
        title = f"<code>{e(g.instance_id)}</code>" + (f" &middot; {e(g.host_error)}" if g.host_error else "")
        body = f'<pre class="cause">{e_lines(chr(10).join(g.reasons) or "no reason recorded")}</pre>'
        body += task_list(g.tasks)
    elif g.kind == "notProbed":
        title = e(g.title)
        body = ""
        for reason in g.reasons:
            members = [t for t in g.tasks if str(t.get("reason") or "") == reason]
            body += f'<pre class="cause">{e_lines(reason or "no reason recorded")}</pre>{task_list(members)}'
    else:
        hosts = sorted({str(t.get("instanceId") or "-") for t in g.tasks})
        title = (
            f"on {len(hosts)} hosts" if len(hosts) > 1 else f"on <code>{e(hosts[0] if hosts else '-')}</code>"
        )
        body = f'<pre class="cause">{e_lines(chr(10).join(g.reasons) or "no reason recorded")}</pre>'
        body += task_list(g.tasks, instances=True)
    return (
        f'<div class="group {e(verdict.lower().replace(" ", "-"))}" id="{e(anchor_id)}"><h3>{badge(verdict)} '
        f"{title} &middot; {n} task{'s' if n != 1 else ''}</h3>{body}</div>"
    )


def _table(cls: str, names: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table of already escaped cells under a header row of `names`."""
    head = "<thead><tr>" + "".join(f'<th scope="col">{e(n)}</th>' for n in names) + "</tr></thead>"
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="{cls}">{head}<tbody>{body}</tbody></table>'


def _interfaces_text(task: Mapping[str, Any]) -> str:
    """The task's interfaces, each netns once (awsvpc containers share the pause container's)."""
    seen: dict[str, None] = {}
    for c in task.get("containers") or []:
        text = ", ".join(
            f"{visible(i.get('name'))} {' '.join(visible(a) for a in i.get('addresses') or [])}".strip()
            for i in (c.get("evidence") or {}).get("interfaces") or []
        )
        seen.setdefault(text or "-", None)
    return "; ".join(seen) or "-"


def _imds_legend(tasks: Sequence[Mapping[str, Any]]) -> tuple[dict[str, str], str]:
    """Each distinct IMDS text once, numbered: (text -> cell, legend). A cell says the status and
    the number of its full text ("unknown [1]")."""
    texts = list(dict.fromkeys(str(t.get("imds") or "") for t in tasks if t.get("imds")))
    cells = {}
    notes = []
    for n, text in enumerate(texts, 1):
        status, _, detail = text.partition(" (")
        if detail:
            cells[text] = f"{e(status)} [{n}]"
            notes.append(f"<li>[{n}] {e(text)}</li>")
        else:
            cells[text] = e(text)
    legend = f'<ul class="legend"><li>IMDS (169.254.169.254):</li>{"".join(notes)}</ul>' if notes else ""
    return cells, legend


def _several_accounts(tasks: Sequence[Mapping[str, Any]]) -> bool:
    """Tasks of more than one account (issue 21): their tables get an Account column."""
    return len({d.account(t) for t in tasks}) > 1


def _account_cell(task: Mapping[str, Any]) -> tuple[str, ...]:
    return (f"<code>{e(d.account(task))}</code>",)


def isolated_table(tasks: Sequence[Mapping[str, Any]]) -> str:
    """One row per ISOLATED task: what was seen, without the cards' detail; the tasks' shared ARN
    prefix and each IMDS text said once above the table; their account when they span several."""
    arns = [str(t.get("taskArn") or "") for t in tasks]
    prefix = _arn_prefix(arns)
    cells, legend = _imds_legend(tasks)
    several = _several_accounts(tasks)
    rows = (
        (
            *(_account_cell(task) if several else ()),
            f"<code>{e(arn.removeprefix(prefix))}</code>",
            e(task.get("declaredMode")),
            f"<code>{e(task.get('instanceId') or '-')}</code>",
            e(", ".join(d.container_names(task))),
            e(_interfaces_text(task)),
            cells.get(str(task.get("imds") or ""), "-"),
        )
        for arn, task in zip(arns, tasks, strict=True)
    )
    names = (
        *(("Account",) if several else ()),
        "Task" + (" id" if prefix else ""),
        "Declared",
        "Instance",
        "Containers",
        "Interfaces",
        "IMDS",
    )
    return _arn_note(prefix) + legend + _table("isolated", names, rows)


def exposure_table(exposed: Sequence[Mapping[str, Any]]) -> str:
    rows = (
        (
            f"<code>{e(t.get('taskArn'))}</code>",
            e(t.get("declaredMode") or "-"),
            f"<code>{e(t.get('instanceId') or '-')}</code>",
            badge(str(t.get("verdict") or "?")),
            e(t.get("imds") or "-"),
        )
        for t in exposed
    )
    return _table("exposure", ("Task", "Declared", "Instance", "Isolation verdict", "IMDS"), rows)


def violations_table(tasks: Sequence[Mapping[str, Any]]) -> str:
    """Every violation on one line each, linking to its card (shown when there are several); their
    account when they span several."""
    several = _several_accounts(tasks)
    rows = (
        (
            *(_account_cell(t) if several else ()),
            f'<a href="#{anchor(t)}"><code>{e(d.task_id(str(t.get("taskArn") or "")))}</code></a>',
            e(t.get("declaredMode") or "-"),
            f"<code>{e(t.get('instanceId') or '-')}</code>",
            e(compliance.observed_text(t, limit=2)),
        )
        for t in tasks
    )
    names = ("Task", "Declared", "Instance", "Found")
    return _table("violations", (*(("Account",) if several else ()), *names), rows)

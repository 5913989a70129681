"""The HTML report of one audit: one self-contained page, readable without knowing the tool.

No script, no remote asset (a Content-Security-Policy of `default-src 'none'` says so to the
browser), inline CSS with a print stylesheet. Summary and coverage first, then the tasks,
violations first. Every value is escaped: task authors choose container names, and interface
names can hold any byte (`netaudit.exports.text.visible` shows control characters as escapes).
Evidence fields this module does not know (e.g. escape routes or IMDS checks added later) are
rendered generically, so they show up without a change here.
"""

import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from netaudit.exports import compliance
from netaudit.exports import document as d
from netaudit.exports.html_platforms import platforms_section
from netaudit.exports.html_style import CSP, STYLE
from netaudit.exports.text import visible
from netaudit.verdict.rollup import NOTHING_TO_AUDIT

FULL_DETAIL_UP_TO = 50  # with more tasks, ISOLATED ones get one table row each
GENERIC_DEPTH = 4
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
    }
)
KNOWN_EVIDENCE = frozenset(
    {"netns", "hostNetns", "dockerNetworkMode", "dockerIpv4", "interfaces", "routeDevices"}
)
MEANING = {
    "ISOLATED": "Every audited task's network, seen from its host, is exactly what its task definition "
    "declares.",
    "VIOLATION": "At least one task's network differs from what its task definition declares. "
    "The tasks below say what was found (which interface, which address).",
    "INCONCLUSIVE": "The audit could not prove isolation for at least one task (probe failed, host not "
    "reachable, container not running). This is not a pass.",
    NOTHING_TO_AUDIT: "No running task matched the audit's filter: nothing was checked.",
    "ERROR": "The audit stopped before it could judge the tasks. The cause is below.",
}


def e(value: Any) -> str:
    """Escaped, visible text of any value."""
    return html.escape(visible(value), quote=True)


def _time(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S UTC") if when else "-"


def _badge(verdict: str) -> str:
    return f'<span class="badge {e(verdict.lower())}">{e(verdict)}</span>'


def _dl(pairs: Iterable[tuple[str, str]]) -> str:
    """A definition list of (label, already escaped HTML) pairs; empty values skipped."""
    rows = "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in pairs if v)
    return f"<dl>{rows}</dl>" if rows else ""


def generic(value: Any, depth: int = 0) -> str:
    """Any JSON value as escaped HTML (dicts as definition lists, lists as lists), bounded."""
    if depth >= GENERIC_DEPTH:
        return f"<code>{e(value)}</code>"
    if isinstance(value, Mapping):
        return _dl((str(k), generic(v, depth + 1) or "-") for k, v in list(value.items())[:GENERIC_ITEMS])
    if isinstance(value, (list, tuple)):
        if all(not isinstance(v, (Mapping, list, tuple)) for v in value):
            return ", ".join(f"<code>{e(v)}</code>" for v in value[:GENERIC_ITEMS]) or "-"
        items = "".join(f"<li>{generic(v, depth + 1)}</li>" for v in value[:GENERIC_ITEMS])
        more = f"<li>... {len(value) - GENERIC_ITEMS} more</li>" if len(value) > GENERIC_ITEMS else ""
        return f"<ul>{items}{more}</ul>"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"<code>{e(value)}</code>" if value not in (None, "") else "-"


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
        netns = ev.get("netns") or "-"
        where = '<span class="bad">the HOST\'s netns</span>' if ev.get("hostNetns") else "own netns"
        reasons = "".join(f"<li>{e(r)}</li>" for r in c.get("reasons") or [])
        extra = {k: v for k, v in ev.items() if k not in KNOWN_EVIDENCE}
        rows.append(
            "<tr>"
            f"<td><b>{e(c.get('containerName') or '-')}</b><br><small>{e(c.get('dockerName'))}</small>"
            f"<br><small>{e(c.get('state'))}, pid {e(c.get('pid'))}</small></td>"
            f"<td>{_badge(str(c.get('verdict') or '?'))}{f'<ul>{reasons}</ul>' if reasons else ''}</td>"
            f"<td><code>{e(netns)}</code><br><small>{where}</small></td>"
            f"<td><code>{e(ev.get('dockerNetworkMode') or '-')}</code>"
            + (f"<br>{generic(ev['dockerIpv4'])}" if any((ev.get("dockerIpv4") or {}).values()) else "")
            + "</td>"
            f"<td>{_interfaces(ev)}</td>"
            f"<td>{generic(list(ev.get('routeDevices') or []))}</td>"
            "</tr>"
        )
        if extra:
            rows.append(f'<tr class="extra"><td colspan="6">{generic(extra)}</td></tr>')
    if not rows:
        return (
            '<tr><td colspan="6"><i>no container evidence (nothing could be read for this task)</i></td></tr>'
        )
    return "".join(rows)


def _task_section(task: Mapping[str, Any], index: int) -> str:
    verdict = str(task.get("verdict") or "?")
    arn = str(task.get("taskArn") or "")
    reasons = "".join(f"<li>{e(r)}</li>" for r in task.get("reasons") or [])
    extra = {k: v for k, v in task.items() if k not in KNOWN_TASK}
    meta = _dl(
        [
            ("Task ARN", f"<code>{e(arn)}</code>"),
            ("Declared network mode", f"<code>{e(task.get('declaredMode'))}</code>"),
            (
                "Expected ENI IPv4",
                f"<code>{e(task['expectedEniIpv4'])}</code>" if task.get("expectedEniIpv4") else "",
            ),
            ("Container instance", f"<code>{e(task.get('instanceId') or 'none (not probed)')}</code>"),
            ("Cluster", f"<code>{e(task['cluster'])}</code>" if task.get("cluster") else ""),
            ("Host's own netns", f"<code>{e(task['hostNetns'])}</code>" if task.get("hostNetns") else ""),
            ("IMDS (169.254.169.254)", e(task.get("imds") or "unknown (not recorded)")),
            ("Probed at", e(task.get("probeGeneratedAt") or "-")),
        ]
    )
    return (
        f'<section class="task {e(verdict.lower())}" id="task-{index}">'
        f"<h3>{_badge(verdict)} task <code>{e(d.task_id(arn))}</code></h3>"
        f'<p class="do"><b>Declared</b> <code>{e(task.get("declaredMode"))}</code> (config checks: '
        f"{e(compliance.config_text(str(task.get('declaredMode'))))})<br>"
        f"<b>Observed</b> {e(compliance.observed_text(task))}</p>"
        f"{meta}"
        + (f'<h4>Why</h4><ul class="reasons">{reasons}</ul>' if reasons else "")
        + '<table class="containers"><thead><tr><th>Container</th><th>Verdict</th><th>Network namespace</th>'
        "<th>Docker network mode</th><th>Interfaces and addresses</th><th>Routes via</th></tr></thead>"
        f"<tbody>{_container_rows(task)}</tbody></table>"
        + (f"<h4>More evidence</h4>{generic(extra)}" if extra else "")
        + "</section>"
    )


def _isolated_table(tasks: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for task in tasks:
        ifaces = "; ".join(
            ", ".join(
                f"{i.get('name')} {' '.join(i.get('addresses') or [])}".strip()
                for i in (c.get("evidence") or {}).get("interfaces") or []
            )
            for c in task.get("containers") or []
        )
        rows.append(
            f"<tr><td><code>{e(task.get('taskArn'))}</code></td><td>{e(task.get('declaredMode'))}</td>"
            f"<td><code>{e(task.get('instanceId') or '-')}</code></td>"
            f"<td>{e(', '.join(d.container_names(task)))}</td><td><small>{e(ifaces or '-')}</small></td>"
            f"<td><small>{e(task.get('imds') or '-')}</small></td></tr>"
        )
    return (
        '<table class="isolated"><thead><tr><th>Task</th><th>Declared</th><th>Instance</th>'
        "<th>Containers</th>"
        f"<th>Interfaces</th><th>IMDS</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _coverage(doc: d.Document) -> str:
    c = d.counts(doc)
    total = c.get("tasks", 0)
    bar = ""
    if total:
        parts = [(n, c.get(n.lower(), 0)) for n in ("VIOLATION", "INCONCLUSIVE", "ISOLATED")]
        bar = (
            '<div class="bar">'
            + "".join(
                f'<span class="{n.lower()}" style="width:{100 * k / total:.2f}%">{k}</span>'
                for n, k in parts
                if k
            )
            + "</div>"
        )
    by_mode = (d.report_of(doc).get("countsByMode") or {}).items()
    mode_rows = "".join(
        f"<tr><td><code>{e(mode)}</code></td><td>{e(m.get('tasks'))}</td><td>{e(m.get('isolated'))}</td>"
        f"<td>{e(m.get('violation'))}</td><td>{e(m.get('inconclusive'))}</td>"
        f"<td>{e(compliance.config_text(str(mode)))}</td></tr>"
        for mode, m in by_mode
    )
    hosts = d.hosts(doc)
    bad_hosts = [h for h in hosts if h.get("error")]
    text = (
        f"<p><b>{total}</b> task{'s' if total != 1 else ''} audited on <b>{len(hosts)}</b> container "
        f"instance{'s' if len(hosts) != 1 else ''}: <b>{c.get('isolated', 0)}</b> ISOLATED, "
        f"<b>{c.get('violation', 0)}</b> VIOLATION, <b>{c.get('inconclusive', 0)}</b> INCONCLUSIVE; "
        f"<b>{len(d.not_probed(doc))}</b> not probed; <b>{len(bad_hosts)}</b> host"
        f"{'s' if len(bad_hosts) != 1 else ''} whose probe failed.</p>"
    )
    table = (
        "<table><thead><tr><th>Declared mode</th><th>Tasks</th><th>Isolated</th><th>Violation</th>"
        "<th>Inconclusive</th><th>Config checks say of this mode</th></tr></thead>"
        f"<tbody>{mode_rows}</tbody></table>"
        if mode_rows
        else ""
    )
    return f"<h2>Coverage</h2>{bar}{text}{table}"


def _hosts_section(doc: d.Document) -> str:
    hosts = d.hosts(doc)
    if not hosts:
        return ""
    rows = "".join(
        f"<tr><td><code>{e(h.get('instanceId') or '?')}</code></td>"
        f"<td>{_badge(str(h.get('verdict') or '?'))}</td>"
        f"<td>{e((h.get('counts') or {}).get('tasks', '-'))}</td><td>{e(h.get('error') or '-')}</td>"
        f"<td><code>{e(h.get('commandId') or '-')}</code></td></tr>"
        for h in hosts
    )
    errors = "".join(
        f"<li><code>{e(p.get('instanceId'))}</code>: {e(p.get('error'))}: {e(p.get('cause'))}</li>"
        for p in doc.get("probeErrors") or []
    )
    return (
        "<h2>Container instances</h2><table><thead><tr><th>Instance</th><th>Verdict</th><th>Tasks</th>"
        f"<th>Probe error</th><th>SSM command</th></tr></thead><tbody>{rows}</tbody></table>"
        + (f"<ul>{errors}</ul>" if errors else "")
    )


def _not_probed_section(doc: d.Document) -> str:
    rows = "".join(
        f"<tr><td><code>{e(t.get('taskArn'))}</code></td><td>{e(t.get('declaredMode') or '-')}</td>"
        f"<td>{e(t.get('reason'))}</td></tr>"
        for t in d.not_probed(doc)
    )
    if not rows:
        return ""
    return (
        "<h2>Not probed</h2><p>These tasks could not be looked at from a host (no verdict; they are not "
        "counted as isolated).</p><table><thead><tr><th>Task</th><th>Declared</th><th>Why</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _compliance_section() -> str:
    reqs = "".join(
        f"<tr><td>{e(r.standard)}</td><td><b>{e(r.id)}</b></td><td>{e(r.title)}</td></tr>"
        for r in compliance.REQUIREMENTS
    )
    checks = "".join(
        f"<tr><td>{e(c.source)}</td><td><b>{e(c.id)}</b></td><td>{e(c.title)}</td>"
        f"<td>{e(', '.join(sorted(c.fails_for)) or '-')}</td></tr>"
        for c in compliance.CONFIG_CHECKS
    )
    return (
        "<h2>What this evidence supports</h2><p>Each task's verdict is a runtime test of network isolation: "
        "the task's network namespace, read on its container instance, against the network mode its task "
        "definition declares. It is evidence for these requirements:</p>"
        "<table><thead><tr><th>Standard</th><th>Requirement</th><th>What it asks</th></tr></thead>"
        f"<tbody>{reqs}</tbody></table><p>Configuration checks read only the task definition; they cannot "
        "see a running task that differs from it. Each task below shows what they would say of its declared "
        "mode next to what was "
        "observed:</p><table><thead><tr><th>Source</th><th>Check</th><th>What it looks at</th>"
        f"<th>Flags declared modes</th></tr></thead><tbody>{checks}</tbody></table>"
    )


def _summary(doc: d.Document) -> str:
    verdict = d.verdict(doc)
    report = d.report_of(doc)
    audit = doc.get("audit") or {}
    target = audit.get("target") or {}
    artifacts = doc.get("artifacts") or {}
    facts = _dl(
        [
            ("Audit", e(f"{d.kind(doc)} audit")),
            ("Cluster", f"<code>{e(d.cluster(doc))}</code>" if d.cluster(doc) else ""),
            (
                "Network modes",
                e(", ".join(target.get("networkModes") or [])) if d.kind(doc) == "cluster" else "",
            ),
            (
                "Execution",
                f"<code>{e((doc.get('execution') or {}).get('id') or d.execution_name(doc))}</code>",
            ),
            ("Started", e(_time(d.started_at(doc)))),
            ("Report written", e(_time(d.written_at(doc)))),
            (
                "IMDS exposure",
                e(f"{len(doc['imdsExposure'])} task(s) can reach IMDS (not an isolation verdict)")
                if doc.get("imdsExposure")
                else "",
            ),
            (
                "Error",
                f"<b>{e(report.get('error'))}</b>"
                if verdict not in ("ISOLATED", NOTHING_TO_AUDIT) and report.get("error")
                else "",
            ),
            (
                "Evidence (JSON)",
                f"<code>{e(report.get('evidenceUri'))}</code>" if report.get("evidenceUri") else "",
            ),
            (
                "Manifest (SHA-256)",
                f"<code>{e(artifacts.get('manifest'))}</code>" if artifacts.get("manifest") else "",
            ),
        ]
    )
    return (
        f'<header class="banner {e(verdict.lower())}"><h1>ECS network isolation audit: {e(verdict)}</h1>'
        f"<p>{e(d.headline(doc))}</p></header>"
        f'<p class="meaning">{e(MEANING.get(verdict, ""))}</p>{facts}'
    )


def _tasks_section(doc: d.Document) -> str:
    tasks = d.tasks(doc)
    if not tasks:
        cause = d.report_of(doc).get("summary") if d.verdict(doc) == "ERROR" else ""
        return "<h2>Tasks</h2><p>No task was judged.</p>" + (f"<pre>{e(cause)}</pre>" if cause else "")
    full = [t for t in tasks if t.get("verdict") != "ISOLATED" or len(tasks) <= FULL_DETAIL_UP_TO]
    compact = [t for t in tasks if t not in full]
    out = ["<h2>Tasks</h2>"]
    if compact:
        out.append(
            f"<p>{len(full)} task(s) not ISOLATED in detail, then the {len(compact)} ISOLATED ones.</p>"
        )
    out.extend(_task_section(t, i) for i, t in enumerate(full, 1))
    if compact:
        out.append(f"<h2>ISOLATED tasks ({len(compact)})</h2>{_isolated_table(compact)}")
    return "".join(out)


def _footer(doc: d.Document) -> str:
    artifacts = doc.get("artifacts") or {}
    listed = "".join(f"<li>{e(k)}: <code>{e(v)}</code></li>" for k, v in artifacts.items())
    manifest = artifacts.get("manifest")
    verify = (
        f"<p>Check that none of it changed: <code>netaudit evidence verify {e(manifest)}</code></p>"
        if manifest
        else ""
    )
    return (
        f"<footer><p>{e(d.PRODUCT)} evidence schema {e(doc.get('schemaVersion'))}. "
        "This page was rendered from the evidence JSON, which holds everything shown here and more.</p>"
        + (f"<ul>{listed}</ul>" if listed else "")
        + verify
        + "</footer>"
    )


def render(doc: d.Document) -> str:
    """The whole HTML page for one evidence document."""
    title = f"ecs-netaudit {d.verdict(doc)}: {d.kind(doc)} audit {d.execution_name(doc)}"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{e(title)}</title><style>{STYLE}</style></head><body>"
        + _summary(doc)
        + _coverage(doc)
        + platforms_section(doc)
        + _tasks_section(doc)
        + _hosts_section(doc)
        + _not_probed_section(doc)
        + _compliance_section()
        + _footer(doc)
        + "</body></html>\n"
    )

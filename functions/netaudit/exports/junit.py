"""JUnit XML of one audit, for CI: one test case per task.

VIOLATION -> <failure> (type IsolationViolated), INCONCLUSIVE -> <error> (could not check is
not a pass, and most CI tools show <skipped> as green), a task no host could be probed for in
a cluster audit -> <skipped> (it was never a test of this audit). An audit of several accounts
(issue 21) names each case's account in its classname (`ecs-netaudit.<account>/<cluster>.<mode>`)
and lists the accounts in a property; a single-account audit's classnames stay as they were.
An audit that ended in ERROR before judging any task has one test case `audit` with an <error>.
Text goes through `visible` (XML 1.0 cannot hold most control characters at all); element text keeps its line
breaks (`visible_lines`), attributes are one line.

Valid for the Jenkins xunit plugin's JUnit schema (its junit-10.xsd, tests/exports/xsd): the
counts `tests`, `failures`, `errors` on <testsuites> and <testsuite>, `skipped` on <testsuite>
only (the schema has no `skipped` on <testsuites>, and the plugin skips a file that fails it).
CI parsers (GitLab, GitHub's report actions, junitparser) count the child elements of each case.
"""

from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree as ET

from netaudit.errors import INCONCLUSIVE, VIOLATION
from netaudit.exports import compliance
from netaudit.exports import document as d
from netaudit.exports.text import visible, visible_lines
from netaudit.verdict.rollup import NOTHING_TO_AUDIT

MESSAGE_LIMIT = 1000


def _evidence_text(task: Mapping[str, Any]) -> str:
    lines = [compliance.declared_observed(task)]
    lines += [f"- {visible_lines(r)}" for r in task.get("reasons") or []]
    for c in task.get("containers") or []:
        ev = c.get("evidence") or {}
        ifaces = ", ".join(
            f"{visible(i.get('name'))} {' '.join(i.get('addresses') or []) or '(no address)'}"
            for i in ev.get("interfaces") or []
        )
        lines.append(
            f"container {visible(c.get('containerName') or c.get('dockerName'))}: {c.get('verdict')}; "
            f"netns {ev.get('netns') or '-'}{' (HOST netns)' if ev.get('hostNetns') else ''}; "
            f"docker network mode {visible(ev.get('dockerNetworkMode') or '-')}; "
            f"interfaces: {ifaces or '-'}; "
            f"routes via: {', '.join(visible(r) for r in ev.get('routeDevices') or []) or '-'}"
        )
    lines.append(f"task: {task.get('taskArn')} on {task.get('instanceId') or '-'}")
    lines.append("supports: " + ", ".join(compliance.requirement_labels()))
    return "\n".join(lines)


def _account_prefix(doc: d.Document, task: Mapping[str, Any]) -> str:
    """`<account>/` in an audit of several accounts (one cluster name may be in each), else ""."""
    return f"{d.account(task)}/" if d.audit_accounts(doc) else ""


def _testcase(parent: ET.Element, doc: d.Document, task: Mapping[str, Any]) -> str:
    verdict = str(task.get("verdict") or "INCONCLUSIVE")
    where = task.get("cluster") or d.cluster(doc) or "cluster"  # the task's own cluster first
    where = _account_prefix(doc, task) + where
    case = ET.SubElement(
        parent,
        "testcase",
        classname=visible(f"{d.PRODUCT}.{where}.{task.get('declaredMode') or '?'}"),
        name=visible(task.get("taskArn") or "?"),
        time="0",
    )
    message = visible(compliance.observed_text(task))[:MESSAGE_LIMIT]
    if verdict == "VIOLATION":
        ET.SubElement(case, "failure", message=message, type=VIOLATION).text = _evidence_text(task)
    elif verdict != "ISOLATED":
        ET.SubElement(case, "error", message=message, type=INCONCLUSIVE).text = _evidence_text(task)
    else:
        ET.SubElement(case, "system-out").text = _evidence_text(task)  # the evidence of a pass
    return verdict


def render(doc: d.Document) -> str:
    tasks = d.tasks(doc)
    suites = ET.Element("testsuites", name=d.PRODUCT)
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=visible(f"{d.PRODUCT} {d.kind(doc)} audit {d.execution_name(doc)}"),
    )
    when = d.started_at(doc) or d.written_at(doc)
    if when:
        suite.set("timestamp", when.strftime("%Y-%m-%dT%H:%M:%S"))
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("verdict", d.verdict(doc)),
        ("cluster", d.cluster(doc)),
        ("execution", (doc.get("execution") or {}).get("id") or d.execution_name(doc)),
        ("evidence", d.report_of(doc).get("evidenceUri") or ""),
        *([("accounts", ", ".join(d.audit_accounts(doc)))] if d.audit_accounts(doc) else []),
    ):
        ET.SubElement(props, "property", name=name, value=visible(value))
    failures = errors = skipped = 0
    for task in tasks:
        verdict = _testcase(suite, doc, task)
        failures += verdict == "VIOLATION"
        errors += verdict not in ("VIOLATION", "ISOLATED")
    seen = {t.get("taskArn") for t in tasks}
    for task in d.not_probed(doc):
        if task.get("taskArn") in seen:
            continue
        case = ET.SubElement(
            suite,
            "testcase",
            classname=visible(f"{d.PRODUCT}.{_account_prefix(doc, task)}not-probed"),
            name=visible(task.get("taskArn") or "?"),
            time="0",
        )
        ET.SubElement(case, "skipped", message=visible(f"not probed: {task.get('reason')}")[:MESSAGE_LIMIT])
        skipped += 1
    if not tasks and d.verdict(doc) in ("ERROR", NOTHING_TO_AUDIT):
        case = ET.SubElement(suite, "testcase", classname=d.PRODUCT, name="audit", time="0")
        text = visible_lines(d.report_of(doc).get("summary") or d.headline(doc))
        if d.verdict(doc) == "ERROR":
            ET.SubElement(
                case,
                "error",
                message=visible(d.headline(doc))[:MESSAGE_LIMIT],
                type=visible(d.report_of(doc).get("error") or "Error"),
            ).text = text
            errors += 1
        else:
            ET.SubElement(case, "skipped", message=visible(d.headline(doc))[:MESSAGE_LIMIT])
            skipped += 1
    total = len(suite.findall("testcase"))
    for element in (suites, suite):
        element.set("tests", str(total))
        element.set("failures", str(failures))
        element.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"

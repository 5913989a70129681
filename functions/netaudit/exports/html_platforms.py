"""The HTML report's "Not verifiable, by platform" table: the coverage's `platforms` (one row per
reason code of netaudit.platforms: Fargate, ECS Managed Instances, Windows, a Bottlerocket host
with its admin container off), each with why and what would make its tasks verifiable."""

from collections.abc import Mapping
from html import escape as e
from typing import Any

from netaudit.exports import document as d


def platforms_section(doc: d.Document) -> str:
    coverage: Mapping[str, Any] = d.report_of(doc).get("coverage") or {}
    table: Mapping[str, Mapping[str, Any]] = coverage.get("platforms") or {}
    if not table:
        return ""
    rows = "".join(
        f"<tr><td><b>{e(str(p.get('platform')))}</b> <code>{e(code)}</code></td>"
        f"<td>{e(str(p.get('tasks')))}</td>"
        f"<td>{e(str(p.get('why')))}</td><td>{e(str(p.get('verifiableWhen')))}</td></tr>"
        for code, p in table.items()
    )
    return (
        "<h2>Not verifiable, by platform</h2><p>No host of these tasks can be probed: they are counted as "
        "not verifiable, never as isolated.</p><table><thead><tr><th>Platform</th><th>Tasks</th><th>Why</th>"
        f"<th>Verifiable when</th></tr></thead><tbody>{rows}</tbody></table>"
    )

"""The one mapping of this runtime check to compliance requirements and to the configuration
checks that look at the same task definition.

Requirements the runtime check supports (an audit produces evidence for them; it does not by
itself make anyone compliant):
- PCI DSS v4.0.1 11.4.5 (segmentation controls tested at least every 12 months and after
  changes), 11.4.6 (service providers: every 6 months), both "confirming effectiveness of any
  use of isolation to separate systems with differing security levels (see Requirement
  2.2.3)"; 2.2.3 (primary functions with differing security levels on one system component
  are isolated from each other). Source: PCI SSC FAQ 1447 and the v4.0 requirement text.
- NIST SP 800-53 Rev. 5 AC-4 Information Flow Enforcement, SC-7 Boundary Protection.

Configuration checks (they read the task definition only, never the running task):
- AWS Security Hub CSPM control ECS.17 "ECS task definitions should not use host network mode"
  (named in the Security Hub ECS controls page, where it replaced the retired ECS.1);
- AWS Config managed rule ecs-task-definition-network-mode-not-host: NON_COMPLIANT if the
  latest active revision uses host network mode;
- AWS Config managed rule ecs-awsvpc-networking-enabled: NON_COMPLIANT if the latest active
  revision's network mode is not awsvpc.
Both Config rules evaluate the family's latest active revision; this module states what they
would say of the declared mode the audited task runs with.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from netaudit.exports.text import visible
from netaudit.models.verdict import NETWORK_MODES


@dataclass(frozen=True)
class Requirement:
    standard: str
    id: str
    title: str

    @property
    def label(self) -> str:
        return f"{self.standard} {self.id}"


@dataclass(frozen=True)
class ConfigCheck:
    source: str  # "AWS Security Hub" or "AWS Config"
    id: str
    title: str
    fails_for: frozenset[str]  # declared network modes the check flags
    passed: str  # the check's own words for pass / fail
    failed: str

    def status(self, declared_mode: str) -> str:
        return self.failed if declared_mode in self.fails_for else self.passed


PCI = "PCI DSS v4.0.1"
NIST = "NIST SP 800-53 Rev. 5"
REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement(
        PCI,
        "11.4.5",
        "Segmentation controls are penetration-tested at least once every 12 months "
        "and after changes, confirming they isolate the CDE",
    ),
    Requirement(
        PCI,
        "11.4.6",
        "Service providers: segmentation controls are tested at least once every "
        "six months and after changes",
    ),
    Requirement(
        PCI,
        "2.2.3",
        "Primary functions requiring different security levels are managed "
        "(isolated from each other on a shared system component)",
    ),
    Requirement(NIST, "AC-4", "Information Flow Enforcement"),
    Requirement(NIST, "SC-7", "Boundary Protection"),
)
STANDARDS: tuple[str, ...] = (PCI, NIST)
CONTROL = (
    "ecs-netaudit runtime network isolation: the running task's network namespace matches its declared "
    "networkMode"
)

CONFIG_CHECKS: tuple[ConfigCheck, ...] = (
    ConfigCheck(
        "AWS Security Hub",
        "ECS.17",
        "ECS task definitions should not use host network mode",
        frozenset({"host"}),
        "PASSED",
        "FAILED",
    ),
    ConfigCheck(
        "AWS Config",
        "ecs-task-definition-network-mode-not-host",
        "latest active revision does not use host network mode",
        frozenset({"host"}),
        "COMPLIANT",
        "NON_COMPLIANT",
    ),
    ConfigCheck(
        "AWS Config",
        "ecs-awsvpc-networking-enabled",
        "latest active revision uses awsvpc network mode",
        frozenset(NETWORK_MODES) - {"awsvpc"},  # every other mode
        "COMPLIANT",
        "NON_COMPLIANT",
    ),
)


def requirement_labels() -> list[str]:
    """E.g. "PCI DSS v4.0.1 11.4.5" (OCSF compliance.requirements, ASFF RelatedRequirements)."""
    return [r.label for r in REQUIREMENTS]


def config_view(declared_mode: str | None) -> list[tuple[ConfigCheck, str]]:
    """What each configuration check says of a task definition declaring `declared_mode`; nothing
    for a mode that is not known (an audit that stopped before it knew one): no check was run on
    it, so no check's result is claimed."""
    if declared_mode not in NETWORK_MODES:
        return []
    return [(check, check.status(str(declared_mode))) for check in CONFIG_CHECKS]


def config_text(declared_mode: str | None) -> str:
    """E.g. "ECS.17 PASSED, ..."; "" for a mode that is not known."""
    return ", ".join(f"{check.id} {status}" for check, status in config_view(declared_mode))


def observed_text(task: Mapping[str, Any], limit: int = 3) -> str:
    """What the audit saw: the verdict and its first reasons."""
    verdict = str(task.get("verdict") or "?")
    reasons: Sequence[str] = [visible(r) for r in task.get("reasons") or []]
    if verdict == "ISOLATED":
        return "ISOLATED as declared"
    if not reasons:
        return verdict
    more = f" (+{len(reasons) - limit} more)" if len(reasons) > limit else ""
    return f"{verdict}: " + "; ".join(reasons[:limit]) + more


def declared_observed(task: Mapping[str, Any]) -> str:
    """ "declared X (config checks: ...), observed Y" for one task; "declared mode unknown" and no
    config check when the mode is not known."""
    mode = task.get("declaredMode")
    checks = config_text(mode)
    declared = f"declared {visible(mode)} (config checks: {checks})" if checks else "declared mode unknown"
    return f"{declared}, observed {observed_text(task)}"

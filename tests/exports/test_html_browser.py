"""The HTML report in Debian's chromium (headless) with axe-core (npm, node_modules/axe-core):
no critical or serious accessibility violation and the landmarks present, on a small audit, an
ERROR audit and the 1,000-task fault-mix audit; for that one, every violation on the first screen
(FIRST_SCREEN, a 1280x800 window) and fewer than 100 printed A4 pages."""

from pathlib import Path

import pytest
from sample import document, fault_mix, mixed, several_accounts

from ci_env import in_ci
from netaudit.exports import html
from netaudit_local import report_browser

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("critical", "serious")
PAGES_LIMIT = 100


@pytest.fixture(scope="module")
def axe_js() -> str:
    if not AXE.is_file():
        message = f"{AXE} missing: run make setup (npm ci installs axe-core)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text()


def error_audit() -> dict[str, object]:
    doc = document([], verdict="ERROR", error="TaskStoppedEarly")
    doc["report"]["summary"] = "ecs-netaudit canary audit x: ERROR - TaskStoppedEarly: exited\nexit code 1"
    return doc


def check_accessible(measured: report_browser.Measured) -> None:
    assert measured.axe is not None
    blocking = [v for v in measured.axe if v["impact"] in BLOCKING]
    assert blocking == []
    rules = {v["id"] for v in measured.axe}
    assert not rules & {"landmark-one-main", "region", "page-has-heading-one"}, measured.axe
    assert sorted(measured.landmarks) == ["FOOTER", "HEADER", "MAIN", "NAV"]


@pytest.mark.parametrize(
    "make", [mixed, error_audit, several_accounts], ids=["mixed", "error", "several accounts"]
)
def test_axe_finds_no_serious_violation(chromium: str, axe_js: str, tmp_path: Path, make: object) -> None:
    page = html.render(make())  # type: ignore[operator]
    check_accessible(report_browser.measure(chromium, page, tmp_path, axe_js))


def test_axe_sees_what_it_should(chromium: str, axe_js: str, tmp_path: Path) -> None:
    """The harness is not vacuous: a page without <main> and with light grey text on white fails."""
    page = html.render(mixed()).replace("<main>", "<div>").replace("</main>", "</div>")
    page = page.replace("</style>", ".meaning{color:#bbb}</style>")
    measured = report_browser.measure(chromium, page, tmp_path, axe_js)
    rules = {v["id"]: v["impact"] for v in measured.axe or []}
    assert "landmark-one-main" in rules and rules.get("color-contrast") == "serious"


def test_the_fault_mix_audit_shows_its_violation_first_and_prints_under_100_pages(
    chromium: str, axe_js: str, tmp_path: Path
) -> None:
    page = html.render(fault_mix())
    measured = report_browser.measure(chromium, page, tmp_path, axe_js)
    check_accessible(measured)
    _, screen_height = report_browser.FIRST_SCREEN
    assert len(measured.violation_bottoms) == 1 and measured.violation_bottoms[0] <= screen_height
    path = tmp_path / "fault-mix.html"
    path.write_text(page)
    pages = report_browser.printed_pages(chromium, path, tmp_path)
    assert 1 < pages < PAGES_LIMIT

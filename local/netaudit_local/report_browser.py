"""The HTML report in a real browser (Debian's chromium, headless): what a reader sees of it.

Used by the tests (axe-core's accessibility rules, the first screen, the printed pages) and by
bench/bench_report_outputs.py (height and pages of a large report). Measuring needs a script in
the page, which the report's Content-Security-Policy (`default-src 'none'`) forbids: `measure`
opens a copy with the policy meta removed and the script appended; the report itself runs nothing.
The script writes its results into the DOM, which `--dump-dom` prints after the page's timers ran
(`--virtual-time-budget`).
"""

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIRST_SCREEN = (1280, 800)  # a laptop's browser window, CSS pixels
RESULTS_ID = "netaudit-measure"
_CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>')
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
# What the page reports: its height, where each violation card ends, and axe-core's violations
# when axe is loaded (impact, rule id, how many nodes, the first node's HTML).
_MEASURE = """
(function () {
  function done(axeResults) {
    var out = document.createElement('pre');
    out.id = '%(id)s';
    out.textContent = JSON.stringify({
      height: document.documentElement.scrollHeight,
      violationBottoms: Array.prototype.map.call(
        document.querySelectorAll('article.task.violation'),
        function (el) { return el.getBoundingClientRect().bottom + window.scrollY; }),
      landmarks: Array.prototype.map.call(
        document.querySelectorAll('header, nav, main, footer'), function (el) { return el.tagName; }),
      axe: axeResults && axeResults.violations.map(function (v) {
        return {id: v.id, impact: v.impact, nodes: v.nodes.length, html: v.nodes[0] && v.nodes[0].html};
      })
    });
    document.body.appendChild(out);
  }
  if (window.axe) { window.axe.run(document).then(done); } else { done(null); }
})();
"""


@dataclass(frozen=True)
class Measured:
    height: int  # CSS pixels at FIRST_SCREEN's width
    violation_bottoms: list[float]  # where each violation card ends, from the top of the page
    landmarks: list[str]
    axe: list[dict[str, Any]] | None  # axe-core's violations (None: axe not loaded)


def chromium() -> str | None:
    return shutil.which("chromium")


def run(browser: str, workdir: Path, *args: str, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    """One headless chromium run with its own profile under `workdir` (no other run interferes)."""
    return subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={workdir / 'chromium-profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def with_script(page: str, *scripts: str) -> str:
    """A copy of the page that runs `scripts` (inline) after its content; CSP meta removed."""
    tags = "".join("<script>" + s.replace("</script", "<\\/script") + "</script>" for s in scripts)
    return _CSP_META.sub("", page, count=1).replace("</body>", tags + "</body>", 1)


def measure(browser: str, page: str, workdir: Path, axe_js: str | None = None) -> Measured:
    """Open the page at FIRST_SCREEN's size; with `axe_js` (axe-core's axe.min.js) run axe too."""
    copy = workdir / "measure.html"
    copy.write_text(with_script(page, *([axe_js] if axe_js else []), _MEASURE % {"id": RESULTS_ID}))
    width, height = FIRST_SCREEN
    proc = run(
        browser, workdir, f"--window-size={width},{height}", "--virtual-time-budget=60000", "--dump-dom",
        copy.as_uri(),
    )  # fmt: skip
    found = re.search(rf'<pre id="{RESULTS_ID}">(.*?)</pre>', proc.stdout, re.S)
    if proc.returncode != 0 or not found:
        raise RuntimeError(
            f"chromium did not measure the page (exit {proc.returncode}): {proc.stderr[-1000:]}"
        )
    data = json.loads(found.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    return Measured(data["height"], data["violationBottoms"], data["landmarks"], data["axe"])


def printed_pages(browser: str, page_path: Path, workdir: Path) -> int:
    """The page printed to PDF (A4, the report's print stylesheet): its number of pages."""
    pdf = workdir / (page_path.stem + ".pdf")
    proc = run(browser, workdir, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page_path.as_uri())
    if proc.returncode != 0 or not pdf.is_file():
        raise RuntimeError(f"chromium did not print the page (exit {proc.returncode}): {proc.stderr[-1000:]}")
    return len(_PDF_PAGE.findall(pdf.read_bytes()))


def screenshot(browser: str, page_path: Path, workdir: Path, png: Path) -> None:
    """The page's first screen (FIRST_SCREEN) as a PNG."""
    width, height = FIRST_SCREEN
    proc = run(browser, workdir, f"--window-size={width},{height}", f"--screenshot={png}", page_path.as_uri())
    if proc.returncode != 0 or not png.is_file():
        raise RuntimeError(f"chromium took no screenshot (exit {proc.returncode}): {proc.stderr[-1000:]}")

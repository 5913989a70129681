"""The issue's "done when", end to end: `netaudit demo --tamper extra-interface` with --html,
--junit, --ocsf and --evidence-dir; the HTML opened in a real headless browser (Debian's
chromium: its DOM after rendering, and a screenshot); `netaudit evidence verify` on the saved
evidence, before and after one object is changed."""

import json
import os
import struct
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from netaudit_cli import evidence as evidence_cli
from netaudit_cli.evidence import EXIT_OK, EXIT_TAMPERED
from netaudit_cli.exit_codes import EXIT_VIOLATION
from netaudit_local import report_browser

pytestmark = pytest.mark.docker
ROOT = Path(__file__).resolve().parents[2]


def netaudit(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / d) for d in ("functions", "local", "cli"))}
    code = "import sys; from netaudit_cli.main import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=180, env=env, cwd=ROOT
    )


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def test_tampered_demo_writes_all_three_and_the_browser_shows_the_violation(
    docker_engine: None, chromium: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html, junit, ocsf, evidence = (
        tmp_path / n for n in ("report.html", "report.xml", "findings.jsonl", "evidence")
    )
    proc = netaudit(
        "demo",
        "--tamper",
        "extra-interface",
        "--json",
        "--html",
        str(html),
        "--junit",
        str(junit),
        "--ocsf",
        str(ocsf),
        "--evidence-dir",
        str(evidence),
    )
    assert proc.returncode == EXIT_VIOLATION, proc.stderr[-2000:]
    summary = json.loads(proc.stdout)
    task_arn = summary["canaryTaskArn"]
    assert summary["outputProblems"] == [] and set(summary["outputFiles"]) == {
        "html",
        "ocsf",
        "junit",
        "evidence-dir",
    }

    suite = ET.parse(junit).getroot()  # noqa: S314 (our own output)
    failed = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert failed == [task_arn]
    findings = [json.loads(line) for line in ocsf.read_text().splitlines()]
    assert findings and all(f["class_uid"] == 2003 and f["type_uid"] == 200301 for f in findings)
    assert [f["compliance"]["status"] for f in findings] == ["Fail"]

    shot = tmp_path / "report.png"  # one browser run: the DOM after rendering, and a screenshot
    dom = report_browser.run(
        chromium, tmp_path, "--window-size=1280,1600", f"--screenshot={shot}", "--dump-dom", html.as_uri()
    )
    assert dom.returncode == 0, dom.stderr[-1000:]
    assert "ECS network isolation audit: VIOLATION" in dom.stdout
    assert 'class="banner violation"' in dom.stdout and 'class="badge violation"' in dom.stdout
    assert task_arn in dom.stdout and "10.9.9.9/24" in dom.stdout and "dummy0" in dom.stdout
    assert png_size(shot) == (1280, 1600) and shot.stat().st_size > 20_000  # a rendered page, not a blank one

    assert evidence_cli.main_verify(str(evidence)) == EXIT_OK  # in-process: no second interpreter start
    stored_html = next(evidence.rglob("*.html"))
    stored_html.write_text(stored_html.read_text().replace("VIOLATION", "ISOLATED"))
    assert evidence_cli.main_verify(str(evidence)) == EXIT_TAMPERED
    assert f"CHANGED {stored_html.relative_to(evidence)}" in capsys.readouterr().out

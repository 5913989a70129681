"""Reads template.yaml (the local stack) and probe/netaudit-probe.sh (the host probe).

The probe script has one source, `probe/netaudit-probe.sh` (shellchecked by `make lint`). The
ProbeDocument resource in template.yaml carries a copy of it inline, because CloudFormation
creates the SSM document from the template alone (an `AWS::Include` of a local file is rewritten
by `sam build` relative to .aws-sam/ and has broken `sam deploy` before: aws-sam-cli #654,
#9027). `python -m netaudit_local.template --write` writes the copy; `probe_document()` refuses a
template whose copy differs from the file, so the local runner, the tests and what ships run
the same text.

Only the local runner, the CLI and the tests read these files; the Lambdas never do.
"""

import os
import sys
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
_DEFAULT = ROOT / "template.yaml"
TEMPLATE_PATH = Path(os.environ.get("NETAUDIT_TEMPLATE", _DEFAULT))
PROBE_SCRIPT_PATH = ROOT / "probe" / "netaudit-probe.sh"
_RUN_COMMAND = "              runCommand:\n"
_BLOCK_START = "                - |\n"
_BLOCK_INDENT = " " * 20


class ProbeDocumentDrift(RuntimeError):
    """template.yaml's inline probe is not probe/netaudit-probe.sh."""


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that keeps CloudFormation short-form tags (!Ref, !Sub, ...) as {"Fn": value}."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


@cache
def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The parsed template (cached: it does not change while a process runs)."""
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.load(fh, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    return data


def probe_script(path: Path = PROBE_SCRIPT_PATH) -> str:
    """The probe script's text, exactly as SSM runs it."""
    return path.read_text(encoding="utf-8")


def probe_document(path: Path = TEMPLATE_PATH, script_path: Path = PROBE_SCRIPT_PATH) -> dict[str, Any]:
    """The SSM Command document content of the ProbeDocument resource.

    Raises ProbeDocumentDrift when its script is not the probe file's text."""
    resource = load_template(path)["Resources"]["ProbeDocument"]
    content: dict[str, Any] = resource["Properties"]["Content"]
    inline = content["mainSteps"][0]["inputs"]["runCommand"][0]
    if inline != probe_script(script_path):
        raise ProbeDocumentDrift(
            f"{path.name}'s ProbeDocument script differs from {script_path.name}: "
            "run `.venv/bin/python -m netaudit_local.template --write`"
        )
    return content


def render_template(template_text: str, script: str) -> str:
    """template.yaml's text with the ProbeDocument's runCommand block replaced by `script`.

    Only the lines of that one literal block change; the rest of the file is kept byte for byte."""
    lines = template_text.splitlines(keepends=True)
    start = lines.index("  ProbeDocument:\n")
    at = lines.index(_RUN_COMMAND, start) + 1
    if lines[at] != _BLOCK_START:
        raise ValueError(f"template.yaml: expected {_BLOCK_START.strip()!r} after runCommand")
    end = at + 1
    while end < len(lines) and (lines[end].strip() == "" or lines[end].startswith(_BLOCK_INDENT)):
        end += 1
    while end > at + 1 and lines[end - 1].strip() == "":  # blank lines after the block stay
        end -= 1
    if not script.endswith("\n") or script.startswith((" ", "\t")) or "\t" in script:
        raise ValueError("the probe script must end with a newline and hold no tabs")
    body = [f"{_BLOCK_INDENT}{line}" if line.strip() else "\n" for line in script.splitlines(keepends=True)]
    return "".join(lines[: at + 1] + body + lines[end:])


def main(argv: list[str] | None = None) -> int:
    """`--write`: copy the probe file into template.yaml; `--check`: exit 1 when they differ."""
    args = sys.argv[1:] if argv is None else argv
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    wanted = render_template(text, probe_script())
    if args == ["--write"]:
        if wanted != text:
            TEMPLATE_PATH.write_text(wanted, encoding="utf-8")
            print(f"{TEMPLATE_PATH.name}: ProbeDocument script updated from {PROBE_SCRIPT_PATH.name}")
        return 0
    if args == ["--check"]:
        if wanted != text:
            where = f"{TEMPLATE_PATH.name} differs from {PROBE_SCRIPT_PATH.name}"
            print(f"{where}: run with --write", file=sys.stderr)
            return 1
        return 0
    print("usage: python -m netaudit_local.template --write | --check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

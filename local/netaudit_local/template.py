"""Reads template.yaml (the local stack) and probe/netaudit-probe.sh (the host probe).

The probe script has one source, `probe/netaudit-probe.sh` (shellchecked by `make lint`). The
ProbeDocument resource in template.yaml carries a copy of it inline, because CloudFormation
creates the SSM document from the template alone (an `AWS::Include` of a local file is rewritten
by `sam build` relative to .aws-sam/ and has broken `sam deploy` before: aws-sam-cli #654,
#9027). `python -m netaudit_local.template --write` writes the copy; `probe_document()` refuses a
template whose copy differs from the file, so the local runner, the tests and what ships run
the same text.

The member template (`member/netaudit-member.yaml`, plain CloudFormation for a StackSet) holds
the same document: `--write` copies template.yaml's whole ProbeDocument `Content` block into it
(so whatever the script and its parameters are, both copies are one text) and `--check` refuses
either copy when it differs.

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
MEMBER_TEMPLATE_PATH = ROOT / "member" / "netaudit-member.yaml"
_DOCUMENT = "  ProbeDocument:\n"
_CONTENT = "      Content:\n"
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


def _script_block(lines: list[str]) -> tuple[int, int]:
    """(first line of the script, line after it) of the ProbeDocument's runCommand literal block."""
    start = lines.index(_DOCUMENT)
    at = lines.index(_RUN_COMMAND, start) + 1
    if lines[at] != _BLOCK_START:
        raise ValueError(f"expected {_BLOCK_START.strip()!r} after runCommand")
    end = at + 1
    while end < len(lines) and (lines[end].strip() == "" or lines[end].startswith(_BLOCK_INDENT)):
        end += 1
    while end > at + 1 and lines[end - 1].strip() == "":  # blank lines after the block stay
        end -= 1
    return at + 1, end


def render_template(template_text: str, script: str) -> str:
    """template.yaml's text with the ProbeDocument's runCommand block replaced by `script`.

    Only the lines of that one literal block change; the rest of the file is kept byte for byte."""
    lines = template_text.splitlines(keepends=True)
    at, end = _script_block(lines)
    at -= 1
    if not script.endswith("\n") or script.startswith((" ", "\t")) or "\t" in script:
        raise ValueError("the probe script must end with a newline and hold no tabs")
    body = [f"{_BLOCK_INDENT}{line}" if line.strip() else "\n" for line in script.splitlines(keepends=True)]
    return "".join(lines[: at + 1] + body + lines[end:])


def _content_block(lines: list[str]) -> tuple[int, int]:
    """(`Content:` line, line after the script) of the ProbeDocument."""
    return lines.index(_CONTENT, lines.index(_DOCUMENT)), _script_block(lines)[1]


def render_member(member_text: str, hub_text: str) -> str:
    """The member template's text with its ProbeDocument `Content` replaced by the hub's (both at
    the same indentation); the rest of the member file is kept byte for byte."""
    hub, member = hub_text.splitlines(keepends=True), member_text.splitlines(keepends=True)
    h0, h1 = _content_block(hub)
    m0, m1 = _content_block(member)
    return "".join(member[:m0] + hub[h0:h1] + member[m1:])


def member_probe_document(path: Path = MEMBER_TEMPLATE_PATH, hub: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The member template's probe document content; ProbeDocumentDrift unless it is the hub's
    (which is itself checked against the probe file)."""
    content: dict[str, Any] = load_template(path)["Resources"]["ProbeDocument"]["Properties"]["Content"]
    if content != probe_document(hub):
        raise ProbeDocumentDrift(
            f"{path.name}'s ProbeDocument differs from {hub.name}'s: "
            "run `.venv/bin/python -m netaudit_local.template --write`"
        )
    return content


def main(argv: list[str] | None = None) -> int:
    """`--write`: copy the probe file into template.yaml, and template.yaml's probe document into
    the member template; `--check`: exit 1 when either copy differs."""
    args = sys.argv[1:] if argv is None else argv
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    wanted = render_template(text, probe_script())
    member = MEMBER_TEMPLATE_PATH.read_text(encoding="utf-8")
    wanted_member = render_member(member, wanted)
    copies = [
        (TEMPLATE_PATH, text, wanted, PROBE_SCRIPT_PATH.name),
        (MEMBER_TEMPLATE_PATH, member, wanted_member, TEMPLATE_PATH.name),
    ]
    if args == ["--write"]:
        for path, now, new, source in copies:
            if new != now:
                path.write_text(new, encoding="utf-8")
                print(f"{path.name}: ProbeDocument updated from {source}")
        return 0
    if args == ["--check"]:
        stale = [f"{path.name} differs from {source}" for path, now, new, source in copies if new != now]
        for where in stale:
            print(f"{where}: run with --write", file=sys.stderr)
        return 1 if stale else 0
    print("usage: python -m netaudit_local.template --write | --check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

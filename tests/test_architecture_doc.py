"""docs/ARCHITECTURE.md stays true: every path and module it names in backticks exists, and its
state table lists exactly the states of both committed definitions, each Task state with the
handler its function runs (template.yaml) and the workflow modules that handler imports."""

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from netaudit_local.template import load_template

ROOT = Path(__file__).resolve().parents[1]
DOC_PATH = ROOT / "docs" / "ARCHITECTURE.md"
MACHINES = {"S": "statemachine/netaudit.asl.json", "E": "statemachine/netaudit-events.asl.json"}
PACKAGES = {
    "netaudit": "functions/netaudit",
    "netaudit_local": "local/netaudit_local",
    "netaudit_cli": "cli/netaudit_cli",
}
PATH_TOKEN = re.compile(r"[\w.\-]+(?:/[\w.\-]+)*/?")
MODULE_TOKEN = re.compile(r"(?:netaudit|netaudit_local|netaudit_cli)(?:\.\w+)+")
BARE_TOKEN = re.compile(r"[a-z_][a-z0-9_]*(?:\.[A-Za-z_]\w*)?")


def _doc() -> str:
    return DOC_PATH.read_text(encoding="utf-8")


def _section(text: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"no section {title!r}"
    return match.group(1)


def _rows(section: str) -> list[list[str]]:
    """The cells of each table row of a section (header and rule lines left out)."""
    rows = [line.strip().strip("|").split(" | ") for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row] for row in rows[1:] if not set(row[0]) <= {"-", " "}]


def _ticked(text: str) -> list[str]:
    return re.findall(r"`([^`\n]+)`", text)


def _module_file(dotted: str) -> tuple[Path | None, list[str]]:
    """The file of the longest module prefix of `dotted`, and the names left after it."""
    parts = dotted.split(".")
    path = ROOT / PACKAGES[parts[0]]
    for i, part in enumerate(parts[1:], 1):
        if (path / part).is_dir():
            path = path / part
        elif (path / f"{part}.py").is_file():
            return path / f"{part}.py", parts[i + 1 :]
        else:
            return path / "__init__.py", parts[i:]
    return path / "__init__.py", []


def _defines(path: Path, name: str) -> bool:
    return bool(re.search(rf"^\s*(?:def |class |async def )?{re.escape(name)}\b", path.read_text(), re.M))


def _missing_module(dotted: str) -> str | None:
    path, rest = _module_file(dotted)
    if path is None or not path.is_file():
        return dotted
    if len(rest) > 1 or (rest and not _defines(path, rest[0])):
        return dotted
    return None


FILE_SUFFIX = re.compile(r".*\.(?:py|json|yaml|yml|sh|md|js|toml)/?")


def _problem(token: str, folder: Path | None = None) -> str | None:
    """`token` if it names a path or module that does not exist, else None. A path is looked up
    in `folder` (a folder map row's) and from the repository's root; a bare name only in a folder
    map row: `name.py`, `name/` or `name` there, and `module.attribute` defined in that module."""
    bases = [b for b in (folder, ROOT) if b is not None]
    if "/" in token or FILE_SUFFIX.fullmatch(token):
        if PATH_TOKEN.fullmatch(token) and not any((base / token).exists() for base in bases):
            return token
        return None
    if MODULE_TOKEN.fullmatch(token):
        return _missing_module(token)
    if folder is None or not BARE_TOKEN.fullmatch(token):
        return None
    name, _, attr = token.partition(".")
    found = next((c for c in (folder / f"{name}.py", folder / name) if c.exists()), None)
    if found is None or (attr and not (found.is_file() and _defines(found, attr))):
        return token
    return None


def test_every_path_and_module_in_backticks_exists() -> None:
    doc = _doc()
    folder_map = _section(doc, "Folder map")
    problems = [_problem(token) for token in _ticked(doc.replace(folder_map, ""))]
    assert [p for p in problems if p] == []


def test_the_folder_map_names_files_of_each_folder() -> None:
    """Each row's folder exists; what its other columns name is in that folder (or the root)."""
    problems = []
    for row in _rows(_section(_doc(), "Folder map")):
        (folder,) = _ticked(row[0])
        problems.append(_problem(folder))
        for cell in row[1:]:
            problems.extend(_problem(token, ROOT / folder) for token in _ticked(cell))
    assert [p for p in problems if p] == []


def _states(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in definition["States"].items():
        yield name, state
        if "ItemProcessor" in state:
            yield from _states(state["ItemProcessor"])
        for branch in state.get("Branches", []):
            yield from _states(branch)


def _asl_states() -> dict[str, dict[str, Any]]:
    """machine letter -> {state name: state}."""
    found: dict[str, dict[str, Any]] = {}
    for letter, path in MACHINES.items():
        found[letter] = dict(_states(json.loads((ROOT / path).read_text(encoding="utf-8"))))
    return found


def _table() -> dict[str, list[str]]:
    rows = _rows(_section(_doc(), "States"))
    table: dict[str, list[str]] = {}
    for row in rows:
        if len(row) != 5:
            continue  # the second table (functions no state calls)
        (name,) = _ticked(row[0])
        assert name not in table, f"{name} listed twice"
        table[name] = row
    return table


def test_the_state_table_lists_exactly_the_states_of_both_machines() -> None:
    asl, table = _asl_states(), _table()
    in_doc = {(letter.strip(), name) for name, row in table.items() for letter in row[1].split(",")}
    in_asl = {(letter, name) for letter, states in asl.items() for name in states}
    assert in_doc == in_asl
    types = {(name, row[2]) for name, row in table.items()}
    assert types == {(name, state["Type"]) for states in asl.values() for name, state in states.items()}


def _handlers() -> dict[str, str]:
    """Function logical id -> handler module, as template.yaml declares them."""
    template = load_template(ROOT / "template.yaml")
    default = ((template.get("Globals") or {}).get("Function") or {}).get("Handler")
    return {
        logical_id: str(resource["Properties"].get("Handler") or default).rsplit(".", 1)[0]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def _workflow_imports(module: str) -> set[str]:
    """The netaudit.workflow modules `module` imports itself (module level)."""
    path, _ = _module_file(module)
    assert path is not None
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("netaudit.workflow"):
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                is_module = _missing_module(child) is None and _module_file(child)[1] == []
                found.add(child if is_module else node.module)
    return found


def test_each_task_state_names_its_handler_and_the_workflow_it_imports() -> None:
    asl, table, handlers = _asl_states(), _table(), _handlers()
    for name, row in table.items():
        resources = {states[name].get("Resource") for states in asl.values() if name in states}
        if resources == {None}:
            assert row[3] == "—" and row[4] == "—", name
            continue
        (resource,) = resources  # the same function on both machines
        function = re.fullmatch(r"\$\{(\w+)Arn\}", str(resource))
        assert function, (name, resource)
        handler = handlers[function.group(1)]
        assert _ticked(row[3]) == [handler], name
        assert set(_ticked(row[4])) == _workflow_imports(handler), name


def test_every_function_of_the_template_is_in_the_doc() -> None:
    doc = _doc()
    for logical_id, handler in _handlers().items():
        assert f"`{handler}`" in doc, logical_id

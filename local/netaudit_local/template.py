"""Reads template.yaml: the one source of truth for the probe script and the local stack.

Only the local runner, the CLI and the tests read it; the Lambdas never do.
"""

import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml

_DEFAULT = Path(__file__).resolve().parents[2] / "template.yaml"
TEMPLATE_PATH = Path(os.environ.get("NETAUDIT_TEMPLATE", _DEFAULT))


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


def probe_document(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The SSM Command document content of the ProbeDocument resource."""
    resource = load_template(path)["Resources"]["ProbeDocument"]
    content: dict[str, Any] = resource["Properties"]["Content"]
    return content

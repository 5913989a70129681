"""The template's `Rules`, evaluated as CloudFormation does before it creates or updates a stack.

A rule applies when its RuleCondition is true (no RuleCondition: always); each Assert must then
be true, else CloudFormation refuses the parameters with the AssertDescription and creates
nothing (CloudFormation User Guide, "Rules" and "Rule functions"). The rule functions used here:
Fn::And, Fn::Or, Fn::Not, Fn::Equals, Fn::Contains, Fn::EachMemberEquals, Fn::EachMemberIn, Ref
(a parameter's value: a string, or a list for List/CommaDelimitedList parameters).
"""

from collections.abc import Mapping
from typing import Any


class RuleFailed(ValueError):
    """Parameter values a template Rule refuses (CloudFormation: ValidationError)."""


def _values(template: Mapping[str, Any], params: Mapping[str, str]) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    for name, decl in (template.get("Parameters") or {}).items():
        value = str(params.get(name, decl.get("Default", "")))
        out[name] = value.split(",") if "List" in str(decl.get("Type", "")) else value
    return out


def _eval(node: Any, values: Mapping[str, str | list[str]]) -> Any:
    if isinstance(node, list):
        return [_eval(n, values) for n in node]
    if not isinstance(node, dict) or len(node) != 1:
        return node if not isinstance(node, (int, float, bool)) else str(node).lower()
    (fn, arg), = node.items()
    if fn == "Ref":
        return values[arg]
    args = _eval(arg, values)
    match fn:
        case "Fn::And":
            return all(args)
        case "Fn::Or":
            return any(args)
        case "Fn::Not":
            return not args[0]
        case "Fn::Equals":
            return args[0] == args[1]
        case "Fn::Contains":
            return args[1] in args[0]
        case "Fn::EachMemberEquals":
            return all(v == args[1] for v in args[0])
        case "Fn::EachMemberIn":
            return all(v in args[1] for v in args[0])
    raise RuleFailed(f"rule function {fn} is not evaluated locally: add it to template_rules.py")


def failed_rules(template: Mapping[str, Any], params: Mapping[str, str]) -> list[str]:
    """The AssertDescription of every assertion these parameter values fail (empty: accepted)."""
    values = _values(template, params)
    failed: list[str] = []
    for name, rule in (template.get("Rules") or {}).items():
        if "RuleCondition" in rule and not _eval(rule["RuleCondition"], values):
            continue
        for assertion in rule.get("Assertions", []):
            if not _eval(assertion["Assert"], values):
                failed.append(str(assertion.get("AssertDescription") or f"rule {name} failed"))
    return failed


def check_rules(template: Mapping[str, Any], params: Mapping[str, str]) -> None:
    failed = failed_rules(template, params)
    if failed:
        raise RuleFailed("; ".join(failed))

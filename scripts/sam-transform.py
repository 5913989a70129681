"""Runs in .venv-sam (aws-sam-translator, the transform `sam deploy` runs; its pydantic pin clashes
with the project's, so it has a venv of its own).
argv: <template.yaml>; stdout: the template as CloudFormation receives it after the
AWS::Serverless transform (JSON). Local CodeUri/DefinitionUri are replaced by an S3 URI first, as
`sam validate` does (samcli/lib/translate/sam_template_validator.py): the translator takes only S3
locations. No AWS call: the project names no managed policy, so the policy map stays empty."""

import json
import os
import sys

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # the translator's partition lookup

from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

FAKE_S3 = "s3://bucket/value"
LOCAL_URIS = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::StateMachine": "DefinitionUri"}


def with_s3_uris(template: dict) -> dict:
    function_globals = template.get("Globals", {}).get("Function", {})
    if isinstance(function_globals.get("CodeUri"), str):
        function_globals["CodeUri"] = FAKE_S3
    for resource in template.get("Resources", {}).values():
        key = LOCAL_URIS.get(resource.get("Type"))
        props = resource.get("Properties", {})
        if key and isinstance(props.get(key), str) and not props[key].startswith("s3://"):
            props[key] = FAKE_S3
    return template


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as fh:
        template = with_s3_uris(yaml_parse(fh.read()))
    translator = Translator(None, Parser())
    translated = translator.translate(template, parameter_values={}, get_managed_policy_map=dict)
    json.dump(translated, sys.stdout, default=str)


main()

"""Step Functions on moto's engine: as strict as AWS where the project depends on it
(`sfn_strict`), and each definition parsed once."""

import threading
from contextlib import ExitStack
from typing import Any
from unittest import mock

from netaudit_local.cloud import sfn_strict


class StepFunctionsSeam:
    def install(self, stack: ExitStack) -> None:
        self._parse_definition_once(stack)
        sfn_strict.install(stack)

    @staticmethod
    def _parse_definition_once(stack: ExitStack) -> None:
        """moto parses a definition when the state machine is created (to validate it) and again
        when an execution starts: hand the validation's parse to the first execution instead of
        parsing twice (the slowest part of a local run's start-up). Later executions parse afresh."""
        from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
        from moto.stepfunctions.parser.models import StepFunctionsParserBackend

        original_parse = AmazonStateLanguageParser.parse
        original_validate = StepFunctionsParserBackend._validate_definition
        spare: dict[str, Any] = {}
        validating = threading.local()

        def parse(definition: str) -> Any:
            if getattr(validating, "on", False):
                spare[definition] = result = original_parse(definition)
                return result
            return spare.pop(definition, None) or original_parse(definition)

        def validate(definition: str) -> None:
            validating.on = True
            try:
                original_validate(definition)
            finally:
                validating.on = False

        stack.enter_context(mock.patch.object(AmazonStateLanguageParser, "parse", staticmethod(parse)))
        stack.enter_context(
            mock.patch.object(StepFunctionsParserBackend, "_validate_definition", staticmethod(validate))
        )

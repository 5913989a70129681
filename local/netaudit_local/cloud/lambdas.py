"""Lambda Invoke -> the real handler, in-process (moto's simple backend would only echo)."""

import importlib
import json
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netaudit.settings import function_environment
from netaudit_local.cloud import moto_patches
from netaudit_local.cloud.account import ACCOUNT, REGION
from netaudit_local.cloud.botocore_seam import acting_as
from netaudit_local.cloud.run_state import Invocation

if TYPE_CHECKING:
    from netaudit_local.cloud.run_state import RunState


@dataclass
class FakeLambdaContext:
    function_name: str
    memory_limit_in_mb: int = 256
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    @property
    def function_version(self) -> str:
        return "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


class LambdaSeam:
    """Runs the handler of `seams.handlers[name]` with its own function's environment
    (`seams.environments[name]`, through netaudit.settings' seam: os.environ is shared by every
    thread, so it holds none of it) as the function's own IAM role; an exception answers as
    Lambda's Unhandled function error."""

    def __init__(self, seams: "RunState") -> None:
        self.seams = seams

    def install(self, stack: ExitStack) -> None:
        seams = self.seams

        def invoke(
            backend: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any
        ) -> bytes:
            return seams.invoke(function_name, body, response_headers)  # what a bench may wrap

        moto_patches.patch(stack, "lambda.invoke", invoke)

    def invoke(self, function_name: str, body: Any, response_headers: dict[str, str]) -> bytes:
        seams = self.seams
        name = function_name.split(":")[6] if function_name.startswith("arn:") else function_name
        module = seams.handlers.get(name)
        if module is None:
            raise KeyError(f"no local handler for Lambda function {name!r}")
        raw = body.decode() if isinstance(body, bytes) else (body or "{}")
        event = json.loads(raw or "{}")
        record = Invocation(name, event)
        seams.invocations.append(record)
        handler = importlib.import_module(module).handler
        environment = seams.environments.get(name, {})
        try:
            # its AWS calls are its own (IAM decides them against its role)
            with function_environment(environment), acting_as(name):
                result = handler(event, FakeLambdaContext(name))
        except Exception as exc:
            record.error = type(exc).__name__
            response_headers["x-amz-function-error"] = "Unhandled"
            message = getattr(exc, "message", None) or str(exc)
            return json.dumps(
                {"errorType": type(exc).__name__, "errorMessage": message, "stackTrace": []}
            ).encode()
        return json.dumps(result).encode()

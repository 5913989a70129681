"""The functions' settings: one model per function, each with exactly the variables template.yaml
gives that function (Globals.Function.Environment plus its own Environment; tests/template/
test_settings.py compares each model with the transformed template). A handler reads only its
function's model, on its first line: a variable that is missing or malformed fails the first
invocation with a `SettingsError` naming the variable and what it should hold (the deployment's
fault, never the input's), and nothing is written.

Where the variables come from: `environ()`. On AWS every function is its own execution
environment, so it is `os.environ`. The local runner runs every function in one process, on
threads; it hands each invocation its own function's environment, as the template gives it,
through `function_environment()` (netaudit_local.cloud.lambdas), so a handler reading a variable
its function lacks fails locally as it would on AWS.

A variable that may be "" (CANARY_COMMAND, IMAGE_REPOSITORY_PATTERN, DEAD_LETTER_QUEUE_URL) and a
flag set by a parameter with a default has a default here; the test holds a flag's default to the
parameter's. Every other variable is required. Values are stripped; "" is unset.
"""

import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from types import MappingProxyType
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from netaudit.models.inputs import IMAGE_RE

CommandArg = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Name = Annotated[str, StringConstraints(min_length=1)]

_FUNCTION_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar(
    "netaudit_function_environ", default=None
)


class SettingsError(RuntimeError):
    """The deployment's settings are wrong (a template parameter): not the input's fault."""


def environ() -> Mapping[str, str]:
    """The running function's environment: os.environ, unless the local runner set it."""
    env = _FUNCTION_ENVIRON.get()
    return os.environ if env is None else env


@contextmanager
def function_environment(env: Mapping[str, str]) -> Iterator[None]:
    """The local runner's seam: `env` is the function's whole environment while the block runs
    (in this thread, and in the pools it submits to, which copy its context)."""
    token = _FUNCTION_ENVIRON.set(MappingProxyType(dict(env)))
    try:
        yield
    finally:
        _FUNCTION_ENVIRON.reset(token)


def _flag(value: object) -> object:
    """A flag is true or false in any case (the parameters' AllowedValues), nothing else:
    pydantic alone would take "yes", "on" or "1"."""
    if isinstance(value, str):
        if value.lower() not in ("true", "false"):
            raise ValueError("neither true nor false")
        return value.lower() == "true"
    return value


def _json_array(value: object) -> object:
    """CANARY_COMMAND's text -> the list the field validates (a list given by name: as it is)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise ValueError("not JSON") from None
    return value


Flag = Annotated[bool, BeforeValidator(_flag)]


class FunctionSettings(BaseModel):
    """A function's variables: a field's alias is its variable (the field's name upper-cased,
    unless it says otherwise), its description what the variable holds."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=str.upper, validate_by_name=True, validate_by_alias=True
    )

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Variable -> field name."""
        return {str(f.alias or name.upper()): name for name, f in cls.model_fields.items()}

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        """Validated from `env` (default: `environ()`); the same values give the same (frozen)
        object, validated once."""
        source = environ() if env is None else env
        values = ((variable, source.get(variable, "").strip()) for variable in cls.variables())
        settings = _validated(cls, tuple((variable, value) for variable, value in values if value))
        if not isinstance(settings, cls):  # the cache is keyed by the class: never
            raise TypeError(type(settings).__name__)
        return settings


@lru_cache(maxsize=128)
def _validated(model: type[FunctionSettings], values: tuple[tuple[str, str], ...]) -> FunctionSettings:
    try:
        return model.model_validate(dict(values))
    except ValidationError as exc:
        raise SettingsError(f"{model.__name__}: {'; '.join(_problems(model, dict(values), exc))}") from None


def _problems(model: type[FunctionSettings], values: Mapping[str, str], exc: ValidationError) -> list[str]:
    """One line per variable: which, what was wrong, what it should hold."""
    problems: dict[str, str] = {}
    for error in exc.errors():
        variable = str(error["loc"][0]) if error["loc"] else "?"
        field = model.model_fields.get(model.variables().get(variable, ""))
        expected = field.description if field is not None and field.description else "see template.yaml"
        if error["type"] == "missing":
            problem = "is not set"
        else:
            problem = f"is {values.get(variable, '')[:40]!r}: {error['msg'].removeprefix('Value error, ')}"
        problems.setdefault(variable, f"the environment variable {variable} {problem} (expected {expected})")
    return list(problems.values())


# --- one definition of each shared variable ------------------------------------------------------
class EvidenceBucketSetting(FunctionSettings):
    evidence_bucket: Name = Field(description="the evidence bucket's name, Ref EvidenceBucket")


class ProbeDocumentSetting(FunctionSettings):
    probe_document_name: Name = Field(description="the probe's SSM document name, Ref ProbeDocument")


class CanaryFamilySetting(FunctionSettings):
    canary_family_prefix: Name = Field(
        description="the canary task definitions' family prefix (CanaryFamilyPrefix)"
    )


class ClusterScopeSetting(FunctionSettings):
    # the scope: one name, `a,b` or `*` (workflow/scope.py parses it)
    cluster_name: Name = Field(description="the clusters this stack audits, ClusterName joined by commas")


# --- one model per function (the handler named in its docstring reads it) ---------------------------
class RegisterTaskDefinitionSettings(CanaryFamilySetting):
    """RegisterTaskDefinitionFunction (handlers/register_task_definition.py)."""


class ResolveHostsSettings(EvidenceBucketSetting):
    """ResolveHostsFunction (handlers/resolve_hosts.py)."""


class SendProbeSettings(EvidenceBucketSetting, ProbeDocumentSetting):
    """SendProbeFunction (handlers/send_probe.py): the document; the bucket its output goes to."""


class EvaluateSettings(EvidenceBucketSetting):
    """EvaluateFunction (handlers/evaluate.py)."""


class JanitorSettings(ClusterScopeSetting, CanaryFamilySetting):
    """CanaryJanitorFunction (handlers/janitor.py)."""


class EventsBatchSettings(ClusterScopeSetting):
    """EventsBatchFunction (handlers/events_batch.py): the stack's scope and the members' (issue 21)."""

    member_cluster_name: Name = Field(
        description="the member accounts' clusters, MemberClusterName joined by commas"
    )


class ReportSettings(EvidenceBucketSetting):
    """ReportFunction (handlers/report.py)."""

    alert_topic_arn: Name = Field(description="the alert topic's ARN, Ref AlertTopic")
    securityhub_findings: Flag = Field(False, description="true or false (EnableSecurityHubFindings)")
    report_imds_exposure: Flag = Field(True, description="true or false (ReportImdsExposure)")
    dead_letter_queue_url: str | None = Field(
        None, description="the task events' dead-letter queue URL, or empty (EnableEventDrivenAudits)"
    )
    evidence_lock_mode: Literal["NONE", "GOVERNANCE", "COMPLIANCE"] = Field(
        "NONE", description="NONE, GOVERNANCE or COMPLIANCE (EvidenceObjectLockMode)"
    )
    evidence_lock_days: int = Field(365, ge=1, description="whole days, at least 1 (EvidenceObjectLockDays)")


# --- PrepareFunction's: the canary (issue 14: its image and command come from the deployment) ------
def image_repository(image: str) -> str:
    """`registry:5000/team/app:1.2@sha256:...` -> `registry:5000/team/app` (no tag, no digest)."""
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


class CanarySettings(FunctionSettings):
    """PrepareFunction (handlers/prepare.py). Built by name in tests: `CanarySettings(image=...)`."""

    image: Annotated[str, StringConstraints(pattern=IMAGE_RE)] = Field(
        alias="CANARY_IMAGE", description="the canary's image (CanaryImage)"
    )
    command: Annotated[
        list[CommandArg] | None, BeforeValidator(_json_array), Field(min_length=1, max_length=64)
    ] = Field(
        None,
        alias="CANARY_COMMAND",
        description=(
            "empty (sleep for the audit's deadlines plus a margin) or a JSON array of strings (CanaryCommand)"
        ),
    )
    allow_image_override: Flag = Field(
        False,
        alias="ALLOW_IMAGE_OVERRIDE",
        description="true lets an input's target.image replace CANARY_IMAGE (AllowCanaryImageOverride)",
    )
    repository_pattern: str = Field(
        "",
        alias="IMAGE_REPOSITORY_PATTERN",
        description=(
            "a regular expression an overriding image's repository must match as a whole, or empty "
            "for CANARY_IMAGE's own repository (CanaryImageRepositoryPattern)"
        ),
    )

    @field_validator("repository_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value

    def refuse_image(self, image: str, network_mode: str) -> str | None:
        """Why an input may not run the canary with `image` (None: it may)."""
        if image == self.image:
            return None
        if not self.allow_image_override:
            return (
                "the canary's image is the deployment's (parameter CanaryImage); this deployment "
                "does not allow an input to choose it (AllowCanaryImageOverride is false)"
            )
        if network_mode == "host":
            return (
                "an image of the input's choosing never runs in the host network namespace "
                "(networkMode host): leave image out to use the deployment's CanaryImage"
            )
        repository = image_repository(image)
        if self.repository_pattern:
            allowed = re.fullmatch(self.repository_pattern, repository) is not None
            rule = f"the pattern CanaryImageRepositoryPattern {self.repository_pattern!r}"
        else:
            allowed = repository == image_repository(self.image)
            rule = f"the CanaryImage's repository {image_repository(self.image)!r}"
        if not allowed:
            return f"repository {repository[:120]!r} does not match {rule}"
        return None

"""The functions' environment: what the template's parameters put there. The one place that
reads it: `Environment` (every function) and `CanarySettings` (the Prepare function's canary;
issue 14: the canary's image and command come from the deployment, never from an input).

- CANARY_IMAGE             the canary's image (parameter CanaryImage)
- CANARY_COMMAND           "" = `sleep` for the audit's deadlines plus a margin, or a JSON array
                           of strings (parameter CanaryCommand); never taken from an input
- ALLOW_IMAGE_OVERRIDE     "true" lets an input's `target.image` replace CANARY_IMAGE
                           (parameter AllowCanaryImageOverride, default "false")
- IMAGE_REPOSITORY_PATTERN a regular expression the repository of an overriding image must match
                           as a whole (parameter CanaryImageRepositoryPattern); "" = only
                           CANARY_IMAGE's own repository (another tag or digest of it)

And of the Report function:
- REPORT_IMDS_EXPOSURE     "false" turns the IMDS exposure finding off: no list, no alert, no
                           Security Hub finding (parameter ReportImdsExposure, default "true")
"""

import json
import os
import re
from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from netaudit.models.inputs import IMAGE_RE

ENV_IMAGE = "CANARY_IMAGE"
ENV_COMMAND = "CANARY_COMMAND"
ENV_ALLOW_OVERRIDE = "ALLOW_IMAGE_OVERRIDE"
ENV_REPOSITORY_PATTERN = "IMAGE_REPOSITORY_PATTERN"
ENV_REPORT_IMDS = "REPORT_IMDS_EXPOSURE"

CommandArg = Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class SettingsError(RuntimeError):
    """The deployment's settings are wrong (a template parameter): not the input's fault."""


def _flag(env: Mapping[str, str], name: str, parameter: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value not in ("true", "false"):
        raise SettingsError(f"{name} (parameter {parameter}): expected true or false, got {value[:20]!r}")
    return value == "true"


class Environment(BaseModel):
    """Every function's environment as template.yaml sets it (each function gets the variables it
    needs; a test checks the template sets no other). Read per invocation; values are stripped and
    "" is unset."""

    model_config = ConfigDict(frozen=True)

    evidence_bucket: str | None = None  # EVIDENCE_BUCKET
    alert_topic_arn: str | None = None  # ALERT_TOPIC_ARN
    probe_document_name: str = "netaudit-probe"  # PROBE_DOCUMENT_NAME
    cluster_name: str = "default"  # CLUSTER_NAME: the scope, `a,b` or `*` (workflow/scope.py)
    member_cluster_name: str = "default"  # MEMBER_CLUSTER_NAME: the member accounts' scope (issue 21)
    canary_family_prefix: str = "netaudit-canary"  # CANARY_FAMILY_PREFIX
    dead_letter_queue_url: str | None = None  # DEAD_LETTER_QUEUE_URL (event-driven audits on)
    evidence_lock_mode: str | None = None  # EVIDENCE_LOCK_MODE
    evidence_lock_days: str | None = None  # EVIDENCE_LOCK_DAYS
    securityhub_findings: bool = False  # SECURITYHUB_FINDINGS (parameter EnableSecurityHubFindings)
    report_imds_exposure: bool = True  # REPORT_IMDS_EXPOSURE (parameter ReportImdsExposure)

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> "Environment":
        env = os.environ if environ is None else environ
        values: dict[str, object] = {
            "securityhub_findings": _flag(env, "SECURITYHUB_FINDINGS", "EnableSecurityHubFindings", False),
            "report_imds_exposure": report_imds_exposure(env),
        }
        for name in cls.model_fields.keys() - values.keys():
            value = env.get(name.upper(), "").strip()
            if value:
                values[name] = value
        return cls.model_validate(values)

    def require(self, field: str) -> str:
        """A variable this function cannot work without (the template sets it)."""
        value = getattr(self, field)
        if not value:
            raise SettingsError(f"the environment variable {field.upper()} is not set (the template sets it)")
        return str(value)


def report_imds_exposure(environ: Mapping[str, str] | None = None) -> bool:
    """Parameter ReportImdsExposure; unset is the template's default, "true"."""
    env = os.environ if environ is None else environ
    return _flag(env, ENV_REPORT_IMDS, "ReportImdsExposure", default=True)


def image_repository(image: str) -> str:
    """`registry:5000/team/app:1.2@sha256:...` -> `registry:5000/team/app` (no tag, no digest)."""
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


class CanarySettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    image: Annotated[str, StringConstraints(pattern=IMAGE_RE)]
    command: list[CommandArg] | None = Field(default=None, min_length=1, max_length=64)
    allow_image_override: bool = False
    repository_pattern: str = ""

    @field_validator("repository_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "CanarySettings":
        env = os.environ if environ is None else environ
        image = env.get(ENV_IMAGE, "").strip()
        if not image:
            raise SettingsError(f"the environment variable {ENV_IMAGE} is not set (the template sets it)")
        raw_command = env.get(ENV_COMMAND, "").strip()
        command = None
        if raw_command:
            try:
                command = json.loads(raw_command)
            except ValueError:
                raise SettingsError(
                    f"{ENV_COMMAND} (parameter CanaryCommand): expected a JSON array of strings"
                ) from None
        allow = env.get(ENV_ALLOW_OVERRIDE, "false").strip().lower()
        if allow not in ("true", "false"):
            raise SettingsError(f"{ENV_ALLOW_OVERRIDE}: expected true or false, got {allow[:20]!r}")
        try:
            return cls(
                image=image,
                command=command,
                allow_image_override=allow == "true",
                repository_pattern=env.get(ENV_REPOSITORY_PATTERN, "").strip(),
            )
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise SettingsError(
                f"invalid canary settings in the Prepare function's environment: {problems}"
            ) from None

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

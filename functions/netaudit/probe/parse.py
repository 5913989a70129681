"""Probe stdout -> `ProbeDocument`, with errors a human can act on."""

import json
import re

from pydantic import ValidationError

from netaudit.models.probe import PROBE_NAME, SCHEMA_VERSIONS, ProbeDocument

# GetCommandInvocation's StandardOutputContent holds at most 24,000 characters (the agent cuts
# bytes, so a multi-byte character may be cut off); the full output is in S3 (OutputS3BucketName).
SSM_INLINE_OUTPUT_LIMIT = 24_000


class ProbeParseError(ValueError):
    """The probe output is not a probe document this code understands."""


# `ip -j` escapes only some bytes of an interface name: control bytes other than \b \f \n \r \t
# pass through raw, and before iproute2 6.1 (Amazon Linux 2 ships 5.10) `'` is written `\'`.
# Neither is valid JSON. Everything else the probe prints is encoded by docker's `json`, so a
# raw control byte or an unknown escape can only be inside such a name: repair it there.
# What can need a repair: a backslash (with the character after it) or a raw control byte. One
# character class, scanned in C; the few hits are handled below (an alternation of the two made
# the scan of a whole document cost more than validating it).
_SPECIAL = re.compile(r"[\\\x00-\x08\x0b\x0c\x0e-\x1f]")  # ip escapes \t \n \r
_JSON_ESCAPES = frozenset('"\\/bfnrtu')


def _repair_escape(escaped: str) -> str:
    """A backslash and the character `escaped` after it, as valid JSON."""
    if escaped in _JSON_ESCAPES:
        return "\\" + escaped
    if escaped == "'":
        return "'"
    tail = f"\\u{ord(escaped):04x}" if ord(escaped) < 0x20 else escaped
    return "\\\\" + tail  # a lone backslash, kept as one


def repair_json(line: str) -> str:
    """`line` with raw control bytes written as \\u00XX and `\\'` as `'` (other unknown escapes
    keep their backslash). Valid JSON comes back unchanged."""
    parts: list[str] = []
    done = 0  # line[:done] is in parts
    found = _SPECIAL.search(line)
    while found is not None:
        at = found.start()
        if line[at] != "\\":
            parts += (line[done:at], f"\\u{ord(line[at]):04x}")
            done = at + 1
        elif at + 1 < len(line):
            parts += (line[done:at], _repair_escape(line[at + 1]))
            done = at + 2
        else:  # a backslash ending the line has nothing to escape: kept
            break
        found = _SPECIAL.search(line, done)
    if not parts:
        return line
    parts.append(line[done:])
    return "".join(parts)


_ASCII_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")


def _document_line(raw: str) -> str:
    """The JSON line: the last non-empty line that starts with '{' (tolerates stray lines)."""
    # the usual case without splitting it all: an ASCII last line holding none of the other
    # breaks str.splitlines() splits at (\x85, \u2028 and \u2029 are not ASCII)
    last = raw.rstrip().rpartition("\n")[2].strip()
    if last.startswith("{") and last.isascii() and not any(b in last for b in _ASCII_BREAKS):
        return last
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("{"):
            return line
    shown = lines[-1][:80] if lines else ""
    raise ProbeParseError(f"probe output holds no JSON document (last line: {shown!r})")


def parse_probe(raw: str | bytes | None) -> ProbeDocument:
    """Parse the probe's stdout. Raises ProbeParseError naming what is wrong."""
    if raw is None:
        raise ProbeParseError("no probe output")
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    if not text or text.isspace():  # no copy of the whole output
        raise ProbeParseError("probe output is empty")
    line = _document_line(text)
    try:  # fast path: validate straight from JSON (repair_json costs a scan: only on failure)
        return ProbeDocument.model_validate_json(line)
    except ValidationError:
        pass
    repaired = repair_json(line)
    document = _validated_repaired(line, repaired)
    if document is not None:
        return document
    return _validated_explained(_json_object(line, repaired, text))


def _validated_repaired(line: str, repaired: str) -> ProbeDocument | None:
    """Validated from the repaired line; None: the slow path explains why not."""
    if repaired != line:  # raw `ip -j` bytes in a name: the same fast path on the repaired line
        try:
            return ProbeDocument.model_validate_json(repaired)
        except ValidationError:
            pass
    return None


def _json_object(line: str, repaired: str, text: str) -> dict[str, object]:
    """The line as a JSON object (repaired only when it is not JSON as it is)."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        data = None
    try:
        data = json.loads(repaired) if data is None else data
    except json.JSONDecodeError as exc:
        hint = ""
        if len(text) >= SSM_INLINE_OUTPUT_LIMIT - 100:
            hint = " (output looks truncated: read the full output from S3)"
        raise ProbeParseError(f"probe output is not valid JSON: {exc.msg} at char {exc.pos}{hint}") from exc
    if not isinstance(data, dict):
        raise ProbeParseError(f"probe output is a JSON {type(data).__name__}, not an object")
    return data


def _validated_explained(data: dict[str, object]) -> ProbeDocument:
    """The document, or why not: another probe, another schema version, or the fields wrong."""
    if data.get("probe", PROBE_NAME) != PROBE_NAME:
        raise ProbeParseError(f"not an ecs-netaudit probe document (probe={data.get('probe')!r})")
    version = data.get("schemaVersion")
    if version not in SCHEMA_VERSIONS:
        raise ProbeParseError(
            f"unsupported probe schemaVersion {version!r} (this code reads {sorted(SCHEMA_VERSIONS)})"
        )
    try:
        return ProbeDocument.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:3]
        )
        more = f" (+{exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
        raise ProbeParseError(f"probe document does not match schema {version}: {problems}{more}") from exc

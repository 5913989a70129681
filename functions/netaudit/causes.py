"""Why a task has no verdict, as codes: set where the cause is found, read by coverage.

The inventory and ResolveHosts put the code of a task they do not probe in its not-probed
record (`code`), ResolveHosts in an unreachable host's record; Report gives the tasks it makes
INCONCLUSIVE the code of their cause (`cause`), from the host's error name when the probe failed.
Coverage (netaudit.workflow.coverage) sorts tasks by these codes, never by the words of a
reason. The platforms the probe cannot reach have their own codes (netaudit.platforms).
"""

from netaudit.errors import THROTTLING_CODES

# (bucket, cause) per code: the bucket is coverage's (stopped, notVerifiable, failed), the cause
# the label coverage counts under.
TASK_STOPPED = "TASK_STOPPED"  # not RUNNING, or gone before it was described
FILTERED_OUT = "FILTERED_OUT"  # its network mode is not one the audit asked for
NO_SSM = "NO_SSM"  # its host is not Online in SSM, or its agent is too old
NO_CONTAINER_INSTANCE = "NO_CONTAINER_INSTANCE"  # no container instance of the account's own
UNPROBEABLE_PLATFORM = "UNPROBEABLE_PLATFORM"  # an OS the probe cannot run on (macOS)
PROBE_TIMED_OUT = "PROBE_TIMED_OUT"
AWS_THROTTLED = "AWS_THROTTLED"
OUTPUT_UNREADABLE = "OUTPUT_UNREADABLE"
PROBE_FAILED = "PROBE_FAILED"
CONTAINER_GONE = "CONTAINER_GONE"  # no container of the task was on its host when probed
NO_RESULT = "NO_RESULT"  # the host's Map iteration recorded nothing

CAUSES: dict[str, tuple[str, str]] = {
    TASK_STOPPED: ("stopped", "task stopped before its audit"),
    UNPROBEABLE_PLATFORM: ("notVerifiable", "platform the probe cannot run on"),
    FILTERED_OUT: ("notVerifiable", "filtered out"),
    NO_SSM: ("notVerifiable", "no SSM"),
    NO_CONTAINER_INSTANCE: ("notVerifiable", "no container instance"),
    PROBE_TIMED_OUT: ("failed", "command timed out"),
    AWS_THROTTLED: ("failed", "AWS throttling"),
    OUTPUT_UNREADABLE: ("failed", "output not readable"),
    PROBE_FAILED: ("failed", "command failed"),
    CONTAINER_GONE: ("failed", "container gone mid-probe"),
    NO_RESULT: ("failed", "no result recorded"),
}

# A host's probe error (EvaluateHost's `error.error`, the state machine's error names) -> code.
_HOST_ERRORS = {
    "ProbeTimedOut": PROBE_TIMED_OUT,
    "States.Timeout": PROBE_TIMED_OUT,
    "AwsThrottled": AWS_THROTTLED,
    "ProbeOutputUnreadable": OUTPUT_UNREADABLE,
    "HostResultMissing": NO_RESULT,
    "HostNotManaged": NO_SSM,
}


# Evidence written before these codes existed (its not-probed records carry a platform code at
# most): the code its reason's words stand for, first match wins. Only readers of stored evidence
# (netaudit.exports) use it; the Report step sorts by the codes its producers set.
_BEFORE_CODES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (TASK_STOPPED, (", not running", "describetasks: missing", "task stopped")),
    (UNPROBEABLE_PLATFORM, ("cannot be probed:",)),
    (FILTERED_OUT, ("filtered out", "not audited (networkmodes")),
    (NO_SSM, ("not online in ssm", "ssm agent", "hostnotmanaged", "not managed")),
    (NO_CONTAINER_INSTANCE, ("no container instance", "container instance arn:")),
)


def of_uncoded(reason: str) -> str | None:
    """The code of a not-probed reason in evidence written before codes (None: no known cause)."""
    text = reason.lower()
    return next((code for code, needles in _BEFORE_CODES if any(n in text for n in needles)), None)


def of_host_error(name: str) -> str:
    """The cause code of the tasks of a host whose probe ended in error `name`."""
    if name in THROTTLING_CODES:
        return AWS_THROTTLED
    return _HOST_ERRORS.get(name, PROBE_FAILED)

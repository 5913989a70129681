"""The exit status of the `netaudit` commands that end in a verdict (check, demo, audit)."""

EXIT_ISOLATED = 0  # ISOLATED (or NOTHING_TO_AUDIT)
EXIT_VIOLATION = 1
EXIT_ERROR = 2  # INCONCLUSIVE, invalid input, an error, or a container left behind
EXIT_INTERRUPTED = 130  # Ctrl-C (or SIGTERM)


def exit_code(verdict: str) -> int:
    """The exit status of an audit that ended with `verdict`."""
    if verdict in ("ISOLATED", "NOTHING_TO_AUDIT"):
        return EXIT_ISOLATED
    return EXIT_VIOLATION if verdict == "VIOLATION" else EXIT_ERROR

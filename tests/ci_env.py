"""Whether this is a CI run (importable by any test: every test folder has its own conftest)."""

import os


def in_ci() -> bool:
    """$CI set to anything but empty/0/false/no (CI systems set CI=true; CI=false means a person)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")

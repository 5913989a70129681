"""What every handler shares: settings from the environment and the clock."""

import os
import time


def env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def now() -> float:
    return time.time()

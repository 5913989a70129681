"""What every handler shares: settings from the environment and the clock."""

import os
import time


def env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def now() -> float:
    return time.time()


def require_env(name: str) -> str:
    value = env(name)
    if value is None:
        raise RuntimeError(f"the environment variable {name} is not set (the template sets it)")
    return value

"""What every handler shares: the clock (each function's settings: netaudit.settings)."""

import time


def now() -> float:
    return time.time()

"""What every handler shares: the clock (settings: netaudit.settings.Environment)."""

import time


def now() -> float:
    return time.time()

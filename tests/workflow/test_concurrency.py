"""netaudit.concurrency: the product's thread pools keep the caller's contextvars."""

import contextvars
import threading

import pytest

from netaudit.concurrency import map_in_context

_KEY: contextvars.ContextVar[str] = contextvars.ContextVar("test_key", default="unset")


def test_each_call_sees_the_callers_context_in_order() -> None:
    token = _KEY.set("caller")
    try:
        seen = map_in_context(lambda i: (i, _KEY.get(), threading.get_ident()), range(20), max_workers=4)
    finally:
        _KEY.reset(token)
    assert [s[0] for s in seen] == list(range(20))
    assert {s[1] for s in seen} == {"caller"}  # a plain pool's workers would see "unset"
    assert threading.get_ident() not in {s[2] for s in seen}


def test_a_calls_change_stays_in_its_own_copy() -> None:
    def change(i: int) -> str:
        _KEY.set(f"call {i}")
        return _KEY.get()

    assert map_in_context(change, [1, 2], max_workers=2) == ["call 1", "call 2"]
    assert _KEY.get() == "unset"


def test_an_exception_of_a_call_is_raised() -> None:
    def fail(i: int) -> int:
        if i == 3:
            raise ValueError("three")
        return i

    with pytest.raises(ValueError, match="three"):
        map_in_context(fail, range(5), max_workers=2)

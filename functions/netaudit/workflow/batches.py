"""Slicing a list into the batches an AWS API takes (100 tasks, 50 instance ids, ...)."""

from collections.abc import Iterator, Sequence


def batches[T](items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]

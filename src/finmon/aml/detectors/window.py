"""Sliding event-time windows per key (account, customer): the detectors' bounded state."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from typing import Generic, TypeVar

from finmon.aml.detectors.base import HOUR_US

T = TypeVar("T")


class KeyedWindow(Generic[T]):
    """Items per key, each with its event time; items older than ``span_us`` fall out.

    Memory is bounded by the items of the last ``span_us``: a key whose items
    have all expired is dropped by a sweep that runs at most once an hour of
    event time.
    """

    def __init__(self, span_us: int) -> None:
        self.span_us = span_us
        self._items: dict[Hashable, deque[tuple[int, T]]] = {}
        self._last_sweep = 0

    def add(self, key: Hashable, at: int, item: T) -> deque[tuple[int, T]]:
        """Append ``item`` under ``key`` and return the key's live items (oldest first)."""
        self._sweep(at)
        items = self._items.setdefault(key, deque())
        items.append((at, item))
        self._trim(items, at)
        return items

    def get(self, key: Hashable, now: int) -> deque[tuple[int, T]]:
        """The live items under ``key`` at ``now`` (an empty deque if none)."""
        items = self._items.get(key)
        if items is None:
            return deque()
        self._trim(items, now)
        return items

    def __len__(self) -> int:
        return len(self._items)

    def _trim(self, items: deque[tuple[int, T]], now: int) -> None:
        while items and now - items[0][0] > self.span_us:
            items.popleft()

    def _sweep(self, now: int) -> None:
        if now - self._last_sweep < HOUR_US:
            return
        self._last_sweep = now
        dead = [k for k, v in self._items.items() if not v or now - v[-1][0] > self.span_us]
        for k in dead:
            del self._items[k]


__all__ = ["KeyedWindow"]

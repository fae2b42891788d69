"""A readers-writer lock: many concurrent readers, one exclusive writer.

Readers never wait for each other, only for a writer that holds the lock or waits for it
(writer preference, so a steady stream of readers cannot starve a writer). Writers should
hold it only to apply changes prepared beforehand.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

__all__ = ["NoLock", "ReadWriteLock"]


class ReadWriteLock:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writer and not self._waiting_writers)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._waiting_writers += 1
            try:
                self._cond.wait_for(lambda: not self._writer and self._readers == 0)
            finally:
                self._waiting_writers -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class NoLock:
    """A :class:`ReadWriteLock`'s interface that never waits, for a holder whose parts guard
    themselves (see :class:`matching.ranking.Matcher`)."""

    def read(self) -> AbstractContextManager[None]:
        return nullcontext()

    def write(self) -> AbstractContextManager[None]:
        return nullcontext()

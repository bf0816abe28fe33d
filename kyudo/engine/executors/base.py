"""What every executor offers, so callers never care which one runs their graph,
and what they share: pausing the garbage collector while a graph is prepared."""
from __future__ import annotations

import gc
import threading
from abc import ABC, abstractmethod
from contextlib import contextmanager
from typing import Any, Iterator, Mapping, Sequence

from kyudo.engine.graph import Key


class Executor(ABC):
    """Runs a prepared task graph.

    ``execute`` receives a graph that is already culled and fused (see
    :func:`kyudo.engine.compute`): every entry is needed, every reference resolves.
    It must free each intermediate result once its last consumer has run, re-raise a
    task's own exception (noted with the task's key, see
    :func:`kyudo.engine.errors.note_failure`) and start no new task after one failed.
    """

    name: str = "executor"

    @abstractmethod
    def execute(self, graph: Mapping[Key, Any], keys: Sequence[Key]) -> dict[Key, Any]:
        """Run ``graph`` and return ``{key: output}`` for each of ``keys``."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """Keep the cyclic garbage collector off while the engine builds its own
    bookkeeping (culling, fusing, ordering, counters for every task).

    Those steps allocate a few containers per task and create no cycles, yet with a
    large graph alive every collection they trigger walks all of it: that was a third
    of the per-task overhead on 100k-task graphs. Only the engine's preparation is
    wrapped, never user tasks. Pauses nest and overlap across threads: the collector
    comes back, if it was on, when the last one ends.
    """
    global _gc_pausers, _gc_was_enabled
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()

"""Keeping one run's live results under a memory limit (the ``memory_limit`` option).

Executors use a :class:`MemoryBudget` only when a limit is set; without one they
take a path with none of this bookkeeping.

What is accounted
    Every task result held in the run's results mapping, at :func:`~kyudo.engine.
    memory.sizeof` bytes, from when its task finishes until it is freed (its last
    consumer finished) or spilled. Ready values of the graph are not counted: the
    graph holds them anyway. Results read back from disk are not counted either:
    they sit on memory-mapped file pages, which the operating system may drop (see
    :mod:`kyudo.engine.spill`).

When it spills
    When a finished result takes the total over the limit, results are written to
    disk until the total is under ``target`` (70% of the limit), those needed
    *latest* first: a result's next use is the smallest :func:`~kyudo.engine.order.
    order` priority among its consumers that have not run yet (a requested output
    with none left is needed only at the very end). A result that a running task is
    reading is never chosen: the task holds a reference, so writing it out would
    free nothing. Results under :data:`MIN_SPILL` bytes are not worth a file.
    Writing happens outside the lock; the mapping then holds a
    :class:`~kyudo.engine.spill.Spilled` handle instead of the result.

How results come back
    :meth:`MemoryBudget.inputs` gives a starting task its inputs, loading spilled
    ones (memory-mapped, zero-copy; the loaded value is kept with the handle for
    the result's other consumers). :meth:`MemoryBudget.outputs` reads requested
    outputs into memory, since their files are deleted when the run ends.

Holding back sources
    A task with no task dependencies (a scan) does not start while the total is
    still over the limit and another task of the run is running: it is parked, and
    released when a finishing task finds the total under the limit, or finds that
    nothing else is running. The last running task always releases what is parked,
    so a run never waits on itself.
"""
from __future__ import annotations

import math
import threading
from typing import Any, Iterable, Mapping

import kyudo.config
from kyudo.engine.graph import Key
from kyudo.engine.memory import sizeof
from kyudo.engine.spill import Spilled, SpillStore

#: Results smaller than this are never spilled (a file costs more than it frees).
MIN_SPILL = 1024

#: Spilling brings the accounted total down to this fraction of the limit.
TARGET = 0.7


def memory_limit() -> int | None:
    """The ``memory_limit`` option, in bytes (None: no limit)."""
    return kyudo.config.get("memory_limit")


class MemoryBudget:
    """Accounting, spilling and source hold-back for one run (see module doc).

    ``results`` is the run's mapping of results, shared with the executor;
    ``priority`` and ``users`` are the run's order and dependents; ``keep`` the
    requested outputs (never freed during the run). Thread-safe: one lock guards the
    counters, and no file is written or read while it is held.
    """

    def __init__(self, limit: int, results: dict, priority: Mapping[Key, int],
                 users: Mapping[Key, tuple], keep: Iterable[Key], directory: str | None = None):
        self.limit = limit
        self.target = int(limit * TARGET)
        self.results = results
        self.priority = priority
        self.users = users
        self.keep = frozenset(keep)
        self.store = SpillStore(directory if directory is not None else kyudo.config.get("spill_directory"))
        self.lock = threading.Lock()
        self.sizes: dict[Key, int] = {}  # in-memory task results and their bytes
        self.live = 0  # sum of ``sizes``
        self.peak = 0
        self.reading: dict[Key, int] = {}  # result -> running tasks that read it
        self.done: set = set()  # tasks that have started (their inputs no longer wait for them)
        self.running = 0
        self.parked: list[Key] = []
        self.spilled_results = 0

    # ---- a task's life -------------------------------------------------------------

    def begin(self, key: Key, deps: tuple, source: bool = False) -> bool:
        """Register ``key`` as running and reading ``deps``; False if it is a
        ``source`` (a task with no task dependencies) held back for now: it is
        parked, and :meth:`end` of another task releases it."""
        with self.lock:
            if source and self.live > self.limit and self.running > 0:
                self.parked.append(key)
                return False
            self.running += 1
            self.done.add(key)
            reading = self.reading
            for dep in deps:
                reading[dep] = reading.get(dep, 0) + 1
            return True

    def inputs(self, deps: tuple) -> dict:
        """``{dep: value}`` for a starting task, spilled values loaded back."""
        results = self.results
        out = {}
        for dep in deps:
            value = results[dep]
            out[dep] = value.load() if type(value) is Spilled else value
        return out

    def store_result(self, key: Key, value: Any) -> None:
        """Hold ``key``'s fresh result and count it."""
        size = sizeof(value)
        with self.lock:
            self.results[key] = value
            self.sizes[key] = size
            self.live += size
            if self.live > self.peak:
                self.peak = self.live

    def free(self, key: Key) -> None:
        """Drop a result whose last consumer finished."""
        with self.lock:
            value = self.results.pop(key, None)
            size = self.sizes.pop(key, None)
            if size is not None:
                self.live -= size
        if type(value) is Spilled:
            self.store.delete(value)

    def end(self, key: Key, deps: tuple) -> list[Key]:
        """``key`` finished (or failed): stop counting it as running, spill if over
        the limit, and return parked sources to start now."""
        with self.lock:
            self.running -= 1
            reading = self.reading
            for dep in deps:
                left = reading[dep] - 1
                if left:
                    reading[dep] = left
                else:
                    del reading[dep]
            victims = self._choose() if self.live > self.limit else ()
        if victims:
            self._spill(victims)
        with self.lock:
            if self.parked and (self.live <= self.limit or self.running == 0):
                released, self.parked = self.parked, []
                return released
        return []

    # ---- spilling ----------------------------------------------------------------

    def _next_use(self, key: Key) -> float:
        done, priority = self.done, self.priority
        return min((priority[user] for user in self.users[key] if user not in done), default=math.inf)

    def _choose(self) -> list[tuple[Key, Any]]:
        """Pick results to write out (under the lock); they leave the count now."""
        reading, results = self.reading, self.results
        candidates = [(self._next_use(key), key) for key, size in self.sizes.items()
                      if size >= MIN_SPILL and key not in reading]
        candidates.sort(key=lambda item: item[0], reverse=True)  # needed latest first
        excess = self.live - self.target
        chosen = []
        for _, key in candidates:
            if excess <= 0:
                break
            size = self.sizes.pop(key)
            self.live -= size
            excess -= size
            chosen.append((key, results[key]))
        return chosen

    def _spill(self, victims: list[tuple[Key, Any]]) -> None:
        for index, (key, value) in enumerate(victims):
            try:
                handle = self.store.write(value)
            except BaseException:
                with self.lock:  # count what was not written again, then fail the run
                    for other, other_value in victims[index:]:
                        if self.results.get(other) is other_value:
                            size = sizeof(other_value)
                            self.sizes[other] = size
                            self.live += size
                raise
            with self.lock:
                # The result may have been freed meanwhile (its consumers ran); a
                # consumer that started meanwhile holds the value itself: fine.
                current = self.results.get(key)
                if current is value:
                    self.results[key] = handle
                    self.spilled_results += 1
                    handle = None
            if handle is not None:
                self.store.delete(handle)

    # ---- the end of a run --------------------------------------------------------

    def outputs(self, keys: Iterable[Key]) -> dict:
        """The requested outputs, read into memory where they were spilled."""
        out = {}
        for key in keys:
            value = self.results[key]
            out[key] = value.load(mapped=False) if type(value) is Spilled else value
        return out

    def close(self) -> None:
        """Delete every spill file of the run (after success, failure or interrupt)."""
        self.store.close()

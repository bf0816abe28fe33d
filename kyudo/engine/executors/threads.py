"""The default executor: a shared pool of worker threads that schedule themselves.

Why it is built this way (the target is a few microseconds of overhead per task):

* **No central scheduler loop.** A worker that finishes a task does that task's
  bookkeeping itself: it stores the result, counts down its dependents, frees inputs
  whose last consumer it was, and if it alone made a dependent ready it runs that
  dependent next without any queue hop (depth-first, which is also what keeps memory
  low). Other dependents that became ready go to the shared ready heap.
* **Lock-free counting.** Every counter is a list of distinct integers counted down
  with ``list.pop()``, which is atomic: whoever pops the ``0`` knows it was last, so
  exactly one worker schedules a dependent or frees a result, with no lock.
* **One queue hop.** The ready heap (ordered by :func:`~kyudo.engine.order.order`
  priority) takes a lock only for the ``heappush``/``heappop``. Idle workers sleep on
  a ``SimpleQueue`` and are woken only if they are asleep, so busy workers pass tasks
  with no wake-up traffic at all.
* **A pool reused across calls** (thread start-up is not per-call overhead), rebuilt
  after ``fork``.

The caller only waits: for the run's completion, or for its first failure. On a
failure (or ``KeyboardInterrupt`` in the caller) the run is marked failed, its queued
tasks are dropped, no new task of it starts, and the caller waits for tasks still
running before re-raising, so the pool is left idle and reusable.

With a ``memory_limit`` the run is a :class:`_SpillingRun`, whose ``step`` also
accounts results, spills them and holds back scans (see
:mod:`kyudo.engine.executors.budget`); the run without a limit keeps the plain
``step`` above and pays nothing for it.
"""
from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
from queue import Empty, SimpleQueue
from typing import Any, Mapping, Sequence

from kyudo.engine.errors import note_failure, user_traceback
from kyudo.engine.executors.base import Executor, paused_gc
from kyudo.engine.executors.budget import MemoryBudget, memory_limit
from kyudo.engine.executors.sync import SyncExecutor
from kyudo.engine.graph import Key, Task, dependents
from kyudo.engine.order import order

_worker_state = threading.local()


class _Run:
    """Everything workers share while executing one graph."""

    __slots__ = ("pool", "graph", "priority", "users", "waiting", "unconsumed",
                 "initial", "keep", "results", "unfinished", "finished", "failed", "error", "error_lock")

    def __init__(self, pool: "_Pool", graph: Mapping[Key, Any], keys: Sequence[Key]):
        self.pool = pool
        self.graph = graph
        self.users = users = dependents(graph)
        self.priority = order(graph, users=users)
        self.keep = frozenset(keys)
        self.results: dict[Key, Any] = {}
        # Countdown lists (the worker that pops 0 is the last one, see module doc),
        # only where a count is needed: a task with one task dependency is ready as
        # soon as that finishes, a result with one consumer is freed after it.
        self.waiting: dict[Key, list] = {}
        self.unconsumed = {key: [*range(len(used_by))] for key, used_by in users.items()
                           if len(used_by) > 1}
        self.initial: list = []
        tasks = 0
        for key, value in graph.items():
            if not isinstance(value, Task):
                self.results[key] = value
                continue
            tasks += 1
            count = sum(isinstance(graph[dep], Task) for dep in value.deps) if value.deps else 0
            if count > 1:
                self.waiting[key] = [*range(count)]
            elif count == 0:
                self.initial.append(key)
        self.initial.sort(key=self.priority.__getitem__)
        self.unfinished = [*range(tasks)]
        self.finished = SimpleQueue()
        self.failed = False
        self.error: tuple[Key, BaseException] | None = None
        self.error_lock = threading.Lock()

    def step(self, key: Key) -> Key | None:
        """Run task ``key`` and its bookkeeping; return a dependent to run next."""
        task = self.graph[key]
        try:
            self.results[key] = task.run(self.results)
        except BaseException as exc:
            self.fail(key, exc)
            return None
        users = self.users[key]
        follow = self.schedule(users) if users else None
        unconsumed, keep, results = self.unconsumed.get, self.keep, self.results
        for dep in task.deps:
            countdown = unconsumed(dep)
            if (countdown is None or countdown.pop() == 0) and dep not in keep:
                results.pop(dep, None)  # None: a cancelled run's results are cleared
        if self.unfinished.pop() == 0:
            self.finished.put(None)
        return follow

    def schedule(self, users) -> Key | None:
        """Count down the finished task's ``users``; queue all that became ready
        but the first in priority order, and return that one to run next."""
        waiting = self.waiting.get
        ready = []
        for user in users:
            countdown = waiting(user)
            if countdown is None or countdown.pop() == 0:
                ready.append(user)
        if not ready:
            return None
        if len(ready) > 1:
            ready.sort(key=self.priority.__getitem__)
            self.pool.submit(self, ready[1:])
        return ready[0]

    def outputs(self) -> dict[Key, Any]:
        return {key: self.results[key] for key in self.keep}

    def close(self) -> None:
        self.results.clear()

    def fail(self, key: Key, exc: BaseException) -> None:
        with self.error_lock:
            if self.error is None:
                self.error = (key, exc)
        self.stop()

    def stop(self) -> None:
        self.failed = True
        self.pool.discard(self)
        self.finished.put(None)


class _SpillingRun(_Run):
    """A run under a memory limit: ``step`` goes through a :class:`MemoryBudget`."""

    __slots__ = ("budget", "sources")

    def __init__(self, pool: "_Pool", graph: Mapping[Key, Any], keys: Sequence[Key], limit: int):
        super().__init__(pool, graph, keys)
        self.budget = MemoryBudget(limit, self.results, self.priority, self.users, self.keep)
        self.sources = frozenset(self.initial)  # tasks with no task dependencies

    def step(self, key: Key) -> Key | None:
        task = self.graph[key]
        deps, budget = task.deps, self.budget
        if not budget.begin(key, deps, key in self.sources):
            return None  # a scan held back until memory is freed or spilled
        follow = None
        try:
            try:
                value = task.run(budget.inputs(deps) if deps else self.results)
            except BaseException as exc:
                self.fail(key, exc)
                return None
            budget.store_result(key, value)
            del value
            users = self.users[key]
            if users:
                follow = self.schedule(users)
            unconsumed, keep = self.unconsumed.get, self.keep
            for dep in deps:
                countdown = unconsumed(dep)
                if (countdown is None or countdown.pop() == 0) and dep not in keep:
                    budget.free(dep)
        finally:
            released = budget.end(key, deps)
        if released and not self.failed:
            self.pool.submit(self, released)
        if self.unfinished.pop() == 0:
            self.finished.put(None)
        return follow

    def outputs(self) -> dict[Key, Any]:
        return self.budget.outputs(self.keep)

    def close(self) -> None:
        self.results.clear()
        self.budget.close()


class _Pool:
    """Worker threads around one ready heap; shared by every run of the process."""

    def __init__(self, size: int):
        self.pid = os.getpid()
        self.heap: list = []
        self.lock = threading.Lock()
        self.sleeping = 0  # idle workers waiting on ``wakeups``; guarded by ``lock``
        self.wakeups: SimpleQueue = SimpleQueue()
        self.sequence = itertools.count()
        self.busy: list[_Run | None] = [None] * size
        self.threads = [threading.Thread(target=self._work, args=(i,), daemon=True,
                                         name=f"kyudo-worker-{i}") for i in range(size)]
        for thread in self.threads:
            thread.start()

    def submit(self, run: _Run, keys: list) -> None:
        priority, sequence, heap = run.priority, self.sequence, self.heap
        with self.lock:
            for key in keys:
                heapq.heappush(heap, (priority[key], next(sequence), run, key))
            wake = min(self.sleeping, len(keys))
            self.sleeping -= wake
        for _ in range(wake):
            self.wakeups.put(None)

    def discard(self, run: _Run) -> None:
        """Drop a failed run's queued tasks."""
        with self.lock:
            kept = [item for item in self.heap if item[2] is not run]
            heapq.heapify(kept)
            self.heap[:] = kept

    def idle_for(self, run: _Run) -> bool:
        return all(current is not run for current in self.busy)

    def _work(self, slot: int) -> None:
        _worker_state.active = True
        heap, lock, busy, sleep = self.heap, self.lock, self.busy, self.wakeups.get
        while True:
            with lock:
                if heap:
                    _, _, run, key = heapq.heappop(heap)
                else:  # counted under the lock, so no submit can miss waking us
                    self.sleeping += 1
                    run = None
            if run is None:
                sleep()
                continue
            busy[slot] = run  # set before checking ``failed``: see _Run.stop/_settle
            while key is not None and not run.failed:
                try:
                    key = run.step(key)
                except BaseException as exc:  # a bug in bookkeeping: fail, never hang
                    run.fail(key, exc)
                    key = None
            busy[slot] = None
            run = None  # the run holds its results: do not keep them alive while idle


_pools: dict[int, _Pool] = {}
_pools_lock = threading.Lock()


def _pool(size: int) -> _Pool:
    with _pools_lock:
        pool = _pools.get(size)
        if pool is None or pool.pid != os.getpid():  # threads do not survive fork
            pool = _pools[size] = _Pool(size)
        return pool


def default_workers() -> int:
    """One worker per CPU, plus one.

    A task spends part of its time waiting rather than computing: on the GIL,
    or on Arrow's own threads while a Parquet read decodes. With exactly one
    worker per CPU such a wait leaves a core idle. The extra worker fills it:
    at TPC-H scale 10 on 2 CPUs, 3 workers ran the 22 queries 4-6% faster
    than 2, for 2-15% more peak memory (``benchmarks/README.md``).
    """
    return (os.cpu_count() or 1) + 1


class ThreadExecutor(Executor):
    """Run tasks on ``num_workers`` threads (default: :func:`default_workers`).

    Pools are shared by all executors of the same size. A graph computed from inside
    a worker (a task that itself calls ``compute``) runs synchronously in that worker
    rather than waiting on a pool it is part of.
    """

    name = "threads"

    def __init__(self, num_workers: int | None = None):
        self.num_workers = num_workers or default_workers()

    def execute(self, graph: Mapping[Key, Any], keys: Sequence[Key]) -> dict[Key, Any]:
        if getattr(_worker_state, "active", False):
            return SyncExecutor().execute(graph, keys)
        limit = memory_limit()
        with paused_gc():
            if limit is None:
                run = _Run(_pool(self.num_workers), graph, keys)
            else:
                run = _SpillingRun(_pool(self.num_workers), graph, keys, limit)
        try:
            if run.unfinished:
                run.pool.submit(run, run.initial)
                try:
                    _wait(run.finished)
                except BaseException:  # KeyboardInterrupt, SystemExit in the caller
                    run.stop()
                    _settle(run)
                    raise
                if run.error is not None:
                    _settle(run)
                    key, exc = run.error
                    note_failure(exc, key)
                    raise user_traceback(exc)
            return run.outputs()
        finally:
            # Workers may still hold the run for a moment, and a raised exception's
            # traceback holds it for as long as the user keeps the exception: only
            # the outputs handed back should stay alive. (Spill files go too; every
            # path here has waited for the run's tasks to end.)
            run.close()


def _wait(finished: SimpleQueue) -> None:
    # A timed wait, so a Ctrl-C (or an interrupt_main from a task) is acted upon
    # within a tenth of a second even where blocking waits are not interruptible.
    while True:
        try:
            return finished.get(timeout=0.1)
        except Empty:
            continue


def _settle(run: _Run) -> None:
    """Wait until no worker is inside a task of the stopped ``run``."""
    while not run.pool.idle_for(run):
        time.sleep(0.0005)

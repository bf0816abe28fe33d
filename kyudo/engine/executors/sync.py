"""The single-threaded executor: tasks run one by one, in the caller's thread, in
:func:`~kyudo.engine.order.order` priority. Meant for debugging (``pdb`` and
profilers see ordinary stacks) and as the reference the parallel executors must
agree with.

With a ``memory_limit`` results are accounted and spilled exactly as in the threads
executor (see :mod:`kyudo.engine.executors.budget`), one task at a time."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from kyudo.engine.errors import note_failure, user_traceback
from kyudo.engine.executors.base import Executor, paused_gc
from kyudo.engine.executors.budget import MemoryBudget, memory_limit
from kyudo.engine.graph import Key, Task, dependents
from kyudo.engine.order import order


class SyncExecutor(Executor):
    """Run every task in the calling thread; free results as soon as possible."""

    name = "sync"

    def execute(self, graph: Mapping[Key, Any], keys: Sequence[Key]) -> dict[Key, Any]:
        with paused_gc():
            users = dependents(graph)
            priority = order(graph, users=users)
            schedule = sorted(graph, key=priority.__getitem__)
            unconsumed = {key: len(used_by) for key, used_by in users.items()}
        keep = set(keys)
        limit = memory_limit()
        if limit is not None:
            return _execute_spilling(graph, keep, schedule, priority, users, unconsumed, limit)
        results: dict[Key, Any] = {}
        for key in schedule:
            value = graph[key]
            if not isinstance(value, Task):
                results[key] = value
                continue
            try:
                results[key] = value.run(results)
            except BaseException as exc:
                note_failure(exc, key)
                raise user_traceback(exc)
            for dep in value.deps:
                unconsumed[dep] -= 1
                if unconsumed[dep] == 0 and dep not in keep:
                    del results[dep]
        return {key: results[key] for key in keep}


def _execute_spilling(graph: Mapping[Key, Any], keep: set, schedule: list, priority: dict,
                      users: dict, unconsumed: dict, limit: int) -> dict[Key, Any]:
    results: dict[Key, Any] = {}
    budget = MemoryBudget(limit, results, priority, users, keep)
    try:
        for key in schedule:
            value = graph[key]
            if not isinstance(value, Task):
                results[key] = value
                continue
            deps = value.deps
            budget.begin(key, deps)  # never holds back: nothing else is running
            try:
                try:
                    output = value.run(budget.inputs(deps))
                except BaseException as exc:
                    note_failure(exc, key)
                    raise user_traceback(exc)
                budget.store_result(key, output)
                del output
                for dep in deps:
                    unconsumed[dep] -= 1
                    if unconsumed[dep] == 0 and dep not in keep:
                        budget.free(dep)
            finally:
                budget.end(key, deps)
        return budget.outputs(keep)
    finally:
        results.clear()
        budget.close()

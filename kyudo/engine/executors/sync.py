"""The single-threaded executor: tasks run one by one, in the caller's thread, in
:func:`~kyudo.engine.order.order` priority. Meant for debugging (``pdb`` and
profilers see ordinary stacks) and as the reference the parallel executors must
agree with."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from kyudo.engine.errors import note_failure, user_traceback
from kyudo.engine.executors.base import Executor, paused_gc
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

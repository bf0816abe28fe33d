"""Executors, and :func:`compute`: the one entry point that runs a task graph."""
from __future__ import annotations

from typing import Any, Mapping

import kyudo.config
from kyudo.engine.executors.base import Executor, paused_gc
from kyudo.engine.executors.sync import SyncExecutor
from kyudo.engine.executors.threads import ThreadExecutor
from kyudo.engine.graph import Key, cull, fuse_linear

_BY_NAME = {"sync": SyncExecutor, "threads": ThreadExecutor}


def get_executor(scheduler: str | Executor | None = None) -> Executor:
    """The executor for a ``scheduler`` name or instance; None reads the
    ``scheduler`` option. ``num_workers`` applies to the ``"threads"`` name."""
    if scheduler is None:
        scheduler = kyudo.config.get("scheduler", "threads")
    if isinstance(scheduler, Executor):
        return scheduler
    if scheduler == "threads":
        return ThreadExecutor(kyudo.config.get("num_workers"))
    if scheduler in _BY_NAME:
        return _BY_NAME[scheduler]()
    raise ValueError(f"unknown scheduler {scheduler!r}; use one of {sorted(_BY_NAME)} "
                     "or an Executor instance")


def compute(graph: Mapping[Key, Any], keys: Any, scheduler: str | Executor | None = None) -> Any:
    """Run what ``keys`` need from ``graph`` and return their outputs.

    ``keys`` is either a ``list`` of keys, giving a ``list`` of outputs in the same
    order (repeats allowed), or a single key (anything but a list, e.g. ``"x"`` or
    ``("x", 0)``), giving that one output itself. The graph is culled to what the
    keys need and linear chains are fused before the ``scheduler`` runs it (see
    :func:`get_executor`).

    >>> from operator import add
    >>> from kyudo.engine import Ref, Task
    >>> graph = {"a": 1, "b": Task(add, Ref("a"), 2), ("c", 0): Task(add, Ref("b"), 10)}
    >>> compute(graph, ("c", 0)), compute(graph, ["b", "a"], scheduler="sync")
    (13, [3, 1])
    """
    wanted = keys if isinstance(keys, list) else [keys]
    unique = list(dict.fromkeys(wanted))
    with paused_gc():
        prepared = fuse_linear(cull(graph, unique), unique)
    results = get_executor(scheduler).execute(prepared, unique)
    if isinstance(keys, list):
        return [results[key] for key in wanted]
    return results[keys]

"""Execution priorities that keep the number of live intermediate results low.

The order is a depth-first post-order walk from the graph's outputs: a task gets
its number right after everything it needs, and a subtree is finished before its
siblings are started. On a sum tree over many partitions this reads eight leaves,
reduces them, frees them, and only then reads the next eight, instead of reading
every leaf first.

Among a task's dependencies, the one whose subtree needs the most simultaneously
live results is walked first (the Sethi-Ullman rule for evaluating expression
trees with the fewest registers): its big working set is then gone before the small
ones start, and only its single output is held meanwhile. Ties keep the order in
which the task lists its arguments, so the result is deterministic.

Whenever a task is numbered, any dependent it made runnable is numbered right after
it if that dependent is the last consumer of one of its inputs (so running it frees
memory). That matters when several computations share inputs, e.g. a sum and a count
over the same partitions: both partial results of a partition are taken before the
next partition is read, instead of one whole tree after the other while every
partition waits in memory.
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping

from kyudo.engine.errors import CycleError, MissingKeyError
from kyudo.engine.graph import Key, dependencies, dependents


def order(graph: Mapping[Key, Any], *, users: Mapping[Key, tuple] | None = None) -> dict[Key, int]:
    """``{key: priority}``: lower runs first; every task comes after its dependencies.

    ``users`` is ``dependents(graph)``, for callers that already built it. Raises
    :class:`CycleError` on a cycle and :class:`MissingKeyError` on a reference to a
    key that is not in the graph.
    """
    deps = dependencies(graph)
    for key, needs in deps.items():
        for dep in needs:
            if dep not in deps:
                raise MissingKeyError(f"task {key!r} references {dep!r}, which is not in the graph")
    if users is None:
        users = dependents(graph, deps)
    need = _working_set(deps, users)  # also proves the graph acyclic

    def most_needed_first(needs: tuple) -> Iterator[Key]:
        if len(needs) < 2:
            return iter(needs)
        return iter(sorted(needs, key=lambda dep: -need[dep]))  # stable: ties keep arg order

    priority: dict[Key, int] = {}
    unnumbered_deps = {key: len(needs) for key, needs in deps.items()}
    unnumbered_users = {key: len(used_by) for key, used_by in users.items()}

    def frees_an_input(key: Key) -> bool:
        for dep in deps[key]:
            if unnumbered_users[dep] == 1:
                return True
        return False

    def number(key: Key) -> None:
        """Give ``key`` the next priority, then do the same at once for each
        dependent it made runnable that would free an input (being its last
        consumer): finished work is consumed before new work starts."""
        todo = [key]
        while todo:
            key = todo.pop()
            if key in priority:  # queued twice, by two of its inputs
                continue
            priority[key] = len(priority)
            runnable = []
            for user in users[key]:
                unnumbered_deps[user] -= 1
                if unnumbered_deps[user] == 0:
                    runnable.append(user)
            for dep in deps[key]:
                unnumbered_users[dep] -= 1
                if unnumbered_users[dep] == 1:  # its one consumer left may free it now
                    for user in users[dep]:
                        if unnumbered_deps[user] == 0 and user not in priority:
                            runnable.append(user)
            for user in reversed(runnable):  # pushed last-first: the first goes first
                if frees_an_input(user):
                    todo.append(user)

    for root in graph:
        if users[root] or root in priority:
            continue
        stack = [(root, most_needed_first(deps[root]))]
        while stack:
            key, pending = stack[-1]
            for dep in pending:
                if dep in priority:
                    continue
                if not deps[dep]:  # a leaf: numbered at once, never stacked
                    number(dep)
                    continue
                stack.append((dep, most_needed_first(deps[dep])))
                break
            else:
                stack.pop()
                if key not in priority:  # unless numbered early as a freeing dependent
                    number(key)
    return priority


def _working_set(deps: Mapping[Key, tuple], users: Mapping[Key, tuple]) -> dict[Key, int]:
    """Sethi-Ullman number of each key: how many results must be live at once to
    compute it, counting shared subtrees as if they were copies (an estimate)."""
    waiting = {key: len(needs) for key, needs in deps.items()}
    ready = [key for key, n in waiting.items() if n == 0]
    need: dict[Key, int] = {}
    while ready:
        key = ready.pop()
        needs = deps[key]
        if not needs:
            need[key] = 1
        elif len(needs) == 1:
            need[key] = need[needs[0]]
        else:
            ranked = sorted((need[d] for d in needs), reverse=True)
            need[key] = max(n + i for i, n in enumerate(ranked))
        for user in users[key]:
            waiting[user] -= 1
            if waiting[user] == 0:
                ready.append(user)
    if len(need) != len(deps):
        stuck = [key for key in deps if key not in need][:5]
        raise CycleError(f"the graph has a cycle through some of {stuck}")
    return need

"""Task graphs: the only thing executors understand.

A graph is a plain ``dict`` mapping a *key* (any hashable, usually a ``str`` or a
``(name, index)`` tuple) to either a :class:`Task` or a ready value. A task is a
function and its arguments; an argument that is a :class:`Ref` (directly, or inside
a top-level ``list``/``tuple``/``dict`` argument) is replaced by the output of the
task with that key before the function runs.

Dependencies are found once, when the task is built, so schedulers never rescan
arguments: that keeps per-task overhead low.
"""
from __future__ import annotations

from typing import Any, Callable, Hashable, Iterable

Key = Hashable


class Ref:
    """A reference to the output of the task stored under ``key``."""

    __slots__ = ("key",)

    def __init__(self, key: Key):
        self.key = key

    def __repr__(self) -> str:
        return f"Ref({self.key!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ref) and other.key == self.key

    def __hash__(self) -> int:
        return hash(("Ref", self.key))


def _refs_in(value: Any) -> Iterable[Key]:
    if isinstance(value, Ref):
        yield value.key
    elif isinstance(value, (list, tuple)):
        for item in value:
            if isinstance(item, Ref):
                yield item.key
    elif isinstance(value, dict):
        for item in value.values():
            if isinstance(item, Ref):
                yield item.key


def _resolve(value: Any, results: dict) -> Any:
    if isinstance(value, Ref):
        return results[value.key]
    if isinstance(value, list):
        return [results[v.key] if isinstance(v, Ref) else v for v in value]
    if isinstance(value, tuple):
        return tuple(results[v.key] if isinstance(v, Ref) else v for v in value)
    if isinstance(value, dict):
        return {k: results[v.key] if isinstance(v, Ref) else v for k, v in value.items()}
    return value


class Task:
    """A function call whose arguments may reference other tasks' outputs."""

    __slots__ = ("func", "args", "kwargs", "deps")

    def __init__(self, func: Callable, *args: Any, **kwargs: Any):
        self.func = func
        self.args = args
        self.kwargs = kwargs
        deps: list[Key] = []
        for arg in args:
            deps.extend(_refs_in(arg))
        for arg in kwargs.values():
            deps.extend(_refs_in(arg))
        # de-duplicate, keep order (order matters for reproducible scheduling)
        self.deps = tuple(dict.fromkeys(deps))

    def run(self, results: dict) -> Any:
        """Call the function with references replaced by values from ``results``."""
        args = [_resolve(a, results) for a in self.args]
        kwargs = {k: _resolve(v, results) for k, v in self.kwargs.items()} if self.kwargs else {}
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        name = getattr(self.func, "__name__", repr(self.func))
        return f"Task({name}, deps={list(self.deps)})"

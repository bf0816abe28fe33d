"""Task graphs: the only thing executors understand.

A graph is a plain ``dict`` mapping a *key* (any hashable, usually a ``str`` or a
``(name, index)`` tuple) to either a :class:`Task` or a ready value (anything that
is not a ``Task``). A task is a function and its arguments; an argument that is a
:class:`Ref`, directly or nested at any depth inside plain ``list``/``tuple``/``dict``
arguments, is replaced by the output of the task with that key before the function
runs. (Only exact ``list``/``tuple``/``dict`` are searched: a namedtuple or other
subclass is passed through as is, so its type is never lost.)

Dependencies are found once, when the task is built, so schedulers never rescan
arguments: that keeps per-task overhead low.

The helpers below are the graph rewrites every executor run starts with:
:func:`cull` (keep only what the requested keys need) and :func:`fuse_linear`
(merge chains so one task hop does the work of many).
"""
from __future__ import annotations

from typing import Any, Callable, Hashable, Iterable, Mapping

from kyudo.engine.errors import MissingKeyError, note_failure

Key = Hashable
Graph = Mapping[Key, Any]


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

    def __reduce__(self):
        return (Ref, (self.key,))


def _collect_refs(value: Any, out: list) -> None:
    if isinstance(value, Ref):
        out.append(value.key)
        return
    kind = type(value)
    if kind is list or kind is tuple:
        for item in value:
            _collect_refs(item, out)
    elif kind is dict:
        for item in value.values():
            _collect_refs(item, out)


def _resolve(value: Any, results: Mapping) -> Any:
    if isinstance(value, Ref):
        return results[value.key]
    kind = type(value)
    if kind is list:
        return [_resolve(item, results) for item in value]
    if kind is tuple:
        return tuple([_resolve(item, results) for item in value])
    if kind is dict:
        return {k: _resolve(v, results) for k, v in value.items()}
    return value


class Task:
    """A function call whose arguments may reference other tasks' outputs.

    ``func`` is positional-only so a task may pass a keyword argument named ``func``.
    """

    __slots__ = ("func", "args", "kwargs", "deps")

    def __init__(self, func: Callable, /, *args: Any, **kwargs: Any):
        self.func = func
        self.args = args
        self.kwargs = kwargs
        deps: list[Key] = []
        _collect_refs(args, deps)
        _collect_refs(kwargs, deps)
        # de-duplicate, keep order (order matters for reproducible scheduling)
        self.deps = tuple(dict.fromkeys(deps))

    def run(self, results: Mapping) -> Any:
        """Call the function with references replaced by values from ``results``."""
        if not self.deps:  # the common leaf: nothing to substitute
            return self.func(*self.args, **self.kwargs)
        args = [_resolve(a, results) for a in self.args]
        kwargs = {k: _resolve(v, results) for k, v in self.kwargs.items()} if self.kwargs else {}
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        name = getattr(self.func, "__name__", repr(self.func))
        return f"Task({name}, deps={list(self.deps)})"


def dependencies(graph: Graph) -> dict[Key, tuple]:
    """``{key: keys its task references}``; ``()`` for ready values."""
    return {key: value.deps if isinstance(value, Task) else () for key, value in graph.items()}


def dependents(graph: Graph, deps: Mapping[Key, tuple] | None = None) -> dict[Key, tuple]:
    """``{key: keys of the tasks that reference it}``, in graph order.

    Pass ``deps`` (from :func:`dependencies`) when you already have it. References
    to keys absent from the graph are ignored here; :func:`cull` reports them.
    """
    if deps is None:
        deps = dependencies(graph)
    out: dict[Key, list] = {key: [] for key in graph}
    for key, needs in deps.items():
        for dep in needs:
            if dep in out:
                out[dep].append(key)
    return {key: tuple(users) for key, users in out.items()}


def cull(graph: Graph, keys: Iterable[Key]) -> dict[Key, Any]:
    """The part of ``graph`` that computing ``keys`` needs, in the original order.

    Raises :class:`MissingKeyError` if a key, or a reference met on the way, is not
    in the graph: better now, with the culprit named, than as a hang or a bare
    ``KeyError`` inside a worker.
    """
    needed: set = set()
    stack = []
    for key in keys:
        if key not in graph:
            raise MissingKeyError(f"requested key {key!r} is not in the graph")
        stack.append(key)
    while stack:
        key = stack.pop()
        if key in needed:
            continue
        needed.add(key)
        value = graph[key]
        if isinstance(value, Task):
            for dep in value.deps:
                if dep not in graph:
                    raise MissingKeyError(f"task {key!r} references {dep!r}, which is not in the graph")
                if dep not in needed:
                    stack.append(dep)
    if len(needed) == len(graph):
        return dict(graph)
    return {key: value for key, value in graph.items() if key in needed}


class _Chain:
    """The function of a fused task: runs a chain of tasks, each feeding the next.

    ``head`` is the first task's function, called with the fused task's (already
    resolved) arguments; each link ``(previous_key, key, task)`` then runs ``task``
    with ``previous_key`` bound to the value so far. A failure is noted with the
    key of the link that raised, not the fused task's key.
    """

    __slots__ = ("head_key", "head", "links")

    def __init__(self, head_key: Key, head: Callable, links: tuple):
        self.head_key = head_key
        self.head = head
        self.links = links

    @property
    def __name__(self) -> str:
        return getattr(self.links[-1][2].func, "__name__", "chain")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        key = self.head_key
        try:
            value = self.head(*args, **kwargs)
            for previous, key, task in self.links:
                value = task.run({previous: value})
        except BaseException as exc:
            note_failure(exc, key)
            raise
        return value


def fuse_linear(graph: Graph, keys: Iterable[Key] = ()) -> dict[Key, Any]:
    """Merge linear chains into single tasks, so a chain costs one scheduling hop.

    A task ``a`` is merged into ``b`` when ``b`` is ``a``'s only dependent and ``a``
    is ``b``'s only dependency (both tasks, not ready values). The merged task is
    stored under the *last* key of the chain, so everything that referenced it still
    finds it; the inner keys disappear, except that a key in ``keys`` (requested
    outputs) is never swallowed: a chain ends at it.
    """
    keep = set(keys)
    deps = dependencies(graph)
    users = dependents(graph, deps)
    successor: dict[Key, Key] = {}
    for key, value in graph.items():
        if not isinstance(value, Task) or key in keep or len(users[key]) != 1:
            continue
        user = users[key][0]
        if deps[user] == (key,) and isinstance(graph[user], Task):
            successor[key] = user
    if not successor:
        return dict(graph)
    has_predecessor = set(successor.values())
    fused: dict[Key, Task] = {}
    swallowed: set = set()
    for head in successor:
        if head in has_predecessor:
            continue
        links = []
        key = head
        while key in successor:
            following = successor[key]
            links.append((key, following, graph[following]))
            swallowed.add(key)
            key = following
        first = graph[head]
        chain = _Chain(head, first.func, tuple(links))
        fused[key] = Task(chain, *first.args, **first.kwargs)
    return {key: fused.get(key, value) for key, value in graph.items() if key not in swallowed}

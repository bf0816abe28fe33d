"""Random DAGs: the order is a valid schedule, and every executor, with or without
fusion, agrees with a direct recursive evaluation."""
from __future__ import annotations

from functools import lru_cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kyudo.engine import Ref, Task, compute, cull, dependencies, order
from kyudo.engine.executors import SyncExecutor, ThreadExecutor


def mix(node, *inputs, extra=()):
    """A non-commutative combination, so a wrong or swapped input changes the result."""
    value = node
    for item in (*inputs, *extra):
        value = (value * 1_000_003 + item) % 2_147_483_647
    return value


@st.composite
def dags(draw):
    size = draw(st.integers(1, 40))
    graph, edges = {}, {}
    for node in range(size):
        deps = draw(st.lists(st.integers(0, node - 1), max_size=4, unique=True)) if node else []
        edges[node] = deps
        key = ("n", node) if node % 3 else node  # mixed key types
        if not deps and draw(st.booleans()):
            graph[key] = node * 7  # a ready value
            continue
        split = draw(st.integers(0, len(deps)))
        positional = [Ref(keys_of(d)) for d in deps[:split]]
        nested = [[Ref(keys_of(d))] for d in deps[split:]]  # refs nested in a kwarg
        graph[key] = Task(mix_nested, node, *positional, extra=nested)
    wanted = draw(st.lists(st.sampled_from(list(graph)), min_size=1, max_size=5))
    return graph, edges, wanted


def keys_of(node):
    return ("n", node) if node % 3 else node


def mix_nested(node, *inputs, extra):
    return mix(node, *inputs, extra=[inner[0] for inner in extra])


def reference(graph, edges, key):
    @lru_cache(maxsize=None)
    def value(node):
        entry = graph[keys_of(node)]
        if not isinstance(entry, Task):
            return entry
        return entry.run({keys_of(d): value(d) for d in edges[node]})

    node = key if not isinstance(key, tuple) else key[1]
    return value(node)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags())
def test_executors_agree_with_direct_evaluation(case):
    graph, edges, wanted = case
    priority = order(graph)
    assert sorted(priority.values()) == list(range(len(graph)))
    for key, deps in dependencies(graph).items():
        assert all(priority[dep] < priority[key] for dep in deps)
    expected = [reference(graph, edges, key) for key in wanted]
    assert compute(graph, wanted, scheduler="sync") == expected
    assert compute(graph, wanted, scheduler=ThreadExecutor(2)) == expected
    unique = list(dict.fromkeys(wanted))
    unfused = cull(graph, unique)  # executors must also handle graphs fusion did not touch
    for executor in (SyncExecutor(), ThreadExecutor(3)):
        results = executor.execute(unfused, unique)
        assert [results[key] for key in wanted] == expected

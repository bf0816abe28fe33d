"""Execution priorities: valid, deterministic, and frugal with memory."""
from __future__ import annotations

import pytest
from engine_graphs import add, tree_reduction, two_reductions

from kyudo.engine import CycleError, MissingKeyError, Ref, Task, dependencies, dependents, order


def peak_live(graph, priority):
    """Most results alive at once when tasks run one by one in ``priority`` order,
    each result freed right after its last consumer ran."""
    users = dependents(graph)
    unconsumed = {key: len(u) for key, u in users.items()}
    live = peak = 0
    for key in sorted(graph, key=priority.__getitem__):
        live += 1
        peak = max(peak, live)
        for dep in dependencies(graph)[key]:
            unconsumed[dep] -= 1
            if unconsumed[dep] == 0:
                live -= 1
    return peak


def test_every_task_comes_after_its_dependencies():
    graph, _ = tree_reduction(100, split_every=3)
    priority = order(graph)
    assert sorted(priority.values()) == list(range(len(graph)))
    for key, deps in dependencies(graph).items():
        assert all(priority[dep] < priority[key] for dep in deps)


def test_reduction_tree_reduces_leaves_before_reading_more():
    graph, root = tree_reduction(512, split_every=8)
    priority = order(graph)
    # the first partial sum runs right after its eight leaves, before leaf 8
    assert priority[("sum", 1, 0)] == 8
    assert priority[("sum", 1, 0)] < priority[("leaf", 8)]
    # three levels of at most eight pending results each, plus the one running
    assert peak_live(graph, priority) <= 3 * 8 + 1
    breadth_first = {key: i for i, key in enumerate(graph)}  # all leaves first
    assert peak_live(graph, breadth_first) >= 512


def test_bigger_subtree_is_walked_first():
    # out = f(small, big): computing big first holds one result while small runs;
    # small first would hold small during all of big's work
    graph = {
        "small": Task(add, 1),
        "b1": Task(add, 1), "b2": Task(add, 2), "b3": Task(add, 3),
        "b12": Task(add, Ref("b1"), Ref("b2")), "big": Task(add, Ref("b12"), Ref("b3")),
        "out": Task(add, Ref("small"), Ref("big")),
    }
    priority = order(graph)
    assert priority["big"] < priority["small"]


def test_order_is_deterministic():
    graph, _ = tree_reduction(200, split_every=5)
    first = order(graph)
    assert order(dict(graph)) == first
    assert list(order(graph).items()) == list(first.items())


def test_ready_values_and_several_outputs_are_ordered():
    graph = {"a": 1, "b": Task(add, Ref("a")), "c": Task(add, Ref("a"), 2)}
    priority = order(graph)
    assert set(priority) == {"a", "b", "c"}
    assert priority["a"] < min(priority["b"], priority["c"])


def test_cycles_are_rejected():
    graph = {"a": Task(add, Ref("b")), "b": Task(add, Ref("a")), "c": Task(add, 1)}
    with pytest.raises(CycleError):
        order(graph)
    graph["d"] = Task(add, Ref("a"))  # now a root leads into the cycle
    with pytest.raises(CycleError):
        order(graph)


def test_missing_references_are_rejected():
    with pytest.raises(MissingKeyError, match="ghost"):
        order({"a": Task(add, Ref("ghost"))})


def test_deep_chains_do_not_recurse():
    graph = {0: Task(add, 1)}
    for i in range(1, 10_000):
        graph[i] = Task(add, Ref(i - 1))
    assert order(graph)[9_999] == 9_999


def test_two_reductions_over_shared_partitions_consume_each_partition_at_once():
    graph, _ = two_reductions(256, split_every=8)
    priority = order(graph)
    # the second tree's first partial runs right after the first tree's, not after
    # all 256 leaves were read
    assert priority[("count", 1, 0)] == priority[("sum", 1, 0)] + 1
    assert peak_live(graph, priority) <= 2 * (3 * 8 + 1)

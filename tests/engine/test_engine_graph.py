"""Task argument handling and the graph rewrites: dependencies, cull, fuse_linear."""
from __future__ import annotations

import operator
import pickle
from collections import namedtuple

import pytest

from kyudo.engine import (MissingKeyError, Ref, Task, compute, cull, dependencies,
                          dependents, fuse_linear)

Point = namedtuple("Point", "x y")


def identity(*args, **kwargs):
    return args, kwargs


def test_refs_nested_at_any_depth_are_dependencies_and_resolved():
    task = Task(identity, [Ref("a"), {"k": (Ref("b"), [Ref("c"), 5])}], key={"z": [Ref("a")]})
    assert task.deps == ("a", "b", "c")
    args, kwargs = task.run({"a": 1, "b": 2, "c": 3})
    assert args == ([1, {"k": (2, [3, 5])}],)
    assert kwargs == {"key": {"z": [1]}}


def test_container_subclasses_pass_through_untouched():
    point = Point(Ref("a"), 2)
    task = Task(identity, point)
    assert task.deps == ()
    (arg,), _ = task.run({"a": 1})
    assert arg is point


def test_task_may_take_a_keyword_named_func():
    assert Task(identity, func=Ref("a")).run({"a": 7}) == ((), {"func": 7})


def test_nested_refs_through_compute(scheduler):
    graph = {
        "a": 1,
        "b": Task(operator.add, Ref("a"), 1),
        "c": Task(lambda items, mapping: sum(items) + mapping["x"][0],
                  [Ref("a"), Ref("b")], {"x": [Ref("b")]}),
    }
    assert compute(graph, "c", scheduler=scheduler) == 1 + 2 + 2


def test_dependencies_and_dependents():
    graph = {"a": 1, "b": Task(add2, Ref("a"), Ref("a")), "c": Task(add2, Ref("a"), Ref("b"))}
    assert dependencies(graph) == {"a": (), "b": ("a",), "c": ("a", "b")}
    assert dependents(graph) == {"a": ("b", "c"), "b": ("c",), "c": ()}


def add2(x, y):
    return x + y


def test_cull_keeps_only_what_keys_need_in_graph_order():
    graph = {"x": 1, "a": Task(add2, Ref("x"), 1), "unused": Task(add2, Ref("x"), 2),
             "b": Task(add2, Ref("a"), 1)}
    assert list(cull(graph, ["b"])) == ["x", "a", "b"]
    assert list(cull(graph, ["unused"])) == ["x", "unused"]


def test_cull_names_missing_keys():
    with pytest.raises(MissingKeyError, match="nope"):
        cull({"a": 1}, ["nope"])
    with pytest.raises(MissingKeyError, match="'b' references 'ghost'"):
        cull({"b": Task(add2, Ref("ghost"), 1)}, ["b"])


def chain_graph(length):
    graph = {0: Task(add2, 0, 1)}
    for i in range(1, length):
        graph[i] = Task(add2, Ref(i - 1), 1)
    return graph


def test_fuse_linear_merges_a_chain_under_its_last_key():
    fused = fuse_linear(chain_graph(5), [4])
    assert list(fused) == [4]
    assert fused[4].deps == ()
    assert fused[4].run({}) == 5


def test_fuse_linear_never_swallows_requested_keys():
    fused = fuse_linear(chain_graph(5), [1, 4])
    assert list(fused) == [1, 4]
    assert fused[4].deps == (1,)
    assert fused[4].run({1: 100}) == 103


def test_fuse_linear_leaves_forks_and_joins_alone():
    graph = {
        "a": Task(add2, 1, 1),
        "b": Task(add2, Ref("a"), 1),   # a has two dependents: no fusion of a
        "c": Task(add2, Ref("a"), 2),
        "d": Task(add2, Ref("b"), Ref("c")),  # d has two dependencies
    }
    assert fuse_linear(graph, ["d"]) == graph


def test_fuse_linear_does_not_fuse_ready_values():
    graph = {"a": 10, "b": Task(add2, Ref("a"), 1)}
    assert fuse_linear(graph, ["b"]) == graph


def test_fuse_linear_keeps_the_rest_of_the_graph_working(scheduler):
    graph = {
        "src": Task(add2, 1, 1),
        "l1": Task(add2, Ref("src"), 1), "l2": Task(add2, Ref("l1"), 1),
        "r1": Task(add2, Ref("src"), 10), "r2": Task(add2, Ref("r1"), 10),
        "out": Task(add2, Ref("l2"), Ref("r2")),
    }
    fused = fuse_linear(graph, ["out"])
    assert set(fused) == {"src", "l2", "r2", "out"}
    assert compute(fused, "out", scheduler=scheduler) == compute(graph, "out", scheduler="sync") == 26


def test_fused_chain_failure_names_the_inner_task():
    def explode(_):
        raise ZeroDivisionError("inner")

    graph = {"a": Task(add2, 1, 1), "b": Task(explode, Ref("a")), "c": Task(add2, Ref("b"), 1)}
    fused = fuse_linear(graph, ["c"])
    assert list(fused) == ["c"]
    with pytest.raises(ZeroDivisionError) as info:
        compute(fused, "c", scheduler="sync")
    assert info.value.__notes__ == ["kyudo: raised by task 'b'"]


def test_tasks_and_fused_chains_survive_pickling():
    # the processes executor ships tasks to other interpreters
    graph = {"a": Task(operator.add, 1, 2), "b": Task(operator.mul, Ref("a"), 3),
             "c": Task(operator.neg, Ref("b"))}
    fused = pickle.loads(pickle.dumps(fuse_linear(graph, ["c"])))
    assert list(fused) == ["c"] and fused["c"].run({}) == -9
    task = pickle.loads(pickle.dumps(Task(identity, [Ref("a")], k={"x": Ref("b")})))
    assert task.deps == ("a", "b")
    assert task.run({"a": 1, "b": 2}) == (([1],), {"k": {"x": 2}})

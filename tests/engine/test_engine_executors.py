"""compute(): its key conventions, scheduler choice, and freeing of intermediates."""
from __future__ import annotations

import operator
import os
import threading

import pytest
from engine_graphs import add, tree_reduction, two_reductions

import kyudo.config
from kyudo.engine import CycleError, Executor, MissingKeyError, Ref, Task, compute, get_executor
from kyudo.engine.executors import SyncExecutor, ThreadExecutor


def test_list_of_keys_gives_a_list_in_order_with_repeats(scheduler):
    graph = {"a": 1, "b": Task(operator.add, Ref("a"), 1), ("c", 0): Task(operator.neg, Ref("b"))}
    assert compute(graph, [("c", 0), "a", "b", "a"], scheduler=scheduler) == [-2, 1, 2, 1]
    assert compute(graph, [], scheduler=scheduler) == []


def test_single_key_gives_the_value_itself(scheduler):
    graph = {"a": 1, ("c", 0): Task(operator.add, Ref("a"), 1)}
    assert compute(graph, ("c", 0), scheduler=scheduler) == 2
    assert compute(graph, "a", scheduler=scheduler) == 1


def test_unknown_key_is_reported(scheduler):
    with pytest.raises(MissingKeyError, match="zzz"):
        compute({"a": 1}, "zzz", scheduler=scheduler)


def test_unneeded_tasks_do_not_run(scheduler):
    ran = []
    graph = {"a": Task(ran.append, "a"), "b": Task(ran.append, "b")}
    compute(graph, "a", scheduler=scheduler)
    assert ran == ["a"]


def test_scheduler_comes_from_config_by_default():
    seen = []

    class Recording(SyncExecutor):
        def execute(self, graph, keys):
            seen.append(self)
            return super().execute(graph, keys)

    executor = Recording()
    with kyudo.config.set(scheduler=executor):
        assert compute({"a": Task(add, 1, 2)}, "a") == 3
    assert seen == [executor]
    with kyudo.config.set(scheduler="sync"):
        assert isinstance(get_executor(), SyncExecutor)
    with kyudo.config.set(num_workers=3):
        executor = get_executor("threads")
    assert isinstance(executor, ThreadExecutor) and executor.num_workers == 3
    assert isinstance(get_executor(), ThreadExecutor)  # the default
    assert get_executor().num_workers == (os.cpu_count() or 1) + 1
    with pytest.raises(ValueError, match="unknown scheduler"):
        get_executor("nope")
    assert issubclass(ThreadExecutor, Executor)


def test_threads_run_on_worker_threads_and_reuse_them():
    graph = {i: Task(lambda: threading.current_thread().name) for i in range(20)}
    first = set(compute(graph, list(graph), scheduler="threads"))
    second = set(compute(graph, list(graph), scheduler="threads"))
    assert all(name.startswith("kyudo-worker-") for name in first | second)
    assert len(first | second) <= ThreadExecutor().num_workers


def test_compute_inside_a_task_does_not_deadlock():
    inner = {"x": Task(add, 1, 2)}

    def nested(offset):
        return compute(inner, "x", scheduler="threads") + offset

    graph = {i: Task(nested, i) for i in range(8)}
    assert compute(graph, list(graph), scheduler=ThreadExecutor(2)) == [3 + i for i in range(8)]


class Blob:
    """A result whose live instances are counted, to see when results are freed."""

    lock = threading.Lock()
    live = 0
    peak = 0

    def __init__(self, value):
        self.value = value
        with Blob.lock:
            Blob.live += 1
            Blob.peak = max(Blob.peak, Blob.live)

    def __del__(self):
        with Blob.lock:
            Blob.live -= 1

    @classmethod
    def reset(cls):
        cls.live = cls.peak = 0


def combine_blobs(*blobs):
    return Blob(sum(b.value for b in blobs))


def test_intermediates_are_freed_when_their_last_consumer_ran(scheduler):
    Blob.reset()
    graph, root = tree_reduction(512, split_every=8, leaf=Blob, combine=combine_blobs)
    result = compute(graph, root, scheduler=scheduler)
    assert result.value == sum(range(512))
    assert Blob.live == 1  # only the requested output survives
    # depth-first order and freeing keep a few dozen alive, never all 512 leaves;
    # threads may run ahead on the other worker, hence the margin
    assert Blob.peak <= (3 * 8 + 1) * (1 if scheduler == "sync" else 2)


def test_partitions_shared_by_two_reductions_are_freed_early(scheduler):
    Blob.reset()
    graph, root = two_reductions(512, split_every=8, leaf=Blob, combine=combine_blobs)
    assert compute(graph, root, scheduler=scheduler).value == 2 * sum(range(512))
    assert Blob.peak <= 2 * (3 * 8 + 1) * (1 if scheduler == "sync" else 2)


def test_requested_intermediates_are_kept(scheduler):
    Blob.reset()
    graph, root = tree_reduction(64, split_every=8, leaf=Blob, combine=combine_blobs)
    leaf, middle, top = compute(graph, [("leaf", 3), ("sum", 1, 2), root], scheduler=scheduler)
    assert (leaf.value, middle.value, top.value) == (3, sum(range(16, 24)), sum(range(64)))
    del leaf, middle, top
    assert Blob.live == 0


def test_ready_values_in_the_graph_feed_tasks(scheduler):
    graph = {("part", i): i * 10 for i in range(5)}
    graph["total"] = Task(add, *[Ref(("part", i)) for i in range(5)])
    assert compute(graph, ["total", ("part", 2)], scheduler=scheduler) == [100, 20]


def test_a_cycle_is_an_error_not_a_hang(scheduler):
    graph = {"a": Task(add, Ref("b")), "b": Task(add, Ref("a")), "out": Task(add, Ref("a"))}
    with pytest.raises(CycleError):
        compute(graph, "out", scheduler=scheduler)


def test_concurrent_computes_share_the_pool_and_never_stall():
    # many short runs from several threads: a lost wake-up of a sleeping worker
    # would leave a run waiting forever, caught here by the join timeout
    graph, root = tree_reduction(64, split_every=4)
    fan_out = {"src": Task(add, 1), **{i: Task(add, Ref("src"), i) for i in range(6)}}
    answers = []

    def caller():
        for _ in range(40):
            answers.append(compute(graph, root, scheduler=ThreadExecutor(2)))
            answers.append(sum(compute(fan_out, list(range(6)), scheduler=ThreadExecutor(3))))

    callers = [threading.Thread(target=caller, daemon=True) for _ in range(4)]
    for thread in callers:
        thread.start()
    for thread in callers:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in callers), "a compute stalled"
    assert sorted(answers) == sorted([sum(range(64)), 6 + sum(range(6))] * 160)


def test_gc_is_paused_for_preparation_only(scheduler):
    import gc

    from kyudo.engine.executors.base import paused_gc

    assert gc.isenabled()
    graph = {i: Task(gc.isenabled) for i in range(10)}
    assert all(compute(graph, list(graph), scheduler=scheduler))  # tasks run with gc on
    with pytest.raises(RuntimeError):
        with paused_gc():
            with paused_gc():
                assert not gc.isenabled()
            assert not gc.isenabled()  # nested pauses end with the outermost
            raise RuntimeError
    assert gc.isenabled()

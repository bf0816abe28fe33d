"""Memory limit: result sizes, the spill store, and executors that spill under a
limit, read results back, hold back scans, and leave no file behind."""
from __future__ import annotations

import doctest
import os
import threading
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from engine_graphs import tree_reduction

import kyudo.config
from kyudo.engine import Ref, Task, compute
from kyudo.engine import memory, spill
from kyudo.engine.executors import ThreadExecutor, budget, threads
from kyudo.engine.memory import SMALL, sizeof
from kyudo.engine.spill import Spilled, SpillStore, spill_stats

ROWS = 50_000  # 400 kB of int64 per partition


def part(i: int, rows: int = ROWS) -> pa.Table:
    return pa.table({"k": np.arange(rows, dtype=np.int64) % 97, "v": np.arange(rows, dtype=np.int64) + i})


def concat(*tables: pa.Table) -> pa.Table:
    return pa.concat_tables(tables)


def total(*tables: pa.Table) -> int:
    return sum(int(pa.compute.sum(t["v"]).as_py() or 0) for t in tables)


@pytest.fixture
def spill_dir(tmp_path):
    with kyudo.config.set(spill_directory=str(tmp_path)):
        yield tmp_path


def files_under(path) -> list:
    return [os.path.join(root, name) for root, _, names in os.walk(path) for name in names]


# ---- sizes ---------------------------------------------------------------------------

def test_sizeof_counts_arrow_buffers_a_bare_slice_its_rows():
    table = part(0)
    assert sizeof(table) == 2 * ROWS * 8
    assert sizeof(table.slice(10, 5)) == 2 * 5 * 8  # a bare slice counts its rows
    assert sizeof(table.to_batches()[0]) == sizeof(table)
    assert sizeof(table.column("v")) == ROWS * 8
    assert sizeof(table.column("v").chunks[0]) == ROWS * 8


def test_sizeof_counts_buffers_shared_inside_a_container_once():
    table = part(0)
    pieces = [table.slice(i * 1000, 1000) for i in range(ROWS // 1000)]
    assert sizeof(table) <= sizeof(pieces) <= sizeof(table) + SMALL
    assert sizeof([table.slice(0, 10)]) >= sizeof(table)  # the split holds its parent
    words = pa.table({"w": pa.array([f"word{i}" for i in range(10_000)]).dictionary_encode()})
    split = [words.slice(i, 1) for i in range(50)]
    assert sizeof(split) < 2 * sizeof(words)  # one dictionary, not 50
    nested = {"a": (pieces[0], pieces[1]), "b": [table], "c": 3}
    assert sizeof(table) <= sizeof(nested) < sizeof(table) + 10 * SMALL
    other = part(1)
    assert sizeof([table, other]) >= sizeof(table) + sizeof(other)


def test_sizeof_counts_dictionaries_pandas_numpy_and_small_things():
    words = pa.array([f"word{i}" for i in range(10_000)]).dictionary_encode()
    container = [pa.table({"w": words.slice(0, 10)})]
    assert sizeof(container) >= words.dictionary.get_total_buffer_size()
    frame = pd.DataFrame({"a": np.arange(1000, dtype=np.int64), "b": np.ones(1000)})
    assert sizeof(frame) == int(frame.memory_usage(deep=False).sum()) >= 16_000
    assert sizeof(frame["a"]) >= 8000
    assert sizeof(np.zeros(500)) == 4000
    assert sizeof(42) == SMALL and sizeof(None) == SMALL


# ---- the spill store -------------------------------------------------------------------

def test_store_round_trips_arrow_containers_and_other_objects(tmp_path):
    store = SpillStore(str(tmp_path))
    table = part(3)
    values = [
        table, table.slice(100, 50), table.to_batches()[0], table.column("v"),
        table.column("v").chunks[0], pa.table({"a": pa.array([], pa.string())}),
        [table.slice(0, 10), table.slice(10, 10)], (table, "x", 1.5),
        {"t": table, "frame": pd.DataFrame({"q": [1, 2]}), "array": np.arange(3)}, 7,
    ]
    for value in values:
        handle = store.write(value)
        for loaded in (handle.load(), handle.load(mapped=False)):
            assert type(loaded) is type(value)
            if isinstance(value, (pa.Table, pa.RecordBatch)):
                assert loaded.equals(value) and loaded.schema == value.schema
            elif isinstance(value, (pa.ChunkedArray, pa.Array)):
                assert loaded.equals(value) and loaded.type == value.type
    handle = store.write(values[7])
    assert handle.load()[0].equals(table) and handle.load()[1:] == ("x", 1.5)
    mixed = store.write(values[8]).load()
    assert mixed["t"].equals(table)
    pd.testing.assert_frame_equal(mixed["frame"], pd.DataFrame({"q": [1, 2]}))
    np.testing.assert_array_equal(mixed["array"], np.arange(3))
    assert store.files == len(values) + 2 and len(files_under(tmp_path)) == store.files
    store.close()
    assert files_under(tmp_path) == [] and os.listdir(tmp_path) == []


def test_mapped_read_back_is_zero_copy_and_reused(tmp_path):
    store = SpillStore(str(tmp_path))
    table = part(0, rows=500_000)  # 8 MB
    handle = store.write([table, table.slice(0, 10)])
    before = pa.total_allocated_bytes()
    loaded = handle.load()
    assert pa.total_allocated_bytes() - before < 100_000  # buffers are the mapped file
    assert loaded[0].equals(table) and loaded[1].equals(table.slice(0, 10))
    assert handle.load() is loaded  # the next consumer does not parse the file again
    copied = handle.load(mapped=False)
    assert copied[0].equals(table)
    store.delete(handle)
    assert not os.path.exists(handle.path)
    assert loaded[0].equals(table)  # mapped pages outlive the unlinked file
    store.close()


# ---- executors under a limit ---------------------------------------------------------------

def wide_graph(n: int = 30):
    """n partitions of 800 kB that one task needs together."""
    graph = {("part", i): Task(part, i) for i in range(n)}
    graph["total"] = Task(total, *[Ref(("part", i)) for i in range(n)])
    return graph


def test_results_over_the_limit_are_spilled_and_read_back(scheduler, spill_dir):
    graph = wide_graph()
    expected = compute(graph, "total", scheduler=scheduler)
    before = spill_stats()
    with kyudo.config.set(memory_limit="2MB"):
        assert compute(graph, "total", scheduler=scheduler) == expected
    after = spill_stats()
    assert after["files"] - before["files"] >= 20  # 24 MB of parts, 2 MB in memory
    assert after["bytes"] - before["bytes"] >= 20 * 800_000
    assert after["reads"] > before["reads"]
    assert files_under(spill_dir) == [] and os.listdir(spill_dir) == []


def test_no_limit_spills_nothing(scheduler):
    before = spill_stats()
    compute(wide_graph(), "total", scheduler=scheduler)
    assert spill_stats() == before


def test_spilled_outputs_come_back_in_memory(scheduler, spill_dir):
    graph = {("part", i): Task(part, i) for i in range(10)}
    keys = list(graph)
    before = spill_stats()
    with kyudo.config.set(memory_limit="1MB"):
        outputs = compute(graph, keys, scheduler=scheduler)
    assert spill_stats()["files"] > before["files"]
    for i, table in enumerate(outputs):
        assert table.equals(part(i))
    assert os.listdir(spill_dir) == []  # the files are gone, the outputs are not


def shuffle_graph(n: int, rows: int = ROWS):
    """n producers each split into n pieces, n consumers each concatenating its
    piece of every split, then a sum per consumer and one total."""
    def split(table, n):
        buckets = pa.compute.remainder(table["v"], n).to_numpy()
        order = np.argsort(buckets, kind="stable")
        taken = table.take(pa.array(order))
        bounds = np.searchsorted(buckets[order], np.arange(n + 1))
        return [taken.slice(int(bounds[j]), int(bounds[j + 1] - bounds[j])) for j in range(n)]

    def gather(splits, index):
        return pa.concat_tables([s[index] for s in splits])

    graph = {}
    for i in range(n):
        graph[("part", i)] = Task(part, i, rows)
        graph[("split", i)] = Task(split, Ref(("part", i)), n)
    for j in range(n):
        graph[("gather", j)] = Task(gather, [Ref(("split", i)) for i in range(n)], j)
        graph[("sum", j)] = Task(total, Ref(("gather", j)))
    graph["total"] = Task(lambda *sums: sum(sums), *[Ref(("sum", j)) for j in range(n)])
    return graph


def test_shuffle_larger_than_the_limit_completes(scheduler, spill_dir):
    graph = shuffle_graph(16)  # 16 x 800 kB through an all-to-all exchange
    expected = sum(total(part(i)) for i in range(16))
    before = spill_stats()
    with kyudo.config.set(memory_limit="2MB"):
        # executed directly: without fusion every split and gather is a result
        out = compute(graph, "total", scheduler=scheduler)
    assert out == expected
    assert spill_stats()["files"] - before["files"] >= 5
    assert os.listdir(spill_dir) == []


def test_tree_aggregation_over_several_times_the_limit(scheduler, spill_dir):
    # every combine keeps all its rows, so the root holds all 32 x 800 kB
    graph, root = tree_reduction(32, split_every=4, leaf=part, combine=concat)
    before = spill_stats()
    with kyudo.config.set(memory_limit="3MB"):
        out = compute(graph, root, scheduler=scheduler)
    assert spill_stats()["files"] > before["files"]
    assert out.num_rows == 32 * ROWS
    assert total(out) == sum(total(part(i)) for i in range(32))
    assert os.listdir(spill_dir) == []


def test_files_are_removed_after_a_failure(scheduler, spill_dir):
    def fail(*tables):
        assert files_under(spill_dir), "the test needs something spilled by now"
        raise ValueError("boom")

    graph = wide_graph()
    graph["total"] = Task(fail, *[Ref(("part", i)) for i in range(30)])
    with kyudo.config.set(memory_limit="2MB"), pytest.raises(ValueError, match="boom"):
        compute(graph, "total", scheduler=scheduler)
    assert os.listdir(spill_dir) == []


def test_files_are_removed_after_an_interrupt(monkeypatch, spill_dir):
    def slow_part(i):
        time.sleep(0.002)
        return part(i)

    graph = {("part", i): Task(slow_part, i) for i in range(200)}
    graph["total"] = Task(total, *[Ref(("part", i)) for i in range(200)])
    interrupted = []

    def interrupted_wait(finished):
        deadline = time.monotonic() + 5
        while not files_under(spill_dir) and time.monotonic() < deadline:
            time.sleep(0.001)
        interrupted.append(len(files_under(spill_dir)))
        raise KeyboardInterrupt

    monkeypatch.setattr(threads, "_wait", interrupted_wait)
    with kyudo.config.set(memory_limit="2MB"), pytest.raises(KeyboardInterrupt):
        compute(graph, "total", scheduler=ThreadExecutor(2))
    assert interrupted and interrupted[0] > 0
    assert os.listdir(spill_dir) == []


@pytest.mark.parametrize("with_ready_input", [False, True])
def test_scans_wait_while_memory_cannot_be_freed(monkeypatch, with_ready_input):
    """Nothing can be spilled (MIN_SPILL is huge), so once over the limit a scan
    starts only when no other task runs; without a limit four run at once. A task
    whose only inputs are ready values of the graph is a scan too."""
    log = []
    lock = threading.Lock()

    def scan(i, _=None):
        with lock:
            log.append(("start", i, time.monotonic()))
        time.sleep(0.02)
        table = part(i)
        with lock:
            log.append(("end", i, time.monotonic()))
        return table

    graph = {("scan", i): Task(scan, i, Ref("setting")) if with_ready_input else Task(scan, i)
             for i in range(24)}
    graph["setting"] = "a ready value"
    graph["total"] = Task(total, *[Ref(("scan", i)) for i in range(24)])
    expected = sum(total(part(i)) for i in range(24))

    def overlaps(scans):
        """How many of ``scans`` started while another scan was running."""
        intervals = {i: (start, next(t for k, j, t in log if k == "end" and j == i))
                     for kind, i, start in log if kind == "start"}
        return sum(any(s < intervals[i][0] < e for o, (s, e) in intervals.items() if o != i)
                   for i in scans)

    # Which scans the budget admitted while over the limit. The time a scan logs its
    # end is no such marker: its result is counted only once the executor stores
    # it, and under load another scan can be admitted in between, rightly, while
    # the total is still under the limit. Here nothing is freed (``total`` reads
    # every scan) nor spilled, so the total only grows: over before ``begin`` means
    # over when ``begin`` decided.
    admitted_over = set()
    begin = budget.MemoryBudget.begin

    def recording_begin(self, key, deps, source=False):
        over = self.live > self.limit
        started = begin(self, key, deps, source)
        if started and over and key != "total":
            with lock:
                admitted_over.add(key[1])
        return started

    executor = ThreadExecutor(4)
    assert compute(graph, "total", scheduler=executor) == expected
    assert overlaps(range(4, 24)) > 5  # the control: scans do run side by side
    log.clear()
    monkeypatch.setattr(budget, "MIN_SPILL", float("inf"))
    monkeypatch.setattr(budget.MemoryBudget, "begin", recording_begin)
    with kyudo.config.set(memory_limit="2MB"):
        assert compute(graph, "total", scheduler=executor) == expected  # and no deadlock
    assert len(admitted_over) > 10  # 3 results (2.4 MB) put the total over 2 MB
    assert overlaps(admitted_over) == 0


def test_a_limit_below_any_single_result_still_completes(scheduler, spill_dir):
    graph, root = tree_reduction(12, split_every=3, leaf=part, combine=concat)
    with kyudo.config.set(memory_limit=1000):
        out = compute(graph, root, scheduler=scheduler)
    assert total(out) == sum(total(part(i)) for i in range(12))
    assert os.listdir(spill_dir) == []


def test_results_needed_latest_are_spilled_first(tmp_path):
    # a, b, c (800 kB each) are next read at priorities 3, 5 and 4: over a 2.3 MB
    # limit, writing b (needed last) brings the total under the 70% target
    results = {}
    memory = budget.MemoryBudget(
        2_300_000, results, priority={"a": 0, "b": 1, "c": 2, "ua": 3, "uc": 4, "ub": 5},
        users={"a": ("ua",), "b": ("ub",), "c": ("uc",)}, keep=(), directory=str(tmp_path))
    for i, key in enumerate("abc"):
        assert memory.begin(key, ())
        memory.store_result(key, part(i))
        assert memory.end(key, ()) == []
    assert [key for key in "abc" if type(results[key]) is Spilled] == ["b"]
    assert memory.live == 2 * sizeof(part(0)) and memory.peak == 3 * sizeof(part(0))
    assert memory.inputs(("b",))["b"].equals(part(1))  # read back transparently

    # c (needed latest now) is being read by a running task: spilling it would free
    # nothing, so the next over-limit result spills a instead
    assert memory.begin("uc", ("c",))
    memory.store_result("d", part(3))
    memory.users = {**memory.users, "d": ("ud",)}
    memory.priority = {**memory.priority, "ud": -1}
    memory.end("d", ())
    assert type(results["c"]) is not Spilled and type(results["a"]) is Spilled
    memory.free("a")
    memory.free("b")
    memory.close()
    assert os.listdir(tmp_path) == []


def test_memory_limit_option_parses_sizes():
    with kyudo.config.set(memory_limit="4GB", spill_directory="/tmp/somewhere"):
        assert kyudo.config.get("memory_limit") == 4_000_000_000
        assert kyudo.config.get("spill_directory") == "/tmp/somewhere"
    assert kyudo.config.get("memory_limit") is None
    with pytest.raises(ValueError):
        kyudo.config.set(memory_limit="lots")
    with pytest.raises(ValueError):
        kyudo.config.set(memory_limit=0)
    assert isinstance(Spilled, type)


@pytest.mark.parametrize("module", [memory, spill])
def test_docstring_examples(module):
    failures, tried = doctest.testmod(module, verbose=False)
    assert tried > 0 and failures == 0

"""Without a memory limit, a scan -> filter -> partial aggregate pipeline over many
partitions holds a few partitions' Arrow buffers at a time, not the data set:
executors run depth-first and free each result after its last consumer.

(tests/engine/test_engine_executors.py counts live result objects on a sum tree;
this measures the Arrow memory of real tables through an unfused pipeline.)"""
from __future__ import annotations

import threading

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from engine_graphs import tree_reduction

from kyudo.engine import Ref, Task
from kyudo.engine.executors import SyncExecutor, ThreadExecutor

PARTITIONS = 64
ROWS = 25_000
PART_BYTES = 2 * ROWS * 8  # 400 kB


class Peak:
    def __init__(self):
        self.base = pa.total_allocated_bytes()
        self.peak = 0
        self.lock = threading.Lock()

    def sample(self):
        with self.lock:
            self.peak = max(self.peak, pa.total_allocated_bytes() - self.base)


def pipeline(peak: Peak):
    def scan(i):
        base = pa.array(np.arange(ROWS, dtype=np.int64))  # numpy's memory: not counted
        # computed by Arrow, so the buffers come from the pool that Peak measures
        table = pa.table({"k": pc.bit_wise_and(base, 7), "v": pc.add(base, i)})
        peak.sample()
        return table

    def keep_even(table):
        peak.sample()
        return table.filter(pc.equal(pc.bit_wise_and(table["v"], 1), 0))

    def partial(table):
        peak.sample()
        return table.group_by("k").aggregate([("v", "sum")])

    def combine(*tables):
        peak.sample()
        merged = pa.concat_tables(tables).group_by("k").aggregate([("v_sum", "sum")])
        return merged.rename_columns(["k", "v_sum"])

    graph, root = tree_reduction(PARTITIONS, split_every=8, leaf=lambda i: None, combine=combine)
    for i in range(PARTITIONS):
        graph[("scan", i)] = Task(scan, i)
        graph[("filter", i)] = Task(keep_even, Ref(("scan", i)))
        graph[("leaf", i)] = Task(partial, Ref(("filter", i)))
    return graph, root


def expected_total():
    v = np.arange(ROWS, dtype=np.int64)
    return sum(int(((v + i)[(v + i) % 2 == 0]).sum()) for i in range(PARTITIONS))


def test_pipeline_keeps_few_partitions_live():
    for executor, allowed in [(SyncExecutor(), 3), (ThreadExecutor(4), 12)]:
        peak = Peak()
        graph, root = pipeline(peak)
        out = executor.execute(graph, [root])[root]  # unfused: every step is a result
        assert int(pc.sum(out["v_sum"]).as_py()) == expected_total()
        # 25 MB of partitions went through; a handful of them were alive at once
        assert peak.peak <= allowed * PART_BYTES, (executor, peak.peak / PART_BYTES)

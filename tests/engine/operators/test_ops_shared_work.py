"""shared_work: a result derived from tables is computed once while the very same
table objects live, and forgotten when one of them is freed."""
import gc
import threading

import numpy as np
import pyarrow as pa

from kyudo.engine.operators import shared_work
from kyudo.engine.operators.join import hash_join


def test_a_result_is_computed_once_for_the_same_tables_and_forgotten_with_them():
    calls = []
    a, b = pa.table({"k": [1, 2]}), pa.table({"k": [3]})
    before = shared_work.remembered()

    def compute():
        calls.append(1)
        return pa.concat_tables([a, b])
    first = shared_work.derived((a, b), "concat", compute)
    assert shared_work.derived((a, b), "concat", compute) is first
    assert len(calls) == 1
    assert shared_work.derived((a, b), "other", lambda: 7) == 7  # another result of the same tables
    equal_copy = pa.table({"k": [1, 2]})
    shared_work.derived((equal_copy, b), "concat", compute)  # equal is not the same object
    assert len(calls) == 2
    del a, first, equal_copy
    gc.collect()
    assert shared_work.remembered() == before  # every entry held a table that is gone


def test_concurrent_callers_share_one_computation():
    table = pa.table({"k": np.arange(10)})
    calls, barrier = [], threading.Barrier(4)

    def compute():
        calls.append(1)
        return table.num_rows

    def worker(out):
        barrier.wait()
        out.append(shared_work.derived((table,), "rows", compute))
    results: list = []
    threads = [threading.Thread(target=worker, args=(results,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [10] * 4 and len(calls) == 1


def test_a_shared_right_side_gives_the_same_joins_as_an_unshared_one():
    rng = np.random.default_rng(3)
    right = pa.table({"k": rng.integers(0, 50, 40), "v": np.arange(40)})
    for how in ("inner", "left", "semi", "anti", "outer", "right"):
        for seed in range(3):
            keys = np.random.default_rng(seed).integers(-5, 60, 30)
            left = pa.table({"k": pa.array(keys, mask=keys % 7 == 0), "x": np.arange(30)})
            shared = hash_join(left, right, ["k"], ["k"], how, right_shared=True)
            plain = hash_join(left, right, ["k"], ["k"], how)
            assert shared.equals(plain), (how, seed)

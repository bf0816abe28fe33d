"""Running totals across partitions in three phases equal pandas' cumulative
operations on the concatenated data."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from kyudo.engine.operators.scan import apply_scan, prefix_carries, scan_carry

PANDAS = {"sum": "cumsum", "prod": "cumprod", "min": "cummin", "max": "cummax"}


def _run(parts: list[pa.Table], func: str) -> pa.ChunkedArray:
    carries = prefix_carries([scan_carry(p, "v", func) for p in parts], func)
    return pa.chunked_array([apply_scan(p, "v", func, "out", c)["out"].combine_chunks()
                             for p, c in zip(parts, carries)])


@pytest.mark.parametrize("func", sorted(PANDAS))
@pytest.mark.parametrize("values", [
    [1.5, None, -2.0, 3.0, None, 0.5, 4.0],
    [None, None, 2.0, 1.0],
    [3, 1, None, 4, 1, 5],
])
@pytest.mark.parametrize("cuts", [(), (0,), (2, 2, 5), (1, 3)])
def test_three_phases_equal_pandas(func, values, cuts):
    dtype = pa.int64() if all(isinstance(v, int) or v is None for v in values) else pa.float64()
    table = pa.table({"v": pa.array(values, dtype)})
    bounds = [0, *cuts, len(values)]
    parts = [table.slice(a, b - a) for a, b in zip(bounds, bounds[1:])]
    got = _run(parts, func).to_pandas()
    want = getattr(pd.Series(values, dtype="float64"), PANDAS[func])()
    np.testing.assert_allclose(got.astype("float64"), want, equal_nan=True)
    assert _run(parts, func).type == dtype


def test_no_partitions_and_empty_ones():
    assert prefix_carries([], "sum") == []
    table = pa.table({"v": pa.array([2.0, 3.0])})
    parts = [table.slice(0, 0), table.slice(0, 1), table.slice(1, 0), table.slice(1)]
    assert _run(parts, "prod").to_pylist() == [2.0, 6.0]

"""Size estimates (kyudo.planner.statistics) from Parquet footers: the bytes of
the columns a scan keeps."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kyudo.io.parquet import discover_parquet
from kyudo.planner import logical as L
from kyudo.planner.statistics import estimate


@pytest.fixture
def source(tmp_path):
    """A table that is mostly strings, with two integer columns and a flag."""
    n = 1000
    table = pa.table({
        "id": pa.array(range(n), pa.int64()),
        "nation": pa.array([i % 25 for i in range(n)], pa.int32()),
        "flag": pa.array([i % 2 == 0 for i in range(n)]),
        "comment": [f"a long and varied comment number {i} " * 3 for i in range(n)],
        "name": [f"name {i}" for i in range(n)],
    })
    pq.write_table(table, tmp_path / "t.parquet")
    return discover_parquet(str(tmp_path))


def test_fixed_width_columns_take_their_width_per_row(source):
    rows, nbytes = estimate(L.Scan(source, ("id", "nation")))
    assert rows == 1000
    assert nbytes == 1000 * (8 + 4)


def test_variable_width_columns_share_what_the_fixed_ones_leave(source):
    _, whole = estimate(L.Scan(source))
    _, strings = estimate(L.Scan(source, ("comment", "name")))
    _, one_string = estimate(L.Scan(source, ("comment",)))
    fixed = 1000 * (8 + 4 + 1 / 8)
    assert strings == pytest.approx(whole - fixed)
    assert one_string == pytest.approx(strings / 2)
    _, mixed = estimate(L.Scan(source, ("id", "name")))
    assert mixed == pytest.approx(1000 * 8 + strings / 2)


def test_strings_of_a_table_whose_encoded_size_is_below_its_numbers_still_count(tmp_path):
    """Dictionaries shrink repeated numbers below their decoded width (as in
    TPC-H's lineitem); its strings must not then be estimated at nothing."""
    n = 5000
    pq.write_table(pa.table({"quantity": pa.array([i % 3 for i in range(n)], pa.int64()),
                             "mode": [["AIR", "RAIL", "SHIP"][i % 3] for i in range(n)]}), tmp_path / "t.parquet")
    source = discover_parquet(str(tmp_path))
    _, whole = estimate(L.Scan(source))
    assert whole < n * 8  # the encoded size, below the numbers' decoded width
    _, modes = estimate(L.Scan(source, ("mode",)))
    assert modes >= n * 8

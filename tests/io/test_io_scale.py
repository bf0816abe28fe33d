"""A thousand Parquet files: planned from footers (read in parallel) in about a second."""

from __future__ import annotations

import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import kyudo.dataframe as kd
from kyudo.io.parquet import discover_parquet
from kyudo.io.schemas import SchemaMismatchError

FILES = 1000


@pytest.fixture(scope="module")
def thousand_files(tmp_path_factory):
    """1,000 files of 50 rows; every other file also has a column ``c``."""
    root = tmp_path_factory.mktemp("thousand")
    for i in range(FILES):
        columns = {"a": pa.array(range(i * 50, (i + 1) * 50), pa.int64()), "b": pa.array([i] * 50, pa.int32())}
        if i % 2:
            columns["c"] = pa.array([f"f{i}"] * 50)
        pq.write_table(pa.table(columns), root / f"part.{i}.parquet")
    return root


def test_planning_a_thousand_files_takes_about_a_second(thousand_files):
    started = time.perf_counter()
    frame = kd.read_parquet(str(thousand_files))
    selected = frame[frame.a >= 49_900][["a", "c"]]
    npartitions = selected.npartitions
    elapsed = time.perf_counter() - started
    assert npartitions == 2  # row-group statistics pruned the other 998 files
    assert elapsed < 3, f"planning {FILES} files took {elapsed:.2f}s"
    result = selected.compute()
    assert result.a.tolist() == list(range(49_900, 50_000))
    assert result.c.isna().tolist() == [True] * 50 + [False] * 50


def test_estimates_and_unified_schema_come_from_footers(thousand_files):
    source = discover_parquet(str(thousand_files))
    assert source.schema == pa.schema([("a", pa.int64()), ("b", pa.int32()), ("c", pa.string())])
    assert source.num_rows == FILES * 50
    assert len(kd.read_parquet(str(thousand_files))) == FILES * 50
    assert all(p.nbytes > 0 for p in source.partitions)


def test_incompatible_types_name_both_files(tmp_path):
    pq.write_table(pa.table({"k": [1, 2]}), tmp_path / "part.0.parquet")
    pq.write_table(pa.table({"k": [b"\x00"]}), tmp_path / "part.1.parquet")
    with pytest.raises(SchemaMismatchError, match=r"'k' is int64 in .*part.0.parquet.* but binary in .*part.1"):
        kd.read_parquet(str(tmp_path))

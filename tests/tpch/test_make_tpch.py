"""The generated dataset has the layout and types the queries and engines rely on."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from benchmarks.tpch_queries import table_dirs

pytestmark = pytest.mark.slow


def test_big_tables_span_several_files(tpch_dir):
    dirs = table_dirs(tpch_dir)
    assert len(list(dirs["lineitem"].glob("*.parquet"))) > 1
    assert len(list(dirs["orders"].glob("*.parquet"))) > 1


def test_types_are_float_money_utf8_strings_and_dates(tpch_dir):
    schema = ds.dataset(table_dirs(tpch_dir)["lineitem"]).schema
    assert schema.field("l_extendedprice").type == pa.float64()
    assert schema.field("l_shipmode").type == pa.string()
    assert schema.field("l_shipdate").type == pa.date32()


def test_generation_is_idempotent(tpch_dir):
    from examples.make_tpch import generate

    before = {p: p.stat().st_mtime_ns for p in tpch_dir.glob("*/*.parquet")}
    generate(0.1, tpch_dir)
    assert {p: p.stat().st_mtime_ns for p in tpch_dir.glob("*/*.parquet")} == before

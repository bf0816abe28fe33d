"""Sorting with per-key direction and NULL placement (DuckDB is the oracle), and
the range-partitioned sort: partition, sort each, concatenate == sort all."""
from __future__ import annotations

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from kyudo.engine.operators.partition import concat_tables
from kyudo.engine.operators.sort import (
    SortKey,
    boundaries_from_samples,
    merge_sorted,
    range_partition,
    sample_for_boundaries,
    sort_table,
    top_k,
)
from ops_strategies import comparable, partitions, tables

KINDS = {"i": "int", "f": "float", "n": "nanfloat", "s": "str", "d": "date", "t": "ts", "m": "dec", "b": "bool"}


_DUCK = duckdb.connect()


@st.composite
def sort_keys(draw):
    columns = draw(st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=3, unique=True))
    return [SortKey(c, draw(st.booleans()), draw(st.booleans())) for c in columns]


def duckdb_sorted(table: pa.Table, keys: list[SortKey]) -> pa.Table:
    """DuckDB's ORDER BY with the row number as last key (a stable sort)."""
    order = ", ".join(
        f'"{k.column}" {"ASC" if k.ascending else "DESC"} NULLS {"FIRST" if k.nulls_first else "LAST"}' for k in keys
    )
    numbered = table.append_column("__row", pa.array(range(table.num_rows), pa.int64()))
    _DUCK.register("t", numbered)
    return pa.table(_DUCK.sql(f"SELECT * EXCLUDE (__row) FROM t ORDER BY {order}, __row"))


@settings(max_examples=80, deadline=None)
@given(table=tables(KINDS), keys=sort_keys())
def test_sort_matches_duckdb_order_by(table, keys):
    assert comparable(sort_table(table, keys)) == comparable(duckdb_sorted(table, keys))


@settings(max_examples=80, deadline=None)
@given(data=st.data(), keys=sort_keys(), npartitions=st.integers(1, 5), sample_size=st.integers(1, 6))
def test_range_partition_then_sort_equals_sort(data, keys, npartitions, sample_size):
    table = data.draw(tables(KINDS, max_rows=40))
    parts = data.draw(partitions(table))
    samples = [sample_for_boundaries(p, keys, sample_size) for p in parts]
    boundaries = boundaries_from_samples(samples, keys, npartitions)
    assert len(boundaries) == npartitions - 1
    assert all(len(b) == len(keys) for b in boundaries)

    # every input partition is split by the same boundaries; output j collects piece j of each
    pieces = [range_partition(p, keys, boundaries) for p in parts]
    outputs = [concat_tables([piece[j] for piece in pieces], table.schema) for j in range(len(boundaries) + 1)]
    result = concat_tables([sort_table(o, keys) for o in outputs], table.schema)
    assert comparable(result) == comparable(sort_table(table, keys))


def test_range_partition_puts_rows_equal_to_a_boundary_on_its_right():
    table = pa.table({"a": [1, 2, 3, None, 2]})
    keys = [SortKey("a", ascending=True, nulls_first=True)]
    parts = range_partition(table, keys, [(None,), (2,)])
    assert [p["a"].to_pylist() for p in parts] == [[], [1, None], [2, 3, 2]]


def test_nan_sorts_above_numbers_and_nulls_follow_their_own_key():
    table = pa.table({"f": [1.0, float("nan"), None, -1.0], "s": ["x", None, "y", None]})
    down = sort_table(table, [SortKey("f", ascending=False, nulls_first=False)])["f"].to_pylist()
    assert down[1:] == [1.0, -1.0, None] and down[0] != down[0]
    up = sort_table(table, [SortKey("s", nulls_first=True), SortKey("f", nulls_first=True)])
    assert up["s"].to_pylist() == [None, None, "x", "y"]
    assert up["f"].to_pylist()[0] == -1.0


def test_sort_is_stable_and_handles_empty_and_one_row_tables():
    table = pa.table({"k": [2, 1, 2, 1], "v": ["a", "b", "c", "d"]})
    assert sort_table(table, [SortKey("k", ascending=False)])["v"].to_pylist() == ["a", "c", "b", "d"]
    for t in (table.slice(0, 0), table.slice(1, 1)):
        keys = [SortKey("k")]
        assert sort_table(t, keys).equals(t)
        expected = [(None,), (None,)] if t.num_rows == 0 else [(1,), (1,)]
        assert boundaries_from_samples([sample_for_boundaries(t, keys, 3)], keys, 3) == expected
        assert sum(p.num_rows for p in range_partition(t, keys, [(1,), (2,)])) == t.num_rows


@settings(max_examples=50, deadline=None)
@given(data=st.data(), keys=sort_keys(), k=st.integers(0, 12))
def test_merge_sorted_and_top_k_agree_with_a_full_sort(data, keys, k):
    table = data.draw(tables(KINDS))
    parts = data.draw(partitions(table))
    whole = sort_table(table, keys)
    assert comparable(merge_sorted([sort_table(p, keys) for p in parts], keys)) == comparable(whole)
    tops = [top_k(p, keys, k) for p in parts]
    assert comparable(top_k(concat_tables(tops, table.schema), keys, k)) == comparable(whole.slice(0, k))


def test_boundaries_are_tuples_over_all_keys_in_sort_order():
    table = pa.table({"a": [1, 1, 2, 2, 3, 3], "b": ["z", "y", "x", "w", "v", "u"]})
    keys = [SortKey("a", ascending=False), SortKey("b")]
    assert boundaries_from_samples([table], keys, 3) == [(2, "w"), (1, "y")]


def test_dictionary_columns_sort_and_range_partition_by_value():
    table = pa.table({"k": pa.array(["b", "a", None, "c"]).dictionary_encode()})
    keys = [SortKey("k", ascending=False)]
    assert sort_table(table, keys)["k"].to_pylist() == ["c", "b", "a", None]
    assert [p["k"].to_pylist() for p in range_partition(table, keys, [("b",)])] == [["c"], ["b", "a", None]]

"""Distinct values per group counted in one phase (``aggregate_whole`` and
``distinct_counts``) must equal pandas' ``groupby(...)[col].nunique()``: NULL
values not counted, a NULL key its own group, groups in first-appearance order,
along a sorted key (the compiled run pass) and any other way (group ids)."""
from __future__ import annotations

import datetime

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kyudo.engine.operators import distinct_counts as dc
from kyudo.engine.operators.aggregate import AggSpec, aggregate_whole, finalize_aggregate, partial_aggregate


def nunique_by_pandas(table: pa.Table, keys: list[str], column: str) -> list[tuple]:
    frame = table.to_pandas()
    counts = frame.groupby(keys, dropna=False, sort=False)[column].nunique()
    return [(*(k if isinstance(k, tuple) else (k,)), int(n)) for k, n in counts.items()]


def answer(table: pa.Table, keys: list[str]) -> list[tuple]:
    got = aggregate_whole(table, keys, [AggSpec("n", "count_distinct", "v")], table.schema)
    assert got.column_names == [*keys, "n"] and got.schema.field("n").type == pa.int64()
    return [tuple(row.values()) for row in got.to_pylist()]


def normal(rows: list[tuple]) -> list[tuple]:
    """NaN keys from pandas as None, for comparing with Arrow's NULL."""
    return [tuple(None if isinstance(x, float) and x != x else x for x in row) for row in rows]


values = st.one_of(st.none(), st.integers(-3, 3))


@settings(deadline=None, max_examples=150)
@given(runs=st.lists(st.tuples(st.integers(1, 4), st.lists(values, min_size=1, max_size=6)), max_size=12),
       key_type=st.sampled_from([pa.int64(), pa.int32(), pa.date32(), pa.uint64()]))
def test_along_a_sorted_key(runs, key_type):
    keys, vals = [], []
    for key, (gap, run) in enumerate(runs):
        keys += [key * gap] * len(run)
        vals += run
    keys = sorted(keys)
    table = pa.table({"k": pa.array(keys, pa.int32()).cast(key_type), "v": pa.array(vals, pa.int64())})
    assert normal(answer(table, ["k"])) == normal(nunique_by_pandas(table, ["k"], "v"))


@settings(deadline=None, max_examples=150)
@given(rows=st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 4)), st.sampled_from(["a", "b", None]),
                               st.one_of(st.none(), st.text(alphabet="xé😀", max_size=2))), max_size=40),
       keys=st.sampled_from([["k"], ["s"], ["k", "s"]]))
def test_any_order_any_keys_and_string_values(rows, keys):
    table = pa.table({"k": pa.array([r[0] for r in rows], pa.int64()), "s": pa.array([r[1] for r in rows], pa.string()),
                      "v": pa.array([r[2] for r in rows], pa.string())})
    assert normal(answer(table, keys)) == normal(nunique_by_pandas(table, keys, "v"))


def test_the_run_pass_gives_way_on_a_descent_or_a_crowded_run():
    descending = pa.table({"k": [3, 3, 1], "v": [1, 2, 1]})
    assert dc._along_sorted_key(descending, ["k"], "v") is None
    assert answer(descending, ["k"]) == [(3, 2), (1, 1)]
    crowded = pa.table({"k": [0] * 100, "v": list(range(100))})
    assert dc._along_sorted_key(crowded, ["k"], "v") is None
    assert answer(crowded, ["k"]) == [(0, 100)]
    assert dc._along_sorted_key(pa.table({"k": [1, None], "v": [1, 1]}), ["k"], "v") is None  # NULL key


def test_empty_table_one_row_and_all_null_values():
    empty = pa.table({"k": pa.array([], pa.int64()), "v": pa.array([], pa.int64())})
    assert answer(empty, ["k"]) == []
    assert answer(pa.table({"k": [7], "v": [None]}), ["k"]) == [(7, 0)]
    assert answer(pa.table({"k": [1, 1, 2], "v": pa.array([None, None, None], pa.int64())}), ["k"]) == [(1, 0), (2, 0)]


def test_dates_as_values_and_several_outputs_of_one_column():
    day = datetime.date(2024, 2, 29)
    table = pa.table({"k": [1, 1, 1, 2], "v": [day, day, None, day]})
    got = aggregate_whole(table, ["k"], [AggSpec("a", "count_distinct", "v"), AggSpec("b", "count_distinct", "v")],
                          table.schema)
    assert got.to_pylist() == [{"k": 1, "a": 1, "b": 1}, {"k": 2, "a": 1, "b": 1}]


@pytest.mark.parametrize("specs", [
    [AggSpec("n", "count_distinct", "v")],  # float values: no group ids, sets of values instead
    [AggSpec("n", "count_distinct", "w"), AggSpec("s", "sum", "v")],
    [AggSpec("s", "sum", "v"), AggSpec("m", "mean", "w")],
])
def test_other_aggregations_are_the_finalized_partial_states(specs):
    table = pa.table({"k": [2, 1, 2, 1, 3], "v": [0.5, None, 0.5, 2.0, float("nan")], "w": [1, 1, 2, None, 4]})
    want = finalize_aggregate(partial_aggregate(table, ["k"], specs), ["k"], specs, table.schema)
    got = aggregate_whole(table, ["k"], specs, table.schema)
    assert got.schema == want.schema and got.to_pandas().equals(want.to_pandas())  # NaN equals NaN

"""hash_join against DuckDB (SQL NULL semantics, and IS NOT DISTINCT FROM for
null_equal) and pandas.merge (null_equal=True), plus the row-order contract."""
from __future__ import annotations

import collections
import datetime
import decimal

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kyudo.engine.operators.join import hash_join
from ops_strategies import comparable, tables

KEY_KINDS = ["int", "str", "date", "ts", "dec", "float", "nanfloat", "bool"]
HOWS = ["inner", "left", "right", "outer", "semi", "anti", "cross"]
DUCK_JOINS = {"inner": "JOIN", "left": "LEFT JOIN", "right": "RIGHT JOIN", "outer": "FULL OUTER JOIN",
              "semi": "SEMI JOIN", "anti": "ANTI JOIN"}
_DUCK = duckdb.connect()


@st.composite
def join_inputs(draw):
    kinds = draw(st.lists(st.sampled_from(KEY_KINDS), min_size=1, max_size=2))
    left = draw(tables({**{f"lk{i}": k for i, k in enumerate(kinds)}, "lv": "str"}, max_rows=12))
    right = draw(tables({**{f"rk{i}": k for i, k in enumerate(kinds)}, "rv": "int"}, max_rows=12))
    return left, right, [f"lk{i}" for i in range(len(kinds))], [f"rk{i}" for i in range(len(kinds))]


def rows(table: pa.Table) -> collections.Counter:
    return collections.Counter(comparable(table))


def duckdb_join(left, right, lkeys, rkeys, how, null_equal):
    _DUCK.register("l", left)
    _DUCK.register("r", right)
    if how == "cross":
        return pa.table(_DUCK.sql("SELECT * FROM l CROSS JOIN r"))
    eq = "IS NOT DISTINCT FROM" if null_equal else "="
    on = " AND ".join(f"l.{a} {eq} r.{b}" for a, b in zip(lkeys, rkeys))
    return pa.table(_DUCK.sql(f"SELECT * FROM l {DUCK_JOINS[how]} r ON {on}"))


@settings(max_examples=150, deadline=None)
@given(inputs=join_inputs(), how=st.sampled_from(HOWS), null_equal=st.booleans())
def test_join_matches_duckdb(inputs, how, null_equal):
    left, right, lkeys, rkeys = inputs
    result = hash_join(left, right, lkeys, rkeys, how, null_equal=null_equal)
    expected_columns = left.column_names + ([] if how in ("semi", "anti") else right.column_names)
    assert result.column_names == expected_columns
    assert rows(result) == rows(duckdb_join(left, right, lkeys, rkeys, how, null_equal))


@settings(max_examples=80, deadline=None)
@given(inputs=join_inputs(), how=st.sampled_from(["inner", "left", "right", "outer"]))
def test_null_equal_join_matches_pandas_merge(inputs, how):
    left, right, lkeys, rkeys = inputs
    # pandas cannot tell a float NULL from NaN; float keys are covered by the DuckDB test
    assume(not any(pa.types.is_floating(left.schema.field(k).type) for k in lkeys))
    # pandas 3.1's merge raises on an empty side with Arrow-backed string keys;
    # empty sides are covered by the DuckDB test above
    assume(left.num_rows > 0 and right.num_rows > 0)
    merged = pd.merge(left.to_pandas(), right.to_pandas(), left_on=lkeys, right_on=rkeys, how=how)
    got = hash_join(left, right, lkeys, rkeys, how, null_equal=True).to_pylist()
    assert plain(tuple(r.values()) for r in got) == plain(merged.itertuples(index=False))


def plain(rows) -> collections.Counter:
    """Rows as comparable tuples: pandas turns int columns with NULLs into floats
    and NULLs into NaN, so numbers compare as floats and every missing value as None."""
    def value(v):
        if v is None or (not isinstance(v, (str, bytes)) and pd.isna(v)):
            return None
        if isinstance(v, (int, decimal.Decimal)) and not isinstance(v, bool):
            return float(v)
        return v

    return collections.Counter(tuple(value(v) for v in row) for row in rows)


@settings(max_examples=60, deadline=None)
@given(inputs=join_inputs(), how=st.sampled_from(["inner", "left", "semi", "anti", "cross"]))
def test_left_row_order_is_kept(inputs, how):
    left, right, lkeys, rkeys = inputs
    numbered = left.append_column("row", pa.array(range(left.num_rows), pa.int64()))
    order = hash_join(numbered, right, lkeys, rkeys, how)["row"].to_pylist()
    assert order == sorted(order)


def test_both_key_columns_are_kept_and_null_keys_only_match_with_null_equal():
    left = pa.table({"a": pa.array([1, None, 2], pa.int32()), "x": ["p", "q", "r"]})
    right = pa.table({"b": pa.array([None, 1, 3], pa.int64()), "y": ["u", "v", "w"]})
    assert hash_join(left, right, ["a"], ["b"], "outer").to_pydict() == {
        "a": [1, None, 2, None, None], "x": ["p", "q", "r", None, None],
        "b": [1, None, None, None, 3], "y": ["v", None, None, "u", "w"],
    }
    assert hash_join(left, right, ["a"], ["b"], "inner", null_equal=True)["x"].to_pylist() == ["p", "q"]
    assert hash_join(left, right, ["a"], ["b"], "anti")["x"].to_pylist() == ["q", "r"]
    assert hash_join(left, right, ["a"], ["b"], "right")["y"].to_pylist() == ["u", "v", "w"]


def test_joins_on_dates_timestamps_decimals_and_empty_or_one_row_sides():
    left = pa.table({
        "d": pa.array([datetime.date(2020, 1, 1)], pa.date32()),
        "t": pa.array([datetime.datetime(2020, 1, 1, 12)], pa.timestamp("us")),
        "m": pa.array([decimal.Decimal("1.50")], pa.decimal128(5, 2)),
    })
    right = pa.table({
        "d2": pa.array([datetime.date(2020, 1, 1)] * 2, pa.date32()),
        "t2": pa.array([datetime.datetime(2020, 1, 1, 12)] * 2, pa.timestamp("us")),
        "m2": pa.array([decimal.Decimal("1.5"), decimal.Decimal("2")], pa.decimal128(6, 1)),
    })
    assert hash_join(left, right, ["d", "t", "m"], ["d2", "t2", "m2"], "inner").num_rows == 1
    empty = right.slice(0, 0)
    assert hash_join(left, empty, ["d"], ["d2"], "left").to_pydict()["m2"] == [None]
    assert hash_join(empty, left, ["d2"], ["d"], "outer").num_rows == 1
    assert hash_join(left, empty, [], [], "cross").num_rows == 0


def test_negative_zero_matches_zero_and_bad_arguments_are_rejected():
    left, right = pa.table({"a": [-0.0]}), pa.table({"b": [0.0]})
    assert hash_join(left, right, ["a"], ["b"], "inner").num_rows == 1
    with pytest.raises(ValueError):
        hash_join(left, right, ["a"], ["b"], "sideways")
    with pytest.raises(ValueError):
        hash_join(left, right, ["a"], [], "inner")


@settings(max_examples=120, deadline=None)
@given(
    left=tables({"lk": "int", "x": "int", "ls": "str"}, max_rows=12),
    right=tables({"rk": "int", "y": "int", "rs": "str"}, max_rows=12),
    how=st.sampled_from(HOWS),
    equi=st.booleans(),
)
def test_residual_condition_decides_matching_like_duckdb(left, right, how, equi):
    keys = (["lk"], ["rk"]) if equi and how != "cross" else ([], [])
    condition = pc.field("x") < pc.field("y")
    result = hash_join(left, right, *keys, how, condition=condition)
    _DUCK.register("l", left)
    _DUCK.register("r", right)
    on = ("l.lk = r.rk AND " if keys[0] else "") + "l.x < r.y"
    join = "JOIN" if how == "cross" else DUCK_JOINS[how]
    assert rows(result) == rows(pa.table(_DUCK.sql(f"SELECT * FROM l {join} r ON {on}")))


def test_residual_condition_keeps_the_output_order_and_treats_null_as_false():
    left = pa.table({"lk": [1, 1, 2, 3], "x": [5, 1, 1, None]})
    right = pa.table({"rk": [1, 1, 3, 4], "y": [2, 6, 9, 0]})
    condition = pc.field("x") < pc.field("y")
    outer = hash_join(left, right, ["lk"], ["rk"], "outer", condition=condition)
    assert list(zip(outer["x"].to_pylist(), outer["y"].to_pylist())) == [
        (5, 6), (1, 2), (1, 6), (1, None), (None, None), (None, 9), (None, 0)]
    assert hash_join(left, right, ["lk"], ["rk"], "anti", condition=condition)["x"].to_pylist() == [1, None]
    assert hash_join(left, right, [], [], "semi", condition=condition)["x"].to_pylist() == [5, 1, 1]
    right_join = hash_join(left, right, ["lk"], ["rk"], "right", condition=condition)
    assert right_join["y"].to_pylist() == [2, 6, 6, 9, 0]


def test_dictionary_encoded_keys_join_plain_keys():
    left = pa.table({"k": pa.array(["a", "b", None, "a"]).dictionary_encode(), "x": [1, 2, 3, 4]})
    right = pa.table({"k2": ["a", "c", None], "y": [10, 20, 30]})
    got = hash_join(left, right, ["k"], ["k2"], "inner", null_equal=True)
    assert got.select(["x", "y"]).to_pylist() == [{"x": 1, "y": 10}, {"x": 3, "y": 30}, {"x": 4, "y": 10}]


def test_negative_zero_and_nan_keys_match_their_equals():
    left = pa.table({"k": [-0.0, float("nan")]})
    right = pa.table({"k2": [0.0, float("nan")]})
    assert hash_join(left, right, ["k"], ["k2"], "inner").num_rows == 2

"""compute_window against DuckDB's window functions on small random tables with
NULLs, NaNs, ties and empty groups, plus the kernel's own contract (input order,
errors). Functions whose result depends on the order of ties (row_number, lag,
ROWS frames, ...) get a unique id as the last ORDER BY key, since SQL leaves
the order of ties undefined."""
from __future__ import annotations

import decimal
import math

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kyudo.engine.operators.sort import SortKey
from kyudo.engine.operators.window import WindowFrame, WindowFunction, compute_window
from ops_strategies import comparable, tables

_DUCK = duckdb.connect()

COLUMNS = {"g": "int", "h": "str", "o": "nanfloat", "p": "int", "vi": "int", "vf": "float",
           "vd": "dec", "vs": "str", "vt": "date"}
NUMERIC = ["vi", "vf", "vd"]
ANY = NUMERIC + ["vs", "vt", "o"]
# Results that do not depend on how ties are ordered, with RANGE frames ...
TIE_FREE = ["rank", "dense_rank", "percent_rank", "cume_dist", "sum", "mean", "count", "size",
            "min", "max", "std", "var"]
# ... and those that do: only drawn when the ORDER BY ends with the unique id.
TIE_BOUND = ["row_number", "ntile", "lag", "lead", "first_value", "last_value", "nth_value"]
FRAMED = ("sum", "mean", "count", "size", "min", "max", "std", "var",
          "first_value", "last_value", "nth_value")
DUCK_NAMES = {"mean": "avg", "std": "stddev_samp", "var": "var_samp"}
RANGE_FRAMES = [WindowFrame("range", None, 0), WindowFrame("range", None, None),
                WindowFrame("range", 0, None), WindowFrame("range", 0, 0)]
# RANGE frames at a distance in ORDER BY values (one numeric key): drawn on their own
RANGE_OFFSETS = [WindowFrame("range", -2, 0), WindowFrame("range", -1, 1), WindowFrame("range", None, 2),
                 WindowFrame("range", 1, None), WindowFrame("range", -3, -1), WindowFrame("range", 0, 1)]


@st.composite
def frames(draw, total: bool):
    if not total or draw(st.booleans()):
        return draw(st.sampled_from([None, *RANGE_FRAMES]))
    start = draw(st.none() | st.integers(-3, 2))
    end = draw(st.none() | st.integers(start if start is not None else -3, 3))
    return WindowFrame("rows", start, end)


@st.composite
def window_functions(draw, total: bool):
    func = draw(st.sampled_from(TIE_FREE + (TIE_BOUND if total else [])))
    column, options = None, ()
    if func in ("sum", "mean", "std", "var"):
        column = draw(st.sampled_from(NUMERIC))
    elif func in ("min", "max", "count", "lag", "lead", "first_value", "last_value", "nth_value"):
        column = draw(st.sampled_from(ANY))
    if func == "ntile":
        options = (("n", draw(st.integers(1, 5))),)
    elif func == "nth_value":
        options = (("n", draw(st.integers(1, 3))),)
    elif func in ("lag", "lead"):
        options = (("offset", draw(st.integers(0, 3))),)
        if column == "vi" and draw(st.booleans()):
            options += (("default", -9),)
    if func in ("lag", "lead", "first_value", "last_value", "nth_value") and draw(st.booleans()):
        options += (("ignore_nulls", True),)
    frame = draw(frames(total)) if func in FRAMED else None
    return WindowFunction(f"f{draw(st.integers(0, 10**6))}", func, column, options, frame)


@st.composite
def windows(draw):
    table = draw(tables(COLUMNS, max_rows=25))
    table = table.append_column("id", pa.array(range(table.num_rows), pa.int64()))
    partition_by = draw(st.lists(st.sampled_from(["g", "h"]), unique=True, max_size=2))
    order_by = [SortKey(c, draw(st.booleans()), draw(st.booleans()))
                for c in draw(st.lists(st.sampled_from(["o", "p", "vs"]), unique=True, max_size=2))]
    total = draw(st.booleans())
    if total:
        order_by.append(SortKey("id"))
    functions = draw(st.lists(window_functions(total), min_size=1, max_size=4,
                              unique_by=lambda f: f.output))
    return table, partition_by, order_by, functions


def _bound(offset: int | None, unbounded: str) -> str:
    if offset is None:
        return f"UNBOUNDED {unbounded}"
    if offset == 0:
        return "CURRENT ROW"
    return f"{abs(offset)} {'PRECEDING' if offset < 0 else 'FOLLOWING'}"


def duckdb_call(fn: WindowFunction) -> str:
    name = DUCK_NAMES.get(fn.func, fn.func)
    args = [fn.column] if fn.column else []
    if fn.func == "size":
        name, args = "count", ["*"]
    args += [str(value) for key, value in fn.options if key != "ignore_nulls"]
    return f"{name}({', '.join(args)}{' IGNORE NULLS' if fn.option('ignore_nulls') else ''})"


def duckdb_window(table, partition_by, order_by, functions) -> pa.Table:
    spec = ""
    if partition_by:
        spec += "PARTITION BY " + ", ".join(partition_by)
    if order_by:
        spec += " ORDER BY " + ", ".join(
            f"{k.column} {'ASC' if k.ascending else 'DESC'} NULLS {'FIRST' if k.nulls_first else 'LAST'}"
            for k in order_by)
    calls = []
    for fn in functions:
        frame = ""
        if fn.frame is not None:
            frame = (f" {fn.frame.kind.upper()} BETWEEN {_bound(fn.frame.start, 'PRECEDING')}"
                     f" AND {_bound(fn.frame.end, 'FOLLOWING')}")
        calls.append(f"{duckdb_call(fn)} OVER ({spec}{frame}) AS {fn.output}")
    _DUCK.register("t", table)
    return pa.table(_DUCK.sql(f"SELECT id, {', '.join(calls)} FROM t ORDER BY id"))


def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        a, b = float(a), float(b)
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    return a == b


@settings(max_examples=200, deadline=None)
@given(case=windows())
def test_window_functions_match_duckdb(case):
    table, partition_by, order_by, functions = case
    result = compute_window(table, partition_by, order_by, functions)
    assert result.column_names == table.column_names + [f.output for f in functions]
    assert comparable(result.select(table.column_names)) == comparable(table)  # input rows, in input order
    expected = duckdb_window(table, partition_by, order_by, functions)
    for fn in functions:
        got, want = result[fn.output].to_pylist(), expected[fn.output].to_pylist()
        assert all(same(a, b) for a, b in zip(got, want)) and len(got) == len(want), (fn, got, want)


@st.composite
def range_windows(draw):
    table = draw(tables({"g": "int", "k": draw(st.sampled_from(["int", "float", "dec"])), "v": "int"}, max_rows=25))
    table = table.append_column("id", pa.array(range(table.num_rows), pa.int64()))
    order_by = [SortKey("k", draw(st.booleans()), draw(st.booleans()))]
    functions = [WindowFunction(f"f{i}", func, None if func == "size" else "v", (), frame)
                 for i, (func, frame) in enumerate(draw(st.lists(
                     st.tuples(st.sampled_from(["sum", "count", "size", "min", "max", "first_value", "last_value"]),
                               st.sampled_from(RANGE_OFFSETS)), min_size=1, max_size=3)))]
    return table, draw(st.sampled_from([[], ["g"]])), order_by, functions


@settings(max_examples=120, deadline=None)
@given(case=range_windows())
def test_range_frames_at_a_value_distance_match_duckdb(case):
    table, partition_by, order_by, functions = case
    # first/last_value depend on the order of ties: only compare them where the key is unique
    result = compute_window(table, partition_by, order_by, functions)
    expected = duckdb_window(table, partition_by, order_by, functions)
    keys = table["k"].to_pylist()
    for fn in functions:
        got, want = result[fn.output].to_pylist(), expected[fn.output].to_pylist()
        if fn.func in ("first_value", "last_value"):
            if len(set(map(str, keys))) != len(keys):
                continue
        assert all(same(a, b) for a, b in zip(got, want)), (fn, got, want)


@settings(max_examples=60, deadline=None)
@given(table=tables({"k": "date", "v": "int"}, max_rows=20), ascending=st.booleans(),
       frame=st.sampled_from(RANGE_OFFSETS))
def test_range_offsets_on_dates_count_days(table, ascending, frame):
    functions = [WindowFunction("s", "sum", "v", frame=frame)]
    result = compute_window(table, [], [SortKey("k", ascending)], functions)
    bound = {None: "UNBOUNDED {}", 0: "CURRENT ROW"}
    spec = " AND ".join(bound[x].format(side) if x in bound else
                        f"INTERVAL {abs(x)} DAY {'PRECEDING' if x < 0 else 'FOLLOWING'}"
                        for x, side in ((frame.start, "PRECEDING"), (frame.end, "FOLLOWING")))
    _DUCK.register("t", table.append_column("id", pa.array(range(table.num_rows), pa.int64())))
    expected = _DUCK.sql(f"SELECT sum(v) OVER (ORDER BY k {'ASC' if ascending else 'DESC'} "
                         f"RANGE BETWEEN {spec}) AS s FROM t ORDER BY id").fetchall()
    assert result["s"].to_pylist() == [row[0] for row in expected]


def test_sum_min_count():
    table = pa.table({"v": pa.array([None, 1, None], pa.int64())})
    frame = WindowFrame("rows", 0, 0)
    sums = [WindowFunction("sql", "sum", "v", frame=frame),
            WindowFunction("pandas", "sum", "v", (("min_count", 0),), frame)]
    result = compute_window(table, [], [], sums)
    assert result["sql"].to_pylist() == [None, 1, None] and result["pandas"].to_pylist() == [0, 1, 0]


def test_wide_decimals_sum_exactly():
    big = decimal.Decimal("12345678901234567890123456.78")
    values = [big, None, decimal.Decimal("-0.01"), -big, decimal.Decimal("99999999999999999999999999.99")]
    table = pa.table({"v": pa.array(values, pa.decimal128(38, 2))})
    frame = WindowFrame("rows", -1, 0)
    result = compute_window(table, [], [], [WindowFunction("s", "sum", "v", frame=frame),
                                            WindowFunction("m", "mean", "v", frame=frame)])
    pairs = [[v for v in values[max(i - 1, 0):i + 1] if v is not None] for i in range(len(values))]
    assert result["s"].to_pylist() == [sum(p) if p else None for p in pairs]
    assert result["s"].type == pa.decimal128(38, 2)
    assert result["m"].to_pylist() == [float(sum(p) / len(p)) if p else None for p in pairs]


def test_ranks_peers_and_frames_on_a_known_table():
    table = pa.table({"g": ["a", "a", "a", "b", "a"], "o": [2, 1, 2, 7, None], "v": [10, 20, 30, 40, None]})
    functions = [WindowFunction("rank", "rank"), WindowFunction("dense", "dense_rank"),
                 WindowFunction("running", "sum", "v"),
                 WindowFunction("moving", "sum", "v", frame=WindowFrame("rows", -1, 0)),
                 WindowFunction("prev", "lag", "v", (("default", 0),))]
    result = compute_window(table, ["g"], [SortKey("o", nulls_first=True)], functions).to_pydict()
    # group a in window order: o=None (v None), o=1 (20), o=2 (10), o=2 (30); ties keep input order
    assert result["rank"] == [3, 2, 3, 1, 1]
    assert result["dense"] == [3, 2, 3, 1, 1]
    assert result["running"] == [60, 20, 60, 40, None]  # peers share the frame end
    assert result["moving"] == [30, 20, 40, 40, None]
    assert result["prev"] == [20, None, 10, 0, 0]


def test_empty_and_one_row_tables():
    functions = [WindowFunction("r", "row_number"), WindowFunction("s", "sum", "v"),
                 WindowFunction("m", "max", "v"), WindowFunction("l", "lead", "v")]
    empty = pa.table({"v": pa.array([], pa.int64())})
    result = compute_window(empty, [], [SortKey("v")], functions)
    assert result.num_rows == 0 and result.column_names == ["v", "r", "s", "m", "l"]
    one = compute_window(pa.table({"v": [5]}), ["v"], [], functions)
    assert one.to_pylist() == [{"v": 5, "r": 1, "s": 5, "m": 5, "l": None}]


def test_whole_partition_without_order_by_and_null_partition_keys_group_together():
    table = pa.table({"k": [None, 1, None, 1.0, float("nan"), float("nan")], "v": [1, 2, 3, 4, 5, 6]})
    result = compute_window(table, ["k"], [], [WindowFunction("s", "sum", "v")])
    assert result["s"].to_pylist() == [4, 6, 4, 6, 11, 11]


def test_bad_functions_and_frames_are_rejected():
    table = pa.table({"v": [1, 2]})
    offsets = [WindowFunction("s", "sum", "v", frame=WindowFrame("range", -2, 0))]
    with pytest.raises(ValueError, match="exactly one ORDER BY key"):
        compute_window(table, [], [], offsets)
    with pytest.raises(TypeError, match="numeric or temporal"):
        compute_window(pa.table({"v": [1], "s": ["a"]}), [], [SortKey("s")], offsets)
    with pytest.raises(ValueError, match="ntile"):
        compute_window(table, [], [], [WindowFunction("n", "ntile")])
    with pytest.raises(ValueError, match="unknown window function"):
        compute_window(table, [], [], [WindowFunction("x", "median", "v")])
    with pytest.raises(TypeError):
        compute_window(pa.table({"s": ["a"]}), [], [], [WindowFunction("x", "sum", "s")])


def test_range_offset_reaches_a_decimal_key_exactly_at_the_distance():
    # through float64, -1.55 - 1 is -2.5500000000000003 and would miss -2.55
    table = pa.table({"k": pa.array([decimal.Decimal("-1.55"), decimal.Decimal("-2.55"), None],
                                    pa.decimal128(12, 2)), "v": [1, 2, 3]})
    fn = WindowFunction("f0", "sum", "v", (), WindowFrame("range", -1, 1))
    for ascending in (True, False):
        got = compute_window(table, [], [SortKey("k", ascending, False)], [fn])
        assert got.column("f0").to_pylist() == [3, 3, 3]

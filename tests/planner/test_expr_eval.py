"""evaluate() against oracles: pandas/numpy for arithmetic, strings and dates,
DuckDB for what SQL defines (three-valued logic, IN with NULL, CASE, LIKE)."""
from __future__ import annotations

import datetime
import decimal
import math

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kyudo.planner.evaluate import evaluate
from kyudo.planner.expr import call, col, lit

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

small_ints = st.integers(-50, 50)
floats = st.floats(allow_nan=True, allow_infinity=True, width=64) | st.sampled_from([0.0, -0.0, 0.1, 3.0])
texts = st.text(alphabet="abÉñ _%!x", max_size=6)
dates = st.dates(datetime.date(1900, 1, 1), datetime.date(2100, 12, 31))
# Arrow applies no DST rules after 2037 while zoneinfo does, so zoned tests stop there
naive_times = st.datetimes(datetime.datetime(1970, 1, 1), datetime.datetime(2037, 1, 1))
decimals = st.decimals(-999, 999, places=2, allow_nan=False, allow_infinity=False)


def nullable(strategy):
    return st.one_of(st.none(), strategy)


@st.composite
def tables(draw):
    n = draw(st.integers(0, 12))
    column = lambda s: draw(st.lists(nullable(s), min_size=n, max_size=n))  # noqa: E731
    return pa.table({
        "a": pa.array(column(small_ints), pa.int64()),
        "b": pa.array(column(small_ints), pa.int32()),
        "x": pa.array(column(floats), pa.float64()),
        "y": pa.array(column(floats), pa.float64()),
        "p": pa.array(column(st.booleans()), pa.bool_()),
        "q": pa.array(column(st.booleans()), pa.bool_()),
        "s": pa.array(column(texts), pa.string()),
        "d": pa.array(column(dates), pa.date32()),
        "t": pa.array(column(naive_times), pa.timestamp("us")),
        "m": pa.array(column(decimals), pa.decimal128(7, 2)),
    })


def same(got, want) -> bool:
    if got is None or want is None or (isinstance(want, float) and pd.isna(want) and not math.isnan(want)):
        return got is None and (want is None or pd.isna(want))
    if isinstance(want, float) and math.isnan(want):
        return isinstance(got, float) and math.isnan(got)
    if isinstance(want, float):
        return got == pytest.approx(want, rel=1e-12, abs=1e-300) or got == want
    return got == want


def assert_values(got: pa.Array | pa.ChunkedArray, want: list):
    got = got.to_pylist()
    assert len(got) == len(want)
    bad = [(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if not same(g, w)]
    assert not bad, bad[:5]


DUCKDB = duckdb.connect()


def duckdb_columns(table: pa.Table, sql_exprs: list[str]) -> list[list]:
    """The values of each SQL expression over ``table``, in one DuckDB query."""
    DUCKDB.register("t", table)
    try:
        result = DUCKDB.execute(f"SELECT {', '.join(sql_exprs)} FROM t").fetchall()
    finally:
        DUCKDB.unregister("t")
    return [[row[i] for row in result] for i in range(len(sql_exprs))]


# ------------------------------------------------------------------ arithmetic


@SETTINGS
@given(tables())
def test_integer_arithmetic_matches_pandas(table):
    a = pd.array(table["a"].to_pylist(), dtype="Int64")
    b = pd.array(table["b"].to_pylist(), dtype="Int64")
    zero = [v == 0 for v in table["b"].to_pylist()]
    cases = {"add": a + b, "subtract": a - b, "multiply": a * b, "floordiv": a // b, "mod": a % b}
    for op, expected in cases.items():
        want = [None if pd.isna(v) and not isinstance(v, float) else v for v in expected.tolist()]
        if op in ("floordiv", "mod"):  # documented: NULL where pandas gives 0
            want = [None if z else w for z, w in zip(zero, want)]
        assert_values(evaluate(call(op, col("a"), col("b")), table), want)
    # true division is numpy's float64 division (nullable Float64 would turn 0/0 into NA)
    with np.errstate(all="ignore"):
        want = [None if u is None or v is None else float(np.float64(u) / np.float64(v))
                for u, v in zip(table["a"].to_pylist(), table["b"].to_pylist())]
    assert_values(evaluate(call("divide", col("a"), col("b")), table), want)


@SETTINGS
@given(tables())
def test_booleans_count_as_zero_and_one_next_to_numbers_like_pandas(table):
    a = pd.array(table["a"].to_pylist(), dtype="Int64")
    p = pd.array(table["p"].to_pylist(), dtype="boolean")
    for op, expected in {"add": a + p, "multiply": p * a, "subtract": p - a}.items():
        want = [None if v is pd.NA else v for v in expected.tolist()]
        args = (col("p"), col("a")) if op in ("multiply", "subtract") else (col("a"), col("p"))
        assert_values(evaluate(call(op, *args), table), want)


big_ints = st.integers(-(2**63), 2**63 - 1) | st.sampled_from([2**53 + 1, -(2**53) - 1, 2**63 - 1])


@SETTINGS
@given(st.lists(nullable(big_ints), max_size=8), big_ints, floats.filter(math.isfinite))
def test_integers_beyond_float_precision_meet_floats_as_in_numpy(values, big, number):
    """An int64 beyond 2**53 next to a float becomes the nearest float, as numpy
    makes it; Arrow's safe cast would refuse it (a filter ``i.between(3.0,
    2**53 + 1)`` failed to run)."""
    table = pa.table({"i": pa.array(values, pa.int64())})
    as_float = [None if v is None else np.float64(v) for v in values]
    cases = {
        call("add", col("i"), lit(number)): lambda v: (v + np.float64(number)).item(),
        call("less", col("i"), lit(number)): lambda v: bool(v < np.float64(number)),
        call("between", col("i"), lit(number), lit(big)):
            lambda v: bool(np.float64(number) <= v <= np.float64(big)),
    }
    for expr, fn in cases.items():
        assert_values(evaluate(expr, table), [None if v is None else fn(v) for v in as_float])


@SETTINGS
@given(tables())
def test_float_arithmetic_matches_numpy(table):
    x = table["x"].to_pylist()
    y = table["y"].to_pylist()
    with np.errstate(all="ignore"):
        # comparisons with NaN are false as in pandas/IEEE (DuckDB orders NaN last instead)
        for op, fn in {"floordiv": np.floor_divide, "mod": np.mod, "divide": np.divide,
                       "power": np.power, "subtract": np.subtract, "less": np.less,
                       "equal": np.equal, "not_equal": np.not_equal}.items():
            want = [None if u is None or v is None else fn(u, v).item() for u, v in zip(x, y)]
            assert_values(evaluate(call(op, col("x"), col("y")), table), want)
        for op, fn in {"sqrt": np.sqrt, "exp": np.exp, "ln": np.log, "log10": np.log10,
                       "floor": np.floor, "ceil": np.ceil, "abs": np.abs, "negate": np.negative,
                       "sign": np.sign}.items():
            want = [None if u is None else float(fn(u)) for u in x]
            assert_values(evaluate(call(op, col("x")), table), want)


@SETTINGS
@given(tables(), st.integers(-2, 3))
def test_round_is_half_to_even_like_pandas(table, ndigits):
    x = pd.Series(table["x"].to_pylist(), dtype="float64")
    with np.errstate(all="ignore"):
        rounded = x.round(ndigits).tolist()
    # numpy overflows scaling huge values (they are whole already): those stay as they are
    want = [None if v is None else v if abs(v) >= 2.0 ** 52 and ndigits >= 0 else r
            for v, r in zip(table["x"].to_pylist(), rounded)]
    assert_values(evaluate(call("round", col("x"), ndigits=ndigits), table), want)


@SETTINGS
@given(tables())
def test_decimal_arithmetic_matches_python_decimal(table):
    m, a = table["m"].to_pylist(), table["a"].to_pylist()
    want = [None if u is None or v is None else u + v for u, v in zip(m, a)]
    assert_values(evaluate(call("add", col("m"), col("a")), table), want)
    want = [None if u is None or v is None else u * v for u, v in zip(m, m)]
    assert_values(evaluate(call("multiply", col("m"), col("m")), table), want)
    quotient = evaluate(call("divide", col("m"), col("a")), table).to_pylist()
    for u, v, q in zip(m, a, quotient):
        if u is None or v is None or v == 0:
            assert q is None  # documented: decimal division by zero is NULL
        else:
            assert abs(q - u / decimal.Decimal(v)) < decimal.Decimal("1e-6")


@SETTINGS
@given(tables())
def test_chained_decimal_arithmetic_stays_exact(table):
    """price * (1 - discount) * (1 + tax), as in TPC-H Q1: Arrow alone would need
    more than 38 digits; the capped result is still exact."""
    m = table["m"].to_pylist()
    expr = call("multiply", call("multiply", col("m"), call("subtract", lit(1), col("m"))),
                call("add", lit(1), col("m")))
    want = [None if v is None else v * (1 - v) * (1 + v) for v in m]
    got = evaluate(expr, table)
    assert got.type == pa.decimal128(38, 6)
    assert got.to_pylist() == want


def test_decimal_overflow_past_the_capped_precision_raises():
    big = pa.table({"m": pa.array([decimal.Decimal("9" * 20 + ".00")], pa.decimal128(22, 2))})
    square = call("multiply", col("m"), col("m"))
    with pytest.raises(pa.ArrowInvalid):
        evaluate(call("multiply", square, col("m")), big)


def test_integer_true_division_by_zero_follows_pandas():
    table = pa.table({"a": [1, -1, 0, None], "b": [0, 0, 0, 0]})
    assert_values(evaluate(call("divide", col("a"), col("b")), table),
                  [math.inf, -math.inf, math.nan, None])


# ------------------------------------------------------------------ SQL semantics


SQL_EQUIVALENTS = [
    (call("and", col("p"), col("q")), "p AND q"),
    (call("or", col("p"), col("q")), "p OR q"),
    (call("not", col("p")), "NOT p"),
    (call("and", col("p"), call("greater", col("a"), col("b"))), "p AND a > b"),
    (call("equal", col("a"), col("b")), "a = b"),
    (call("less_equal", col("a"), col("m")), "a <= m"),  # NaN order differs: see the float test
    (call("is_in", col("a"), values=(1, 2, None)), "a IN (1, 2, NULL)"),
    (call("is_in", col("a"), values=(1, 2, 3)), "a IN (1, 2, 3)"),
    (call("not", call("is_in", col("b"), values=(0, None))), "NOT (b IN (0, NULL))"),
    (call("between", col("a"), col("b"), lit(10)), "a BETWEEN b AND 10"),
    (call("between", col("a"), lit(-5), lit(5), inclusive="neither"), "a > -5 AND a < 5"),
    (call("between", col("a"), lit(-5), lit(5), inclusive="left"), "a >= -5 AND a < 5"),
    (call("if_else", col("p"), col("a"), col("b")), "CASE WHEN p THEN a ELSE b END"),
    (call("case_when", col("p"), col("a"), col("q"), col("b"), lit(0)),
     "CASE WHEN p THEN a WHEN q THEN b ELSE 0 END"),
    (call("case_when", col("p"), col("s")), "CASE WHEN p THEN s END"),
    (call("coalesce", col("a"), col("b"), lit(7)), "coalesce(a, b, 7)"),
    (call("fill_null", col("s"), lit("?")), "coalesce(s, '?')"),
    (call("nullif", col("a"), col("b")), "nullif(a, b)"),
    (call("is_null", col("s")), "s IS NULL"),
    (call("is_not_null", col("d")), "d IS NOT NULL"),
    (call("like", col("s"), pattern="a%"), "s LIKE 'a%'"),
    (call("like", col("s"), pattern="%_b"), "s LIKE '%_b'"),
    (call("like", col("s"), pattern="%!%%", escape="!"), "s LIKE '%!%%' ESCAPE '!'"),
    (call("ilike", col("s"), pattern="%é%"), "s ILIKE '%é%'"),
    (call("split_part", col("s"), delimiter="a", index=2), "split_part(s, 'a', 2)"),
    (call("split_part", col("s"), delimiter="_%", index=1), "split_part(s, '_%', 1)"),
    (call("concat", col("s"), lit("-"), col("s")), "s || '-' || s"),
    (call("greater", col("d"), lit("1998-09-02")), "d > DATE '1998-09-02'"),
    (call("less", col("d"), col("t")), "d < t"),
    (call("greater_equal", col("t"), lit(datetime.date(2000, 1, 1))), "t >= DATE '2000-01-01'"),
    (call("subtract", col("d"), lit(datetime.date(2000, 1, 1))), "d - DATE '2000-01-01'"),
    (call("date_trunc", col("d"), unit="quarter"), "CAST(date_trunc('quarter', d) AS DATE)"),
    (call("date_trunc", col("t"), unit="week"), "date_trunc('week', t)"),
    (call("date_trunc", col("t"), unit="hour"), "date_trunc('hour', t)"),
]


@SETTINGS
@given(tables())
def test_sql_defined_ops_match_duckdb(table):
    expected = duckdb_columns(table, [sql for _, sql in SQL_EQUIVALENTS])
    for (expr, sql), want in zip(SQL_EQUIVALENTS, expected):
        assert_values(evaluate(expr, table), want)


@SETTINGS
@given(tables(), st.text(alphabet="ab%_É", max_size=4))
def test_like_patterns_match_duckdb(table, pattern):
    assert_values(evaluate(call("like", col("s"), pattern=pattern), table),
                  duckdb_columns(table, [f"s LIKE '{pattern}'"])[0])


# ------------------------------------------------------------------ strings


def per_value(values, fn):
    return [None if v is None else fn(v) for v in values]


@SETTINGS
@given(tables(), st.integers(-4, 4), st.integers(0, 4))
def test_string_ops_match_python_str(table, start, length):
    s = table["s"].to_pylist()
    cases = [
        (call("lower", col("s")), str.lower), (call("upper", col("s")), str.upper),
        (call("length", col("s")), len), (call("strip", col("s")), str.strip),
        (call("strip", col("s"), chars="a_"), lambda v: v.strip("a_")),
        (call("lstrip", col("s"), chars="a"), lambda v: v.lstrip("a")),
        (call("rstrip", col("s")), str.rstrip),
        (call("starts_with", col("s"), pattern="a"), lambda v: v.startswith("a")),
        (call("ends_with", col("s"), pattern="É"), lambda v: v.endswith("É")),
        (call("contains", col("s"), pattern="a.", regex=True), lambda v: "a" in v[:-1]),
        (call("contains", col("s"), pattern="%", regex=False), lambda v: "%" in v),
        (call("contains", col("s"), pattern="é", case=False, regex=False), lambda v: "é" in v.lower()),
        (call("replace", col("s"), pattern="a", replacement="zz"), lambda v: v.replace("a", "zz")),
        (call("replace", col("s"), pattern="[ab]+", replacement="-", regex=True),
         lambda v: __import__("re").sub("[ab]+", "-", v)),
        (call("substring", col("s"), start=start, length=length),
         lambda v: v[start:start + length] if not (start < 0 <= start + length) else v[start:]),
        (call("substring", col("s"), start=start), lambda v: v[start:]),
        (call("pad", col("s"), width=4, fillchar="*"), lambda v: v.rjust(4, "*")),
        (call("pad", col("s"), width=4, side="right"), lambda v: v.ljust(4)),
    ]
    for expr, fn in cases:
        assert_values(evaluate(expr, table), per_value(s, fn))


@SETTINGS
@given(tables())
def test_centre_padding_matches_pandas(table):
    series = pd.Series(table["s"].to_pylist(), dtype=object)
    want = [None if v is None else w for v, w in zip(series, series.str.pad(5, side="both", fillchar="*"))]
    assert_values(evaluate(call("pad", col("s"), width=5, side="both", fillchar="*"), table), want)


def test_like_escape_and_backslash_are_literal_without_escape():
    table = pa.table({"s": ["a\\b", "a%b", "axb", None]})
    assert evaluate(call("like", col("s"), pattern="a\\b"), table).to_pylist() == [True, False, False, None]
    assert evaluate(call("like", col("s"), pattern="a#%b", escape="#"), table).to_pylist() == [False, True, False, None]


# ------------------------------------------------------------------ dates and times


TZ = "America/New_York"


@SETTINGS
@given(tables())
def test_datetime_parts_match_pandas(table):
    naive = pd.Series(table["t"].to_pylist(), dtype="datetime64[us]")
    aware = naive.dt.tz_localize("UTC").dt.tz_convert(TZ)
    zoned = table.set_column(table.schema.get_field_index("t"), "t",
                             table["t"].cast(pa.timestamp("us", "UTC")).cast(pa.timestamp("us", TZ)))
    parts = [
        (call("year", col("t")), lambda s: s.dt.year), (call("month", col("t")), lambda s: s.dt.month),
        (call("day", col("t")), lambda s: s.dt.day), (call("hour", col("t")), lambda s: s.dt.hour),
        (call("minute", col("t")), lambda s: s.dt.minute), (call("second", col("t")), lambda s: s.dt.second),
        (call("microsecond", col("t")), lambda s: s.dt.microsecond),
        (call("day_of_week", col("t")), lambda s: s.dt.day_of_week),
        (call("day_of_year", col("t")), lambda s: s.dt.day_of_year),
        (call("quarter", col("t")), lambda s: s.dt.quarter),
        (call("week", col("t")), lambda s: s.dt.isocalendar().week),
        (call("date", col("t")), lambda s: s.dt.date),
        (call("strftime", col("t"), format="%Y-%m-%d %H:%M"), lambda s: s.dt.strftime("%Y-%m-%d %H:%M")),
        (call("date_trunc", col("t"), unit="day"), lambda s: s.dt.normalize()),  # local midnight
    ]
    for expr, fn in parts:
        for source, series in ((table, naive), (zoned, aware)):
            want = [None if pd.isna(v) else v.to_pydatetime() if isinstance(v, pd.Timestamp)
                    else v.item() if hasattr(v, "item") else v for v in fn(series)]
            assert_values(evaluate(expr, source), want)


@SETTINGS
@given(tables(), st.integers(-30, 30), st.integers(-40, 40))
def test_add_interval_matches_pandas_dateoffset(table, months, days):
    offset = pd.DateOffset(months=months, days=days)
    d = pd.Series(table["d"].to_pylist(), dtype="datetime64[s]")
    want = [None if pd.isna(v) else (v + offset).date() for v in d]
    assert_values(evaluate(call("add_interval", col("d"), months=months, days=days), table), want)
    t = pd.Series(table["t"].to_pylist(), dtype="datetime64[us]")
    want = [None if pd.isna(v) else (v + offset + pd.Timedelta(1500, "us")).to_pydatetime() for v in t]
    got = evaluate(call("add_interval", col("t"), months=months, days=days, nanoseconds=1_500_000), table)
    assert_values(got, want)


def test_add_interval_on_zoned_timestamps_moves_wall_clock():
    ts = pd.Timestamp("2021-03-13 12:00", tz=TZ)  # DST starts the next night
    table = pa.table({"t": pa.array([ts.to_pydatetime()], pa.timestamp("us", TZ))})
    got = evaluate(call("add_interval", col("t"), days=1), table).to_pylist()[0]
    assert pd.Timestamp(got) == ts + pd.DateOffset(days=1)


def test_strings_compared_with_zoned_timestamps_are_wall_time_like_pandas():
    series = pd.Series(pd.to_datetime(["2019-12-31 23:30", "2019-12-31 22:30", None]).tz_localize("UTC"))
    table = pa.table({"t": pa.Array.from_pandas(series.dt.tz_convert(TZ))})
    want = (series.dt.tz_convert(TZ) >= "2019-12-31 18:00").tolist()
    got = evaluate(call("greater_equal", col("t"), lit("2019-12-31 18:00:00")), table).to_pylist()
    assert got[:2] == want[:2] == [True, False] and got[2] is None


def test_subtracting_timestamps_gives_a_duration():
    table = pa.table({"u": pa.array([datetime.datetime(2020, 1, 2)], pa.timestamp("ms")),
                      "v": pa.array([datetime.datetime(2020, 1, 1, 12)], pa.timestamp("us"))})
    got = evaluate(call("subtract", col("u"), col("v")), table)
    assert got.type == pa.duration("us")
    assert got.to_pylist() == [datetime.timedelta(hours=12)]


# ------------------------------------------------------------------ casts and shapes


def test_try_cast_turns_failures_into_null_and_cast_raises():
    table = pa.table({"s": ["1", "x", None, "-3", "2.5"] * 3})
    assert evaluate(call("try_cast", col("s"), to=pa.int64()), table).to_pylist() == [1, None, None, -3, None] * 3
    with pytest.raises(pa.ArrowInvalid):
        evaluate(call("cast", col("s"), to=pa.int64()), table)


def test_literals_broadcast_to_table_length_and_chunked_columns_stay_aligned():
    table = pa.Table.from_batches([pa.record_batch({"a": [1, 2]}), pa.record_batch({"a": [3]})])
    assert evaluate(lit(5), table).to_pylist() == [5, 5, 5]
    assert evaluate(call("add", lit(1), lit(2)), table).to_pylist() == [3, 3, 3]
    assert evaluate(call("multiply", col("a"), lit(2)), table.to_batches()[0]).to_pylist() == [2, 4]
    assert len(evaluate(call("is_null", lit(None)), pa.table({"a": pa.array([], pa.int64())}))) == 0

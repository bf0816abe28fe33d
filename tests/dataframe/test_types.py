"""NULLs in every type, dates and timestamps (with a time zone), decimals
(pyarrow decimal128 through from_arrow) and unicode: results equal pandas."""
from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import kyudo.dataframe as kd
from kyudo.testing import assert_eq


@pytest.fixture
def tpdf():
    return pd.DataFrame({
        "d": pd.to_datetime(["2024-01-03", None, "2023-12-31", "2024-01-01", "2024-02-29", "2023-06-01"]),
        "tz": pd.to_datetime(["2024-01-03 10:00", "2024-01-01 00:30", None, "2024-01-01 00:00",
                              "2024-02-29 23:59", "2023-06-01 00:00"]).tz_localize("Europe/Paris"),
        "s": ["b", "ä", None, "B", "", "日本語"],
        "g": ["x", "y", "x", "y", "x", None],
        "n": [1, 2, 3, 4, 5, 6],
        "f": [0.5, np.nan, 1.5, np.nan, 2.5, 3.5],
        "ok": [True, False, True, True, False, True],
    })


@pytest.fixture
def tdf(tpdf, npartitions):
    return kd.from_pandas(tpdf, npartitions=npartitions)


def test_round_trip_keeps_dtypes(tdf, tpdf):
    pd.testing.assert_series_equal(tdf.dtypes, tpdf.dtypes)
    assert_eq(tdf, tpdf)


def test_filters_on_dates_and_timestamps(tdf, tpdf):
    for mask in (lambda d: d.d > pd.Timestamp("2024-01-01"),
                 lambda d: d.d <= pd.Timestamp("2024-01-01"),
                 lambda d: d.d != pd.Timestamp("2024-01-01"),
                 lambda d: d.tz >= pd.Timestamp("2024-01-01", tz="UTC"),
                 lambda d: d.tz < pd.Timestamp("2024-01-01 00:30", tz="Europe/Paris"),
                 lambda d: d.d.isna() | d.tz.isna()):
        assert_eq(tdf[mask(tdf)], tpdf[mask(tpdf)])


def test_datetime_accessors(tdf, tpdf):
    for field in ("year", "month", "day", "day_of_week", "day_of_year", "quarter", "hour"):
        result = getattr(tdf.d.dt, field).compute()
        expected = getattr(tpdf.d.dt, field)
        # pandas gives float with NaN for a missing date; compare values
        np.testing.assert_array_equal(result.astype("float64").to_numpy(), expected.astype("float64").to_numpy())


def test_timestamp_arithmetic(tdf, tpdf):
    assert_eq(tdf.d - tdf.d, tpdf.d - tpdf.d)


def test_groupby_over_dates_timestamps_and_strings(tdf, tpdf):
    spec = {"d": ["min", "max", "first", "last", "count"], "tz": ["min", "max"], "s": ["min", "max", "first"]}
    assert_eq(tdf.groupby("g").agg(spec), tpdf.groupby("g").agg(spec))
    assert_eq(tdf.groupby("d").n.sum(), tpdf.groupby("d").n.sum())
    assert_eq(tdf.groupby("tz", dropna=False).n.sum(), tpdf.groupby("tz", dropna=False).n.sum())
    assert_eq(tdf.groupby("ok").f.mean(), tpdf.groupby("ok").f.mean())


def test_reductions_of_dates_and_strings(tdf, tpdf):
    assert_eq(tdf.d.min().compute(), tpdf.d.min())
    assert tdf.tz.max().compute() == tpdf.tz.max()
    assert tdf.s.min().compute() == tpdf.s.min()
    assert tdf.s.max().compute() == tpdf.s.max()
    assert tdf.ok.sum().compute() == tpdf.ok.sum()


def test_merge_on_dates_and_unicode(tdf, tpdf):
    right = pd.DataFrame({"d": pd.to_datetime(["2024-01-01", None, "2023-06-01"]), "r": ["α", "β", "γ"]})
    assert_eq(tdf.merge(kd.from_pandas(right), on="d", how="left"), tpdf.merge(right, on="d", how="left"),
              sort_results=True)
    names = pd.DataFrame({"s": ["日本語", "ä", ""], "t": [1, 2, 3]})
    assert_eq(tdf.merge(kd.from_pandas(names, 2), on="s"), tpdf.merge(names, on="s"), sort_results=True)


def test_string_methods_on_unicode(tdf, tpdf):
    assert_eq(tdf.s.str.upper(), tpdf.s.str.upper())
    assert_eq(tdf.s.str.len(), tpdf.s.str.len())
    assert_eq(tdf[tdf.s.str.startswith("日")], tpdf[tpdf.s.str.startswith("日", na=False)])


def test_all_null_columns_of_every_type(npartitions):
    pdf = pd.DataFrame({
        "f": pd.Series([np.nan] * 3, dtype="float64"),
        "s": pd.Series([None] * 3, dtype="str"),
        "d": pd.Series([pd.NaT] * 3, dtype="datetime64[ns]"),
        "g": ["a", "b", "a"],
    })
    df = kd.from_pandas(pdf, npartitions=npartitions)
    assert_eq(df, pdf)
    assert_eq(df.groupby("g").agg({"f": ["sum", "mean", "count", "max"], "s": ["count", "first"]}),
              pdf.groupby("g").agg({"f": ["sum", "mean", "count", "max"], "s": ["count", "first"]}))
    assert_eq(df[df.f > 0], pdf[pdf.f > 0])
    assert_eq(df[df.s != "x"], pdf[pdf.s != "x"])


# ---- decimals (pandas sees them as object columns of decimal.Decimal) ----------------

@pytest.fixture
def dec_table():
    D = decimal.Decimal
    return pa.table({
        "dec": pa.array([D("1.10"), None, D("-2.25"), D("3.00"), D("1.10"), D("0.05")], pa.decimal128(10, 2)),
        "g": ["x", "y", "x", None, "y", "x"],
        "n": [1, 2, 3, 4, 5, 6],
    })


def test_decimals(dec_table, npartitions):
    df, pdf = kd.from_arrow(dec_table, npartitions=npartitions), dec_table.to_pandas()
    assert df.schema.field("dec").type == pa.decimal128(10, 2)
    assert_eq(df, pdf)
    assert_eq(df[df.dec > decimal.Decimal("1")], pdf[pdf.dec > decimal.Decimal("1")])
    assert_eq(df.sort_values("dec", ascending=False), pdf.sort_values("dec", ascending=False))
    assert_eq(df.groupby("g").dec.sum(), pdf.groupby("g").dec.sum())
    spec = {"dec": ["first", "last", "min", "max", "count"]}
    assert_eq(df.groupby("g").agg(spec), pdf.groupby("g").agg(spec))
    assert df.dec.sum().compute() == pdf.dec.sum()
    assert df.dec.max().compute() == pdf.dec.max()


def test_decimal_arithmetic_is_exact(dec_table, npartitions):
    df, pdf = kd.from_arrow(dec_table, npartitions=npartitions), dec_table.to_pandas()
    result = (df.dec * 3).compute()
    expected = pdf.dec * 3
    assert [None if v is None or pd.isna(v) else decimal.Decimal(v) for v in result] == \
        [None if pd.isna(v) else v for v in expected]


def test_from_arrow_timestamps_with_tz_and_dates(npartitions):
    table = pa.table({
        "t": pa.array([dt.datetime(2024, 3, 1, 12), None, dt.datetime(2021, 1, 1)], pa.timestamp("us", tz="UTC")),
        "day": pa.array([dt.date(2024, 3, 1), dt.date(1970, 1, 1), None], pa.date32()),
    })
    df, pdf = kd.from_arrow(table, npartitions=npartitions), table.to_pandas()
    assert_eq(df, pdf)
    assert_eq(df.sort_values("t"), pdf.sort_values("t"))


def test_string_positions_and_slices(npartitions):
    pdf = pd.DataFrame({"s": ["abc", "", None, "日本語", "x"]})
    df = kd.from_pandas(pdf, npartitions=npartitions)
    for f in (lambda d: d.s.str[0], lambda d: d.s.str[2], lambda d: d.s.str[1:3], lambda d: d.s.str.slice(0, 2),
              lambda d: d.s.str.slice(1), lambda d: d.s.str.len(), lambda d: d.s.str.upper()):
        assert_eq(f(df), f(pdf))


def test_nullable_extension_dtypes_survive_column_preserving_operations():
    """pandas' Int64/boolean/string come back as themselves, not float64/object."""
    pdf = pd.DataFrame({"a": pd.array([1, None, 3, 2**60], dtype="Int64"),
                        "s": pd.array(["x", None, "z", "ü"], dtype="string"),
                        "f": pd.array([True, None, False, True], dtype="boolean"),
                        "k": [1, 1, 2, 2]})
    df = kd.from_pandas(pdf, npartitions=2)
    assert_eq(df, pdf)
    assert_eq(df[df.k > 1][["a", "s"]], pdf[pdf.k > 1][["a", "s"]])
    assert_eq(df.assign(z=df.k * 2), pdf.assign(z=pdf.k * 2))
    assert_eq(df.sort_values("k"), pdf.sort_values("k"))
    assert_eq(kd.concat([df, df]), pd.concat([pdf, pdf]))
    assert_eq(df.groupby("k").a.first(), pdf.groupby("k").a.first())
    assert_eq(df.groupby("a").k.sum(), pdf.groupby("a").k.sum())
    right = df[["k", "a"]].rename(columns={"a": "b"})
    assert_eq(df.merge(right, on="k"), pdf.merge(pdf[["k", "a"]].rename(columns={"a": "b"}), on="k"),
              sort_results=True)
    assert list(df.dtypes.astype(str)) == list(pdf.dtypes.astype(str))
    assert df.a.dtype == pdf.a.dtype

"""Column selection, attribute access, boolean masks with NULLs, and metadata
(``columns``, ``dtypes``, ``len``) compared with pandas on the same data."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kyudo.dataframe as kd
from kyudo.testing import assert_eq


def test_metadata_equals_pandas(df, pdf):
    assert list(df.columns) == list(pdf.columns)
    pd.testing.assert_series_equal(df.dtypes, pdf.dtypes)
    assert len(df) == len(pdf)


def test_compute_returns_pandas_with_same_dtypes(df, pdf):
    result = df.compute()
    assert isinstance(result, pd.DataFrame)
    assert_eq(result, pdf)
    assert_eq(df, pdf)


def test_select_one_column_is_a_series(df, pdf):
    assert_eq(df["a"], pdf["a"])
    assert_eq(df["s"], pdf["s"])
    assert isinstance(df["a"].compute(), pd.Series)
    assert df["a"].compute().name == "a"


def test_select_several_columns_in_the_given_order(df, pdf):
    assert_eq(df[["s", "a"]], pdf[["s", "a"]])
    assert_eq(df[["b"]], pdf[["b"]])
    assert list(df[["flag", "i"]].columns) == ["flag", "i"]


def test_attribute_access(df, pdf):
    assert_eq(df.b, pdf.b)
    assert_eq(df.flag, pdf.flag)
    assert "s" in dir(df)


@pytest.mark.parametrize("mask", [
    lambda d: d.a > 3,
    lambda d: d.a >= 4,
    lambda d: d.a < 5,
    lambda d: d.a <= 5,
    lambda d: d.a == 2,
    lambda d: d.a != 2,          # NaN != 2 is True in pandas
    lambda d: d.b != d.a,        # NaN on either side: True
    lambda d: d.b == d.b,        # NaN == NaN is False
    lambda d: d.s == "x",
    lambda d: d.s != "x",        # None != "x" is True
    lambda d: d.s > "x",
    lambda d: (d.a > 2) & (d.b < 3),
    lambda d: (d.a > 8) | (d.b < 0),
    lambda d: ~(d.a > 4),        # NOT of a filled comparison keeps NaN rows
    lambda d: ~((d.s == "x") | (d.b > 1)),
    lambda d: d.flag,
    lambda d: ~d.flag,
    lambda d: d.flag & (d.i > 0),
    lambda d: d.a.isna(),
    lambda d: d.s.notna() & ~d.b.isna(),
    lambda d: d.s.isin(["x", "ü", "missing"]),
    lambda d: d.s.isin(["x", None]),    # pandas matches missing values then
    lambda d: d.a.isin([1, 2, np.nan]),
    lambda d: d.a.isin([]),
    lambda d: d.i.isin(np.array([3, 4])),
    lambda d: d.i.between(-1, 3),
], ids=lambda f: None)
def test_boolean_masks_follow_pandas_null_semantics(df, pdf, mask):
    assert_eq(df[mask(df)], pdf[mask(pdf)])
    assert_eq(mask(df), mask(pdf))


def test_filter_then_select_and_select_then_filter(df, pdf):
    assert_eq(df[df.i > 0][["s", "b"]], pdf[pdf.i > 0][["s", "b"]])
    sub, psub = df[["i", "s"]], pdf[["i", "s"]]
    assert_eq(sub[sub.i < 3], psub[psub.i < 3])


def test_filter_selecting_nothing_keeps_columns_and_dtypes(df, pdf):
    result = df[df.i > 100]
    expected = pdf[pdf.i > 100]
    assert_eq(result, expected)
    assert len(result) == 0
    pd.testing.assert_series_equal(result.compute().dtypes, expected.dtypes)


def test_filter_emptying_some_partitions(pdf):
    df = kd.from_pandas(pdf, npartitions=5)
    assert_eq(df[df.i > 5], pdf[pdf.i > 5])
    assert len(df[df.i > 5]) == int((pdf.i > 5).sum())


@pytest.mark.filterwarnings("ignore:Boolean Series key will be reindexed")
def test_chained_filters(df, pdf):
    first, pfirst = df[df.i > -5], pdf[pdf.i > -5]
    assert_eq(first[first.b > 0], pfirst[pfirst.b > 0])
    # a mask of the unfiltered frame is aligned as pandas aligns it on the index
    assert_eq(df[df.i > -5][df.b > 0], pdf[pdf.i > -5][pdf.b > 0])
    ordered, pordered = df.sort_values("b"), pdf.sort_values("b", kind="mergesort")
    assert_eq(ordered[df.i > 0], pordered[pdf.i > 0])


def test_len_after_filter_and_of_series(df, pdf):
    assert len(df[df.b > 0]) == len(pdf[pdf.b > 0])
    assert len(df.a) == len(pdf.a)


def test_mask_from_another_frame_is_rejected(df, pdf):
    other = kd.from_pandas(pdf)
    with pytest.raises(ValueError):
        df[other.i > 0]
    grouped = df.groupby("k").agg({"i": "sum"})
    with pytest.raises(ValueError):
        grouped[df.i > 0]


def test_series_truth_value_is_ambiguous(df):
    with pytest.raises(ValueError, match="ambiguous"):
        bool(df.i > 0)


def test_empty_frame_from_pandas(npartitions):
    pdf = pd.DataFrame({"x": pd.Series([], dtype="int64"), "y": pd.Series([], dtype="float64"),
                        "s": pd.Series([], dtype="str")})
    df = kd.from_pandas(pdf, npartitions=npartitions)
    assert len(df) == 0
    assert_eq(df, pdf)
    assert_eq(df[df.x > 0], pdf[pdf.x > 0])
    assert_eq(df[["y"]], pdf[["y"]])
    pd.testing.assert_series_equal(df.dtypes, pdf.dtypes)


def test_more_partitions_than_rows():
    pdf = pd.DataFrame({"x": [3, 1, 2], "s": ["a", None, "c"]})
    df = kd.from_pandas(pdf, npartitions=10)
    assert_eq(df, pdf)
    assert_eq(df[df.x > 1], pdf[pdf.x > 1])
    assert len(df) == 3


def test_one_row_frame():
    pdf = pd.DataFrame({"x": [7], "f": [np.nan], "s": ["ß"]})
    df = kd.from_pandas(pdf, npartitions=3)
    assert_eq(df, pdf)
    assert_eq(df[df.x == 7], pdf[pdf.x == 7])
    assert_eq(df[df.f > 0], pdf[pdf.f > 0])


def test_named_index_is_kept_and_compared(npartitions):
    pdf = pd.DataFrame({"x": [1, 2, 3, 4], "y": [0.5, np.nan, 2.5, 3.5]},
                       index=pd.Index([10, 20, 30, 40], name="id"))
    df = kd.from_pandas(pdf, npartitions=npartitions)
    assert df.index == ("id",)
    assert list(df.columns) == ["x", "y"]
    assert_eq(df, pdf)
    assert_eq(df[df.x > 1], pdf[pdf.x > 1])
    assert_eq(df[["y"]], pdf[["y"]])
    assert_eq(df.y, pdf.y)

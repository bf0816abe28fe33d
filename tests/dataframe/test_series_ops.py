"""Series operations beyond arithmetic, against pandas: missing values,
where/mask/clip, value_counts, unique, nlargest/nsmallest."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kyudo.dataframe as kd
from kyudo.testing import assert_eq


def test_fillna(df, pdf):
    assert_eq(df.b.fillna(0.5), pdf.b.fillna(0.5))
    assert_eq(df.a.fillna(df.b), pdf.a.fillna(pdf.b))
    assert_eq(df.s.fillna("?"), pdf.s.fillna("?"))
    assert_eq(df.b.fillna(df.b.mean()), pdf.b.fillna(pdf.b.mean()))


def test_dropna(df, pdf):
    assert_eq(df.b.dropna(), pdf.b.dropna())
    assert_eq(df.s.dropna(), pdf.s.dropna())
    assert_eq(df[df.i > 100].s.dropna(), pdf[pdf.i > 100].s.dropna())


def test_where_mask_clip(df, pdf):
    assert_eq(df.b.where(df.i > 0), pdf.b.where(pdf.i > 0))
    assert_eq(df.b.where(df.i > 0, -1.0), pdf.b.where(pdf.i > 0, -1.0))
    assert_eq(df.b.mask(df.flag, df.a), pdf.b.mask(pdf.flag, pdf.a))
    assert_eq(df.s.where(df.flag, "no"), pdf.s.where(pdf.flag, "no"))
    assert_eq(df.b.clip(-1, 2), pdf.b.clip(-1, 2))
    assert_eq(df.i.clip(lower=0), pdf.i.clip(lower=0))
    assert_eq(df.a.clip(upper=df.i.mean()), pdf.a.clip(upper=pdf.i.mean()))


def test_where_on_ints_gives_missing_values_as_pandas(df, pdf):
    # pandas turns the int column into float64 with NaN; kyudo's NULLs compute to the same
    assert_eq(df.i.where(df.flag), pdf.i.where(pdf.flag))


@pytest.mark.parametrize("normalize", [False, True])
def test_value_counts(df, pdf, normalize):
    for column in ("i", "k", "s", "flag"):
        got = df[column].value_counts(normalize=normalize)
        want = pdf[column].value_counts(normalize=normalize)
        # ties are in no defined order: compare sorted by value, then the counts' order
        assert_eq(got.compute().sort_index(), want.sort_index())
        assert got.compute().is_monotonic_decreasing
    assert_eq(df.k.value_counts(dropna=False).compute().sort_index(na_position="last"),
              pdf.k.value_counts(dropna=False).sort_index(na_position="last"))
    assert_eq(df.k.value_counts(sort=False, ascending=True).compute().sort_index(),
              pdf.k.value_counts(sort=False).sort_index())


def test_value_counts_of_an_expression_and_of_nothing(df, pdf):
    assert_eq((df.i % 3).value_counts().compute().sort_index(), (pdf.i % 3).value_counts().sort_index())
    assert_eq(df[df.i > 100].k.value_counts(), pdf[pdf.i > 100].k.value_counts())


def test_unique_and_drop_duplicates(df, pdf):
    assert_eq(df.k.unique(), pd.Series(pdf.k.unique(), name="k"))
    assert_eq(df.i.drop_duplicates(), pdf.i.drop_duplicates())
    assert_eq(df.i.drop_duplicates(keep=False), pdf.i.drop_duplicates(keep=False))
    assert_eq(df.b.unique(), pd.Series(pdf.b.unique(), name="b"))
    assert_eq((df.i % 3).unique(), pd.Series((pdf.i % 3).unique(), name="i"))


@pytest.mark.parametrize("n", [0, 1, 3, 20])
def test_nlargest_nsmallest(df, pdf, n):
    assert_eq(df.b.nlargest(n), pdf.b.nlargest(n))
    assert_eq(df.a.nsmallest(n), pdf.a.nsmallest(n))
    assert_eq((df.i * 2).nlargest(n).compute().tolist(), (pdf.i * 2).nlargest(n).tolist())


def test_nlargest_keeps_the_index():
    pdf = pd.DataFrame({"v": [3.0, 1.0, 7.0, np.nan, 5.0]}, index=pd.Index(list("abcde"), name="id"))
    df = kd.from_pandas(pdf, npartitions=2)
    assert_eq(df.v.nlargest(2), pdf.v.nlargest(2))
    assert_eq(df.v.nsmallest(3), pdf.v.nsmallest(3))


def test_typed_values_round_trip_through_value_counts_and_fillna():
    pdf = pd.DataFrame({
        "t": pd.to_datetime(["2024-01-01", None, "2024-01-01", "2024-03-01"]).tz_localize("Europe/Berlin"),
        "c": pd.Categorical(["u", "v", None, "u"]),
        "n": pd.array([1, None, 1, 3], dtype="Int64"),
    })
    df = kd.from_pandas(pdf, npartitions=2)
    assert_eq(df.t.value_counts().compute().sort_index(), pdf.t.value_counts().sort_index())
    # the values keep Int64, and the counts of a masked column are Int64 as in pandas
    assert_eq(df.n.value_counts().compute().sort_index(), pdf.n.value_counts().sort_index())
    assert df.n.value_counts().compute().index.dtype == "Int64"
    assert df.n.value_counts().compute().dtype == "Int64"
    assert_eq(df.n.fillna(0), pdf.n.fillna(0))


def test_series_reset_index():
    pdf = pd.DataFrame({"g": ["a", "b", "a", None], "v": [1.0, 2.0, np.nan, 4.0]})
    df = kd.from_pandas(pdf, npartitions=2)
    assert_eq(df.groupby("g").v.sum().reset_index(), pdf.groupby("g").v.sum().reset_index())
    assert_eq(df.groupby("g").v.sum().reset_index(name="total"),
              pdf.groupby("g").v.sum().reset_index(name="total"))
    assert_eq(df.groupby("g").v.sum().reset_index(drop=True), pdf.groupby("g").v.sum().reset_index(drop=True))
    assert_eq(df.v.reset_index(drop=True), pdf.v.reset_index(drop=True))


@pytest.mark.parametrize("kwargs", [{}, {"normalize": True}, {"dropna": False}])
def test_value_counts_of_a_categorical_counts_unseen_categories(kwargs):
    pdf = pd.DataFrame({"c": pd.Categorical(["u", "v", None, "u"], categories=["u", "v", "w", "x"])})
    df = kd.from_pandas(pdf, npartitions=2)
    assert_eq(df.c.value_counts(**kwargs).compute().sort_index(), pdf.c.value_counts(**kwargs).sort_index())
    assert_eq(df[df.c == "w"].c.value_counts(**kwargs).compute().sort_index(),
              pdf[pdf.c == "w"].c.value_counts(**kwargs).sort_index())


def test_series_drop_duplicates_keeps_the_index():
    pdf = pd.DataFrame({"v": [3.0, 1.0, 3.0, np.nan, np.nan]}, index=pd.Index(list("abcde"), name="id"))
    df = kd.from_pandas(pdf, npartitions=2)
    for keep in ("first", "last", False):
        assert_eq(df.v.drop_duplicates(keep=keep), pdf.v.drop_duplicates(keep=keep))


def _extension_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "n": pd.array([1, None, 1, 3, 3, 3, None, 7], dtype="Int64"),
        "u": pd.array([1, 2, 1, None, 2, 2, 1, 9], dtype="UInt8"),
        "f": pd.array([1.5, None, 1.5, 3.0, 2.0, None, 2.0, 2.0], dtype="Float64"),
        "b": pd.array([True, None, True, False, True, None, False, True], dtype="boolean"),
        "s": pd.array(["a", None, "a", "b", "ü", "", None, "a"], dtype="string"),
        "p": pd.array(["a", None, "a", "b", "ü", "", None, "a"], dtype="string[python]"),
        "o": ["a", None, "a", "b", "ü", "", None, "a"],
        "x": [1.0, np.nan, 1.0, 2.0, 2.0, 2.0, np.nan, 0.5],
    })


@pytest.mark.parametrize("parts", [1, 3])
@pytest.mark.parametrize("options", [{}, {"dropna": False}, {"normalize": True},
                                     {"normalize": True, "dropna": False}, {"sort": False}])
def test_value_counts_dtypes_follow_pandas_for_extension_dtypes(parts, options):
    """Counts of masked dtypes are Int64 (shares Float64), of Arrow strings
    int64[pyarrow] (double[pyarrow]); the index keeps the values' dtype."""
    pdf = _extension_frame()
    df = kd.from_pandas(pdf, npartitions=parts)
    for column in pdf.columns:
        got, want = df[column].value_counts(**options).compute(), pdf[column].value_counts(**options)
        assert got.dtype == want.dtype, (column, got.dtype, want.dtype)
        assert got.index.dtype == want.index.dtype, (column, got.index.dtype, want.index.dtype)
        assert_eq(got.sort_index(), want.sort_index())


def test_value_counts_dtypes_over_empty_partitions_and_one_row():
    pdf = _extension_frame()
    df = kd.from_pandas(pdf, npartitions=3)
    for column in ("n", "b", "s", "p"):
        for pmask, kmask in (((pdf.x > 1.5), (df.x > 1.5)),  # some partitions empty
                             ((pdf.x == 0.5), (df.x == 0.5)),  # one row
                             ((pdf.x > 100), (df.x > 100))):  # nothing
            got = df[kmask][column].value_counts().compute()
            want = pdf[pmask][column].value_counts()
            assert_eq(got.sort_index(), want.sort_index())
            assert got.dtype == want.dtype and got.index.dtype == want.index.dtype

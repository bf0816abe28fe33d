"""DataFrame operations column by column and row dropping, against pandas."""
from __future__ import annotations

import pandas as pd
import pytest

import kyudo.dataframe as kd
from kyudo.testing import assert_eq


def test_fillna(df, pdf):
    assert_eq(df.fillna(0.0), pdf.fillna({c: 0.0 for c in ("a", "b")}))
    assert_eq(df.fillna({"s": "?", "b": -1.0}), pdf.fillna({"s": "?", "b": -1.0}))
    assert_eq(df.fillna({"a": df.b.mean()}), pdf.fillna({"a": pdf.b.mean()}))


@pytest.mark.parametrize("kwargs", [{}, {"how": "all"}, {"subset": ["a", "s"]}, {"subset": "k"},
                                    {"thresh": 6}, {"how": "all", "subset": ["a", "b"]}])
def test_dropna(df, pdf, kwargs):
    assert_eq(df.dropna(**kwargs), pdf.dropna(**kwargs))


@pytest.mark.parametrize("keep", ["first", "last", False])
@pytest.mark.parametrize("subset", [None, "k", ["k", "flag"], ["s"]])
def test_drop_duplicates(df, pdf, keep, subset):
    got = df.drop_duplicates(subset=subset, keep=keep)
    assert_eq(got, pdf.drop_duplicates(subset=subset, keep=keep))


def test_drop_duplicates_keeps_the_first_row_in_frame_order():
    pdf = pd.DataFrame({"k": [1, 2, 1, 2, 1, 3] * 50, "v": range(300)})
    df = kd.from_pandas(pdf, npartitions=7)
    for keep in ("first", "last", False):
        assert_eq(df.drop_duplicates("k", keep=keep), pdf.drop_duplicates("k", keep=keep))
    assert_eq(df.drop_duplicates(["k"]).v.sum(), pdf.drop_duplicates(["k"]).v.sum())


def test_drop_duplicates_ignores_the_index_as_pandas():
    pdf = pd.DataFrame({"v": [1, 1, 2, None, None]}, index=pd.Index(list("abcde"), name="id"))
    df = kd.from_pandas(pdf, npartitions=2)
    assert_eq(df.drop_duplicates(), pdf.drop_duplicates())
    assert_eq(df.drop_duplicates(keep=False), pdf.drop_duplicates(keep=False))


@pytest.mark.parametrize("n", [0, 1, 4, 50])
def test_nlargest_nsmallest(df, pdf, n):
    assert_eq(df.nlargest(n, "i"), pdf.nlargest(n, "i"))
    assert_eq(df.nsmallest(n, ["i", "b"]).i, pdf.nsmallest(n, ["i", "b"]).i)


def test_elementwise(df, pdf):
    num = ["a", "i", "b"]
    assert_eq(df[num].clip(-2, 4), pdf[num].clip(-2, 4))
    assert_eq(df[num].abs(), pdf[num].abs())
    assert_eq(df.assign(b=df.b * 1.234).round(1), pdf.assign(b=pdf.b * 1.234).round(1))
    assert_eq(df[["i", "k"]].isin([3, 1, "p"]), pdf[["i", "k"]].isin([3, 1, "p"]))
    assert_eq(df[["i", "k"]].isin({"k": ["q"]}), pdf[["i", "k"]].isin({"k": ["q"]}))
    sub, psub = df[num], pdf[num]
    assert_eq(sub.where(sub.i > 0), psub.where(psub.i > 0, axis=0))
    assert_eq(sub.mask(sub.i > sub.i.mean(), 0), psub.mask(psub.i > psub.i.mean(), 0, axis=0))


def test_on_an_empty_frame_and_one_row(df, pdf):
    for cond, pcond in ((df.i > 100, pdf.i > 100), (df.i == 9, pdf.i == 9)):
        assert_eq(df[cond].dropna(), pdf[pcond].dropna())
        assert_eq(df[cond].drop_duplicates("k"), pdf[pcond].drop_duplicates("k"))
        assert_eq(df[cond].nlargest(2, "b"), pdf[pcond].nlargest(2, "b"))
        assert_eq(df[cond].fillna({"s": "-"}), pdf[pcond].fillna({"s": "-"}))


def test_typed_columns():
    pdf = pd.DataFrame({
        "d": pd.to_datetime(["2024-01-01", None, "2024-01-01", "2023-05-01"]).tz_localize("UTC"),
        "c": pd.Categorical(["u", "v", "u", None]),
        "n": pd.array([1, None, 1, 3], dtype="Int64"),
    })
    df = kd.from_pandas(pdf, npartitions=2)
    assert_eq(df.dropna(), pdf.dropna())
    assert_eq(df.drop_duplicates(["d", "n"]), pdf.drop_duplicates(["d", "n"]))
    assert_eq(df.nsmallest(2, "d"), pdf.nsmallest(2, "d"))
    assert_eq(df.fillna({"n": 0}), pdf.fillna({"n": 0}))

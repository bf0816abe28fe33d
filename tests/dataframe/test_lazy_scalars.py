"""Series combined with lazy reductions (``df.x - df.x.mean()``) stay one plan."""
from __future__ import annotations

import pandas as pd

import kyudo.dataframe as kd
from kyudo.testing import assert_eq


def test_arithmetic_with_a_reduction(df, pdf):
    assert_eq(df.b - df.b.mean(), pdf.b - pdf.b.mean())
    assert_eq(df.i.sum() * df.b, pdf.i.sum() * pdf.b)
    assert_eq(df.i / (df.i.max() - df.i.min()), pdf.i / (pdf.i.max() - pdf.i.min()))


def test_filter_and_assign_with_reductions(df, pdf):
    assert_eq(df[df.b > df.b.mean()], pdf[pdf.b > pdf.b.mean()])
    # two different scalars on both sides of an &, in either order
    both = (df.i < df.i.max()) & (df.b > df.b.min())
    assert_eq(df[both], pdf[(pdf.i < pdf.i.max()) & (pdf.b > pdf.b.min())])
    mixed = (df.flag) & (df.i >= df.i.mean())
    assert_eq(df[mixed], pdf[pdf.flag & (pdf.i >= pdf.i.mean())])
    assert_eq(df.assign(t=df.i.sum(), c=df.i - df.i.mean()),
              pdf.assign(t=pdf.i.sum(), c=pdf.i - pdf.i.mean()))
    assert list(df[df.b > df.b.mean()].columns) == list(pdf.columns)


def test_reduction_of_another_frame_and_of_an_empty_one(pdf):
    small = kd.from_pandas(pdf.head(3), npartitions=1)
    big = kd.from_pandas(pdf, npartitions=3)
    assert_eq(big[big.i > small.i.max()], pdf[pdf.i > pdf.head(3).i.max()])
    empty = big[big.i > 100]
    # the mean of nothing is missing, so nothing compares greater
    assert_eq(big[big.b > empty.b.mean()], pdf[pdf.b > pdf[pdf.i > 100].b.mean()])
    assert_eq(empty[empty.i > big.i.mean()], pdf[pdf.i > 100])


def test_a_mask_with_a_scalar_reused_after_assignment(df, pdf):
    mask = df.i > df.i.mean()
    df["z"] = df.i * 2
    pdf = pdf.assign(z=pdf.i * 2)
    assert_eq(df[mask], pdf[pdf.i > pdf.i.mean()])
    assert isinstance(df[mask].compute(), pd.DataFrame)

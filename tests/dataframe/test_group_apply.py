"""groupby apply/transform with pandas functions after a shuffle on the keys."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kyudo.dataframe as kd
from kyudo.testing import assert_eq


def test_apply_reducing_to_a_scalar(df, pdf):
    got = df.groupby("k").apply(lambda g: g.b.sum() + g.i.max())
    want = pdf.groupby("k").apply(lambda g: g.b.sum() + g.i.max())
    assert_eq(got.compute().sort_index(), want, check_names=False)


def test_apply_returning_frames(df, pdf):
    got = df.groupby("k").apply(lambda g: g.nlargest(2, "i")[["i", "s"]])
    want = pdf.groupby("k").apply(lambda g: g.nlargest(2, "i")[["i", "s"]]).droplevel(1)
    assert_eq(got.compute().sort_values(["k", "i"]), want.reset_index().sort_values(["k", "i"]).set_index("k"))


@pytest.mark.parametrize("func", ["sum", "mean", lambda v: v - v.mean(), lambda v: v.rank()])
def test_transform(df, pdf, func):
    got = df.groupby("k").b.transform(func)
    want = pdf.groupby("k").b.transform(func)
    assert_eq(got, want, sort_results=True)
    frame = df.groupby(["k", "flag"])[["i", "b"]].transform(func)
    assert_eq(frame, pdf.groupby(["k", "flag"])[["i", "b"]].transform(func), sort_results=True,
              check_dtype=False)


def test_transform_keeps_a_real_index():
    pdf = pd.DataFrame({"g": [1, 2, 1, 2, 3], "v": [1.0, 2.0, 3.0, 4.0, 5.0]},
                       index=pd.Index([10, 11, 12, 13, 14], name="id"))
    df = kd.from_pandas(pdf, npartitions=2)
    assert_eq(df.groupby("g").v.transform(lambda v: v / v.sum()).compute().sort_index(),
              pdf.groupby("g").v.transform(lambda v: v / v.sum()))


def test_apply_on_many_partitions_sees_whole_groups():
    rng = np.random.default_rng(5)
    pdf = pd.DataFrame({"g": rng.integers(0, 20, 1000), "v": rng.normal(size=1000)})
    df = kd.from_pandas(pdf, npartitions=8)
    got = df.groupby("g").apply(lambda g: len(g)).compute().sort_index()
    assert_eq(got, pdf.groupby("g").apply(lambda g: len(g)), check_names=False)


def test_apply_with_meta(df, pdf):
    got = df.groupby("k").apply(lambda g: float(g.i.sum()), meta=("x", "float64"))
    want = pdf.groupby("k").apply(lambda g: float(g.i.sum()))
    assert_eq(got.compute().sort_index(), want, check_names=False)

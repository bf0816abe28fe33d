"""Exact median and quantile, whole-column and per group, against pandas."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kyudo.dataframe as kd
from kyudo.testing import assert_eq


@pytest.mark.parametrize("q", [0.0, 0.1, 0.5, 0.75, 1.0])
def test_series_quantile(df, pdf, q):
    for column in ("a", "i", "b"):
        assert_eq(df[column].quantile(q), pdf[column].quantile(q))
    assert_eq(df.i.median(), pdf.i.median())
    assert_eq((df.b * 2).median(), (pdf.b * 2).median())


def test_quantile_of_nothing_and_of_one_value(df, pdf):
    assert_eq(df[df.i > 100].b.median(), pdf[pdf.i > 100].b.median())
    assert_eq(df[df.i == 9].b.quantile(0.3), pdf[pdf.i == 9].b.quantile(0.3))
    assert_eq(df[df.b.isna()].b.median(), np.nan)


def test_groupby_median_and_quantile(df, pdf):
    assert_eq(df.groupby("k")[["a", "i", "b"]].median(),
              pdf.groupby("k")[["a", "i", "b"]].median())
    assert_eq(df.groupby("k").b.quantile(0.25), pdf.groupby("k").b.quantile(0.25))
    assert_eq(df.groupby("flag", dropna=False).agg(m=("b", "median"), n=("i", "nunique")),
              pdf.groupby("flag", dropna=False).agg(m=("b", "median"), n=("i", "nunique")))
    assert_eq(df.groupby("k").agg({"b": ["median", "max"]}), pdf.groupby("k").agg({"b": ["median", "max"]}))


def test_groupby_any_all(df, pdf):
    assert_eq(df.groupby("k").flag.any(), pdf.groupby("k").flag.any())
    assert_eq(df.groupby("k").flag.all(), pdf.groupby("k").flag.all())


def test_median_of_many_groups_across_partitions():
    rng = np.random.default_rng(3)
    pdf = pd.DataFrame({"g": rng.integers(0, 50, 2000), "v": rng.normal(size=2000)})
    pdf.loc[::7, "v"] = np.nan
    df = kd.from_pandas(pdf, npartitions=7)
    assert_eq(df.groupby("g").v.median(), pdf.groupby("g").v.median())
    assert_eq(df.groupby("g", split_every=2).v.quantile(0.9), pdf.groupby("g").v.quantile(0.9))
    assert_eq(df.v.quantile(0.33), pdf.v.quantile(0.33))


def test_high_cardinality_groupby_spreads_over_several_partitions():
    """No split_out given: the lowering sizes the output from the estimated bytes."""
    from kyudo import config
    rng = np.random.default_rng(4)
    pdf = pd.DataFrame({"g": rng.integers(0, 5000, 20000), "v": rng.normal(size=20000)})
    df = kd.from_pandas(pdf, npartitions=8)
    with config.set(partition_size="2kB"):
        result = df.groupby("g", sort=False).agg(s=("v", "sum"), m=("v", "median"))
        assert result.npartitions > 1
        assert_eq(result.compute().sort_index(), pdf.groupby("g").agg(s=("v", "sum"), m=("v", "median")))


def test_approximate_quantiles_are_exact_when_small_and_close_when_large(df, pdf):
    for q in (0.0, 0.3, 0.5, 1.0):
        assert_eq(df.b.quantile(q, method="approx"), pdf.b.quantile(q))
        assert_eq(df.groupby("k").b.quantile(q, method="approx"), pdf.groupby("k").b.quantile(q))
    assert_eq(df[df.i > 100].b.quantile(0.5, method="tdigest"), np.nan)
    rng = np.random.default_rng(8)
    big = pd.DataFrame({"g": rng.integers(0, 3, 60000), "v": rng.exponential(size=60000)})
    kbig = kd.from_pandas(big, npartitions=6)
    for q in (0.05, 0.5, 0.95):
        got = kbig.groupby("g").v.quantile(q, method="approx").compute()
        want = big.groupby("g").v.quantile(q)
        # within 0.5% of the rank: compare the ranks the answers have in the data
        for g, value in got.items():
            values = np.sort(big.v[big.g == g].to_numpy())
            assert abs(np.searchsorted(values, value) / len(values) - q) < 0.005, (g, q, value, want[g])
    with pytest.raises(ValueError, match="method"):
        df.b.quantile(0.5, method="nearest")


def test_prod(df, pdf):
    assert_eq(df.i.prod(), pdf.i.prod())
    assert_eq(df.b.prod(), pdf.b.prod())
    assert_eq(df[df.i > 100].b.prod(), pdf[pdf.i > 100].b.prod())
    assert_eq(df.groupby("k")[["a", "i", "b"]].prod(), pdf.groupby("k")[["a", "i", "b"]].prod())
    assert_eq(df.groupby("k", dropna=False).agg(p=("i", "prod")), pdf.groupby("k", dropna=False).agg(p=("i", "prod")))

"""describe, quantile, nunique, corr and cov of whole frames, against pandas."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kyudo.dataframe as kd
from kyudo.testing import assert_eq

NUM = ["a", "i", "b"]


def test_describe(df, pdf):
    assert_eq(df.describe(), pdf.describe())
    assert_eq(df.b.describe(), pdf.b.describe())
    assert_eq(df[df.i > 100][NUM].describe(), pdf[pdf.i > 100][NUM].describe().astype("float64"))


def test_quantile_and_median(df, pdf):
    assert_eq(df.quantile(0.3), pdf[NUM].quantile(0.3))
    assert_eq(df.quantile([0.1, 0.5, 0.9]), pdf[NUM].quantile([0.1, 0.5, 0.9]))
    assert_eq(df.median(), pdf[NUM].median())


def test_nunique(df, pdf):
    assert_eq(df.nunique(), pdf.nunique())


@pytest.mark.parametrize("method", ["corr", "cov"])
def test_corr_cov(df, pdf, method):
    assert_eq(getattr(df, method)(), getattr(pdf[NUM], method)())


def test_corr_of_large_offsets_and_a_constant_column():
    rng = np.random.default_rng(9)
    x = rng.normal(size=500)
    pdf = pd.DataFrame({"x": 1e9 + x, "y": 1e9 - 2 * x + rng.normal(scale=0.01, size=500),
                        "c": np.full(500, 3.0)})
    pdf.loc[::11, "y"] = np.nan
    df = kd.from_pandas(pdf, npartitions=5)
    assert_eq(df.corr(), pdf.corr(), rtol=1e-6)
    assert_eq(df.cov(), pdf.cov(), rtol=1e-6)


def test_memory_usage_counts_the_arrow_buffers(df, pdf):
    got = df.memory_usage().compute()
    assert list(got.index) == list(pdf.columns)
    assert (got > 0).all()
    # partitions may share the buffers of one table, so the sum is at least the table's size
    assert got.sum() >= df.to_arrow().nbytes
    assert df[df.i > 100].memory_usage().compute().sum() < got.sum()


def test_info_prints_counts_and_dtypes(df, pdf):
    import io
    out = io.StringIO()
    df.info(buf=out)
    text = out.getvalue()
    for column in pdf.columns:
        assert f"{column}  {pdf[column].count()} non-null" in text
    assert "memory usage:" in text

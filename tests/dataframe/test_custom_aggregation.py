"""kd.Aggregation with Dask's (name, chunk, agg, finalize) signature."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kyudo.dataframe as kd
from kyudo.testing import assert_eq

custom_sum = kd.Aggregation("custom_sum", chunk=lambda s: s.sum(), agg=lambda s0: s0.sum())
custom_mean = kd.Aggregation(
    "custom_mean",
    chunk=lambda s: (s.count(), s.sum()),
    agg=lambda count, total: (count.sum(), total.sum()),
    finalize=lambda count, total: total / count,
)
spread = kd.Aggregation(
    "spread",
    chunk=lambda s: (s.min(), s.max()),
    agg=lambda lo, hi: (lo.min(), hi.max()),
    finalize=lambda lo, hi: hi - lo,
)


@pytest.mark.parametrize("custom, builtin", [(custom_sum, "sum"), (custom_mean, "mean"),
                                             (spread, lambda s: s.max() - s.min())])
def test_custom_aggregations_match_pandas(df, pdf, custom, builtin):
    want = pdf.groupby("k").b.agg(builtin)
    assert_eq(df.groupby("k").b.agg(custom), want, check_names=False)
    want = pdf.groupby(["k", "flag"])[["i", "b"]].agg(builtin)
    assert_eq(df.groupby(["k", "flag"])[["i", "b"]].agg(custom), want, check_dtype=False)


def test_custom_aggregation_on_many_partitions_and_unsorted():
    rng = np.random.default_rng(2)
    pdf = pd.DataFrame({"g": rng.integers(0, 30, 3000), "v": rng.normal(size=3000)})
    df = kd.from_pandas(pdf, npartitions=6)
    got = df.groupby("g", sort=False).v.agg(custom_mean).compute().sort_index()
    assert_eq(got, pdf.groupby("g").v.mean())


def test_custom_aggregation_of_an_empty_frame(df, pdf):
    empty = df[df.i > 100]
    got = empty.groupby("k").b.agg(custom_sum).compute()
    assert len(got) == 0

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


# ---- custom aggregations beside built-in ones: dict, named and list forms ----------------

@pytest.mark.parametrize("dropna", [True, False])
@pytest.mark.parametrize("as_index", [True, False])
def test_custom_aggregation_in_a_dict_beside_builtins(df, pdf, dropna, as_index):
    grouped, pgrouped = df.groupby("k", dropna=dropna, as_index=as_index), pdf.groupby("k", dropna=dropna,
                                                                                       as_index=as_index)
    assert_eq(grouped.agg({"b": custom_mean, "i": "sum"}), pgrouped.agg({"b": "mean", "i": "sum"}))
    assert_eq(grouped.agg({"i": "max", "a": custom_sum, "b": spread}),
              pgrouped.agg({"i": "max", "a": "sum", "b": lambda s: s.max() - s.min()}))
    # lists of functions give (column, name) labels; the custom one is named by its name
    got = grouped.agg({"b": [custom_mean, "max"], "i": "sum"})
    want = pgrouped.agg({"b": ["mean", "max"], "i": "sum"}).rename(columns={"mean": "custom_mean"})
    assert_eq(got, want)


@pytest.mark.parametrize("dropna", [True, False])
def test_custom_aggregation_as_named_aggregations(df, pdf, dropna):
    grouped, pgrouped = df.groupby(["k", "flag"], dropna=dropna), pdf.groupby(["k", "flag"], dropna=dropna)
    assert_eq(grouped.agg(total=("b", custom_sum), n=("i", "count"), m=pd.NamedAgg("a", custom_mean),
                          width=("i", spread), top=("b", "max")),
              pgrouped.agg(total=("b", "sum"), n=("i", "count"), m=("a", "mean"),
                           width=("i", lambda s: s.max() - s.min()), top=("b", "max")))
    # only custom ones, two of them over the same column
    assert_eq(grouped.agg(total=("b", custom_sum), m=("b", custom_mean)),
              pgrouped.agg(total=("b", "sum"), m=("b", "mean")))


def test_custom_aggregation_in_a_list_beside_builtins(df, pdf):
    got = df.groupby("k")[["i", "b"]].agg([custom_sum, "min"])
    want = pdf.groupby("k")[["i", "b"]].agg(["sum", "min"]).rename(columns={"sum": "custom_sum"})
    assert_eq(got, want)
    assert_eq(df.groupby("k").b.agg([custom_mean, "count"]),
              pdf.groupby("k").b.agg(["mean", "count"]).rename(columns={"mean": "custom_mean"}))


def test_mixed_custom_aggregations_over_empty_partitions_one_row_and_unsorted():
    rng = np.random.default_rng(5)
    pdf = pd.DataFrame({"g": rng.integers(0, 25, 2000).astype("float64"), "v": rng.normal(size=2000),
                        "w": rng.integers(-9, 9, 2000)})
    pdf.loc[::7, "g"] = np.nan
    pdf.loc[::5, "v"] = np.nan
    df = kd.from_pandas(pdf, npartitions=6)
    got = df.groupby("g", sort=False, dropna=False).agg({"v": custom_mean, "w": "sum"}).compute()
    want = pdf.groupby("g", dropna=False).agg({"v": "mean", "w": "sum"})
    assert_eq(got.sort_index(), want)
    kept = df[df.w > 7]  # few rows: some partitions are empty
    pkept = pdf[pdf.w > 7]
    assert_eq(kept.groupby("g").agg(t=("v", custom_sum), n=("w", "size")), pkept.groupby("g").agg(t=("v", "sum"), n=("w", "size")))
    one = pdf.iloc[[3]]
    one_df = kd.from_pandas(one, npartitions=1)
    assert_eq(one_df.groupby("w").agg({"v": custom_sum, "g": "count"}), one.groupby("w").agg({"v": "sum", "g": "count"}))
    empty = df[df.w > 100].groupby("g").agg({"v": custom_sum, "w": "sum"}).compute()
    assert len(empty) == 0 and list(empty.columns) == ["v", "w"]

"""Running totals (cumsum/cummin/cummax, groupby cumcount) across partitions, in
frame order, against pandas."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kyudo.dataframe as kd
from kyudo.testing import assert_eq


@pytest.mark.parametrize("func", ["cumsum", "cumprod", "cummin", "cummax"])
def test_series_running_totals(df, pdf, func):
    for column in ("a", "i", "b"):
        assert_eq(getattr(df[column], func)(), getattr(pdf[column], func)())
    assert_eq(getattr(df.i * 2 - df.a, func)(), getattr(pdf.i * 2 - pdf.a, func)())


def test_running_totals_combine_with_their_frame(df, pdf):
    assert_eq(df.assign(c=df.b.cumsum()), pdf.assign(c=pdf.b.cumsum()))
    assert_eq(df[df.i.cumsum() > 5], pdf[pdf.i.cumsum() > 5])
    assert_eq(df.i - df.i.cummax(), pdf.i - pdf.i.cummax())
    df["c"] = df.i.cumsum()
    pdf["c"] = pdf.i.cumsum()
    assert_eq(df, pdf)


def test_running_totals_of_a_filtered_and_an_empty_frame(df, pdf):
    assert_eq(df[df.flag].i.cumsum(), pdf[pdf.flag].i.cumsum())
    assert_eq(df[df.i > 100].b.cumsum(), pdf[pdf.i > 100].b.cumsum())


@pytest.mark.parametrize("func", ["cumsum", "cumprod", "cummin", "cummax"])
@pytest.mark.parametrize("dropna", [True, False])
def test_groupby_running_totals(df, pdf, func, dropna):
    assert_eq(getattr(df.groupby("k", dropna=dropna).i, func)(), getattr(pdf.groupby("k", dropna=dropna).i, func)())
    assert_eq(getattr(df.groupby(["k", "flag"], dropna=dropna)[["a", "b"]], func)(),
              getattr(pdf.groupby(["k", "flag"], dropna=dropna)[["a", "b"]], func)())


@pytest.mark.parametrize("dropna", [True, False])
def test_groupby_cumcount(df, pdf, dropna):
    got = df.groupby("k", dropna=dropna).cumcount()
    want = pdf.groupby("k", dropna=dropna).cumcount()
    assert_eq(got, want)


def test_many_partitions_keep_frame_order():
    rng = np.random.default_rng(0)
    pdf = pd.DataFrame({"g": rng.integers(0, 5, 500), "v": rng.normal(size=500)})
    df = kd.from_pandas(pdf, npartitions=9)
    assert_eq(df.v.cumsum(), pdf.v.cumsum())
    # the whole-frame scan keeps every partition in place: no shuffle, no single partition
    assert df.v.cumsum().to_frame().npartitions == 9
    assert_eq(df.groupby("g").v.cumsum(), pdf.groupby("g").v.cumsum())
    assert_eq(df.groupby("g").cumcount(), pdf.groupby("g").cumcount())


@pytest.mark.parametrize("func", ["cumsum", "cumprod", "cummin", "cummax"])
def test_frame_running_totals(df, pdf, func):
    num = ["a", "i", "b"]
    assert_eq(getattr(df[num], func)(), getattr(pdf[num], func)())
    assert_eq(getattr(df[df.flag][num], func)(), getattr(pdf[pdf.flag][num], func)())


@pytest.mark.parametrize("func", ["cumsum", "cumprod", "cummin", "cummax", "cumcount"])
def test_groupby_running_totals_over_empty_partitions_and_one_row(df, pdf, func):
    """A filter that empties some partitions, a frame of one row and one of none;
    NULL values stay NULL at their row and are skipped by the running value."""
    def run(frame, *columns):
        grouped = frame.groupby("k")
        return getattr(grouped[list(columns)] if columns else grouped, func)()
    columns = () if func == "cumcount" else ("a", "i", "b")
    kept = (df.i > 2) | df.a.isna()
    assert_eq(run(df[kept], *columns), run(pdf[(pdf.i > 2) | pdf.a.isna()], *columns))
    assert_eq(run(df[df.i == 9], *columns), run(pdf[pdf.i == 9], *columns))
    assert_eq(run(df[df.i > 100], *columns), run(pdf[pdf.i > 100], *columns), check_dtype=False)


def test_groupby_cumprod_values():
    """Exact int64 products, floats with NaN skipped, booleans, across partitions."""
    pdf = pd.DataFrame({"g": ["a", "b", "a", "a", "b", "a", None, "b"],
                        "n": np.array([2, 3, -4, 5, 0, 7, 11, 2], dtype="int64"),
                        "x": [0.5, np.nan, 2.0, np.nan, -1.5, 4.0, 3.0, 2.0],
                        "t": [True, True, False, True, True, True, False, True]})
    for parts in (1, 2, 4):
        df = kd.from_pandas(pdf, npartitions=parts)
        assert_eq(df.groupby("g").n.cumprod(), pdf.groupby("g").n.cumprod())
        assert_eq(df.groupby("g").x.cumprod(), pdf.groupby("g").x.cumprod())
        assert_eq(df.groupby("g").t.cumprod(), pdf.groupby("g").t.cumprod())
        assert_eq(df.groupby("g", dropna=False)[["n", "x"]].cumprod(),
                  pdf.groupby("g", dropna=False)[["n", "x"]].cumprod())

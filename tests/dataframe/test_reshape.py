"""explode and pivot_table against pandas."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import pandas.testing as pdt

import kyudo.dataframe as kd
from kyudo.testing import assert_eq


def test_explode():
    pdf = pd.DataFrame({"k": [1, 2, 3, 4, 5], "v": [[1, 2], [], None, [3], [4, None, 5]],
                        "s": ["a", "ü", None, "b", "c"]})
    df = kd.from_pandas(pdf, npartitions=2)
    want = pdf.explode("v")
    got = df.explode("v").compute()
    assert got.k.tolist() == want.k.tolist()
    assert got.s.tolist() == want.s.tolist()
    assert [None if pd.isna(x) else x for x in got.v] == [None if pd.isna(x) else x for x in want.v]
    assert len(df[df.k > 10].explode("v")) == 0


def test_series_explode_of_strings():
    pdf = pd.DataFrame({"v": [["x", "y"], ["日本"], []]})
    df = kd.from_pandas(pdf, npartitions=2)
    got = df.v.explode().compute()
    assert [None if pd.isna(x) else x for x in got] == [None if pd.isna(x) else x for x in pdf.v.explode()]


@pytest.mark.parametrize("aggfunc", ["mean", "sum", "count", "max"])
def test_pivot_table_on_known_categories(aggfunc):
    rng = np.random.default_rng(1)
    pdf = pd.DataFrame({"day": rng.integers(0, 6, 200),
                        "kind": pd.Categorical(rng.choice(["a", "b", "c"], 200), categories=["a", "b", "c"]),
                        "v": rng.normal(size=200)})
    pdf.loc[::9, "v"] = np.nan
    df = kd.from_pandas(pdf, npartitions=4)
    want = pdf.pivot_table(index="day", columns="kind", values="v", aggfunc=aggfunc, observed=True)
    got = df.pivot_table(index="day", columns="kind", values="v", aggfunc=aggfunc)
    # labelled as pandas does: a CategoricalIndex named "kind"
    assert_eq(got, want)
    pdt.assert_index_equal(got.columns, want.columns)


def test_pivot_table_needs_known_categories(df):
    with pytest.raises(ValueError, match="known categories"):
        df.pivot_table(index="i", columns="k", values="b")


def _pivot_data() -> pd.DataFrame:
    """NULL index values and categories, NaN values, a pair with rows but only
    NaN values, an index value with no category, categories out of sort order."""
    return pd.DataFrame({
        "i": ["x", "y", "x", "z", None, "y", "z", "w", "x", "y"],
        "c": pd.Categorical(["a", "b", "a", None, "b", "a", "b", None, "c", "c"], categories=["b", "a", "c"]),
        "v": [1.0, 2.0, 3.0, np.nan, 5.0, 6.0, np.nan, 1.0, -2.5, 4.0],
        "w": np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], dtype="int64"),
    })


@pytest.mark.parametrize("values", ["v", "w", ["w", "v"], ["v"]])
@pytest.mark.parametrize("aggfunc", ["mean", "sum", "count", "max", "min", "first"])
def test_pivot_table_labels_values_and_missing_cells_as_pandas(npartitions, values, aggfunc):
    """Columns are a CategoricalIndex named by ``columns`` (under the value
    names, sorted, for a list); a pair without rows is NaN, a sum of only NaN
    is 0 as in pandas, and an index value with no cell is left out."""
    pdf = _pivot_data()
    df = kd.from_pandas(pdf, npartitions=npartitions)
    want = pdf.pivot_table(index="i", columns="c", values=values, aggfunc=aggfunc)
    got = df.pivot_table(index="i", columns="c", values=values, aggfunc=aggfunc)
    assert_eq(got, want)
    pdt.assert_index_equal(got.columns, want.columns)
    pdt.assert_index_equal(got.compute().columns, want.columns)


def test_pivot_table_labels_for_ordered_and_integer_categories():
    pdf = _pivot_data()
    pdf["c"] = pdf.c.cat.as_ordered()
    pdf["n"] = pd.Categorical([3, 1, 3, None, 1, 3, 1, 2, 2, 2], categories=[3, 1, 2])
    df = kd.from_pandas(pdf, npartitions=3)
    for columns in ("c", "n"):
        for values in ("v", ["v", "w"]):
            want = pdf.pivot_table(index="i", columns=columns, values=values, aggfunc="sum")
            got = df.pivot_table(index="i", columns=columns, values=values, aggfunc="sum")
            assert_eq(got, want)
            pdt.assert_index_equal(got.columns, want.columns)


def test_pivot_table_over_empty_partitions_and_one_row():
    pdf = _pivot_data()
    df = kd.from_pandas(pdf, npartitions=4)
    kept, pkept = df[df.w > 6], pdf[pdf.w > 6]  # the first partitions are empty
    assert_eq(kept.pivot_table(index="i", columns="c", values=["v", "w"], aggfunc="mean"),
              pkept.pivot_table(index="i", columns="c", values=["v", "w"], aggfunc="mean", observed=False,
                                dropna=True).reindex(columns=pd.MultiIndex.from_product(
                                    [["v", "w"], pdf.c.cat.categories.astype(pdf.c.dtype)], names=[None, "c"])))
    one, pone = df[df.w == 1], pdf[pdf.w == 1]
    got = one.pivot_table(index="i", columns="c", values="v", aggfunc="sum")
    # every known category is a column (the plan's columns are fixed before data
    # is read); pandas leaves out those no row has: the same cells otherwise
    want = pone.pivot_table(index="i", columns="c", values="v", aggfunc="sum")
    assert_eq(got.compute()[want.columns], want)
    assert list(got.columns) == ["b", "a", "c"] and got.columns.name == "c"

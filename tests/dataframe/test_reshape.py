"""explode and pivot_table against pandas."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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
    # kyudo labels the columns with plain strings, pandas with a CategoricalIndex named "kind"
    want.columns = pd.Index([str(c) for c in want.columns])
    assert_eq(got, want, check_dtype=aggfunc != "count")


def test_pivot_table_needs_known_categories(df):
    with pytest.raises(ValueError, match="known categories"):
        df.pivot_table(index="i", columns="k", values="b")

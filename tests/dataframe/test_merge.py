"""merge against pandas: every join type, on / left_on+right_on, suffixes,
overlapping non-key columns, NULL keys (pandas matches NaN with NaN), string
keys, many-to-many, empty sides, broadcast and hash strategies. Row order of a
merge is not part of the contract, so results are compared as multisets."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kyudo.dataframe as kd
from kyudo.testing import assert_eq

HOWS = ["inner", "left", "right", "outer"]


def left_pdf():
    return pd.DataFrame({"key": ["a", "b", None, "c", "a", "日本", "é"],
                         "n": [1.0, 2.0, 3.0, 1.0, np.nan, 2.0, 5.0],
                         "v": [1, 2, 3, 4, 5, 6, 7],
                         "w": [0.5, 1.5, np.nan, 2.5, 3.5, 4.5, 5.5]})


def right_pdf():
    return pd.DataFrame({"key": ["a", "a", None, "d", "日本", "é"],
                         "n": [1.0, 1.0, 3.0, 2.0, 2.0, np.nan],
                         "v": [10, 20, 30, 40, 50, 60],
                         "z": ["p", "q", "r", "s", "t", "ü"]})


@pytest.fixture
def sides(npartitions):
    lp, rp = left_pdf(), right_pdf()
    return kd.from_pandas(lp, npartitions=npartitions), kd.from_pandas(rp, npartitions=2), lp, rp


@pytest.mark.parametrize("how", HOWS)
def test_on_string_key_with_nulls_and_overlapping_columns(sides, how):
    l, r, lp, rp = sides
    assert_eq(l.merge(r, on="key", how=how), lp.merge(rp, on="key", how=how), sort_results=True)


@pytest.mark.parametrize("how", HOWS)
def test_on_two_keys(sides, how):
    l, r, lp, rp = sides
    assert_eq(l.merge(r, on=["key", "n"], how=how), lp.merge(rp, on=["key", "n"], how=how), sort_results=True)


@pytest.mark.parametrize("how", HOWS)
def test_on_float_key_with_nan(sides, how):
    l, r, lp, rp = sides
    assert_eq(l.merge(r, on="n", how=how), lp.merge(rp, on="n", how=how), sort_results=True)


@pytest.mark.parametrize("how", HOWS)
def test_left_on_right_on_with_suffixes(sides, how):
    l, r, lp, rp = sides
    rr, rrp = r.rename(columns={"key": "rkey"}), rp.rename(columns={"key": "rkey"})
    result = l.merge(rr, left_on="key", right_on="rkey", how=how, suffixes=("_l", "_r"))
    expected = lp.merge(rrp, left_on="key", right_on="rkey", how=how, suffixes=("_l", "_r"))
    assert list(result.columns) == list(expected.columns)
    assert_eq(result, expected, sort_results=True)


@pytest.mark.parametrize("how", HOWS)
def test_left_on_right_on_same_name_different_columns(npartitions, how):
    # left's v against right's n: both sides keep their n and v, suffixed
    lp, rp = left_pdf().astype({"v": "float64"}), right_pdf()
    l, r = kd.from_pandas(lp, npartitions=npartitions), kd.from_pandas(rp, npartitions=2)
    result = l.merge(r, left_on="v", right_on="n", how=how)
    expected = lp.merge(rp, left_on="v", right_on="n", how=how)
    assert list(result.columns) == list(expected.columns)
    assert_eq(result, expected, sort_results=True)


def test_inferred_on_uses_common_columns(sides):
    l, r, lp, rp = sides
    assert_eq(l[["key", "v", "w"]].merge(r[["key", "v", "z"]]),
              lp[["key", "v", "w"]].merge(rp[["key", "v", "z"]]), sort_results=True)


@pytest.mark.parametrize("how", HOWS)
def test_many_to_many(npartitions, how):
    lp = pd.DataFrame({"k": [1, 1, 2, 2, 2, 3], "x": range(6)})
    rp = pd.DataFrame({"k": [1, 1, 1, 2, 4], "y": range(5)})
    l, r = kd.from_pandas(lp, npartitions=npartitions), kd.from_pandas(rp, npartitions=3)
    assert_eq(l.merge(r, on="k", how=how), lp.merge(rp, on="k", how=how), sort_results=True)


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("broadcast", [True, False])
def test_forced_strategies(sides, how, broadcast):
    l, r, lp, rp = sides
    assert_eq(l.merge(r, on="key", how=how, broadcast=broadcast), lp.merge(rp, on="key", how=how),
              sort_results=True)


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("broadcast", [None, True, False])
def test_keys_of_different_numeric_types(how, broadcast):
    # float64 keys against int64 keys: 1.0 meets 1 whichever strategy is used
    lp = pd.DataFrame({"k": [1.0, 2.0, None, 3.0, 1.0, 5.0], "v": range(6)})
    rp = pd.DataFrame({"k": [1, 1, 3, 7, 2], "z": list("pqrst")})
    l, r = kd.from_pandas(lp, npartitions=3), kd.from_pandas(rp, npartitions=2)
    assert_eq(l.merge(r, on="k", how=how, broadcast=broadcast), lp.merge(rp, on="k", how=how),
              sort_results=True)


@pytest.mark.parametrize("how", HOWS)
def test_empty_side(sides, how):
    l, r, lp, rp = sides
    assert_eq(l[l.v > 100].merge(r, on="key", how=how), lp[lp.v > 100].merge(rp, on="key", how=how),
              sort_results=True)
    assert_eq(l.merge(r[r.v > 100], on="key", how=how), lp.merge(rp[rp.v > 100], on="key", how=how),
              sort_results=True)


def test_no_matches(npartitions):
    lp = pd.DataFrame({"k": ["a", "b"], "x": [1, 2]})
    rp = pd.DataFrame({"k": ["c", "d"], "y": [1.5, 2.5]})
    l, r = kd.from_pandas(lp, npartitions=npartitions), kd.from_pandas(rp)
    for how in HOWS:
        assert_eq(l.merge(r, on="k", how=how), lp.merge(rp, on="k", how=how), sort_results=True)


def test_merge_then_more_operations(sides):
    l, r, lp, rp = sides
    m, mp = l.merge(r, on="key"), lp.merge(rp, on="key")
    assert_eq(m[m.v_y > 15].assign(t=lambda d: d.v_x + d.v_y),
              mp[mp.v_y > 15].assign(t=lambda d: d.v_x + d.v_y), sort_results=True)
    assert_eq(m.groupby("key").v_y.sum(), mp.groupby("key").v_y.sum())


def test_cross_join():
    lp = pd.DataFrame({"x": [1, 2, 3]})
    rp = pd.DataFrame({"y": ["a", "b"]})
    assert_eq(kd.from_pandas(lp, 2).merge(kd.from_pandas(rp), how="cross"), lp.merge(rp, how="cross"),
              sort_results=True)


def test_bad_how_and_key_lengths(sides):
    l, r, _, _ = sides
    with pytest.raises(ValueError, match="how"):
        l.merge(r, on="key", how="sideways")
    with pytest.raises(ValueError, match="len"):
        l.merge(r, left_on=["key", "n"], right_on=["key"])

"""merge of one side's index with the other side's columns, against pandas."""
from __future__ import annotations

import pandas as pd
import pytest

import kyudo.dataframe as kd
from kyudo.testing import assert_eq

HOWS = ["inner", "left", "right", "outer"]


@pytest.fixture
def frames():
    indexed = pd.DataFrame({"x": [1, 2, 3]}, index=pd.Index([10, 20, 30], name="id"))
    plain = pd.DataFrame({"k": [20, 30, 30, 40], "y": list("abcd")})
    return indexed, plain


@pytest.mark.parametrize("how", HOWS)
def test_left_index_with_right_columns(frames, how):
    indexed, plain = frames
    got = kd.from_pandas(indexed, npartitions=2).merge(kd.from_pandas(plain, npartitions=2), how=how,
                                                       left_index=True, right_on="k")
    expected = pd.merge(indexed, plain, left_index=True, right_on="k", how=how)
    assert_eq(got, expected, check_index=False, sort_results=True)


@pytest.mark.parametrize("how", HOWS)
def test_left_columns_with_right_index(frames, how):
    indexed, plain = frames
    got = kd.from_pandas(plain, npartitions=2).merge(kd.from_pandas(indexed), how=how,
                                                     left_on="k", right_index=True)
    expected = pd.merge(plain, indexed, left_on="k", right_index=True, how=how)
    assert_eq(got, expected, check_index=False, sort_results=True)


def test_overlapping_names_get_suffixes(frames):
    indexed, plain = frames
    indexed = indexed.assign(k=[7, 8, 9])
    got = kd.from_pandas(indexed).merge(kd.from_pandas(plain), left_index=True, right_on="k", how="left")
    expected = pd.merge(indexed, plain, left_index=True, right_on="k", how="left")
    # pandas also emits the join key once more under its bare name, first; kyudo
    # keeps only the suffixed columns
    assert list(got.columns) == ["x", "k_x", "k_y", "y"]
    assert_eq(got, expected[["x", "k_x", "k_y", "y"]], check_index=False, sort_results=True)


def test_index_side_without_an_index_is_a_clear_error(frames):
    _, plain = frames
    with pytest.raises(ValueError, match="needs a frame with an index"):
        kd.from_pandas(plain).merge(kd.from_pandas(plain), left_index=True, right_on="k")

"""End to end: with a memory limit far below the data, group-bys, merges and sorts
still give pandas' answers, by spilling partitions to disk and reading them back."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

import kyudo.config
import kyudo.dataframe as kd
from kyudo.engine.spill import spill_stats

ROWS = 600_000  # 3 x 8 bytes x 600k = 14 MB for the big frame, 4.8 MB for the other
LIMIT = "2MB"


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(7)
    left = pd.DataFrame({
        "key": rng.integers(0, 50_000, ROWS),
        "group": rng.integers(0, 200, ROWS),
        "value": rng.random(ROWS),
    })
    right = pd.DataFrame({"key": np.arange(0, 50_000, 2), "weight": rng.random(25_000)})
    return left, right


@pytest.fixture(params=["threads"])
def limited(request, tmp_path):
    """Run under a 2 MB limit; yield a function that says how much was spilled."""
    before = spill_stats()
    with kyudo.config.set(memory_limit=LIMIT, spill_directory=str(tmp_path), scheduler=request.param):
        yield lambda: spill_stats()["bytes"] - before["bytes"]
    assert os.listdir(tmp_path) == []  # every spill file was removed


@pytest.mark.parametrize("limited", ["threads", "sync"], indirect=True)
def test_groupby_aggregation_over_data_larger_than_the_limit(frames, limited):
    left, _ = frames
    got = (kd.from_pandas(left, npartitions=40).groupby("key")
           .agg(total=("value", "sum"), rows=("value", "count"), top=("group", "max")).compute())
    expected = left.groupby("key").agg(total=("value", "sum"), rows=("value", "count"), top=("group", "max"))
    pd.testing.assert_frame_equal(got.sort_index(), expected, check_dtype=False, rtol=1e-9)
    assert limited() > 2_000_000  # more than the limit went through disk


def test_merge_over_data_larger_than_the_limit(frames, limited):
    left, right = frames
    got = (kd.from_pandas(left, npartitions=40)
           .merge(kd.from_pandas(right, npartitions=8), on="key", how="inner").compute())
    expected = left.merge(right, on="key", how="inner")
    order = ["key", "group", "value"]
    pd.testing.assert_frame_equal(got.sort_values(order).reset_index(drop=True),
                                  expected.sort_values(order).reset_index(drop=True), check_dtype=False)
    assert limited() > 2_000_000


def test_sort_values_over_data_larger_than_the_limit(frames, limited):
    left, _ = frames
    got = kd.from_pandas(left, npartitions=40).sort_values(["group", "value"]).compute()
    expected = left.sort_values(["group", "value"])
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True),
                                  check_dtype=False)
    assert limited() > 2_000_000

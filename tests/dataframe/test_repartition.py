"""repartition and shuffle: same rows as pandas, partitions of balanced size."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kyudo.dataframe as kd
from kyudo.planner.compile import compute_partitions
from kyudo.testing import assert_eq


@pytest.fixture
def pdf() -> pd.DataFrame:
    n = 200
    return pd.DataFrame({
        "i": np.arange(n),
        "g": pd.array([None if i % 11 == 0 else i % 6 for i in range(n)], dtype="Int64"),
        "x": [np.nan if i % 13 == 0 else i * 0.5 for i in range(n)],
        "d": pd.date_range("2020-01-01", periods=n, freq="D"),
    })


def _sizes(frame) -> list[int]:
    return [t.num_rows for t in compute_partitions(frame.plan)]


def test_npartitions_after_a_selective_filter_is_balanced_and_ordered(pdf):
    df = kd.from_pandas(pdf, npartitions=10)
    kept = df[(df.i % 17 == 0) | (df.i > 190)]
    result = kept.repartition(npartitions=4)
    sizes = _sizes(result)
    assert len(sizes) == 4 and max(sizes) - min(sizes) <= 1, sizes
    assert_eq(result, pdf[(pdf.i % 17 == 0) | (pdf.i > 190)])
    assert _sizes(df.repartition(npartitions=3)) == [66, 67, 67]
    assert _sizes(df.repartition(npartitions=25)) == [8] * 25


def test_partition_size_fills_partitions_up_to_the_size(pdf):
    df = kd.from_pandas(pdf, npartitions=10)
    kept = df[df.i < 60]
    nbytes = kept.to_arrow().nbytes
    sizes = _sizes(kept.repartition(partition_size=nbytes // 3 + 1))
    filled = [s for s in sizes if s]
    assert len(filled) == 3 and max(filled) - min(filled) <= 1, sizes
    assert sizes[:3] == filled  # only trailing partitions may stay empty
    assert_eq(kept.repartition(partition_size="1MB"), pdf[pdf.i < 60])


def test_repartition_everything_filtered_out_and_one_row(pdf):
    df = kd.from_pandas(pdf, npartitions=4)
    assert_eq(df[df.i < 0].repartition(npartitions=3), pdf[pdf.i < 0])
    assert_eq(df[df.i == 5].repartition(npartitions=3), pdf[pdf.i == 5])
    assert sorted(_sizes(df[df.i == 5].repartition(npartitions=3))) == [0, 0, 1]


def test_repartition_by_divisions_of_a_time_index(pdf):
    df = kd.from_pandas(pdf, npartitions=7).set_index("d", sorted=True)
    bounds = [pd.Timestamp("2020-01-01"), pd.Timestamp("2020-02-01"), pd.Timestamp("2020-05-01"),
              pd.Timestamp("2020-07-18")]
    result = df.repartition(divisions=bounds)
    assert result.divisions == tuple(bounds)
    assert _sizes(result) == [31, 90, 79]
    assert_eq(result, pdf.set_index("d"))
    assert_eq(result.loc["2020-03-01":"2020-03-03"], pdf.set_index("d").loc["2020-03-01":"2020-03-03"])
    with pytest.raises(ValueError, match="indexed by one column"):
        kd.from_pandas(pdf).repartition(divisions=[0, 5])


def test_shuffle_puts_equal_keys_together(pdf):
    df = kd.from_pandas(pdf, npartitions=5)
    result = df.shuffle("g", npartitions=4)
    assert result.npartitions == 4
    assert_eq(result, pdf, sort_results=True)
    seen: dict = {}
    for index, part in enumerate(compute_partitions(result.plan)):
        for key in set(part.column("g").to_pylist()):
            assert seen.setdefault(key, index) == index, key
    assert None in seen
    assert_eq(df.shuffle(["g", "d"]), pdf, sort_results=True)

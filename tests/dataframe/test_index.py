"""set_index / divisions / reset_index / .loc / merges on the index, against pandas."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import kyudo.dataframe as kd
from kyudo.planner.compile import physical_plan
from kyudo.planner.physical import RangeSort, ScanPartitions
from kyudo.planner.physical_partitioning import PartitionwiseJoin, SortedPartitions
from kyudo.testing import assert_eq


def _nodes(frame, kind):
    found, stack = [], [physical_plan(frame.plan)]
    while stack:
        node = stack.pop()
        found += [node] if isinstance(node, kind) else []
        stack += list(node.children)
    return found


@pytest.fixture
def sorted_pdf() -> pd.DataFrame:
    n = 24
    return pd.DataFrame({
        "t": pd.date_range("2024-03-01", periods=n, freq="7h"),
        "k": np.arange(n) * 3,
        "x": [np.nan if i % 5 == 0 else i / 4 for i in range(n)],
        "s": [None if i % 7 == 0 else f"s{i}ü" for i in range(n)],
    })


@pytest.mark.parametrize("npartitions", [1, 4, 24])
def test_set_index_sorted_has_divisions_from_statistics(sorted_pdf, npartitions):
    df = kd.from_pandas(sorted_pdf, npartitions=npartitions).set_index("k", sorted=True)
    assert_eq(df, sorted_pdf.set_index("k"))
    bounds = [sorted_pdf.k[i * 24 // npartitions] for i in range(npartitions)] + [sorted_pdf.k.iloc[-1]]
    assert df.divisions == tuple(bounds)
    assert df.known_divisions
    assert_eq(df.reset_index(), sorted_pdf[["k", "t", "x", "s"]])


def test_set_index_unsorted_sorts_and_keeps_nulls_last(sorted_pdf):
    pdf = sorted_pdf.sample(frac=1.0, random_state=3).reset_index(drop=True)
    df = kd.from_pandas(pdf, npartitions=3)
    for column in ("x", "t", "s"):
        result = df.set_index(column)
        assert not result.known_divisions  # found by a stage of the graph, not while planning
        assert_eq(result, pdf.set_index(column).sort_index(kind="mergesort", na_position="last"))
    assert_eq(df.set_index("x").reset_index(drop=True),
              pdf.sort_values("x", kind="mergesort").drop(columns="x").reset_index(drop=True))


def test_set_index_replaces_the_old_index(sorted_pdf):
    df = kd.from_pandas(sorted_pdf.set_index("t"), npartitions=2)
    assert_eq(df.set_index("k", sorted=True), sorted_pdf.drop(columns="t").set_index("k"))


def test_loc_reads_only_partitions_that_can_hold_the_labels(sorted_pdf):
    df = kd.from_pandas(sorted_pdf, npartitions=6).set_index("t", sorted=True)
    pdf = sorted_pdf.set_index("t")
    t = sorted_pdf.t
    cases = [(slice(t[5], t[9]), 2), (slice(None, t[2]), 1), (slice(t[20], None), 1),
             (slice(t[3] + pd.Timedelta("1min"), t[3] + pd.Timedelta("2min")), 1), ([t[1], t[23]], 2)]
    for key, partitions in cases:
        result = df.loc[key]
        assert result.npartitions == partitions, key
        assert_eq(result, pdf.loc[key])
    assert_eq(df.loc[t[7]], pdf.loc[[t[7]]])
    assert_eq(df.loc[t[7], ["x", "s"]], pdf.loc[[t[7]], ["x", "s"]])
    assert_eq(df.loc[pd.Timestamp("1999-01-01")], pdf.iloc[:0])
    assert df.loc["2024-03-02":"2024-03-03"].npartitions == 2
    assert_eq(df.loc["2024-03-02":"2024-03-03"], pdf.loc["2024-03-02":"2024-03-03"])
    assert_eq(df.loc["2024-03-04"], pdf.loc["2024-03-04"])
    assert_eq(df.loc[:"2024-03"], pdf.loc[:"2024-03"])
    # a label between two partitions' ranges needs none of them
    assert df.loc[pd.Timestamp("2030-01-01"):].npartitions == 1


def test_loc_after_a_filter_and_on_runtime_divisions(sorted_pdf):
    df = kd.from_pandas(sorted_pdf, npartitions=4)
    pdf = sorted_pdf.set_index("k")
    indexed = df.set_index("k", sorted=True)
    assert_eq(indexed[indexed.x > 2].loc[10:40], pdf[pdf.x > 2].loc[10:40])
    shuffled = kd.from_pandas(sorted_pdf.iloc[::-1], npartitions=4).set_index("k")
    assert_eq(shuffled.loc[10:40], pdf.loc[10:40])
    assert_eq(shuffled.loc[[9, 12, 1000]], pdf.loc[[9, 12]])


def test_divisions_from_parquet_statistics(tmp_path, sorted_pdf):
    table = pa.Table.from_pandas(sorted_pdf, preserve_index=False)
    for j in range(3):
        pq.write_table(table.slice(j * 8, 8), tmp_path / f"part-{j}.parquet", row_group_size=4)
    df = kd.read_parquet(tmp_path, partition_size=1).set_index("k", sorted=True)
    assert df.npartitions == 6
    assert df.divisions == (0, 12, 24, 36, 48, 60, 69)
    result = df.loc[25:40]
    assert result.npartitions == 2
    assert_eq(result, sorted_pdf.set_index("k").loc[25:40])
    # the label filter and the column selection reach the Parquet reader too
    (scan,) = _nodes(result[["x"]], ScanPartitions)
    assert scan.read_columns == ["k", "x"] and scan.arrow_predicate is not None
    assert_eq(result[["x"]], sorted_pdf.set_index("k").loc[25:40, ["x"]])
    # not sorted across files: the statistics show it, so divisions stay unknown
    pq.write_table(table.slice(0, 3), tmp_path / "part-9.parquet")
    assert not kd.read_parquet(tmp_path, partition_size=1).set_index("k", sorted=True).known_divisions


@pytest.mark.parametrize("how", ["inner", "left", "right", "outer"])
def test_merge_on_index_with_known_divisions_joins_partitionwise(sorted_pdf, how):
    right = pd.DataFrame({"k": np.arange(-6, 80, 4), "y": np.arange(22) % 5, "x": np.arange(22) * 1.5})
    left_df = kd.from_pandas(sorted_pdf, npartitions=4).set_index("k", sorted=True)
    right_df = kd.from_pandas(right, npartitions=3).set_index("k", sorted=True)
    result = left_df.merge(right_df, left_index=True, right_index=True, how=how)
    assert _nodes(result, PartitionwiseJoin)
    expected = sorted_pdf.set_index("k").merge(right.set_index("k"), left_index=True, right_index=True, how=how)
    assert_eq(result, expected, sort_results=True)


def test_join_on_index_unknown_divisions_and_null_keys(sorted_pdf):
    right = pd.DataFrame({"k": [3.0, np.nan, 9.0, 9.0, 100.0], "y": ["a", "b", "c", "d", "e"]})
    left = sorted_pdf.assign(k=sorted_pdf.k.astype("float64"))
    left_df = kd.from_pandas(left, npartitions=3).set_index("k", sorted=True)
    right_df = kd.from_pandas(right, npartitions=2).set_index("k")
    for how in ("left", "outer"):
        result = left_df.join(right_df, how=how)
        assert _nodes(result, PartitionwiseJoin) and not _nodes(result, RangeSort)  # the right side only moves
        assert_eq(result, left.set_index("k").join(right.set_index("k"), how=how), sort_results=True)
    shuffled = left.sample(frac=1.0, random_state=5)
    unknown = kd.from_pandas(shuffled, npartitions=3).set_index("k").join(right_df, how="inner")
    assert not _nodes(unknown, PartitionwiseJoin)
    assert_eq(unknown, left.set_index("k").join(right.set_index("k"), how="inner"), sort_results=True)
    with pytest.raises(ValueError, match="overlap"):
        left_df.join(left_df)
    indexed = left.set_index("k")
    assert_eq(left_df.join(left_df[["x"]], rsuffix="_r"),
              indexed.merge(indexed[["x"]], left_index=True, right_index=True, how="left", suffixes=("", "_r")),
              sort_results=True)


def test_one_row_and_empty_partitions(sorted_pdf):
    one = sorted_pdf.iloc[:1]
    df = kd.from_pandas(one).set_index("t", sorted=True)
    assert_eq(df.loc[one.t[0]:], one.set_index("t"))
    assert df.divisions == (one.t[0].to_pydatetime(), one.t[0].to_pydatetime())
    parts = kd.from_pandas(sorted_pdf, npartitions=4)
    filtered = parts[(parts.k < 10) | (parts.k > 60)].persist().set_index("k", sorted=True)
    assert filtered.known_divisions
    assert_eq(filtered.loc[5:65], sorted_pdf.set_index("k").loc[lambda d: (d.index < 10) | (d.index > 60)].loc[5:65])
    assert len(_nodes(filtered.loc[[66]], SortedPartitions)) == 1


def test_set_index_on_data_in_key_order_sorts_each_partition_alone(tmp_path, sorted_pdf):
    # partitions in key order on disk, rows shuffled inside each file
    for j in range(3):
        part = sorted_pdf.iloc[j * 8:(j + 1) * 8].sample(frac=1.0, random_state=j)
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False), tmp_path / f"part-{j}.parquet")
    df = kd.read_parquet(tmp_path).set_index("k")
    assert not _nodes(df, RangeSort)
    assert df.divisions == (0, 24, 48, 69)
    assert_eq(df, sorted_pdf.set_index("k"))
    assert df.loc[30:33].npartitions == 1
    assert_eq(df.loc[30:33], sorted_pdf.set_index("k").loc[30:33])
    with_null = sorted_pdf.assign(k=sorted_pdf.k.where(sorted_pdf.k != 30))  # NULL key: statistics say so
    assert _nodes(kd.from_pandas(with_null, npartitions=3).set_index("k"), RangeSort)


def test_persist_keeps_a_sorted_index_with_divisions_from_memory(sorted_pdf):
    shuffled = sorted_pdf.sample(frac=1.0, random_state=1)
    df = kd.from_pandas(shuffled, npartitions=4).set_index("k")
    assert not df.known_divisions
    kept = df.persist()
    assert kept.known_divisions and kept.divisions[0] == 0 and kept.divisions[-1] == 69
    assert kept.loc[30:33].npartitions == 1
    assert_eq(kept.loc[30:33], sorted_pdf.set_index("k").loc[30:33])
    assert not kd.from_pandas(shuffled, npartitions=2).set_index("k").reset_index().persist().index
    unsorted = kd.from_pandas(shuffled.set_index("k"), npartitions=2).persist()
    assert not unsorted.known_divisions  # a plain index is not assumed sorted


# ---- set_index(col, drop=False): the column is both data and the index -------------------

@pytest.mark.parametrize("npartitions", [1, 4, 24])
def test_set_index_keeping_the_column_sorted_with_divisions(sorted_pdf, npartitions):
    df = kd.from_pandas(sorted_pdf, npartitions=npartitions).set_index("k", sorted=True, drop=False)
    pdf = sorted_pdf.set_index("k", drop=False)
    assert_eq(df, pdf)
    assert list(df.columns) == ["t", "k", "x", "s"]
    bounds = [sorted_pdf.k[i * 24 // npartitions] for i in range(npartitions)] + [sorted_pdf.k.iloc[-1]]
    assert df.divisions == tuple(bounds)
    result = df.loc[25:40]
    assert result.npartitions == len(set(i * npartitions // 24 for i in range(9, 14)))
    assert_eq(result, pdf.loc[25:40])
    assert_eq(df.loc[[0, 9, 1000]], pdf.loc[[0, 9]])
    assert_eq(df.loc[12, ["k", "x"]], pdf.loc[[12], ["k", "x"]])
    assert_eq(df.k, pdf.k)
    assert_eq(df[df.x > 2].k * 2, pdf[pdf.x > 2].k * 2)


def test_set_index_keeping_the_column_given_divisions_and_sampled(sorted_pdf):
    shuffled = sorted_pdf.sample(frac=1.0, random_state=4).reset_index(drop=True)
    df = kd.from_pandas(shuffled, npartitions=3)
    given = df.set_index("k", divisions=[0, 20, 40, 69], drop=False)
    assert given.divisions == (0, 20, 40, 69) and given.npartitions == 3
    assert_eq(given, sorted_pdf.set_index("k", drop=False))
    assert_eq(given.loc[21:39], sorted_pdf.set_index("k", drop=False).loc[21:39])
    for column in ("k", "x", "t", "s"):  # NULLs sort last, as for drop=True
        sampled = df.set_index(column, drop=False)
        assert not sampled.known_divisions
        want = shuffled.set_index(column, drop=False).sort_index(kind="mergesort", na_position="last")
        assert_eq(sampled, want)
        assert list(sampled.columns) == ["t", "k", "x", "s"]
    sampled = df.set_index("x", drop=False)
    want = shuffled.set_index("x", drop=False).sort_index(kind="mergesort", na_position="last")
    assert_eq(sampled.loc[1.0:3.0], want.loc[1.0:3.0])
    assert_eq(sampled.persist().loc[1.0:3.0], want.loc[1.0:3.0])


def test_set_index_keeping_the_column_from_parquet_statistics(tmp_path, sorted_pdf):
    table = pa.Table.from_pandas(sorted_pdf, preserve_index=False)
    for j in range(3):
        pq.write_table(table.slice(j * 8, 8), tmp_path / f"part-{j}.parquet", row_group_size=4)
    df = kd.read_parquet(tmp_path, partition_size=1).set_index("k", sorted=True, drop=False)
    assert df.divisions == (0, 12, 24, 36, 48, 60, 69)
    result = df.loc[25:40]
    assert result.npartitions == 2
    assert_eq(result, sorted_pdf.set_index("k", drop=False).loc[25:40])


def test_reset_index_after_keeping_the_column_raises_as_pandas(sorted_pdf):
    df = kd.from_pandas(sorted_pdf, npartitions=3).set_index("k", sorted=True, drop=False)
    pdf = sorted_pdf.set_index("k", drop=False)
    with pytest.raises(ValueError) as kyudo_error:
        df.reset_index()
    with pytest.raises(ValueError) as pandas_error:
        pdf.reset_index()
    assert str(kyudo_error.value) == str(pandas_error.value)
    with pytest.raises(ValueError, match="cannot insert k, already exists"):
        df.k.reset_index()
    with pytest.raises(ValueError, match="ambiguous"):
        df.groupby("k")
    assert_eq(df.reset_index(drop=True), pdf.reset_index(drop=True))
    assert_eq(df.s.reset_index(), pdf.s.reset_index())
    assert_eq(df.k.reset_index(name="z"), pdf.k.reset_index(name="z"))
    # renamed first, the index comes back as a column, as in pandas
    assert_eq(df.rename(columns={"k": "k2"}).reset_index(), pdf.rename(columns={"k": "k2"}).reset_index())
    # replacing the index by another column drops the kept copy
    assert_eq(df.set_index("t", sorted=True), pdf.set_index("t"))


def test_set_index_keeping_the_column_one_row_empty_partitions_and_joins(sorted_pdf):
    one = sorted_pdf.iloc[:1]
    df = kd.from_pandas(one).set_index("t", sorted=True, drop=False)
    assert_eq(df, one.set_index("t", drop=False))
    assert_eq(df.loc[one.t[0]:], one.set_index("t", drop=False).loc[one.t[0]:])
    parts = kd.from_pandas(sorted_pdf, npartitions=4)
    filtered = parts[(parts.k < 10) | (parts.k > 60)].persist().set_index("k", sorted=True, drop=False)
    assert filtered.known_divisions
    pdf = sorted_pdf[(sorted_pdf.k < 10) | (sorted_pdf.k > 60)].set_index("k", drop=False)
    assert_eq(filtered.loc[5:65], pdf.loc[5:65])
    assert_eq(filtered.loc[20:40], pdf.loc[20:40])  # every partition left out
    right = pd.DataFrame({"k": [0, 3, 9, 66, 100], "z": [1, 2, 3, 4, 5]})
    right_df = kd.from_pandas(right, npartitions=2).set_index("k")
    for how in ("left", "inner"):
        got = filtered.join(right_df, how=how).compute().sort_index()
        assert_eq(got, pdf.join(right.set_index("k"), how=how).sort_index())

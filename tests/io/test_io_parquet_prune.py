"""prune and column_statistics: decisions from footers and paths, never from data."""

import datetime as dt

import cloudpickle
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings, strategies as st

from kyudo.io import discover_parquet


@pytest.fixture
def sorted_file(tmp_path, numbers_table):
    """a = 0..99 in ten row groups of ten."""
    path = tmp_path / "sorted.parquet"
    pq.write_table(numbers_table(100), path, row_group_size=10)
    return path


def _row_groups(src):
    return [(p.path.rsplit("/", 1)[-1], p.row_groups) for p in src.partitions]


def test_prune_drops_partitions_by_statistics(sorted_file):
    src = discover_parquet(str(sorted_file), target_partition_bytes=1)
    assert src.npartitions == 10
    pruned = src.prune(pc.field("a") > 85)
    assert [p.row_groups for p in pruned.partitions] == [(8,), (9,)]
    assert pruned.num_rows == 20
    assert src.npartitions == 10  # the original is untouched
    nothing = src.prune((pc.field("a") > 50) & (pc.field("a") < 45))
    assert nothing.npartitions == 0 and nothing.schema == src.schema


def test_prune_drops_row_groups_inside_partitions(sorted_file):
    src = discover_parquet(str(sorted_file))
    assert [p.row_groups for p in src.partitions] == [tuple(range(10))]
    pruned = src.prune((pc.field("a") >= 25) & (pc.field("a") < 41))
    (part,) = pruned.partitions
    assert part.row_groups == (2, 3, 4)
    assert part.num_rows == 30
    assert part.nbytes < src.partitions[0].nbytes


def test_prune_by_hive_values_opens_no_files(hive_dir, counting_fs):
    src = discover_parquet(str(hive_dir), filesystem=counting_fs)
    worker_copy = cloudpickle.loads(cloudpickle.dumps(src))  # no cached footers
    counting_fs_after = worker_copy.filesystem
    counting_fs_after.reset()
    pruned = worker_copy.prune((pc.field("year") == 2021) & (pc.field("month") == 2))
    assert [p.partition_values for p in pruned.partitions] == [{"year": 2021, "month": 2}]
    assert list(counting_fs_after.opened) == [str(hive_dir / "year=2021" / "month=2" / "part.parquet")]


def test_discovery_filter_skips_footers_of_other_hive_directories(hive_dir, counting_fs):
    src = discover_parquet(str(hive_dir), filesystem=counting_fs, filters=[("year", "=", 2022)])
    assert {p.partition_values["year"] for p in src.partitions} == {2022}
    opened = {path.split("/hive/")[1] for path in counting_fs.opened}
    # the first file lends its schema to bind the filter; 2021 is never opened
    assert opened == {
        "year=2020/month=1/part.parquet",
        "year=2022/month=1/part.parquet",
        "year=2022/month=2/part.parquet",
    }
    assert src.num_rows == 40


def test_filter_mixing_hive_and_data_columns(hive_dir):
    src = discover_parquet(str(hive_dir), target_partition_bytes=1)
    pruned = src.prune((pc.field("year") == 2020) | (pc.field("a") >= 115))
    assert [p.partition_values for p in pruned.partitions] == [
        {"year": 2020, "month": 1}, {"year": 2020, "month": 1},
        {"year": 2020, "month": 2}, {"year": 2020, "month": 2},
        {"year": 2022, "month": 2},
    ]
    assert pruned.partitions[-1].row_groups == (1,)


def test_prune_keeps_files_that_lack_the_column(tmp_path):
    pq.write_table(pa.table({"a": [1, 2]}), tmp_path / "old.parquet")
    pq.write_table(pa.table({"a": [3], "z": [10]}), tmp_path / "new.parquet")
    src = discover_parquet(str(tmp_path))
    assert len(src.prune(pc.field("z") == 10).partitions) >= 1
    kept = src.prune(pc.field("z") == 99)
    assert all(p.path.endswith("old.parquet") for p in kept.partitions)


@settings(max_examples=40, deadline=None)
@given(low=st.integers(-5, 105), width=st.integers(0, 40), use_or=st.booleans())
def test_pruning_never_loses_rows(tmp_path_factory, low, width, use_or):
    root = tmp_path_factory.getbasetemp() / "prune-property"
    path = root / "f.parquet"
    if not path.exists():
        root.mkdir(exist_ok=True)
        table = pa.table({"a": list(range(100)), "b": [i % 10 for i in range(100)]})
        pq.write_table(table, path, row_group_size=7)
    predicate = (pc.field("a") >= low) & (pc.field("a") < low + width)
    if use_or:
        predicate = predicate | (pc.field("b") == 3)
    src = discover_parquet(str(path), target_partition_bytes=1)
    pruned = src.prune(predicate)
    ours = [pruned.read_partition(i, ["a"], predicate) for i in range(pruned.npartitions)]
    got = sorted(v for t in ours for v in t.column("a").to_pylist())
    expected = pq.read_table(path, filters=predicate).column("a").to_pylist()
    assert got == sorted(expected)
    if not use_or:
        assert pruned.npartitions <= width // 7 + 2


def test_statistics_per_partition(sorted_file):
    src = discover_parquet(str(sorted_file), target_partition_bytes=1)
    stats = src.column_statistics("a")
    assert stats == [(10 * i, 10 * i + 9, 0) for i in range(10)]
    assert src.column_statistics("c")[0] == (0.5, 4.5, 2)  # rows 0 and 7 are NULL
    grouped = discover_parquet(str(sorted_file))
    assert grouped.column_statistics("a") == [(0, 99, 0)]
    assert grouped.prune(pc.field("a") > 60).column_statistics("a") == [(60, 99, 0)]
    with pytest.raises(KeyError):
        src.column_statistics("missing")


def test_statistics_for_hive_missing_and_all_null_columns(tmp_path):
    (tmp_path / "k=5").mkdir()
    (tmp_path / "k=__HIVE_DEFAULT_PARTITION__").mkdir()
    pq.write_table(pa.table({"a": pa.array([1, 2], pa.int32())}), tmp_path / "k=5" / "p.parquet")
    pq.write_table(
        pa.table({"a": pa.array([None, None], pa.int64()), "z": ["q", "r"]}),
        tmp_path / "k=__HIVE_DEFAULT_PARTITION__" / "p.parquet",
    )
    src = discover_parquet(str(tmp_path))
    assert [p.partition_values for p in src.partitions] == [{"k": 5}, {"k": None}]
    assert src.column_statistics("k") == [(5, 5, 0), (None, None, 2)]
    assert src.column_statistics("a") == [(1, 2, 0), (None, None, 2)]
    assert src.column_statistics("z") == [(None, None, 2), ("q", "r", 0)]
    assert type(src.column_statistics("a")[0][0]) is int


def test_statistics_unknown_when_not_written(tmp_path):
    pq.write_table(pa.table({"a": [1, 2]}), tmp_path / "f.parquet", write_statistics=False)
    assert discover_parquet(str(tmp_path)).column_statistics("a") == [None]


def test_statistics_keep_logical_types(tmp_path):
    when = [dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(2020, 3, 1, tzinfo=dt.timezone.utc)]
    table = pa.table({"t": pa.array(when, pa.timestamp("ns", tz="UTC")), "d": [dt.date(2020, 1, 1)] * 2})
    pq.write_table(table, tmp_path / "f.parquet")
    src = discover_parquet(str(tmp_path))
    (low, high, nulls), = src.column_statistics("t")
    assert (low, high, nulls) == (when[0], when[1], 0)
    assert src.column_statistics("d") == [(dt.date(2020, 1, 1), dt.date(2020, 1, 1), 0)]

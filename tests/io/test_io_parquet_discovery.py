"""discover_parquet: schemas, row counts and partitions, from footers only."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kyudo.io import ParquetFileError, SchemaMismatchError, discover_parquet


def test_single_file_one_partition_per_small_file(tmp_path, numbers_table):
    pq.write_table(numbers_table(100), tmp_path / "f.parquet", row_group_size=10)
    src = discover_parquet(str(tmp_path / "f.parquet"))
    assert src.schema == numbers_table(1).schema
    assert src.num_rows == 100
    assert src.npartitions == 1
    (part,) = src.partitions
    assert part.row_groups == tuple(range(10))
    assert part.num_rows == 100
    assert part.partition_values == {}
    metadata = pq.read_metadata(tmp_path / "f.parquet")
    assert part.nbytes == sum(metadata.row_group(i).total_byte_size for i in range(10))


def test_row_groups_are_grouped_up_to_target_bytes(tmp_path, numbers_table):
    path = tmp_path / "f.parquet"
    pq.write_table(numbers_table(100), path, row_group_size=10)
    sizes = [pq.read_metadata(path).row_group(i).total_byte_size for i in range(10)]
    target = sizes[0] * 3 + 1  # room for three similar row groups, not four
    src = discover_parquet(str(path), target_partition_bytes=target)
    groups = [p.row_groups for p in src.partitions]
    assert [rg for g in groups for rg in g] == list(range(10))  # consecutive, in order
    assert all(p.nbytes <= target or len(p.row_groups) == 1 for p in src.partitions)
    assert 3 <= len(groups) <= 5
    one_each = discover_parquet(str(path), target_partition_bytes=1)
    assert [p.row_groups for p in one_each.partitions] == [(i,) for i in range(10)]
    assert [p.num_rows for p in one_each.partitions] == [10] * 10


def test_partitions_never_span_files(tmp_path, numbers_table):
    for i in range(3):
        pq.write_table(numbers_table(5, 5 * i), tmp_path / f"part-{i}.parquet")
    src = discover_parquet(str(tmp_path), target_partition_bytes=2**40)
    assert [p.path.rsplit("/", 1)[-1] for p in src.partitions] == [
        "part-0.parquet", "part-1.parquet", "part-2.parquet"
    ]
    assert src.num_rows == 15


def test_glob_list_and_memory_give_the_same_dataset(tmp_path, memory_root, numbers_table):
    fs, root = memory_root
    for i in range(2):
        pq.write_table(numbers_table(4, 4 * i), tmp_path / f"{i}.parquet")
        with fs.open(f"{root}/{i}.parquet", "wb") as f:
            pq.write_table(numbers_table(4, 4 * i), f)
    by_glob = discover_parquet(str(tmp_path / "*.parquet"))
    by_list = discover_parquet([str(tmp_path / "0.parquet"), str(tmp_path / "1.parquet")])
    in_memory = discover_parquet(f"memory://{root}")
    for src in (by_glob, by_list, in_memory):
        assert src.npartitions == 2 and src.num_rows == 8
        assert src.schema == numbers_table(1).schema
    assert in_memory.read_partition(1).equals(numbers_table(4, 4))


def test_hive_columns_are_typed_and_appended(hive_dir):
    src = discover_parquet(str(hive_dir))
    assert src.schema.names == ["a", "b", "c", "year", "month"]
    assert src.schema.field("year").type == pa.int32()
    assert src.npartitions == 6
    assert src.partitions[0].partition_values == {"year": 2020, "month": 1}
    assert src.partitions[-1].partition_values == {"year": 2022, "month": 2}
    plain = discover_parquet(str(hive_dir), partitioning=None)
    assert plain.schema.names == ["a", "b", "c"]


def test_schema_comes_from_footers_without_reading_data(tmp_path, counting_fs):
    path = tmp_path / "big.parquet"
    n = 400_000
    table = pa.table({"x": pa.array(range(n), pa.int64()), "s": [f"row-{i}" for i in range(n)]})
    pq.write_table(table, path, row_group_size=50_000, compression="none")
    size = path.stat().st_size
    src = discover_parquet(str(path), filesystem=counting_fs, target_partition_bytes=1)
    assert src.npartitions == 8 and src.num_rows == n
    assert counting_fs.opened[str(path)] == 1
    assert 0 < counting_fs.bytes_read[str(path)] < size / 50
    src.column_statistics("x")
    assert counting_fs.bytes_read[str(path)] < size / 50  # statistics come from the cached footer
    counting_fs.reset()
    assert src.read_partition(3, ["x"]).num_rows == 50_000
    # a real read reads data: one column chunk of one of eight row groups
    assert size / 50 < counting_fs.bytes_read[str(path)] < size / 4


def test_empty_files_give_a_schema_but_no_partitions(tmp_path, numbers_table):
    pq.write_table(numbers_table(0), tmp_path / "empty.parquet")
    src = discover_parquet(str(tmp_path))
    assert src.npartitions == 0 and src.num_rows == 0
    assert src.schema == numbers_table(0).schema
    pq.write_table(numbers_table(3), tmp_path / "full.parquet")
    assert discover_parquet(str(tmp_path)).npartitions == 1


def test_missing_columns_are_unified_and_types_widened(tmp_path):
    pq.write_table(pa.table({"a": pa.array([1], pa.int32())}), tmp_path / "1.parquet")
    pq.write_table(
        pa.table({"a": pa.array([2], pa.int64()), "new": ["x"]}), tmp_path / "2.parquet"
    )
    src = discover_parquet(str(tmp_path))
    assert src.schema == pa.schema([("a", pa.int64()), ("new", pa.string())])
    first = src.read_partition(0)
    assert first.schema == src.schema
    assert first.to_pylist() == [{"a": 1, "new": None}]


def test_a_required_column_is_nullable_unless_every_file_has_it(tmp_path):
    """The planner folds NULL tests of non-nullable columns, so a column one file
    lacks (read as NULLs there) must not keep another file's REQUIRED."""
    required = pa.schema([pa.field("k", pa.int64(), nullable=False), pa.field("v", pa.int64(), nullable=False)])
    pq.write_table(pa.table({"k": [1], "v": [1]}, schema=required), tmp_path / "1.parquet")
    pq.write_table(pa.table({"v": [2]}, schema=pa.schema([required.field("v")])), tmp_path / "2.parquet")
    src = discover_parquet(str(tmp_path))
    assert src.schema == pa.schema([pa.field("k", pa.int64()), required.field("v")])
    assert not src.schema.field("v").nullable
    (tmp_path / "2.parquet").unlink()
    assert discover_parquet(str(tmp_path)).schema == required


def test_incompatible_schemas_name_both_files_and_the_column(tmp_path):
    pq.write_table(pa.table({"a": [1], "k": [1]}), tmp_path / "1.parquet")
    pq.write_table(pa.table({"a": [2], "k": ["text"]}), tmp_path / "2.parquet")
    with pytest.raises(SchemaMismatchError) as info:
        discover_parquet(str(tmp_path))
    message = str(info.value)
    assert "'k'" in message and "1.parquet" in message and "2.parquet" in message


def test_hive_key_that_is_also_a_stored_column_is_an_error(tmp_path):
    (tmp_path / "a=1").mkdir()
    pq.write_table(pa.table({"a": [1]}), tmp_path / "a=1" / "p.parquet")
    with pytest.raises(SchemaMismatchError, match="both a hive directory key"):
        discover_parquet(str(tmp_path))


@pytest.mark.parametrize("content", [b"this is not parquet", b"PAR1" + b"\0" * 50])
def test_unreadable_file_is_named(tmp_path, numbers_table, content):
    pq.write_table(numbers_table(3), tmp_path / "good.parquet")
    (tmp_path / "bad.parquet").write_bytes(content)
    with pytest.raises(ParquetFileError, match="bad.parquet"):
        discover_parquet(str(tmp_path))


def test_truncated_file_is_named(tmp_path, numbers_table):
    pq.write_table(numbers_table(1000), tmp_path / "whole.parquet")
    data = (tmp_path / "whole.parquet").read_bytes()
    (tmp_path / "cut.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(ParquetFileError, match="cut.parquet"):
        discover_parquet(str(tmp_path / "cut.parquet"))


def test_missing_path_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.parquet"):
        discover_parquet(str(tmp_path / "nowhere.parquet"))


def test_bad_options(tmp_path, numbers_table):
    pq.write_table(numbers_table(1), tmp_path / "f.parquet")
    with pytest.raises(ValueError, match="partitioning"):
        discover_parquet(str(tmp_path), partitioning="directory")
    with pytest.raises(ValueError, match="positive"):
        discover_parquet(str(tmp_path), target_partition_bytes=0)


def test_hive_collision_names_the_file_that_stores_the_column(tmp_path):
    for value, table in [(1, pa.table({"x": [1]})), (2, pa.table({"x": [2], "a": [2]}))]:
        (tmp_path / f"a={value}").mkdir()
        pq.write_table(table, tmp_path / f"a={value}" / "p.parquet")
    with pytest.raises(SchemaMismatchError, match="a=2/p.parquet"):
        discover_parquet(str(tmp_path))

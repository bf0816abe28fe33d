"""ParquetSource identity: pickling for workers, and tokens for hashing plans."""

import pickle

import cloudpickle
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kyudo.io import discover_parquet


def test_cloudpickle_round_trip_reads_the_same(hive_dir):
    src = discover_parquet(str(hive_dir), filters=[("a", ">", 50)])
    copy = cloudpickle.loads(cloudpickle.dumps(src))
    assert copy == src and hash(copy) == hash(src)
    assert copy.partitions == src.partitions
    assert copy.schema == src.schema
    for i in range(src.npartitions):
        assert copy.read_partition(i, ["a", "year"]).equals(src.read_partition(i, ["a", "year"]))
    assert copy.column_statistics("a") == src.column_statistics("a")


def test_pickle_leaves_footers_behind(hive_dir):
    src = discover_parquet(str(hive_dir))
    assert src._footers  # discovery cached them
    assert pickle.loads(pickle.dumps(src))._footers == {}
    assert src._footers  # pickling does not empty the original's cache


def test_memory_filesystem_source_pickles(memory_root, numbers_table):
    fs, root = memory_root
    with fs.open(f"{root}/f.parquet", "wb") as f:
        pq.write_table(numbers_table(10), f, row_group_size=3)
    src = discover_parquet(f"memory://{root}/f.parquet", target_partition_bytes=1)
    copy = cloudpickle.loads(cloudpickle.dumps(src))
    assert copy.npartitions == 4
    assert copy.read_partition(3).equals(numbers_table(1, 9))


def test_token_is_deterministic_and_tracks_what_matters(tmp_path, numbers_table):
    path = tmp_path / "f.parquet"
    pq.write_table(numbers_table(30), path, row_group_size=10)
    first = discover_parquet(str(path), target_partition_bytes=1)
    again = discover_parquet(str(path), target_partition_bytes=1)
    assert first.token() == again.token() and first == again
    assert len({first, again}) == 1
    assert first.prune(pc.field("a") > 25).token() != first.token()
    assert discover_parquet(str(path)).token() != first.token()  # different partitioning
    filtered = discover_parquet(str(path), target_partition_bytes=1, filters=[("b", "=", "v3")])
    assert filtered.token() != first.token()
    pq.write_table(numbers_table(31), path, row_group_size=10)
    assert discover_parquet(str(path), target_partition_bytes=1).token() != first.token()

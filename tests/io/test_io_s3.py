"""Reads, writes, globs and pruning against a real S3 endpoint (moto's server).

Every request here goes over HTTP to 127.0.0.1, through s3fs, as it would
to a cloud object store.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

import kyudo.dataframe as kd
from kyudo.io.parquet import discover_parquet


@pytest.fixture
def trips():
    n = 600
    return pd.DataFrame({
        "id": np.arange(n, dtype="int64"),
        "city": [["oslo", "lima", "pune"][i % 3] for i in range(n)],
        "fare": np.arange(n) * 0.5,
    })


def test_parquet_write_read_and_prune(s3_bucket, trips):
    fs, bucket, options = s3_bucket
    url = f"s3://{bucket}/trips"
    kd.from_pandas(trips, npartitions=3).to_parquet(url, partition_on="city", storage_options=options)
    keys = sorted(fs.find(bucket))
    assert len(keys) == 9 and all("/trips/city=" in k for k in keys)

    frame = kd.read_parquet(url, storage_options=options)
    back = frame.compute().sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(back[list(trips.columns)], trips)

    pruned = discover_parquet(url, storage_options=options, filters=[("city", "=", "lima")])
    assert {p.rsplit("/", 2)[-2] for p in pruned.paths} == {"city=lima"}
    lima = frame[(frame.city == "lima") & (frame.fare > 100)].compute()
    expected = trips[(trips.city == "lima") & (trips.fare > 100)]
    assert sorted(lima.id) == sorted(expected.id)

    # other engines read what kyudo wrote to the object store
    arrow = pq.read_table(f"{bucket}/trips", filesystem=fs).to_pandas()
    assert sorted(arrow.id) == list(trips.id)
    polars = pl.read_parquet(
        f"{url}/**/*.parquet", hive_partitioning=True,
        storage_options={"aws_endpoint_url": options["endpoint_url"], "aws_access_key_id": "kyudo-test",
                         "aws_secret_access_key": "kyudo-test", "aws_region": "eu-west-1",
                         "aws_allow_http": "true"},
    ).to_pandas()
    assert sorted(polars.id) == list(trips.id) and set(polars.city) == {"oslo", "lima", "pune"}


def test_csv_glob_blocks_and_single_file(s3_bucket, trips):
    fs, bucket, options = s3_bucket
    for i in range(3):
        fs.pipe(f"{bucket}/raw/day-{i}.csv", trips.iloc[i * 200:(i + 1) * 200].to_csv(index=False).encode())
    fs.pipe(f"{bucket}/raw/notes.txt", b"not csv")
    frame = kd.read_csv(f"s3://{bucket}/raw/day-*.csv", blocksize=1000, storage_options=options)
    assert frame.npartitions > 3
    pd.testing.assert_frame_equal(frame.compute(), trips)

    frame.to_csv(f"s3://{bucket}/out/all.csv.gz", single_file=True, storage_options=options)
    back = kd.read_csv(f"s3://{bucket}/out/all.csv.gz", storage_options=options).compute()
    pd.testing.assert_frame_equal(back, trips)
    assert fs.find(f"{bucket}/out") == [f"{bucket}/out/all.csv.gz"]


def test_json_lines_round_trip(s3_bucket, trips):
    _, bucket, options = s3_bucket
    kd.from_pandas(trips, npartitions=2).to_json(f"s3://{bucket}/j", storage_options=options)
    back = kd.read_json(f"s3://{bucket}/j", blocksize=2000, storage_options=options).compute()
    pd.testing.assert_frame_equal(back, trips)


def test_failed_overwrite_keeps_the_old_objects(s3_bucket, trips):
    fs, bucket, options = s3_bucket
    url = f"s3://{bucket}/d"
    kd.from_pandas(trips, npartitions=2).to_parquet(url, storage_options=options)
    before = sorted(fs.find(bucket))

    def explode(part):
        raise RuntimeError("network partition")

    failing = kd.from_pandas(trips, npartitions=2).map_partitions(explode, meta=trips.iloc[:0])
    with pytest.raises(RuntimeError, match="network partition"):
        failing.to_parquet(url, mode="overwrite", storage_options=options)
    fs.invalidate_cache()
    assert sorted(fs.find(bucket)) == before

    kd.from_pandas(trips.iloc[:5]).to_parquet(url, mode="overwrite", storage_options=options)
    fs.invalidate_cache()
    assert fs.find(bucket) == [f"{bucket}/d/part.0.parquet"]
    assert kd.read_parquet(url, storage_options=options).compute().id.tolist() == list(range(5))


def test_missing_objects_are_named(s3_bucket):
    _, bucket, options = s3_bucket
    with pytest.raises(FileNotFoundError, match="nothing"):
        kd.read_parquet(f"s3://{bucket}/nothing", storage_options=options)
    with pytest.raises(FileNotFoundError, match="glob matches no files"):
        kd.read_csv(f"s3://{bucket}/none-*.csv", storage_options=options)


@pytest.mark.slow
def test_planning_many_objects_reads_footers_in_parallel(s3_bucket):
    fs, bucket, options = s3_bucket
    frame = pd.DataFrame({"a": range(10), "b": [1.5] * 10})
    for i in range(200):
        pq.write_table(
            __import__("pyarrow").Table.from_pandas(frame.assign(a=frame.a + 10 * i), preserve_index=False),
            f"{bucket}/many/part-{i:04d}.parquet", filesystem=fs,
        )
    started = time.perf_counter()
    source = discover_parquet(f"s3://{bucket}/many", storage_options=options)
    elapsed = time.perf_counter() - started
    assert source.npartitions == 200 and source.num_rows == 2000
    # one request per footer, 32 at a time: far below 200 sequential round trips
    assert elapsed < 15, elapsed


def test_reading_one_column_fetches_only_its_bytes(s3_bucket, monkeypatch):
    import pyarrow as pa
    import s3fs

    fs, bucket, options = s3_bucket
    rng = np.random.default_rng(0)
    table = pa.table({name: rng.random(200_000) for name in "abcdefgh"})
    pq.write_table(table, f"{bucket}/wide.parquet", filesystem=fs, compression=None)
    size = fs.size(f"{bucket}/wide.parquet")
    fetched = []
    real_fetch = s3fs.core.S3File._fetch_range

    def counting_fetch(self, start, end):
        data = real_fetch(self, start, end)
        fetched.append(len(data))
        return data

    monkeypatch.setattr(s3fs.core.S3File, "_fetch_range", counting_fetch)
    frame = kd.read_parquet(f"s3://{bucket}/wide.parquet", storage_options=options)
    assert sum(fetched) <= 64 * 1024  # planning read the footer only
    fetched.clear()
    assert frame[["c"]].compute().c.tolist() == table.column("c").to_pylist()
    assert sum(fetched) < size / 4, (sum(fetched), size)  # one column of eight, not the object


def test_a_list_of_objects_keeps_its_order(s3_bucket):
    fs, bucket, options = s3_bucket
    for i in range(40):
        fs.pipe(f"{bucket}/l/{i}.csv", f"n\n{i}\n".encode())
    paths = [f"s3://{bucket}/l/{i}.csv" for i in reversed(range(40))]
    result = kd.read_csv(paths + paths[:3], storage_options=options).compute()
    assert result.n.tolist() == list(reversed(range(40)))

"""to_parquet / to_csv / to_json: layout, modes, and all-or-nothing commits.

Written datasets are read back with kyudo, pyarrow, DuckDB and Polars.
"""

from __future__ import annotations

import os

import duckdb
import fsspec
import numpy as np
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest
from fsspec.implementations.local import LocalFileSystem

import kyudo.dataframe as kd
from kyudo.io.schemas import SchemaMismatchError


@pytest.fixture
def sales():
    n = 240
    return pd.DataFrame({
        "id": np.arange(n, dtype="int64"),
        "region": [["north", "south", "east west"][i % 3] for i in range(n)],
        "year": [2020 + i % 4 for i in range(n)],
        "amount": [float(i) * 1.25 if i % 11 else None for i in range(n)],
    })


def _files(root) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _, names in os.walk(root) for f in names
    )


def _sorted(frame: pd.DataFrame, columns) -> pd.DataFrame:
    return frame[columns].sort_values("id").reset_index(drop=True)


def test_parquet_round_trip_in_every_engine(tmp_path, sales):
    out = tmp_path / "out"
    written = kd.from_pandas(sales, npartitions=4).to_parquet(str(out))
    assert _files(out) == [f"part.{i}.parquet" for i in range(4)] == [os.path.basename(p) for p in written]
    columns = list(sales.columns)
    pd.testing.assert_frame_equal(kd.read_parquet(str(out)).compute(), sales)
    pd.testing.assert_frame_equal(pq.read_table(out).to_pandas(), sales)
    duck = duckdb.sql(f"select * from read_parquet('{out}/*.parquet')").df()
    pd.testing.assert_frame_equal(_sorted(duck, columns), sales, check_dtype=False)
    polars = pl.read_parquet(f"{out}/*.parquet").to_pandas()
    pd.testing.assert_frame_equal(_sorted(polars, columns), sales, check_dtype=False)


def test_partition_on_writes_hive_directories_every_engine_reads(tmp_path, sales):
    out = tmp_path / "hive"
    kd.from_pandas(sales, npartitions=3).to_parquet(str(out), partition_on=["year", "region"])
    directories = {os.path.dirname(f) for f in _files(out)}
    assert directories == {f"year={y}/region={r}" for y in range(2020, 2024)
                           for r in ("north", "south", "east%20west")}
    for name in _files(out):
        assert pq.read_schema(out / name).names == ["id", "amount"]
    columns = list(sales.columns)
    back = kd.read_parquet(str(out)).compute()
    pd.testing.assert_frame_equal(_sorted(back, columns), sales, check_dtype=False)
    arrow = pq.read_table(out).to_pandas()
    for key in ("region", "year"):  # pyarrow reads hive keys as categoricals
        arrow[key] = arrow[key].astype(sales[key].dtype)
    pd.testing.assert_frame_equal(_sorted(arrow, columns), sales, check_dtype=False)
    duck = duckdb.sql(f"select * from read_parquet('{out}/**/*.parquet', hive_partitioning=true)").df()
    pd.testing.assert_frame_equal(_sorted(duck, columns), sales, check_dtype=False)
    polars = pl.read_parquet(f"{out}/**/*.parquet", hive_partitioning=True).to_pandas()
    pd.testing.assert_frame_equal(_sorted(polars, columns), sales, check_dtype=False)
    # the hive layout is what lets a later read skip whole files
    pruned = kd.read_parquet(str(out), filters=[("year", "=", 2021)])
    assert len(_files(out)) == 36  # 3 input partitions x 12 directories
    assert pruned.npartitions == 9  # the plan is a scan under a NaN-to-NULL projection
    assert len(pruned.compute()) == 60


def test_null_partition_values_use_the_hive_marker(tmp_path):
    frame = pd.DataFrame({"k": ["a", None, "a"], "v": [1, 2, 3]})
    kd.from_pandas(frame).to_parquet(str(tmp_path / "o"), partition_on="k")
    assert {os.path.dirname(f) for f in _files(tmp_path / "o")} == {"k=a", "k=__HIVE_DEFAULT_PARTITION__"}
    back = kd.read_parquet(str(tmp_path / "o")).compute().sort_values("v")
    assert back.k.tolist()[:1] == ["a"] and pd.isna(back.k.tolist()[1])


def test_codec_level_and_row_group_size(tmp_path):
    frame = kd.from_pandas(pd.DataFrame({"x": np.arange(1000) % 10, "s": ["abc" * 20] * 1000}))
    frame.to_parquet(str(tmp_path / "z"), compression="zstd", compression_level=19, row_group_size=300)
    frame.to_parquet(str(tmp_path / "z1"), compression="zstd", compression_level=1, row_group_size=300)
    frame.to_parquet(str(tmp_path / "g"), compression="gzip")
    meta = pq.ParquetFile(tmp_path / "z" / "part.0.parquet").metadata
    assert meta.num_row_groups == 4
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert pq.ParquetFile(tmp_path / "g" / "part.0.parquet").metadata.row_group(0).column(0).compression == "GZIP"
    assert os.path.getsize(tmp_path / "z" / "part.0.parquet") <= os.path.getsize(tmp_path / "z1" / "part.0.parquet")


def test_empty_partitions_write_no_files(tmp_path, sales):
    frame = kd.from_pandas(sales, npartitions=6)
    kd_filtered = frame[frame.id < 50]
    kd_filtered.to_parquet(str(tmp_path / "few"))
    assert _files(tmp_path / "few") == ["part.0.parquet", "part.1.parquet"]
    assert kd.read_parquet(str(tmp_path / "few")).compute().id.tolist() == list(range(50))
    frame[frame.id < 0].to_parquet(str(tmp_path / "none"))
    assert _files(tmp_path / "none") == ["part.0.parquet"]
    empty = kd.read_parquet(str(tmp_path / "none")).compute()
    assert len(empty) == 0 and list(empty.columns) == list(sales.columns)


def test_modes_error_overwrite_append(tmp_path, sales):
    out = str(tmp_path / "d")
    frame = kd.from_pandas(sales, npartitions=2)
    frame.to_parquet(out)
    with pytest.raises(FileExistsError, match="mode='overwrite'"):
        frame.to_parquet(out)
    frame.to_parquet(out, mode="append")
    assert _files(out) == [f"part.{i}.parquet" for i in range(4)]
    pd.testing.assert_frame_equal(kd.read_parquet(out).compute(), pd.concat([sales, sales], ignore_index=True))
    frame[frame.id < 10].to_parquet(out, mode="overwrite")
    assert kd.read_parquet(out).compute().id.tolist() == list(range(10))
    with pytest.raises(SchemaMismatchError, match="cannot append"):
        frame[["id"]].to_parquet(out, mode="append")
    with pytest.raises(ValueError, match="mode must be"):
        frame.to_parquet(out, mode="replace")
    assert sorted(os.listdir(tmp_path)) == ["d"]


def test_failed_write_leaves_previous_dataset_and_no_partial_files(tmp_path, sales):
    out = tmp_path / "d"
    kd.from_pandas(sales, npartitions=2).to_parquet(str(out))
    before = {name: (out / name).read_bytes() for name in _files(out)}

    def explode(part: pd.DataFrame) -> pd.DataFrame:
        if part.id.min() >= 120:
            raise RuntimeError("disk on fire")
        return part

    failing = kd.from_pandas(sales, npartitions=4).map_partitions(explode, meta=sales.iloc[:0])
    with pytest.raises(RuntimeError, match="disk on fire"):
        failing.to_parquet(str(out), mode="overwrite")
    with pytest.raises(RuntimeError, match="disk on fire"):
        failing.to_parquet(str(tmp_path / "new"))
    assert {name: (out / name).read_bytes() for name in _files(out)} == before
    assert sorted(os.listdir(tmp_path)) == ["d"]


def test_failed_commit_restores_the_previous_dataset(tmp_path, sales, monkeypatch):
    out = tmp_path / "d"
    kd.from_pandas(sales.iloc[:10]).to_parquet(str(out))
    before = {name: (out / name).read_bytes() for name in _files(out)}
    real_mv, calls = LocalFileSystem.mv, []

    def flaky_mv(self, *args, **kwargs):
        calls.append(args)
        if len(calls) == 2:  # after the old dataset was set aside
            raise OSError("connection reset")
        return real_mv(self, *args, **kwargs)

    monkeypatch.setattr(LocalFileSystem, "mv", flaky_mv)
    with pytest.raises(OSError, match="connection reset"):
        kd.from_pandas(sales, npartitions=3).to_parquet(str(out), mode="overwrite")
    assert {name: (out / name).read_bytes() for name in _files(out)} == before
    assert sorted(os.listdir(tmp_path)) == ["d"]


def test_overwriting_the_dataset_being_read(tmp_path, sales):
    out = str(tmp_path / "d")
    kd.from_pandas(sales, npartitions=3).to_parquet(out)
    frame = kd.read_parquet(out)
    frame[frame.year == 2021].to_parquet(out, mode="overwrite")
    pd.testing.assert_frame_equal(
        kd.read_parquet(out).compute(), sales[sales.year == 2021].reset_index(drop=True)
    )


def test_parquet_on_the_memory_filesystem(sales):
    fs = fsspec.filesystem("memory")
    kd.from_pandas(sales, npartitions=2).to_parquet("memory://kyudo-write/ds", partition_on="year")
    try:
        back = kd.read_parquet("memory://kyudo-write/ds").compute()
        pd.testing.assert_frame_equal(_sorted(back, list(sales.columns)), sales, check_dtype=False)
        assert not [p for p in fs.ls("/kyudo-write", detail=False) if "staging" in p]
    finally:
        fs.rm("/kyudo-write", recursive=True)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_text_one_file_per_partition(tmp_path, sales, fmt):
    frame = kd.from_pandas(sales, npartitions=3)
    getattr(frame, f"to_{fmt}")(str(tmp_path / "t"))
    assert _files(tmp_path / "t") == [f"part.{i}.{fmt}" for i in range(3)]
    reader = kd.read_csv if fmt == "csv" else kd.read_json
    pd.testing.assert_frame_equal(reader(str(tmp_path / "t")).compute(), sales, check_dtype=False)
    if fmt == "csv":
        expected = pd.concat([pd.read_csv(tmp_path / "t" / f"part.{i}.csv") for i in range(3)], ignore_index=True)
    else:
        expected = pd.concat([pd.read_json(tmp_path / "t" / f"part.{i}.json", lines=True)
                              for i in range(3)], ignore_index=True)
    pd.testing.assert_frame_equal(expected, sales, check_dtype=False)


@pytest.mark.parametrize("name", ["all.csv", "all.csv.gz", "all.json", "all.json.bz2"])
def test_text_single_file_with_compression_from_extension(tmp_path, sales, name):
    frame = kd.from_pandas(sales, npartitions=4)
    frame = frame[frame.id % 7 != 0]
    fmt = "csv" if ".csv" in name else "json"
    getattr(frame, f"to_{fmt}")(str(tmp_path / name), single_file=True)
    assert sorted(os.listdir(tmp_path)) == [name]
    expected = sales[sales.id % 7 != 0].reset_index(drop=True)
    if fmt == "csv":
        back = pd.read_csv(tmp_path / name)
    else:
        back = pd.read_json(tmp_path / name, lines=True)
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)


def test_csv_pattern_names_and_header_flag(tmp_path, sales):
    kd.from_pandas(sales, npartitions=2).to_csv(str(tmp_path / "x-*.csv"), header=False)
    assert sorted(os.listdir(tmp_path)) == ["x-0.csv", "x-1.csv"]
    first = pd.read_csv(tmp_path / "x-0.csv", header=None)
    assert first.iloc[0, 0] == 0 and len(first) == 120


def test_single_file_refuses_append_and_existing_target(tmp_path, sales):
    frame = kd.from_pandas(sales)
    frame.to_csv(str(tmp_path / "a.csv"), single_file=True)
    with pytest.raises(FileExistsError):
        frame.to_csv(str(tmp_path / "a.csv"), single_file=True)
    with pytest.raises(ValueError, match="append"):
        frame.to_csv(str(tmp_path / "a.csv"), single_file=True, mode="append")
    frame[frame.id < 3].to_csv(str(tmp_path / "a.csv"), single_file=True, mode="overwrite")
    assert pd.read_csv(tmp_path / "a.csv").id.tolist() == [0, 1, 2]
    assert sorted(os.listdir(tmp_path)) == ["a.csv"]


def test_json_values_follow_pandas(tmp_path):
    frame = pd.DataFrame({
        "t": pd.to_datetime(["2024-01-02 03:04:05", None]),
        "f": [float("nan"), 2.5],
        "s": ["ü", None],
    })
    kd.from_pandas(frame).to_json(str(tmp_path / "v.json"), single_file=True)
    lines = (tmp_path / "v.json").read_text(encoding="utf-8").splitlines()
    assert lines[0] == '{"t": "2024-01-02T03:04:05", "f": null, "s": "ü"}'
    assert lines[1] == '{"t": null, "f": 2.5, "s": null}'


def test_writers_run_on_the_chosen_scheduler(tmp_path, sales):
    frame = kd.from_pandas(sales, npartitions=3)
    frame.to_parquet(str(tmp_path / "p"), scheduler="sync", partition_on="year")
    frame.to_csv(str(tmp_path / "c.csv"), single_file=True, scheduler="sync")
    assert len(kd.read_parquet(str(tmp_path / "p")).compute()) == len(pd.read_csv(tmp_path / "c.csv")) == 240


_SLOW_WRITER = """
import sys, time
import pandas as pd
import kyudo.dataframe as kd

def slow(part):
    time.sleep(0.2)
    return part

frame = pd.DataFrame({"id": range(4000), "v": 1.0})
kd.from_pandas(frame, npartitions=200).map_partitions(slow, meta=frame.iloc[:0]).to_parquet(
    sys.argv[1], mode="overwrite", scheduler="sync")
"""


@pytest.mark.slow
def test_a_killed_writer_leaves_the_previous_dataset_readable(tmp_path, sales):
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "d"
    kd.from_pandas(sales, npartitions=2).to_parquet(str(out))
    before = {name: (out / name).read_bytes() for name in _files(out)}
    writer = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, str(out)],
                              stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not any(_files(tmp_path / s) for s in os.listdir(tmp_path) if "staging" in s):
            assert writer.poll() is None, "the writer finished before it could be interrupted"
            assert time.monotonic() < deadline, "the writer never staged a file"
            time.sleep(0.05)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    assert {name: (out / name).read_bytes() for name in _files(out)} == before
    pd.testing.assert_frame_equal(kd.read_parquet(str(out)).compute(), sales)
    pd.testing.assert_frame_equal(pq.read_table(out).to_pandas(), sales)

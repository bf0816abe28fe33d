"""Fixtures for kyudo.io tests: small datasets and a filesystem that counts I/O.

The counting filesystem is how tests prove that discovery and pruning read
footers only: it records every file opened and every byte read through it.
"""

from __future__ import annotations

import uuid
from collections import Counter

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fsspec.implementations.local import LocalFileSystem


class _CountingFile:
    """Wraps an open file, adding what is read to the owning filesystem's tally."""

    def __init__(self, inner, fs, path):
        self._inner, self._fs, self._path = inner, fs, path

    def read(self, size=-1):
        data = self._inner.read(size)
        self._fs.bytes_read[self._path] += len(data)
        return data

    def readinto(self, buffer):
        n = self._inner.readinto(buffer)
        self._fs.bytes_read[self._path] += n
        return n

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._inner.close()


class CountingFileSystem(LocalFileSystem):
    """A local filesystem that remembers which files were opened and how much was read."""

    cachable = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.opened = Counter()
        self.bytes_read = Counter()

    def _open(self, path, mode="rb", **kwargs):
        inner = super()._open(path, mode=mode, **kwargs)
        if "r" not in mode:
            return inner
        self.opened[path] += 1
        return _CountingFile(inner, self, path)

    def reset(self):
        self.opened.clear()
        self.bytes_read.clear()


@pytest.fixture
def counting_fs():
    return CountingFileSystem()


@pytest.fixture
def memory_root():
    """A fresh directory on fsspec's in-memory filesystem, removed afterwards."""
    fs = fsspec.filesystem("memory")
    root = f"/kyudo-test-{uuid.uuid4().hex}"
    fs.mkdir(root)
    yield fs, root
    fs.rm(root, recursive=True)


def _numbers_table(n: int, start: int = 0) -> pa.Table:
    """``a`` = start..start+n-1, ``b`` = str(a), ``c`` = a / 2 with every 7th NULL."""
    values = list(range(start, start + n))
    return pa.table(
        {
            "a": pa.array(values, pa.int64()),
            "b": pa.array([f"v{v}" for v in values]),
            "c": pa.array([None if v % 7 == 0 else v / 2 for v in values], pa.float64()),
        }
    )


@pytest.fixture
def numbers_table():
    return _numbers_table


@pytest.fixture
def hive_dir(tmp_path):
    """year=2020..2022 / month=1..2 / part.parquet, each with 2 row groups of 10 rows."""
    root = tmp_path / "hive"
    start = 0
    for year in (2020, 2021, 2022):
        for month in (1, 2):
            directory = root / f"year={year}" / f"month={month}"
            directory.mkdir(parents=True)
            pq.write_table(_numbers_table(20, start), directory / "part.parquet", row_group_size=10)
            start += 20
    return root

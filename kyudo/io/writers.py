"""Writing one Arrow table (one partition) into a staging directory.

Each writer is a small picklable callable, so it can run as a task on any
executor: given a partition it writes zero or more files under the staging
directory of a :class:`~kyudo.io.commit.StagedWrite` and returns a table
saying what it wrote (``WRITTEN``: the staged name, the hive directory the
file belongs to, and its row count).  An empty partition writes nothing.
Final names are given later, at commit, in partition order.
"""

from __future__ import annotations

import datetime
import decimal
import io
import json
import math
import posixpath
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .hive import NULL_MARKER

WRITTEN = pa.schema([("staged", pa.string()), ("directory", pa.string()), ("rows", pa.int64())])
_COPY_CHUNK = 8 * 2**20


@dataclass(frozen=True)
class ParquetWriter:
    """Write a partition as Parquet, split into hive directories by ``partition_on``.

    The partition columns live in the directory names (``key=value``, NULL as
    ``__HIVE_DEFAULT_PARTITION__``, values percent-encoded), not in the files,
    as Hive, Spark, pyarrow, DuckDB and Polars expect.
    """

    fs: fsspec.AbstractFileSystem
    staging: str
    partition_on: tuple[str, ...] = ()
    compression: str | None = "snappy"
    compression_level: int | None = None
    row_group_size: int | None = None

    def __call__(self, table: pa.Table) -> pa.Table:
        return _written([
            (self._write(directory, part), directory, part.num_rows)
            for directory, part in _hive_groups(table, self.partition_on)
            if part.num_rows
        ])

    def write_empty(self, schema: pa.Schema) -> str:
        """A file with no rows, so that a dataset of nothing still has a schema."""
        return self._write("", schema.empty_table())

    def _write(self, directory: str, table: pa.Table) -> str:
        staged = posixpath.join(directory, f"{uuid.uuid4().hex}.parquet")
        path = posixpath.join(self.staging, staged)
        self.fs.makedirs(posixpath.dirname(path), exist_ok=True)
        with self.fs.open(path, "wb") as f:
            pq.write_table(table, f, compression=self.compression,
                           compression_level=self.compression_level,
                           row_group_size=self.row_group_size)
        return staged


@dataclass(frozen=True)
class TextWriter:
    """Write a partition as CSV or JSON lines, compressed as ``compression`` says.

    ``header`` applies to CSV only; a single-file write stages its parts
    without headers and uncompressed, and ``concatenate`` adds both.
    """

    fs: fsspec.AbstractFileSystem
    staging: str
    format: str
    header: bool = True
    compression: str | None = None

    def __call__(self, table: pa.Table) -> pa.Table:
        if table.num_rows == 0:
            return _written([])
        return _written([(self._write(table), "", table.num_rows)])

    def write_empty(self, schema: pa.Schema) -> str:
        """A file with no rows (for CSV, the header) when the frame had none."""
        return self._write(schema.empty_table())

    def _write(self, table: pa.Table) -> str:
        staged = f"{uuid.uuid4().hex}.{self.format}"
        with self.fs.open(posixpath.join(self.staging, staged), "wb", compression=self.compression) as f:
            f.write(encode_rows(table, self.format, self.header))
        return staged


def encode_rows(table: pa.Table, format: str, header: bool = True) -> bytes:
    """The bytes of a table as CSV (with or without header) or JSON lines."""
    if format == "csv":
        sink = io.BytesIO()
        pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=header))
        return sink.getvalue()
    if format == "json":
        return b"".join(
            json.dumps(row, default=_json_value, ensure_ascii=False, allow_nan=False).encode() + b"\n"
            for row in _nan_as_null(table).to_pylist()
        )
    raise ValueError(f"unknown text format {format!r}")


def concatenate(fs: fsspec.AbstractFileSystem, staging: str, parts: list[str], name: str,
                prefix: bytes, compression: str | None) -> str:
    """Join staged parts (in order) into one staged file, after ``prefix``."""
    with fs.open(posixpath.join(staging, name), "wb", compression=compression) as out:
        out.write(prefix)
        for part in parts:
            with fs.open(posixpath.join(staging, part), "rb") as f:
                while chunk := f.read(_COPY_CHUNK):
                    out.write(chunk)
    return name


def _hive_groups(table: pa.Table, keys: tuple[str, ...]):
    """``(directory, rows)`` for each distinct combination of ``keys``."""
    if not keys or table.num_rows == 0:
        yield "", table
        return
    data = table.drop_columns(list(keys))
    for combination in table.select(list(keys)).group_by(list(keys)).aggregate([]).to_pylist():
        mask = None
        for key in keys:
            value = combination[key]
            column = table.column(key)
            term = pc.is_null(column) if value is None else pc.fill_null(pc.equal(column, value), False)
            mask = term if mask is None else pc.and_(mask, term)
        directory = "/".join(f"{quote(key, safe='')}={_directory_value(combination[key])}" for key in keys)
        yield directory, data.filter(mask)


def _directory_value(value: Any) -> str:
    if value is None:
        return NULL_MARKER
    if isinstance(value, (datetime.date, datetime.datetime)):
        value = value.isoformat()
    return quote(str(value), safe="")


def _written(rows: list[tuple[str, str, int]]) -> pa.Table:
    return pa.Table.from_pylist(
        [{"staged": s, "directory": d, "rows": n} for s, d, n in rows], schema=WRITTEN
    )


def _nan_as_null(table: pa.Table) -> pa.Table:
    """JSON has no NaN: floats that are NaN are written as null (as pandas does)."""
    for i, field in enumerate(table.schema):
        if pa.types.is_floating(field.type):
            column = table.column(i)
            table = table.set_column(i, field, pc.if_else(pc.is_nan(column), None, column))
    return table


def _json_value(value: Any) -> Any:
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")

"""Reading CSV, JSON lines, text and ORC into frames, and writing frames out.

Readers only discover (list files, plan byte-range blocks, infer a schema
from a sample) and return a lazy frame over ``L.Scan(source)``, so column
selections and filters reach the reader like they do for Parquet.

Writers run the frame's plan with one more step per partition, a writer task
from ``kyudo.io.writers`` that writes the partition into a staging directory;
only when every task has succeeded does ``kyudo.io.commit`` move the files
to their final names.  A failed write leaves the target as it was.
"""
from __future__ import annotations

import posixpath
import uuid
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from kyudo import config
from kyudo.dataframe.dtypes import to_arrow_type
from kyudo.io.blocks import file_compression
from kyudo.io.commit import StagedWrite
from kyudo.io.csv import discover_csv
from kyudo.io.jsonl import discover_json
from kyudo.io.lines import DEFAULT_BLOCKSIZE, DEFAULT_SAMPLE
from kyudo.io.orc import discover_orc
from kyudo.io.schemas import SchemaMismatchError
from kyudo.io.text import discover_text
from kyudo.io.writers import WRITTEN, ParquetWriter, TextWriter, concatenate, encode_rows
from kyudo.planner import logical as L
from kyudo.planner.compile import compute_partitions

if TYPE_CHECKING:
    from kyudo.dataframe.frame import DataFrame

__all__ = ["read_csv", "read_json", "read_orc", "read_text", "to_csv", "to_json", "to_parquet"]


# ---- readers -------------------------------------------------------------------------

def read_csv(path, sep: str = ",", header="infer", names: Sequence[str] | None = None,
             dtype: Mapping[str, Any] | None = None, usecols: Sequence[str] | None = None,
             blocksize=DEFAULT_BLOCKSIZE, sample=DEFAULT_SAMPLE, compression: str | None = "infer",
             on_bad_lines: str = "error", include_path_column: bool | str = False,
             storage_options: dict | None = None) -> "DataFrame":
    """A lazy frame over CSV files: a file, a directory, a glob or a list.

    Files are cut into ``blocksize``-byte blocks at line boundaries (one
    block per compressed file; ``blocksize=None`` for one per file).  Types
    are inferred from ``sample`` bytes of the first file; ``dtype`` overrides
    them by column.  ``header`` follows pandas: ``"infer"`` means a header
    line unless ``names`` are given, ``0`` a header line, ``None`` none.
    ``on_bad_lines`` is ``"error"``, ``"skip"`` or ``"warn"``.
    """
    has_header = (names is None) if header == "infer" else header is not None and header is not False
    source = discover_csv(
        path, sep=sep, header=has_header, names=names, dtype=_arrow_types(dtype), usecols=usecols,
        blocksize=_bytes_or_none(blocksize), sample=config.parse_bytes(sample),
        compression=compression, on_bad_lines=on_bad_lines,
        include_path_column=include_path_column, storage_options=storage_options,
    )
    return _frame(source)


def read_json(path, lines: bool = True, dtype: Mapping[str, Any] | None = None,
              blocksize=DEFAULT_BLOCKSIZE, sample=DEFAULT_SAMPLE, compression: str | None = "infer",
              include_path_column: bool | str = False, storage_options: dict | None = None,
              nan_as_null: bool = True) -> "DataFrame":
    """A lazy frame over JSON-lines files (one object per line), in blocks.
    A ``NaN`` token in a float column is missing, as in pandas, unless
    ``nan_as_null=False``."""
    if not lines:
        raise NotImplementedError("only JSON lines (lines=True) can be split and read in parallel")
    source = discover_json(
        path, dtype=_arrow_types(dtype), blocksize=_bytes_or_none(blocksize),
        sample=config.parse_bytes(sample), compression=compression,
        include_path_column=include_path_column, storage_options=storage_options,
    )
    return _frame(source, nan_as_null)


def read_text(path, column: str = "text", encoding: str = "utf-8", blocksize=DEFAULT_BLOCKSIZE,
              compression: str | None = "infer", include_path_column: bool | str = False,
              storage_options: dict | None = None) -> "DataFrame":
    """A lazy frame with one string column, one row per line of the files."""
    source = discover_text(
        path, column=column, encoding=encoding, blocksize=_bytes_or_none(blocksize),
        compression=compression, include_path_column=include_path_column,
        storage_options=storage_options,
    )
    return _frame(source)


def read_orc(path, columns: Sequence[str] | None = None, storage_options: dict | None = None,
             partition_size=None, nan_as_null: bool = True) -> "DataFrame":
    """A lazy frame over ORC files; partitions are runs of stripes. A stored
    NaN is missing, as in pandas, unless ``nan_as_null=False``."""
    target = config.parse_bytes(partition_size or config.get("partition_size", "128MB"))
    frame = _frame(discover_orc(path, storage_options=storage_options, target_partition_bytes=target),
                   nan_as_null)
    return frame[list(columns)] if columns is not None else frame


# ---- writers -------------------------------------------------------------------------

def to_parquet(df: "DataFrame", path: str, partition_on: Sequence[str] | str | None = None,
               compression: str | None = "snappy", compression_level: int | None = None,
               row_group_size: int | None = None, mode: str = "error",
               storage_options: dict | None = None, scheduler=None) -> list[str]:
    """Write the frame as a Parquet dataset (a directory of ``part.N.parquet``).

    ``partition_on`` columns become hive directories (``key=value/``).
    ``mode`` is ``"error"`` (the default: refuse an existing non-empty
    target), ``"overwrite"`` or ``"append"`` (the new files must have the
    existing schema).  Empty partitions write no file; a frame with no rows
    at all writes one file holding just the schema.  Returns the final paths.
    """
    partition_on = (partition_on,) if isinstance(partition_on, str) else tuple(partition_on or ())
    missing = [c for c in partition_on if c not in df.plan.schema.names]
    if missing:
        raise KeyError(f"partition_on names columns the frame does not have: {missing}")
    if partition_on and len(partition_on) == len(df.plan.schema):
        raise ValueError("partition_on cannot take every column: the files would hold none")
    fs, target = fsspec.core.url_to_fs(path, **(storage_options or {}))
    staged = StagedWrite(fs, target, mode)
    try:
        _check_append_schema(staged, df.plan.schema, partition_on)
        writer = ParquetWriter(fs, staged.staging, partition_on, compression, compression_level,
                               row_group_size)
        written = _run_writer(df, writer, "to_parquet", scheduler)
        if not written and mode != "append":
            written = [{"staged": writer.write_empty(df.plan.schema), "directory": ""}]
        first = staged.first_part_number()
        return staged.commit_dataset([
            (w["staged"], posixpath.join(w["directory"], f"part.{first + n}.parquet"))
            for n, w in enumerate(written)
        ])
    except BaseException:
        staged.abort()
        raise


def to_csv(df: "DataFrame", path: str, single_file: bool = False, header: bool = True,
           compression: str | None = "infer", mode: str = "error",
           storage_options: dict | None = None, scheduler=None) -> list[str]:
    """Write CSV: one file per non-empty partition, or ``single_file=True``.

    ``path`` is a directory (files ``part.N.csv``), a pattern whose ``*``
    becomes the file number (``out/data-*.csv.gz``), or with ``single_file``
    the file itself.  Compression follows the file extension.
    """
    return _to_text(df, path, "csv", single_file, header, compression, mode, storage_options, scheduler)


def to_json(df: "DataFrame", path: str, single_file: bool = False, compression: str | None = "infer",
            mode: str = "error", storage_options: dict | None = None, scheduler=None) -> list[str]:
    """Write JSON lines (one object per row), laid out like :func:`to_csv`."""
    return _to_text(df, path, "json", single_file, False, compression, mode, storage_options, scheduler)


def _to_text(df, path, format, single_file, header, compression, mode, storage_options,
             scheduler) -> list[str]:
    fs, target = fsspec.core.url_to_fs(path, **(storage_options or {}))
    directory, template = _text_layout(target, format, single_file)
    staged = StagedWrite(fs, target if single_file else directory, mode)
    try:
        codec = file_compression(template, compression)
        if single_file:
            writer = TextWriter(fs, staged.staging, format, header=False, compression=None)
            parts = [w["staged"] for w in _run_writer(df, writer, f"to_{format}", scheduler)]
            prefix = encode_rows(df.plan.schema.empty_table(), format, header)
            return [staged.commit_file(concatenate(fs, staged.staging, parts, "whole", prefix, codec))]
        writer = TextWriter(fs, staged.staging, format, header=header, compression=codec)
        written = _run_writer(df, writer, f"to_{format}", scheduler)
        if not written and mode != "append":
            written = [{"staged": writer.write_empty(df.plan.schema)}]
        first = staged.first_part_number() if "part.*" in template else 0
        return staged.commit_dataset([
            (w["staged"], template.replace("*", str(first + n))) for n, w in enumerate(written)
        ])
    except BaseException:
        staged.abort()
        raise


def _text_layout(target: str, format: str, single_file: bool) -> tuple[str, str]:
    """The directory files go to and the name template with ``*`` for the number."""
    if single_file:
        return posixpath.dirname(target), posixpath.basename(target)
    if "*" in posixpath.basename(target):
        return posixpath.dirname(target), posixpath.basename(target)
    return target, f"part.*.{format}"


def _run_writer(df: "DataFrame", writer, name: str, scheduler) -> list[dict]:
    """Run the plan with ``writer`` on each partition; what was written, in order."""
    plan = L.MapPartitions(df.plan, writer, WRITTEN, name, token=uuid.uuid4().hex)
    return [row for table in compute_partitions(plan, scheduler) for row in table.to_pylist()]


def _check_append_schema(staged: StagedWrite, schema: pa.Schema, partition_on: tuple[str, ...]) -> None:
    """Appending files of another schema would make the dataset unreadable."""
    if staged.mode != "append":
        return
    existing = next((p for p in staged.existing_files() if p.endswith(".parquet")), None)
    if existing is None:
        return
    with staged.fs.open(existing, "rb") as f:
        old = pq.read_schema(f).remove_metadata()
    new = pa.schema([f for f in schema if f.name not in partition_on])
    if not old.equals(new):
        raise SchemaMismatchError(
            f"cannot append: the frame's columns {new} differ from those of {existing!r}: {old}"
        )


def _frame(source, nan_as_null: bool = False) -> "DataFrame":
    """A frame over ``source``; with ``nan_as_null`` a NaN the files store in a
    float column becomes NULL (see :func:`kyudo.dataframe.constructors.nan_as_missing`)."""
    from kyudo.dataframe.constructors import nan_as_missing
    from kyudo.dataframe.frame import DataFrame
    frame = DataFrame(L.Scan(source))
    return nan_as_missing(frame) if nan_as_null else frame


def _arrow_types(dtype) -> dict[str, pa.DataType] | None:
    if dtype is None:
        return None
    if not isinstance(dtype, Mapping):
        raise TypeError("dtype must be a dict of column name to dtype")
    return {name: to_arrow_type(t) for name, t in dtype.items()}


def _bytes_or_none(value) -> int | None:
    return None if value is None else config.parse_bytes(value)

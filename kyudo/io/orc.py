"""ORC files as a source: runs of stripes, planned from file tails.

Opening an ORC file reads only its tail (schema, stripe count, row count), in
parallel across files as for Parquet footers.  The tail does not give rows per
stripe, so stripes are assumed equal in size when they are grouped into
partitions of about ``target_partition_bytes`` of file; the total row count
is exact.  Schemas of several files are
unified the same way (missing columns read as NULL, conflicts name both
files).  ORC statistics are not used for pruning yet: the predicate is
applied to each stripe after it is read.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Sequence

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.orc as orc

from .filesystem import FileEntry, FileSource, resolve_files
from .schemas import unify_file_schemas
from .row_filter import Predicate, as_expression

__all__ = ["OrcFileError", "OrcSource", "discover_orc"]

_MAX_THREADS = 32


class OrcFileError(ValueError):
    """A file could not be read as ORC (not ORC, truncated, corrupt)."""


@dataclass(frozen=True)
class OrcPartition:
    """Consecutive stripes of one file, with estimated rows and bytes."""

    path: str
    stripes: tuple[int, ...]
    num_rows: int
    nbytes: int


def discover_orc(
    path_or_paths,
    *,
    storage_options: dict[str, Any] | None = None,
    filesystem: fsspec.AbstractFileSystem | None = None,
    target_partition_bytes: int = 128 * 2**20,
) -> OrcSource:
    """Read every file's tail (in parallel) and group its stripes into partitions."""
    resolved = resolve_files(path_or_paths, storage_options, filesystem)
    paths = [f.path for f in resolved.files]
    with ThreadPoolExecutor(max_workers=min(_MAX_THREADS, len(paths)),
                            thread_name_prefix="kyudo-orc") as pool:
        tails = list(pool.map(lambda p: _read_tail(resolved.fs, p), paths))
    schema = unify_file_schemas([(p, schema) for p, schema, _, _ in tails])
    partitions = [
        part
        for entry, (path, _, nstripes, nrows) in zip(resolved.files, tails)
        for part in _group_stripes(path, nstripes, nrows, entry.size, target_partition_bytes)
    ]
    return OrcSource(resolved.fs, resolved.files, schema, tuple(partitions))


class OrcSource(FileSource):
    """Stripes of ORC files with one unified schema."""

    def __init__(self, fs, files: tuple[FileEntry, ...], schema: pa.Schema,
                 partitions: tuple[OrcPartition, ...]):
        self._fs = fs
        self._files = files
        self.schema = schema
        self.partitions = partitions
        self._token = "orc-" + self._digest(str(schema))

    @property
    def npartitions(self) -> int:
        return len(self.partitions)

    @property
    def num_rows(self) -> int:
        return sum(p.num_rows for p in self.partitions)

    def token(self) -> str:
        return self._token

    def prune(self, predicate: pc.Expression) -> OrcSource:
        return self

    def read_partition(self, i: int, columns: Sequence[str] | None = None,
                       predicate: Predicate = None) -> pa.Table:
        part = self.partitions[i]
        names = list(self.schema.names if columns is None else columns)
        needed = set(names) if predicate is None else self.schema.names
        try:
            with self._fs.open(part.path, "rb") as f:
                reader = orc.ORCFile(f)
                present = [n for n in self.schema.names if n in needed and n in reader.schema.names]
                batches = [reader.read_stripe(s, columns=present) for s in part.stripes]
        except (pa.ArrowInvalid, OSError) as error:
            raise OrcFileError(f"cannot read stripes {part.stripes} of ORC file {part.path!r}: {error}") from error
        table = pa.Table.from_batches(batches)
        for name in self.schema.names:
            if name in needed and name not in table.column_names:
                table = table.append_column(self.schema.field(name), pa.nulls(table.num_rows, self.schema.field(name).type))
        if predicate is not None:
            table = table.filter(as_expression(predicate))
        target = pa.schema([self.schema.field(n) for n in names])
        return table.select(names).cast(target)

    def __repr__(self) -> str:
        return f"Orc({self._location()}: {len(self._files)} files, {self.npartitions} partitions)"


def _group_stripes(path, nstripes, nrows, size, target) -> list[OrcPartition]:
    """Consecutive stripes up to ``target`` bytes of file; rows split evenly."""
    if nstripes == 0 or nrows == 0:
        return []
    per_group = max(1, min(nstripes, int(target // max(size / nstripes, 1))))
    groups = [tuple(range(s, min(s + per_group, nstripes))) for s in range(0, nstripes, per_group)]
    parts, assigned = [], 0
    for k, group in enumerate(groups):
        rows = nrows - assigned if k == len(groups) - 1 else nrows * len(group) // nstripes
        assigned += rows
        parts.append(OrcPartition(path, group, rows, size * len(group) // nstripes))
    return parts


def _read_tail(fs, path: str) -> tuple[str, pa.Schema, int, int]:
    """Schema, stripe count and row count of one file; errors name the file."""
    try:
        with fs.open(path, "rb") as f:
            reader = orc.ORCFile(f)
            schema, nstripes, nrows = reader.schema, reader.nstripes, reader.nrows
    except (pa.ArrowInvalid, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise OrcFileError(f"cannot read ORC file {path!r} (not ORC, or truncated/corrupt): {error}") from error
    return path, schema, nstripes, nrows

"""What CSV, JSON-lines and text sources share: partitions are byte-range blocks.

Each format only says how to parse the bytes of one block into a table of its
``file_schema``; this base turns that into the Source protocol the planner
reads: the optional path column, the pushed-down predicate and columns, a
deterministic token and size estimates.  Nothing here reads data outside
``read_partition``.
"""

from __future__ import annotations

import copy
from typing import Any, Sequence

import fsspec
import pyarrow as pa
import pyarrow.compute as pc

from .blocks import Block, plan_blocks, read_block
from .filesystem import FileEntry, FileSource, resolve_files
from .row_filter import Predicate, as_expression

DEFAULT_BLOCKSIZE = 64 * 2**20
DEFAULT_SAMPLE = 256 * 2**10


class LineSource(FileSource):
    """A source over the lines of files; subclasses implement ``_parse``.

    ``path_column`` (when not None) names an extra string column holding the
    file each row came from.  ``options`` are the parsing choices, part of the
    token so that two reads of the same files with other options differ.
    """

    format_name = "lines"

    def __init__(
        self,
        fs: fsspec.AbstractFileSystem,
        files: tuple[FileEntry, ...],
        blocks: tuple[Block, ...],
        file_schema: pa.Schema,
        path_column: str | None = None,
        options: Any = (),
    ):
        if path_column is not None and path_column in file_schema.names:
            raise ValueError(f"include_path_column {path_column!r} is already a column of the data")
        self._fs = fs
        self._files = files
        self.blocks = blocks
        self.file_schema = file_schema
        self.path_column = path_column
        self.options = options
        self.schema = (
            file_schema if path_column is None else file_schema.append(pa.field(path_column, pa.string()))
        )
        self._token: str | None = None

    # -- the Source protocol ------------------------------------------------------

    @property
    def npartitions(self) -> int:
        return len(self.blocks)

    @property
    def nbytes(self) -> int:
        """Bytes on disk: a rough stand-in for the decoded size."""
        return sum(f.size for f in self._files)

    def prune(self, predicate: pc.Expression) -> LineSource:
        """Drop the blocks of files a predicate on the path column rules out.

        Text carries no statistics, so only a predicate that the path column
        alone decides (``df[df.path.str.endswith("2024.csv")]``) can skip
        files; any other predicate keeps every block.
        """
        if self.path_column is None:
            return self
        paths = pa.table({self.path_column: pa.array(self.paths, pa.string())})
        try:
            keep = set(paths.filter(predicate).column(0).to_pylist())
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            return self  # the predicate needs other columns
        pruned = copy.copy(self)
        pruned._files = tuple(f for f in self._files if f.path in keep)
        pruned.blocks = tuple(b for b in self.blocks if b.path in keep)
        pruned._token = None
        return pruned

    def read_partition(
        self, i: int, columns: Sequence[str] | None = None, predicate: Predicate = None
    ) -> pa.Table:
        block = self.blocks[i]
        data = read_block(self._fs, block)
        table = self._parse(block, data) if data else self.file_schema.empty_table()
        if self.path_column is not None:
            table = table.append_column(
                self.schema.field(self.path_column), pa.array([block.path] * table.num_rows, pa.string())
            )
        if predicate is not None:
            table = table.filter(as_expression(predicate))
        return table if columns is None else table.select(list(columns))

    def token(self) -> str:
        if self._token is None:
            blocks = [(b.path, b.start, b.end, b.compression) for b in self.blocks]
            self._token = f"{self.format_name}-{self._digest(blocks, str(self.schema), self.options)}"
        return self._token

    # -- for subclasses ----------------------------------------------------------

    def _parse(self, block: Block, data: bytes) -> pa.Table:
        """Parse the whole lines of one block into a table of ``file_schema``."""
        raise NotImplementedError

    # -- plumbing ----------------------------------------------------------------

    def __repr__(self) -> str:
        return f"{self.format_name}({self._location()}: {len(self._files)} files, {self.npartitions} blocks)"


def resolve_blocks(
    path_or_paths,
    storage_options: dict[str, Any] | None,
    filesystem,
    blocksize: int | None,
    compression: str | None,
):
    """Files and their blocks: the discovery step every line format starts with."""
    resolved = resolve_files(path_or_paths, storage_options, filesystem)
    blocks = tuple(plan_blocks(resolved.files, blocksize, compression))
    return resolved.fs, resolved.files, blocks


def apply_dtypes(schema: pa.Schema, dtype, path: str) -> pa.Schema:
    """Replace inferred types by the user's, refusing names the file lacks.

    A column that was empty throughout the sample has no type yet (``null``):
    text is the guess that cannot fail later.
    """
    schema = pa.schema([f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in schema])
    if not dtype:
        return schema
    unknown = [name for name in dtype if name not in schema.names]
    if unknown:
        raise KeyError(f"dtype names columns not in {path!r}: {unknown}; have {schema.names}")
    return pa.schema([pa.field(f.name, dtype.get(f.name, f.type)) for f in schema])


def path_column_name(include_path_column: bool | str) -> str | None:
    """``True`` means a column named ``path``; a string names it."""
    if include_path_column is True:
        return "path"
    return include_path_column or None

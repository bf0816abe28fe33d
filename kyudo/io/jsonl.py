"""JSON-lines files (one object per line) as a source of byte-range blocks.

As for CSV, the schema comes from a sample at the start of the first file and
every block is parsed with it: fields missing from a line are NULL, fields
the sample never saw are dropped, and a value of another type raises an error
naming the file and the block's first line.
"""

from __future__ import annotations

import io
from typing import Any, Mapping

import fsspec
import pyarrow as pa
import pyarrow.json as pajson

from .blocks import Block, line_number_at, read_head
from .lines import (
    DEFAULT_BLOCKSIZE, DEFAULT_SAMPLE, LineSource, apply_dtypes, path_column_name, resolve_blocks,
)

__all__ = ["JsonSource", "discover_json"]


def discover_json(
    path_or_paths,
    *,
    dtype: Mapping[str, pa.DataType] | None = None,
    blocksize: int | None = DEFAULT_BLOCKSIZE,
    sample: int = DEFAULT_SAMPLE,
    compression: str | None = "infer",
    include_path_column: bool | str = False,
    storage_options: dict[str, Any] | None = None,
    filesystem: fsspec.AbstractFileSystem | None = None,
) -> JsonSource:
    """Plan blocks and infer the schema from ``sample`` bytes of the first file."""
    fs, files, blocks = resolve_blocks(path_or_paths, storage_options, filesystem, blocksize, compression)
    first = blocks[0]
    head = read_head(fs, files[0], first.compression, sample)
    if not head.strip():
        raise ValueError(f"JSON file {first.path!r} is empty: there is no record to infer a schema from")
    try:
        inferred = _read(head, None).schema
    except pa.ArrowInvalid as error:
        raise ValueError(f"cannot parse {first.path!r} as JSON lines (one object per line): {error}") from None
    return JsonSource(
        fs, files, blocks, apply_dtypes(inferred, dtype, first.path),
        path_column=path_column_name(include_path_column),
        options=(first.path, sample),
    )


class JsonSource(LineSource):
    """JSON-lines blocks parsed with one explicit schema."""

    format_name = "json"

    def _parse(self, block: Block, data: bytes) -> pa.Table:
        if not data.strip():
            return self.file_schema.empty_table()
        try:
            return _read(data, self.file_schema)
        except pa.ArrowInvalid as error:
            sample_path, sample = self.options
            index, line = _first_bad_line(data, self.file_schema)
            raise ValueError(
                f"cannot parse the JSON lines of {block.path!r} at line "
                f"{line_number_at(self._fs, block) + index}: {line[:200]!r} ({error}). The schema "
                f"was inferred from the first {sample} bytes of {sample_path!r}; pass dtype= to "
                "override a column's type"
            ) from None

def _read(data: bytes, schema: pa.Schema | None) -> pa.Table:
    parse = (
        pajson.ParseOptions()
        if schema is None
        else pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    )
    table = pajson.read_json(io.BytesIO(data), read_options=pajson.ReadOptions(use_threads=False),
                             parse_options=parse)
    return table if schema is None else table.select(schema.names)


def _first_bad_line(data: bytes, schema: pa.Schema) -> tuple[int, bytes]:
    """The 0-based index and text of the first line that does not parse.

    pyarrow's own row numbers are per internal chunk, so the line is found by
    bisecting on prefixes (a prefix fails exactly when it holds the bad line);
    this runs only when a block has already failed.
    """
    lines = data.splitlines(keepends=True)
    good, bad = 0, len(lines)
    while bad - good > 1:
        middle = (good + bad) // 2
        try:
            _read(b"".join(lines[:middle]), schema)
            good = middle
        except pa.ArrowInvalid:
            bad = middle
    return bad - 1, lines[bad - 1].rstrip(b"\r\n")

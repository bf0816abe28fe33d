"""Plain text files as lines: one string per line, in byte-range blocks.

This is what a bag of lines (``read_text``) is built on; as a dataframe it is
one string column.  Line terminators (``\\n`` or ``\\r\\n``) are removed.
"""

from __future__ import annotations

from typing import Any

import fsspec
import pyarrow as pa

from .blocks import Block
from .lines import DEFAULT_BLOCKSIZE, LineSource, path_column_name, resolve_blocks

__all__ = ["TextSource", "discover_text"]


def discover_text(
    path_or_paths,
    *,
    column: str = "text",
    encoding: str = "utf-8",
    blocksize: int | None = DEFAULT_BLOCKSIZE,
    compression: str | None = "infer",
    include_path_column: bool | str = False,
    storage_options: dict[str, Any] | None = None,
    filesystem: fsspec.AbstractFileSystem | None = None,
) -> TextSource:
    """Plan blocks; a text file needs no schema inference."""
    fs, files, blocks = resolve_blocks(path_or_paths, storage_options, filesystem, blocksize, compression)
    return TextSource(
        fs, files, blocks, pa.schema([pa.field(column, pa.string())]),
        path_column=path_column_name(include_path_column), options=(encoding,),
    )


class TextSource(LineSource):
    """Each block is a table of one string column, one row per line."""

    format_name = "text"

    def read_lines(self, i: int) -> list[str]:
        """Partition ``i`` as Python strings, for collections of Python objects."""
        return self.read_partition(i, [self.file_schema.names[0]]).column(0).to_pylist()

    def _parse(self, block: Block, data: bytes) -> pa.Table:
        (encoding,) = self.options
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as error:
            raise ValueError(f"{block.path!r} is not {encoding} text (in the block from byte "
                             f"{block.start}): {error.reason}") from None
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]
        return pa.table([pa.array(lines, pa.string())], schema=self.file_schema)

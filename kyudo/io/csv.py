"""CSV files as a source of byte-range blocks.

The schema is inferred once, from a sample at the start of the first file,
then every block is parsed with exactly that schema, so partitions agree.
When the sample guessed wrong (a column looked like integers for the first
thousand rows), the error names the column, the file, the line and the value,
and says which ``dtype=`` override fixes it.  Rows with the wrong number of
fields raise with file and line, or are skipped with ``on_bad_lines``.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import fsspec
import pyarrow as pa
import pyarrow.csv as pacsv

from .blocks import Block, line_number_at, read_head
from .lines import (
    DEFAULT_BLOCKSIZE, DEFAULT_SAMPLE, LineSource, apply_dtypes, path_column_name, resolve_blocks,
)

__all__ = ["CsvBadLineError", "CsvSource", "CsvValueError", "discover_csv"]

_ON_BAD_LINES = ("error", "skip", "warn")
_CONVERSION = re.compile(r"In CSV column #(\d+): .*?conversion error to (.+?): invalid value '(.*)'", re.S)


@dataclass(frozen=True)
class CsvOptions:
    """How the files are parsed; part of the source's token.

    ``header_names`` is what every file's first line must say (empty without
    a header); ``sample_path`` and ``sample`` say where the schema came from,
    for error messages.
    """

    sep: str
    header: bool
    names: tuple[str, ...]
    header_names: tuple[str, ...]
    on_bad_lines: str
    sample_path: str
    sample: int


class CsvBadLineError(ValueError):
    """A row has a different number of fields than the header."""


class CsvValueError(ValueError):
    """A value does not parse as its column's (inferred or given) type."""


def discover_csv(
    path_or_paths,
    *,
    sep: str = ",",
    header: bool = True,
    names: Sequence[str] | None = None,
    dtype: Mapping[str, pa.DataType] | None = None,
    usecols: Sequence[str] | None = None,
    blocksize: int | None = DEFAULT_BLOCKSIZE,
    sample: int = DEFAULT_SAMPLE,
    compression: str | None = "infer",
    on_bad_lines: str = "error",
    include_path_column: bool | str = False,
    storage_options: dict[str, Any] | None = None,
    filesystem: fsspec.AbstractFileSystem | None = None,
) -> CsvSource:
    """Plan blocks and infer the schema from ``sample`` bytes of the first file.

    ``names`` replaces the header's names (the header line is still skipped
    when ``header`` is true); ``dtype`` overrides inferred types by column;
    ``usecols`` keeps only those columns.  ``include_path_column=True`` adds
    a ``path`` column (or the given name) with each row's file.
    """
    if on_bad_lines not in _ON_BAD_LINES:
        raise ValueError(f"on_bad_lines must be one of {_ON_BAD_LINES}, not {on_bad_lines!r}")
    fs, files, blocks = resolve_blocks(path_or_paths, storage_options, filesystem, blocksize, compression)
    first = blocks[0]
    head = read_head(fs, files[0], first.compression, sample)
    if header and not head.strip():
        raise ValueError(f"CSV file {first.path!r} is empty: there is no header to take column names from")
    header_names = _header_names(head, sep) if header else None
    column_names = list(names) if names is not None else header_names
    if column_names is None:
        width = len(_header_names(head, sep)) if head.strip() else 0
        column_names = [str(i) for i in range(width)]
    if header_names is not None and len(column_names) != len(header_names):
        raise ValueError(
            f"{len(column_names)} names were given but the header of {first.path!r} has "
            f"{len(header_names)} columns: {header_names}"
        )
    if usecols is not None:
        unknown = [n for n in usecols if n not in column_names]
        if unknown:
            raise KeyError(f"usecols names columns not in {first.path!r}: {unknown}; have {column_names}")
        usecols = [n for n in column_names if n in set(usecols)]
    # A source without a schema yet parses the sample, so that a bad line in
    # the sample is reported (file, line) like one in any block.
    source = CsvSource(
        fs, files, blocks, pa.schema([]),
        path_column=path_column_name(include_path_column),
        options=CsvOptions(sep, header, tuple(column_names), tuple(header_names or ()),
                           on_bad_lines, first.path, sample),
    )
    body = head.split(b"\n", 1)[1] if header and b"\n" in head else (b"" if header else head)
    if body.strip():
        inferred = source._parse_bytes(first, body, column_types={}, usecols=usecols).schema
    else:  # a header and no rows: nothing to infer types from
        inferred = pa.schema([(n, pa.string()) for n in column_names if usecols is None or n in usecols])
    schema = apply_dtypes(inferred, dtype, first.path)
    return CsvSource(
        fs, files, blocks, schema,
        path_column=source.path_column,
        options=source.options,
    )


class CsvSource(LineSource):
    """CSV blocks parsed with one schema; ``options`` hold the parsing choices."""

    format_name = "csv"
    options: CsvOptions

    def _parse(self, block: Block, data: bytes) -> pa.Table:
        if self.options.header and block.is_first:
            first_line, _, data = data.partition(b"\n")
            self._check_header(block, first_line)
        if not data.strip():
            return self.file_schema.empty_table()
        types = {f.name: f.type for f in self.file_schema}
        return self._parse_bytes(block, data, types, usecols=self.file_schema.names)

    def _parse_bytes(self, block: Block, data: bytes, column_types, usecols) -> pa.Table:
        """Parse lines with the full column list; errors name file, line and value."""
        names, on_bad_lines = self.options.names, self.options.on_bad_lines
        bad_rows: list[Any] = []

        def on_invalid(row) -> str:
            bad_rows.append((row.number, row.actual_columns, row.text))
            return "error" if on_bad_lines == "error" else "skip"

        try:
            table = pacsv.read_csv(
                io.BytesIO(data),
                read_options=pacsv.ReadOptions(column_names=list(names), use_threads=False),
                parse_options=pacsv.ParseOptions(delimiter=self.options.sep, invalid_row_handler=on_invalid),
                convert_options=pacsv.ConvertOptions(
                    column_types=column_types,
                    include_columns=None if usecols is None else list(usecols),
                    strings_can_be_null=True,
                ),
            )
        except pa.ArrowInvalid as error:
            if bad_rows:
                raise self._bad_line_error(block, data, bad_rows[0]) from None
            raise self._conversion_error(block, data, error) from None
        if bad_rows and on_bad_lines == "warn":
            number, actual, text = bad_rows[0]
            warnings.warn(
                f"skipped {len(bad_rows)} line(s) of {block.path!r} with the wrong number of "
                f"fields; the first at line {self._line(block, data, number)}: {text!r}",
                stacklevel=2,
            )
        return table

    def _check_header(self, block: Block, line: bytes) -> None:
        expected = list(self.options.header_names)
        found = _header_names(line + b"\n", self.options.sep)
        if expected and found != expected:
            raise ValueError(
                f"the header of {block.path!r} is {found}, but {self.options.sample_path!r} has {expected}; "
                "files read together must have the same columns"
            )

    def _line(self, block: Block, data: bytes, row_number: int | None) -> str:
        """Human line number of the ``row_number``-th (1-based) line of a block."""
        if row_number is None:
            return "unknown"
        first = line_number_at(self._fs, block) + (1 if self.options.header and block.is_first else 0)
        return str(first + row_number - 1)

    def _bad_line_error(self, block: Block, data: bytes, bad) -> CsvBadLineError:
        number, actual, text = bad
        return CsvBadLineError(
            f"{block.path!r}, line {self._line(block, data, number)}: expected "
            f"{len(self.options.names)} fields, found {actual}: {text!r}; "
            "pass on_bad_lines='skip' (or 'warn') to drop such lines"
            + ("; if quoted fields hold line breaks, read with blocksize=None (a block "
               "boundary can fall inside a quoted field)" if b'"' in data else "")
        )

    def _conversion_error(self, block: Block, data: bytes, error: Exception) -> Exception:
        match = _CONVERSION.search(str(error))
        if match is None:
            return ValueError(f"cannot parse CSV block of {block.path!r} at byte {block.start}: {error}")
        names = self.options.names
        column, type_name, value = names[int(match.group(1))], match.group(2), match.group(3)
        as_text = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=list(names), use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=self.options.sep, invalid_row_handler=lambda r: "skip"),
            convert_options=pacsv.ConvertOptions(
                include_columns=[column], column_types={column: pa.string()}
            ),
        ).column(0).to_pylist()
        row = as_text.index(value) + 1 if value in as_text else None
        return CsvValueError(
            f"column {column!r} of {block.path!r} has the value {value!r} at line "
            f"{self._line(block, data, row)}, which is not {type_name}; the type was inferred "
            f"from the first {self.options.sample} bytes of {self.options.sample_path!r}. "
            f"Pass dtype={{{column!r}: ...}} (for example 'string' or 'float64') to read it"
        )


def _header_names(head: bytes, sep: str) -> list[str]:
    """Names in the first line, parsed with CSV quoting rules."""
    line = head.split(b"\n", 1)[0] + b"\n"
    table = pacsv.read_csv(
        io.BytesIO(line),
        read_options=pacsv.ReadOptions(autogenerate_column_names=False),
        parse_options=pacsv.ParseOptions(delimiter=sep),
    )
    return [name.rstrip("\r") for name in table.column_names]


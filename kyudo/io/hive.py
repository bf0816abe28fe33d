"""Hive-style partition directories (``year=2020/month=1/part.parquet``).

The values live in paths, not in files, so they are known before any file is
opened.  That is what lets a predicate on them skip whole files for free.
Column types are inferred from all values of a key, like pyarrow does: all
integers that fit give ``int32`` (``int64`` if they do not fit), anything else
``string``.
"""

from __future__ import annotations

import re
from typing import Any, Sequence
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.dataset as ds

from .filesystem import FileEntry, relative_parts

# Writers (Hive, Spark, pyarrow) use this marker for a NULL partition value.
NULL_MARKER = "__HIVE_DEFAULT_PARTITION__"
_INT32 = (-(2**31), 2**31 - 1)
# Stricter than int(): no spaces or "1_000", which are names, not numbers.
_INTEGER = re.compile(r"[+-]?[0-9]+")


def parse_hive_values(files: Sequence[FileEntry]) -> tuple[pa.Schema, list[dict[str, Any]]]:
    """Typed hive values of every file, and the schema of the hive columns.

    Keys appear in the order first seen; a file without some key gets NULL for
    it.  Raises ``ValueError`` if one directory level repeats a key.
    """
    raw_per_file = [_raw_values(entry) for entry in files]
    keys: dict[str, None] = {}
    for raw in raw_per_file:
        keys.update(dict.fromkeys(raw))
    types = {
        key: _infer_type([raw[key] for raw in raw_per_file if raw.get(key) is not None])
        for key in keys
    }
    schema = pa.schema([pa.field(key, types[key]) for key in keys])
    values = [
        {key: _convert(raw.get(key), types[key]) for key in keys} for raw in raw_per_file
    ]
    return schema, values


def partition_expression(values: dict[str, Any], schema: pa.Schema) -> ds.Expression:
    """The guarantee a file's hive values give about every one of its rows."""
    expression = ds.scalar(True)
    for field in schema:
        value = values.get(field.name)
        term = (
            ds.field(field.name).is_null()
            if value is None
            else ds.field(field.name) == pa.scalar(value, field.type)
        )
        expression = expression & term
    return expression


def _raw_values(entry: FileEntry) -> dict[str, str | None]:
    directories = relative_parts(entry.path, entry.base_dir)[:-1]
    raw: dict[str, str | None] = {}
    for part in directories:
        if "=" not in part:
            continue
        key, _, value = part.partition("=")
        key, value = unquote(key), unquote(value)
        if key in raw:
            raise ValueError(f"hive key {key!r} appears twice in path {entry.path!r}")
        raw[key] = None if value == NULL_MARKER else value
    return raw


def _infer_type(values: list[str]) -> pa.DataType:
    if not all(_INTEGER.fullmatch(v) for v in values):
        return pa.string()
    ints = [int(v) for v in values]
    if not ints or all(_INT32[0] <= i <= _INT32[1] for i in ints):
        return pa.int32()
    return pa.int64()


def _convert(value: str | None, type_: pa.DataType) -> Any:
    if value is None:
        return None
    return value if pa.types.is_string(type_) else int(value)

"""One schema for many files, or an error that says exactly where they disagree.

Files written at different times drift: a column is added, an int32 becomes an
int64.  Those are unified (missing columns read as NULL, types widened).  A
real conflict (a column that is a string in one file and an integer in another)
must name both files and the column, or the user cannot find it.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import pyarrow as pa

_UNIFY_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError)


class SchemaMismatchError(ValueError):
    """Two files hold the same column with types that cannot be unified."""


def unify_file_schemas(named_schemas: Iterable[tuple[str, pa.Schema]]) -> pa.Schema:
    """Unify the schemas of files given as ``(path, schema)`` pairs, in order.

    Column order is first-seen order; schema-level metadata (e.g. the pandas
    block) is dropped because it describes one file's columns, not the union.
    A column is non-nullable only when every file stores it as required: a file
    without the column reads it as NULLs (``pa.unify_schemas`` would keep the
    first file's "not null", and the planner trusts nullability).
    """
    unified: pa.Schema | None = None
    origin: dict[str, str] = {}
    all_names: list[frozenset] = []
    for path, schema in named_schemas:
        all_names.append(frozenset(schema.names))
        schema = schema.remove_metadata()
        if unified is None:
            unified = schema
        elif not schema.equals(unified):
            try:
                unified = pa.unify_schemas([unified, schema], promote_options="permissive")
            except _UNIFY_ERRORS as error:
                raise _describe_conflict(unified, origin, path, schema, error) from error
        for name in schema.names:
            origin.setdefault(name, path)
    if unified is None:
        raise ValueError("no files to take a schema from")
    for i, field in enumerate(unified):
        if not field.nullable and not all(field.name in names for names in all_names):
            unified = unified.set(i, field.with_nullable(True))
    return unified


def add_partition_columns(
    schema: pa.Schema, partition_schema: pa.Schema, named_schemas: Sequence[tuple[str, pa.Schema]]
) -> pa.Schema:
    """Append hive columns; a file that also stores one of them is ambiguous.

    ``named_schemas`` are the ``(path, schema)`` pairs ``schema`` came from,
    so the error can name a file that stores the column.
    """
    for field in partition_schema:
        if field.name in schema.names:
            path = next(p for p, s in named_schemas if field.name in s.names)
            raise SchemaMismatchError(
                f"column {field.name!r} is both a hive directory key and a column "
                f"stored in {path!r}; rename one of them"
            )
        schema = schema.append(field)
    return schema


def _describe_conflict(unified, origin, path, schema, error) -> SchemaMismatchError:
    for field in schema:
        if field.name not in unified.names:
            continue
        existing = unified.field(field.name)
        try:
            pa.unify_schemas(
                [pa.schema([existing]), pa.schema([field])], promote_options="permissive"
            )
        except _UNIFY_ERRORS:
            return SchemaMismatchError(
                f"column {field.name!r} is {existing.type} in {origin[field.name]!r} "
                f"but {field.type} in {path!r}; these types cannot be unified"
            )
    return SchemaMismatchError(f"schema of {path!r} cannot be unified with earlier files: {error}")

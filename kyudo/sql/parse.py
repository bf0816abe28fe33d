"""Parsing with sqlglot, and qualification of column references.

The default dialect is DuckDB's: it is the closest widely used dialect to the
ANSI text of TPC-H and what most Python SQL users meet first (its ``::`` casts,
``date '...'`` literals, ``interval '3' month``). Any dialect sqlglot knows can
be passed instead; the AST is the same afterwards.
"""
from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, OptimizeError, ParseError, TokenError
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from kyudo.sql.errors import SQLError, SQLSyntaxError, column_not_found

DEFAULT_DIALECT = "duckdb"


class TableSchema(MappingSchema):
    """What the qualifier reads (table -> column -> SQL type), built once: sqlglot
    normalizes every name when a schema is made. ``tables`` keeps the names as
    spelt, for error messages."""

    def __init__(self, tables: dict, dialect: str | None = None):
        super().__init__(tables, dialect=dialect or DEFAULT_DIALECT)
        self.tables = tables


def parse(query: str, dialect: str | None = None) -> list[exp.Expression]:
    """All statements of ``query``; a syntax error carries its line and column."""
    try:
        statements = sqlglot.parse(query, read=dialect or DEFAULT_DIALECT,
                                   error_level=ErrorLevel.RAISE)
    except ParseError as err:
        first = err.errors[0] if err.errors else {}
        raise SQLSyntaxError(first.get("description") or str(err),
                             first.get("line"), first.get("col")) from None
    except TokenError as err:
        raise SQLSyntaxError(str(err)) from None
    return [s for s in statements if s is not None]


def spelling(query: exp.Expression, schemas) -> dict[str, str]:
    """Lower-case name -> the spelling to show: select-list aliases as written in
    ``query`` first, then the column names of ``schemas`` (Arrow schemas); an
    unnamed select expression is named by its SQL text, as DuckDB does."""
    out = {}
    for schema in schemas:
        for name in schema.names:
            out.setdefault(name.lower(), name)
    for alias in query.find_all(exp.Alias):
        if alias.alias:
            out[alias.alias.lower()] = alias.alias
    stars = [e for e in getattr(query, "expressions", []) if isinstance(e, exp.Star)
             or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))]
    if isinstance(query, exp.Select) and not stars:
        for i, e in enumerate(query.expressions):  # unnamed: the qualifier says _col_<i>
            if not isinstance(e, (exp.Alias, exp.Column)):
                out[f"_col_{i}"] = e.sql(dialect=DEFAULT_DIALECT, normalize_functions="lower")
    return out


def qualify_query(query: exp.Expression, schema: dict | TableSchema,
                  dialect: str | None = None) -> exp.Expression:
    """Expand ``*``, attach every column to its table alias (outer ones too, for
    correlated subqueries), replace GROUP BY positions and select aliases used in
    WHERE/GROUP BY/HAVING by their expressions. Unresolvable columns are left
    unqualified: the translator reports them with the closest match."""
    try:
        return qualify(query, schema=schema, dialect=dialect or DEFAULT_DIALECT,
                       validate_qualify_columns=False, quote_identifiers=False,
                       identify=False)
    except OptimizeError as err:
        message = str(err)
        if message.startswith("Unknown column: "):
            tables = {t.name.lower() for t in query.find_all(exp.Table)}
            spelt = schema.tables if isinstance(schema, TableSchema) else schema
            visible = [c for t, columns in spelt.items() if t in tables for c in columns]
            raise column_not_found(message.split(": ", 1)[1], visible) from None
        raise SQLError(message) from None

"""Statements that are not queries: CREATE TABLE/VIEW, DROP, SHOW TABLES,
DESCRIBE, COPY ... TO. Each returns a (small, lazy) result frame, so a pipeline
can be written in SQL alone."""
from __future__ import annotations

import pandas as pd
from sqlglot import exp

from kyudo.sql.catalog import Entry
from kyudo.sql.errors import SQLError, UnsupportedSQLError
from kyudo.sql.translate.types import sql_type_name


def _frame(data: dict):
    from kyudo.dataframe import from_pandas
    return from_pandas(pd.DataFrame(data))


def _properties(node: exp.Expression) -> dict[str, str]:
    """``WITH (location = '...', format = 'parquet')`` as a lower-case dict."""
    props = node.args.get("properties")
    out = {}
    for p in (props.expressions if props is not None else []):
        if isinstance(p, exp.LocationProperty):
            out["location"] = p.this.name
        elif isinstance(p, exp.FileFormatProperty):
            out["format"] = p.this.name.lower()
        elif isinstance(p, exp.Property):
            out[p.name.lower()] = p.args["value"].name
        else:
            raise UnsupportedSQLError(f"table property {p.sql()} is not supported")
    return out


def create(context, node: exp.Create, dialect):
    kind = (node.args.get("kind") or "").upper()
    name = node.this.name if isinstance(node.this, exp.Table) else node.this.this.name
    replace = bool(node.args.get("replace"))
    if node.args.get("exists") and name.lower() in context.catalog.entries:
        return _frame({"status": [f"{kind.lower()} {name} exists"]})
    if kind not in ("TABLE", "VIEW"):
        raise UnsupportedSQLError(f"CREATE {kind} is not supported")
    query = node.args.get("expression")
    if query is not None and kind == "VIEW":
        context.catalog.add(Entry(name, "view", query=query, dialect=dialect), replace=replace)
    elif query is not None:  # CREATE TABLE AS stores the rows
        frame = context._query_frame(query, dialect).persist()
        context.catalog.add(Entry(name, "table", frame), replace=replace)
    else:
        props = _properties(node)
        if kind != "TABLE" or "location" not in props:
            raise SQLError("CREATE TABLE needs AS SELECT ... or WITH (location = '...')")
        options = {k: v for k, v in props.items() if k not in ("location", "format")}
        context.create_table(name, props["location"], format=props.get("format"), **options)
    return _frame({"status": [f"created {kind.lower()} {name}"]})


def drop(context, node: exp.Drop):
    kind = (node.args.get("kind") or "").upper()
    if kind not in ("TABLE", "VIEW"):
        raise UnsupportedSQLError(f"DROP {kind} is not supported")
    for table in node.args.get("tables") or [node.this]:
        context.catalog.drop(table.name, kind.lower(), missing_ok=bool(node.args.get("exists")))
    return _frame({"status": [f"dropped {kind.lower()}"]})


def show(context, node: exp.Show):
    if node.name.upper() != "TABLES":
        raise UnsupportedSQLError(f"SHOW {node.name} is not supported")
    return _frame({"name": sorted(context.catalog.names())})


def describe(context, node: exp.Describe):
    schema = context.catalog.schema(node.this.name)
    return _frame({"column_name": schema.names,
                   "column_type": [sql_type_name(f.type) for f in schema],
                   "null": ["YES" if f.nullable else "NO" for f in schema]})


def copy(context, node: exp.Copy, dialect):
    """``COPY (query) TO 'path' (FORMAT parquet|csv|json, PARTITION_BY (a, b),
    OVERWRITE)``. Writes are all-or-nothing; an existing target is an error
    unless OVERWRITE (or DuckDB's OVERWRITE_OR_IGNORE) is given. A CSV or JSON
    path ending in its extension is written as one file, as DuckDB does."""
    if node.args.get("kind") is not False and node.args.get("kind") is not None:
        raise UnsupportedSQLError("COPY ... FROM is not supported; use CREATE TABLE ... WITH (location=...)")
    source = node.this
    query = source.this if isinstance(source, exp.Subquery) else exp.select("*").from_(source)
    frame = context._query_frame(query, dialect)
    path = node.args["files"][0].name
    params = {p.this.name.upper(): p.args.get("expression") for p in node.args.get("params") or []}
    fmt = params.pop("FORMAT", None)
    fmt = fmt.name.lower() if fmt is not None else _format_of(path)
    partition = params.pop("PARTITION_BY", None)
    overwrite = [params.pop(k) for k in ("OVERWRITE", "OVERWRITE_OR_IGNORE") if k in params]
    options = {"mode": "overwrite"} if overwrite and _true(overwrite[0]) else {}
    if fmt in ("csv", "json") and path.lower().endswith("." + fmt):
        options["single_file"] = True
    if params:
        raise UnsupportedSQLError(f"COPY options {sorted(params)} are not supported")
    columns = []
    if partition is not None:
        items = partition.expressions if isinstance(partition, exp.Tuple) else [partition.unnest()]
        columns = [i.name for i in items]
    writers = {"parquet": frame.to_parquet, "csv": frame.to_csv, "json": frame.to_json}
    if fmt not in writers:
        raise UnsupportedSQLError(f"COPY format {fmt!r} is not supported (parquet, csv, json)")
    if columns and fmt != "parquet":
        raise UnsupportedSQLError("PARTITION_BY is only supported for parquet")
    if columns:
        options["partition_on"] = columns
    files = writers[fmt](path, **options)
    return _frame({"files": list(files or [])})


def _true(value) -> bool:
    """A COPY flag: given without a value, or with a true one."""
    return value is None or value.name.lower() in ("true", "1", "on")


def _format_of(path: str) -> str:
    for fmt in ("parquet", "csv", "json"):
        if path.rstrip("/").endswith("." + fmt):
            return fmt
    return "parquet"


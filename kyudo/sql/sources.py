"""Where tables come from: frames for ``create_table`` sources, and files named
in a query (``FROM 'data/*.parquet'``, ``FROM read_parquet('...')``, DuckDB's
"replacement scans") bound as temporary tables while the query is translated."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path, PurePosixPath

import pandas as pd
import pyarrow as pa
from sqlglot import exp

from kyudo.sql.catalog import Entry
from kyudo.sql.errors import SQLError, UnsupportedSQLError

_READERS = {"read_parquet": "parquet", "read_csv": "csv", "read_csv_auto": "csv",
            "read_json": "json", "read_json_auto": "json", "read_ndjson": "json"}


def frame_of(source, format: str | None = None, storage_options: dict | None = None,
             read_options: dict | None = None):
    """A kyudo DataFrame over a kyudo or pandas DataFrame, an Arrow table, or a
    path / glob / URL of Parquet, CSV or JSON-lines files."""
    import kyudo.dataframe as kd
    if isinstance(source, kd.DataFrame):
        return source
    if isinstance(source, pd.DataFrame):
        return kd.from_pandas(source)
    if isinstance(source, pa.Table):
        return kd.from_arrow(source)
    if isinstance(source, (str, Path)):
        path = str(source)
        fmt = (format or extension(path)).lower()
        readers = {"parquet": kd.read_parquet, "csv": kd.read_csv, "json": kd.read_json}
        if fmt not in readers:
            raise SQLError(f"unknown table format {fmt!r}; expected parquet, csv or json")
        options = dict(read_options or {})
        if fmt in ("parquet", "json"):
            options.setdefault("nan_as_null", False)  # in SQL a stored NaN is a value, as in DuckDB
        return readers[fmt](path, storage_options=storage_options, **options)
    raise TypeError(f"cannot make a table from {type(source).__name__}")


def extension(path: str) -> str:
    """The format a path's extension names; Parquet when it names none."""
    for fmt, endings in (("csv", (".csv", ".csv.gz")), ("json", (".json", ".jsonl", ".ndjson"))):
        if path.rstrip("/").lower().endswith(endings):
            return fmt
    return "parquet"


def _file_of(table: exp.Table, catalog) -> tuple[str, str] | None:
    """(path, format) when ``table`` names files rather than a catalog table."""
    source = table.this
    if isinstance(source, (exp.ReadParquet, exp.ReadCSV, exp.Anonymous)):
        name = "read_parquet" if isinstance(source, exp.ReadParquet) else \
            "read_csv" if isinstance(source, exp.ReadCSV) else source.name.lower()
        if name not in _READERS:
            return None
        args = ([source.this] if isinstance(source.this, exp.Expression) else []) + list(source.expressions)
        if len(args) != 1 or not isinstance(args[0], exp.Literal) or not args[0].is_string:
            raise UnsupportedSQLError(f"{source.sql()}: only a path is supported as argument")
        return args[0].this, _READERS[name]
    if isinstance(source, exp.Identifier) and source.quoted and source.name.lower() not in catalog.entries \
            and ("/" in source.name or "." in source.name):
        return source.name, extension(source.name)
    return None


@contextmanager
def files_as_tables(catalog, query: exp.Expression):
    """``query`` with its file references rewritten into temporary catalog
    tables, aliased by the file's stem as DuckDB does; dropped afterwards.
    ``query`` itself is left unchanged: one naming files is copied first (one
    naming none, the usual case, is given back as it is)."""
    if all(_file_of(table, catalog) is None for table in query.find_all(exp.Table)):
        yield query
        return
    query = query.copy()
    added: list[str] = []
    try:
        for table in list(query.find_all(exp.Table)):
            found = _file_of(table, catalog)
            if found is None:
                continue
            path, fmt = found
            name = f"__file_{len(added)}"
            while name in catalog.entries:
                name += "_"
            catalog.add(Entry(name, "table", frame_of(path, fmt)))
            added.append(name)
            stem = PurePosixPath(path.rstrip("/")).name.split(".")[0].replace("*", "") or "file"
            table.replace(exp.table_(name, alias=table.alias or stem))
        yield query
    finally:
        for name in added:
            catalog.drop(name)

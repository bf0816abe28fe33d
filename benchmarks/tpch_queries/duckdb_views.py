"""A DuckDB connection that sees the TPC-H Parquet directories as tables.

DuckDB running the SQL text is the reference answer for the tests and one of the
engines of the benchmark; both must read exactly the same files.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from . import table_dirs


def connect(data_dir: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with one view per table over its Parquet files."""
    con = duckdb.connect()
    for name, path in table_dirs(data_dir).items():
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}/*.parquet')")
    return con

"""TPC-H query definitions shared by the benchmark, the tests and the examples.

* :data:`DATAFRAME_QUERIES` -- number -> function written with the DataFrame API
  (:mod:`.dataframe`); only the queries expressible with kyudo's first API subset.
* :func:`sql_text` -- the SQL of all 22 queries (``sql/qN.sql``), the reference
  answers and what the SQL engines run.
* :func:`table_dirs` -- where each table's Parquet files live under a data directory
  made by :mod:`examples.make_tpch`.
"""

from __future__ import annotations

from pathlib import Path

from examples.make_tpch import TABLES

from .dataframe import QUERIES as DATAFRAME_QUERIES

SQL_QUERIES = tuple(range(1, 23))
_SQL_DIR = Path(__file__).with_name("sql")


def sql_text(number: int) -> str:
    """The SQL text of TPC-H query ``number`` (DuckDB/ANSI dialect)."""
    return (_SQL_DIR / f"q{number}.sql").read_text()


def table_dirs(data_dir: str | Path) -> dict[str, Path]:
    """Table name -> directory of that table's Parquet files."""
    root = Path(data_dir)
    dirs = {name: root / name for name in TABLES}
    missing = [name for name, path in dirs.items() if not path.is_dir()]
    if missing:
        raise FileNotFoundError(
            f"{root} lacks tables {missing}; run `python -m examples.make_tpch --out {root}`"
        )
    return dirs


__all__ = ["DATAFRAME_QUERIES", "SQL_QUERIES", "TABLES", "sql_text", "table_dirs"]

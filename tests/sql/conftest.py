"""Shared tables and the differential check: a query runs in kyudo SQL and in
DuckDB over the same Arrow tables and the answers must be equal, exactly
(floats to 1e-9 relative), as multisets unless the query orders its rows."""

from __future__ import annotations

import datetime
import math
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest

from kyudo.sql import Context


def sample_tables() -> dict[str, pa.Table]:
    """Small tables with NULLs, empty strings, duplicates, negative numbers and
    an empty table, so NULL semantics and empty inputs are exercised."""
    t = pa.table({
        "id": pa.array([1, 2, 2, 3, 4, 5, None, 7], pa.int64()),
        "g": pa.array(["a", "b", "", None, "a", "b", "a", None], pa.string()),
        "x": pa.array([1.5, -2.0, None, 4.25, 0.0, 10.0, 3.5, -1.0], pa.float64()),
        "n": pa.array([10, None, 30, -7, 0, 10, 5, None], pa.int64()),
        "d": pa.array([datetime.date(2020, 1, 31), datetime.date(2020, 2, 29), None,
                       datetime.date(2019, 12, 1), datetime.date(2021, 6, 15),
                       datetime.date(2020, 1, 1), datetime.date(2020, 3, 3),
                       datetime.date(2022, 7, 4)], pa.date32()),
        "p": pa.array([Decimal("1.10"), Decimal("2.25"), None, Decimal("-3.50"),
                       Decimal("0.00"), Decimal("10.01"), Decimal("7.77"), Decimal("2.25")],
                      pa.decimal128(10, 2)),
    })
    u = pa.table({
        "id": pa.array([2, 2, 3, None, 5, 8], pa.int64()),
        "y": pa.array(["q", None, "r", "s", "", "t"], pa.string()),
        "v": pa.array([100, 200, None, 400, 500, 600], pa.int64()),
    })
    empty = u.schema.empty_table()
    ts = pa.table({
        "k": pa.array([1, 2, 3, 4], pa.int64()),
        "tm": pa.array([datetime.datetime(2020, 1, 31, 23, 59, 1), datetime.datetime(2021, 3, 1, 0, 0),
                        None, datetime.datetime(2020, 2, 29, 12, 30, 45)], pa.timestamp("us")),
    })
    return {"t": t, "u": u, "e": empty, "ts": ts}


@pytest.fixture(scope="session")
def same_answer():
    """The differential check, as a fixture: test modules cannot import from
    this conftest by name when tests/tpch's conftest is also loaded."""
    return check_same_answer


@pytest.fixture(scope="session")
def tables() -> dict[str, pa.Table]:
    return sample_tables()


@pytest.fixture(scope="session")
def ctx(tables) -> Context:
    c = Context()
    for name, table in tables.items():
        c.create_table(name, table)
    return c


@pytest.fixture(scope="session")
def duck(tables):
    con = duckdb.connect()
    for name, table in tables.items():
        con.register(name, table)
    return con


def normalize(value):
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (Decimal, float)) or (isinstance(value, int) and not isinstance(value, bool)):
        value = float(value)
        return round(value, 9 - int(math.floor(math.log10(abs(value))))) if value else 0.0
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day)
    return value


def rows(table: pa.Table) -> list[tuple]:
    columns = [c.to_pylist() for c in table.columns]  # by position: names may repeat
    return [tuple(normalize(v) for v in row) for row in zip(*columns)]


def _sort_key(row):
    return tuple((v is None, type(v).__name__, v if v is not None else 0) for v in row)


def check_same_answer(ctx: Context, duck, query: str, ordered: bool | None = None) -> None:
    """Assert kyudo and DuckDB agree on ``query``; ``ordered`` defaults to whether
    the query has a top-level ORDER BY."""
    got = rows(ctx.sql(query).to_arrow())
    want = rows(duck.sql(query).to_arrow_table())
    if ordered is None:
        ordered = "order by" in query.lower().split(")")[-1]
    if not ordered:
        got, want = sorted(got, key=_sort_key), sorted(want, key=_sort_key)
    assert got == want, f"{query}\nkyudo:  {got}\nduckdb: {want}"

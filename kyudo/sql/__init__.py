"""SQL over kyudo: ``from kyudo.sql import Context``.

::

    ctx = Context()
    ctx.create_table("lineitem", "data/tpch/lineitem/")      # or a DataFrame / Arrow table
    frame = ctx.sql("SELECT l_returnflag, sum(l_quantity) AS q FROM lineitem GROUP BY 1")
    frame[frame.q > 100].compute()                           # a lazy kyudo DataFrame

A query compiles into the same logical plan as the DataFrame API (so every
optimizer rule serves both). The default dialect is DuckDB's (``dialect=`` takes
any sqlglot dialect). Names match case-insensitively; output columns keep the
spelling of the table column or alias (a repeated name gets ``_1``, ``_2``, an
unnamed expression is named by its SQL text).

Covered: SELECT / WHERE / GROUP BY [ALL] / HAVING / QUALIFY / ORDER BY (NULLS
FIRST|LAST) / LIMIT / OFFSET / FETCH / DISTINCT; inner, left, right, full, cross,
USING and NATURAL joins and non-equi conditions; [NOT] EXISTS and [NOT] IN
subqueries (semi and null-aware anti joins as WHERE conditions, mark joins
anywhere else) and scalar subqueries, correlated too (by equalities or any other
predicate); CTEs; UNION [ALL], INTERSECT, EXCEPT; CASE, CAST, TRY_CAST, COALESCE,
NULLIF, LIKE/ILIKE [ESCAPE], BETWEEN, IS [NOT] DISTINCT FROM; date/timestamp
+/- intervals, EXTRACT, date_trunc; string and math functions; aggregates with
DISTINCT and FILTER; window functions with PARTITION BY / ORDER BY / ROWS and
RANGE frames; GROUPING SETS, ROLLUP, CUBE, GROUPING(); files named in FROM
('path', read_parquet/read_csv/read_json); DDL (CREATE TABLE ... WITH (location,
format) / AS SELECT, CREATE VIEW, DROP, SHOW TABLES, DESCRIBE, EXPLAIN) and
``COPY (query) TO 'path' (FORMAT parquet, PARTITION_BY (...))``; user scalar
functions (Arrow, pandas or numba) and aggregations built from aggregate parts.

SQL semantics where they differ from the pandas layer: NULL group keys are kept,
a sum over no values is NULL, joins never match NULL keys, ``avg`` and ``/`` on
integers or decimals give doubles, ``%`` and ``//`` truncate towards zero, ROUND
rounds halves away from zero. Differences from DuckDB that remain: integer
division or modulo by zero gives NULL (DuckDB raises); a NaN in a pandas frame or
Arrow table given to ``create_table`` becomes NULL (as in the DataFrame API),
and a NaN read from files compares false and is skipped by ``max`` (DuckDB
orders it above every number).

Anything else raises :class:`UnsupportedSQLError` naming the construct.
"""
from kyudo.sql.context import Context
from kyudo.sql.errors import (SQLColumnNotFoundError, SQLError, SQLSyntaxError, SQLTypeError,
                              TableNotFoundError, UnsupportedSQLError)
from kyudo.planner.collector import freeze_imported

freeze_imported()  # last: see kyudo/planner/collector.py

__all__ = ["Context", "SQLError", "SQLSyntaxError", "SQLTypeError", "SQLColumnNotFoundError",
           "TableNotFoundError", "UnsupportedSQLError"]

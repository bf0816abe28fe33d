"""``Context``: the SQL entry point (dask-sql's name; DuckDB and DataFusion users
know the same ideas as a connection or a session context).

A query compiles into the same logical plan the DataFrame API builds, so every
optimizer rule serves both, and the result is a lazy kyudo DataFrame that
DataFrame methods can continue.
"""
from __future__ import annotations

import logging
from typing import Callable, Sequence

import pyarrow as pa
from sqlglot import exp

from kyudo.planner.compile import explain as explain_plan
from kyudo.sql import ddl
from kyudo.sql.catalog import Catalog, Entry
from kyudo.sql.errors import SQLError, UnsupportedSQLError
from kyudo.sql.parse import DEFAULT_DIALECT, parse, qualify_query, spelling
from kyudo.sql.translate.query import Translator
from kyudo.sql.translate.relation import output_plan
from kyudo.sql.sources import files_as_tables, frame_of
from kyudo.sql.udf import make_aggregation, make_function

_QUERIES = (exp.Select, exp.SetOperation, exp.Subquery, exp.Values)


class Context:
    """Tables, views and functions, and SQL over them.

    ``dialect`` is any sqlglot dialect name; the default is ``"duckdb"``.
    """

    def __init__(self, dialect: str = DEFAULT_DIALECT):
        self.dialect = dialect
        self.catalog = Catalog()

    # ---- tables -------------------------------------------------------------------------

    def create_table(self, name: str, source, format: str | None = None,
                     storage_options: dict | None = None, **read_options) -> None:
        """Register ``source`` as table ``name``: a kyudo or pandas DataFrame, an
        Arrow table, or a path / glob / URL of Parquet, CSV or JSON-lines files
        (``format`` defaults to the file extension, else Parquet)."""
        self.catalog.add(Entry(name, "table", frame_of(source, format, storage_options, read_options)))

    def drop_table(self, name: str) -> None:
        self.catalog.drop(name)

    @property
    def tables(self) -> list[str]:
        return sorted(self.catalog.names())

    def schema(self, name: str) -> pa.Schema:
        return self.catalog.schema(name)

    # ---- functions ----------------------------------------------------------------------

    def register_function(self, func: Callable, name: str, parameters: Sequence, return_type,
                          input: str = "arrow", numba: bool = False) -> None:
        """A scalar function usable in SQL. ``parameters`` are the argument types
        (Arrow types, or ``(name, type)`` pairs); the function is called once per
        batch with pyarrow arrays (``input="pandas"``: Series) and returns an
        array of ``return_type``. ``numba=True`` compiles it element-wise."""
        self.catalog.functions[name.lower()] = make_function(name, func, parameters, return_type,
                                                             input=input, numba=numba)

    def register_aggregation(self, name: str, parts: dict[str, str], finalize: Callable,
                             part_types: Sequence, return_type, input: str = "arrow") -> None:
        """An aggregate usable in SQL, ``name(x)``: the built-in aggregates
        ``parts`` (part name -> "sum", "count", "min", ...) of ``x`` per group,
        then ``finalize(*part_columns)``, vectorised over groups, of the declared
        ``return_type``. ``part_types`` are the types finalize receives.
        Example, a geometric-style mean of squares::

            ctx.register_aggregation("mean_square", {"s": "sum", "n": "count"},
                                     lambda s, n: pc.divide(s, n), [pa.float64(), pa.int64()],
                                     pa.float64())
        """
        self.catalog.aggregations[name.lower()] = make_aggregation(
            name, parts, finalize, part_types, return_type, input=input)

    # ---- SQL ----------------------------------------------------------------------------

    def sql(self, query: str, dialect: str | None = None):
        """Run the statements of ``query``; returns the last one's result as a lazy
        DataFrame (DDL returns a small status frame)."""
        statements = parse(query, dialect or self.dialect)
        if not statements:
            raise SQLError("no SQL statement given")
        result = None
        for statement in statements:
            result = self._statement(statement, dialect or self.dialect)
        return result

    def explain(self, query: str, dialect: str | None = None) -> str:
        """The logical, optimized and physical plans of a query."""
        statements = parse(query, dialect or self.dialect)
        if len(statements) != 1:
            raise SQLError("explain takes exactly one query")
        return explain_plan(self._query_frame(statements[0], dialect or self.dialect).plan)

    def _statement(self, node: exp.Expression, dialect: str):
        if isinstance(node, _QUERIES):
            return self._query_frame(node, dialect)
        if isinstance(node, exp.Create):
            return ddl.create(self, node, dialect)
        if isinstance(node, exp.Drop):
            return ddl.drop(self, node)
        if isinstance(node, exp.Show):
            return ddl.show(self, node)
        if isinstance(node, exp.Describe):
            return ddl.describe(self, node)
        if isinstance(node, exp.Copy):
            return ddl.copy(self, node, dialect)
        if isinstance(node, exp.Command) and node.name.upper() == "EXPLAIN":
            text = self.explain(node.expression.name, dialect)
            return ddl._frame({"plan": text.splitlines()})
        raise UnsupportedSQLError(f"statement {type(node).__name__.upper()} is not supported: "
                                  f"{node.sql(dialect=dialect)[:80]}")

    def _query_frame(self, node: exp.Expression, dialect: str):
        """Translate a query into a lazy DataFrame whose columns carry the SQL
        output names (repeated names get a numeric suffix, as in DuckDB)."""
        from kyudo.dataframe import DataFrame
        with files_as_tables(self.catalog, node) as query:
            qualified = qualify_query(query.copy(), self.catalog.sqlglot_schema(dialect), dialect)
            names = spelling(query, self.catalog.schemas_read_by(query))
            return DataFrame(output_plan(Translator(self.catalog).query(qualified), names))


logging.getLogger("sqlglot").setLevel(logging.ERROR)  # EXPLAIN falls back to a Command

"""The 22 TPC-H queries in their standard SQL text run unchanged through
``kyudo.sql.Context`` and give DuckDB's answers on the same scale-0.1 data."""

from __future__ import annotations

import pytest

from benchmarks.tpch_queries import SQL_QUERIES, sql_text, table_dirs
from benchmarks.tpch_queries.answers import assert_same_answer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def context(tpch_dir):
    from kyudo.sql import Context

    ctx = Context()
    for name, path in table_dirs(tpch_dir).items():
        ctx.create_table(name, str(path))
    return ctx


@pytest.mark.parametrize("number", SQL_QUERIES, ids=lambda n: f"q{n}")
def test_sql_query_matches_duckdb(number, context, sql_answer):
    assert_same_answer(context.sql(sql_text(number)).compute(), sql_answer(number))


def test_sql_compiles_to_the_optimized_dataframe_plan(context):
    """A SQL filter reaches the Parquet scan through the same optimizer rules."""
    text = context.explain("select l_orderkey from lineitem where l_quantity > 49")
    optimized = text.split("== Optimized plan ==")[1].split("== Physical plan ==")[0]
    assert "predicate=greater(col('l_quantity'), lit(49))" in optimized
    assert "Scan(" in optimized and "columns=[l_orderkey], predicate=" in optimized

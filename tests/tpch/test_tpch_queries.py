"""Every TPC-H query written with the DataFrame API must give DuckDB's SQL answer.

On pandas frames this checks the query definitions themselves; on kyudo frames it
checks kyudo end to end (Parquet scan, optimizer, joins, group-bys, sorts).
"""

from __future__ import annotations

import pytest

from benchmarks.tpch_queries import DATAFRAME_QUERIES
from benchmarks.tpch_queries.answers import assert_same_answer

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("number", sorted(DATAFRAME_QUERIES), ids=lambda n: f"q{n}")
def test_query_matches_duckdb(number, tables, sql_answer):
    assert_same_answer(DATAFRAME_QUERIES[number](tables), sql_answer(number))

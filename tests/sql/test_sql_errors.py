"""Errors name what is wrong in SQL terms, and unsupported constructs raise
instead of answering wrongly."""

from __future__ import annotations

import pytest

from kyudo.sql import (SQLColumnNotFoundError, SQLError, SQLSyntaxError, SQLTypeError,
                       TableNotFoundError, UnsupportedSQLError)


def test_unknown_table_names_the_closest(ctx):
    with pytest.raises(TableNotFoundError, match=r"table 'tt' not found; did you mean 't'\?"):
        ctx.sql("select * from tt")


def test_unknown_column_names_the_closest(ctx):
    with pytest.raises(SQLColumnNotFoundError, match=r"column 'idd' not found; did you mean 'id'\?"):
        ctx.sql("select idd from t")


def test_unknown_qualified_column(ctx):
    with pytest.raises(SQLColumnNotFoundError, match=r"'idx' not found; did you mean 'id'"):
        ctx.sql("select u.idx from t join u on t.id = u.id")


def test_syntax_error_has_line_and_column(ctx):
    with pytest.raises(SQLSyntaxError) as info:
        ctx.sql("select id\nfrom t\nwhere (x > 1")
    assert info.value.line == 3
    assert "line 3, column" in str(info.value)


def test_type_error_names_expression_and_types(ctx):
    with pytest.raises(SQLTypeError, match=r"in t\.g \+ 1.*string.*int64"):
        ctx.sql("select g + 1 from t")


def test_ambiguous_column(ctx):
    with pytest.raises(SQLError, match="ambiguous"):
        ctx.sql("select id from t join u on t.id = u.id")


def test_ungrouped_column(ctx):
    with pytest.raises(SQLError, match="must appear in the GROUP BY"):
        ctx.sql("select g, n from t group by g")


@pytest.mark.parametrize("query, construct", [
    ("select g, sum(distinct n) from t group by rollup (g)", "DISTINCT values with grouping sets"),
    ("select id from t where x > 1 or exists (select 1 from u where u.v > t.n limit 1)", "EXISTS"),
    ("select t.id from t join u on t.id in (select id from e)", "subquery in a JOIN"),
    ("select (select v from u) from t", "several rows"),
    ("with recursive r as (select 1) select * from r", "RECURSIVE"),
    ("select strpos(g, 'a') from t", "strpos"),
    ("select frobnicate(g) from t", "function 'frobnicate' is not supported"),
    ("select * from generate_series(1, 3)", "table functions"),
    ("select id, sum(n) over w from t window w as (order by id)", "named WINDOW"),
    ("select * from t using sample 50%", "SAMPLE"),
    ("select * from t tablesample 50%", "sample is not supported on a table"),
    ("select id from t order by id fetch first 2 rows with ties", "WITH TIES"),
    ("select id from t union by name select id from u", "by_name"),
])
def test_unsupported_constructs_are_named(ctx, query, construct):
    with pytest.raises(UnsupportedSQLError, match=construct):
        ctx.sql(query)


def test_aggregate_in_where_is_refused(ctx):
    with pytest.raises(SQLError, match="not allowed in WHERE"):
        ctx.sql("select id from t where sum(n) > 1")

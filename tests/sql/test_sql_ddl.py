"""DDL and ETL in SQL alone: tables from files, CREATE TABLE AS, views, DROP,
SHOW TABLES, DESCRIBE, EXPLAIN and COPY ... TO Parquet with partitioning."""

from __future__ import annotations

import pandas as pd
import pyarrow.dataset as ds
import pytest

from kyudo.sql import Context, SQLError, TableNotFoundError

FRAME = pd.DataFrame({"k": [1, 2, 2, 3], "s": ["a", "b", "b", "c"], "v": [1.0, 2.5, 3.0, 4.0]})


@pytest.fixture
def ctx(tmp_path):
    FRAME.to_parquet(tmp_path / "src.parquet")
    c = Context()
    c.sql(f"CREATE TABLE src WITH (location = '{tmp_path / 'src.parquet'}', format = 'parquet')")
    return c


def test_create_table_with_location(ctx):
    assert ctx.sql("select sum(v) as t from src").compute()["t"].tolist() == [10.5]


def test_create_table_as_select_and_view(ctx):
    ctx.sql("CREATE TABLE big AS SELECT k, v FROM src WHERE v > 2")
    ctx.sql("CREATE VIEW per_k AS SELECT k, count(*) AS n FROM src GROUP BY k")
    assert ctx.sql("select count(*) as n from big").compute()["n"].tolist() == [3]
    got = ctx.sql("select * from per_k order by k").compute()
    assert got["n"].tolist() == [1, 2, 1]
    shown = ctx.sql("SHOW TABLES").compute()["name"].tolist()
    assert shown == ["big", "per_k", "src"]


def test_drop_table_and_view(ctx):
    ctx.sql("CREATE VIEW w AS SELECT 1 AS one")
    ctx.sql("DROP VIEW w")
    ctx.sql("DROP TABLE IF EXISTS nothing_here")
    with pytest.raises(TableNotFoundError):
        ctx.sql("DROP TABLE w")
    with pytest.raises(SQLError, match="already exists"):
        ctx.sql("CREATE VIEW src AS SELECT 1")


def test_describe(ctx):
    got = ctx.sql("DESCRIBE src").compute()
    assert got["column_name"].tolist() == ["k", "s", "v"]
    assert got["column_type"].tolist() == ["BIGINT", "VARCHAR", "DOUBLE"]


def test_explain_statement(ctx):
    lines = ctx.sql("EXPLAIN SELECT k FROM src WHERE v > 1").compute()["plan"].tolist()
    assert "== Physical plan ==" in lines


def test_copy_to_partitioned_parquet(ctx, tmp_path):
    out = tmp_path / "out"
    ctx.sql(f"COPY (SELECT s, k, v FROM src WHERE v > 1) TO '{out}' (FORMAT parquet, PARTITION_BY (s))")
    back = ds.dataset(out, format="parquet", partitioning="hive").to_table().to_pandas()
    assert sorted(back["v"].tolist()) == [2.5, 3.0, 4.0]
    assert {p.name for p in out.iterdir() if p.is_dir()} == {"s=b", "s=c"}
    ctx.sql(f"CREATE TABLE again WITH (location = '{out}')")
    assert ctx.sql("select count(*) as n from again where s = 'b'").compute()["n"].tolist() == [2]


def test_a_pipeline_in_sql_alone(ctx, tmp_path):
    out = tmp_path / "summary"
    result = ctx.sql(f"""
        CREATE VIEW clean AS SELECT k, upper(s) AS s, v FROM src WHERE v IS NOT NULL;
        CREATE TABLE summary AS SELECT s, sum(v) AS total FROM clean GROUP BY s;
        COPY (SELECT * FROM summary ORDER BY s) TO '{out}' (FORMAT parquet);
        SELECT * FROM summary ORDER BY total DESC
    """).compute()
    assert result["s"].tolist() == ["B", "C", "A"]
    assert sorted(ds.dataset(out).to_table()["total"].to_pylist()) == [1.0, 4.0, 5.5]


def test_views_bind_late(ctx):
    ctx.sql("CREATE VIEW doubled AS SELECT k, v * 2 AS w FROM src")
    ctx.create_table("src", pd.DataFrame({"k": [9], "s": ["z"], "v": [0.5]}))
    assert ctx.sql("select * from doubled").compute().values.tolist() == [[9, 1.0]]
    assert ctx.schema("doubled").names == ["k", "w"]


def test_a_view_cannot_read_itself(ctx):
    ctx.sql("CREATE VIEW v AS SELECT k FROM src")
    with pytest.raises(SQLError, match="refers to itself|not found"):
        ctx.sql("CREATE OR REPLACE VIEW v AS SELECT k FROM v")
    assert ctx.sql("select count(*) as n from v").compute()["n"].tolist() == [4]  # kept


def test_a_view_over_a_dropped_table_fails_when_used(ctx):
    ctx.sql("CREATE VIEW v AS SELECT k FROM src")
    ctx.sql("DROP TABLE src")
    with pytest.raises(TableNotFoundError, match="'src' not found"):
        ctx.sql("select * from v")


def test_copy_refuses_to_replace_unless_asked(ctx, tmp_path):
    target = tmp_path / "one.csv"
    ctx.sql(f"COPY src TO '{target}' (FORMAT csv)")
    assert target.read_text().splitlines()[0] == '"k","s","v"'
    with pytest.raises(FileExistsError):
        ctx.sql(f"COPY (SELECT k FROM src) TO '{target}' (FORMAT csv)")
    ctx.sql(f"COPY (SELECT k FROM src) TO '{target}' (FORMAT csv, OVERWRITE)")
    assert target.read_text().splitlines() == ['"k"', "1", "2", "2", "3"]


def test_files_named_in_a_query(ctx, tmp_path):
    FRAME.to_csv(tmp_path / "more.csv", index=False)
    parquet = tmp_path / "src.parquet"
    assert ctx.sql(f"select count(*) as n from '{parquet}'").compute()["n"].tolist() == [4]
    got = ctx.sql(f"select m.k, s.v from read_csv('{tmp_path / 'more.csv'}') m "
                  f"join read_parquet('{parquet}') s on m.k = s.k where m.v > 3").compute()
    assert got.values.tolist() == [[3, 4.0]]
    ctx.sql(f"CREATE VIEW from_file AS SELECT k FROM '{parquet}' WHERE v > 2.5")
    assert ctx.sql("select count(*) as n from from_file").compute()["n"].tolist() == [2]
    assert ctx.tables == ["from_file", "src"]  # the files were bound only while translating

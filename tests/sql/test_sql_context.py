"""Context: tables from every kind of source, lazy results that DataFrame methods
continue, the listing of tables and schemas, explain, and user functions."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import kyudo.dataframe as kd
from kyudo.sql import Context, TableNotFoundError

FRAME = pd.DataFrame({"k": [1, 2, 2, 3], "s": ["a", "b", None, "d"], "v": [1.0, 2.5, None, 4.0]})


def _answer(ctx, query):
    return ctx.sql(query).compute().reset_index(drop=True)


@pytest.mark.parametrize("make", [
    lambda tmp: FRAME,
    lambda tmp: pa.Table.from_pandas(FRAME, preserve_index=False),
    lambda tmp: kd.from_pandas(FRAME, npartitions=2),
])
def test_in_memory_sources(make, tmp_path):
    ctx = Context()
    ctx.create_table("f", make(tmp_path))
    got = _answer(ctx, "select k, sum(v) as total from f group by k order by k")
    assert got["k"].tolist() == [1, 2, 3]
    assert got["total"].tolist() == [1.0, 2.5, 4.0]


@pytest.mark.parametrize("fmt", ["parquet", "csv", "json"])
def test_file_sources(fmt, tmp_path):
    path = tmp_path / f"data.{fmt}"
    if fmt == "parquet":
        FRAME.to_parquet(path)
    elif fmt == "csv":
        FRAME.to_csv(path, index=False)
    else:
        FRAME.to_json(path, orient="records", lines=True)
    ctx = Context()
    ctx.create_table("f", str(path), format=fmt)
    assert _answer(ctx, "select count(*) as n, count(s) as m from f").values.tolist() == [[4, 3]]


def test_result_is_a_lazy_dataframe_that_continues(tmp_path):
    ctx = Context()
    ctx.create_table("f", FRAME)
    frame = ctx.sql("select k, v from f where v is not null")
    assert isinstance(frame, kd.DataFrame)
    more = frame[frame.k > 1].assign(w=frame.v * 2)
    assert more.compute()["w"].tolist() == [5.0, 8.0]
    # and the DataFrame can be registered again as a table
    ctx.create_table("g", more)
    assert _answer(ctx, "select max(w) as m from g")["m"].tolist() == [8.0]


def test_listing_and_dropping():
    ctx = Context()
    ctx.create_table("f", FRAME)
    ctx.create_table("Other", FRAME)
    assert ctx.tables == ["Other", "f"]
    assert ctx.schema("f").names == ["k", "s", "v"]
    assert _answer(ctx, "select * from other").shape == (4, 3)  # names fold case
    ctx.drop_table("f")
    assert ctx.tables == ["Other"]
    with pytest.raises(TableNotFoundError):
        ctx.sql("select * from f")


def test_explain_shows_every_stage():
    ctx = Context()
    ctx.create_table("f", FRAME)
    text = ctx.explain("select k from f where v > 1")
    for stage in ("== Logical plan ==", "== Optimized plan ==", "== Physical plan =="):
        assert stage in text


def test_dialect_is_accepted():
    ctx = Context()
    ctx.create_table("f", FRAME)
    got = ctx.sql("SELECT `k` FROM f WHERE k = 2", dialect="mysql").compute()
    assert got["k"].tolist() == [2, 2]


def test_scalar_function_over_arrow():
    ctx = Context()
    ctx.create_table("f", FRAME)
    ctx.register_function(lambda v, k: pc.add(pc.multiply(v, 10), k), "scale",
                          [pa.float64(), pa.int64()], pa.float64())
    got = _answer(ctx, "select scale(v, k) as r from f order by k")
    assert got["r"].tolist()[:2] == [11.0, 27.0] and pd.isna(got["r"][2])


def test_scalar_function_over_pandas_in_where():
    ctx = Context()
    ctx.create_table("f", FRAME)
    ctx.register_function(lambda s: s.str.upper().fillna(""), "shout", [pa.string()], pa.string(),
                          input="pandas")
    got = _answer(ctx, "select k from f where shout(s) = 'B'")
    assert got["k"].tolist() == [2]


def test_numba_compiled_function():
    ctx = Context()
    ctx.create_table("f", FRAME)
    ctx.register_function(lambda a, b: a * a + b, "sq_plus", [pa.float64(), pa.int64()],
                          pa.float64(), numba=True)
    got = _answer(ctx, "select sq_plus(v, k) as r from f order by k")
    assert got["r"].tolist()[:2] == [2.0, 8.25] and pd.isna(got["r"][2])


def test_function_arity_is_checked():
    ctx = Context()
    ctx.create_table("f", FRAME)
    ctx.register_function(lambda v: v, "ident", [pa.float64()], pa.float64())
    with pytest.raises(Exception, match="ident takes 1 arguments, got 2"):
        ctx.sql("select ident(v, v) from f")


def test_user_aggregation_from_parts():
    ctx = Context()
    ctx.create_table("f", FRAME)
    ctx.register_aggregation("spread", {"hi": "max", "lo": "min", "n": "count"},
                             lambda hi, lo, n: pc.divide(pc.subtract(hi, lo), n),
                             [pa.float64(), pa.float64(), pa.int64()], pa.float64())
    got = _answer(ctx, "select k, spread(v * 2) as s from f group by k order by k")
    assert got["s"].tolist()[0] == 0.0 and got["s"].tolist()[2] == 0.0
    assert _answer(ctx, "select spread(v) as s from f")["s"].tolist() == [1.0]


def test_user_aggregation_parts_are_checked():
    with pytest.raises(ValueError, match="aggregate parts must be among"):
        Context().register_aggregation("bad", {"m": "median"}, lambda m: m, [pa.float64()], pa.float64())


def test_output_names_keep_the_users_spelling():
    ctx = Context()
    ctx.create_table("People", pd.DataFrame({"Name": ["a", "b"], "Age": [1, 2]}))
    assert list(ctx.sql("select * from people").columns) == ["Name", "Age"]
    got = ctx.sql("select name, AGE as Years, age + 1, count(*) from PEOPLE group by all")
    assert list(got.columns) == ["Name", "Years", "age + 1", "count(*)"]
    assert list(ctx.sql("select 1 as a, 2 as a").columns) == ["a", "a_1"]

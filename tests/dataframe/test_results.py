"""Getting results out: compute() returns pandas, to_arrow(), persist() then more
work, head() (n larger than the data, selective filters), len, explain(), and
map_partitions with pandas or Arrow functions."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import kyudo.dataframe as kd
from kyudo.testing import assert_eq


def test_compute_types(df, pdf):
    assert isinstance(df.compute(), pd.DataFrame)
    assert isinstance(df.i.compute(), pd.Series)
    assert isinstance(df.i.sum().compute(), int)
    assert isinstance(df.b.mean().compute(), float)


def test_to_arrow(df, pdf):
    table = df.to_arrow()
    assert isinstance(table, pa.Table)
    assert table.schema == df.schema
    assert table.num_rows == len(pdf)
    assert_eq(table.to_pandas(), pdf)
    assert df.s.to_arrow().to_pylist() == [None if pd.isna(v) else v for v in pdf.s]


def test_to_arrow_of_a_filter_keeps_the_schema_when_empty(df):
    table = df[df.i > 100].to_arrow()
    assert table.num_rows == 0
    assert table.schema == df.schema


def test_persist_then_more_operations(df, pdf):
    kept = df[df.i > -2].assign(c=df.i * 2).persist()
    pkept = pdf[pdf.i > -2].assign(c=pdf.i * 2)
    assert_eq(kept, pkept)
    assert_eq(kept[kept.c > 3], pkept[pkept.c > 3])
    assert_eq(kept.groupby("k").c.sum(), pkept.groupby("k").c.sum())
    assert len(kept) == len(pkept)


def test_persist_of_empty_result_and_of_groupby(df, pdf):
    empty = df[df.i > 100].persist()
    assert_eq(empty, pdf[pdf.i > 100])
    agg = df.groupby("k").agg({"b": ["sum", "max"]}).persist()
    assert_eq(agg, pdf.groupby("k").agg({"b": ["sum", "max"]}))


@pytest.mark.parametrize("n", [0, 1, 3, 10, 25])
def test_head(df, pdf, n):
    assert_eq(df.head(n), pdf.head(n), check_index=False)
    assert_eq(df.b.head(n), pdf.b.head(n), check_index=False)


def test_head_after_selective_filter_returns_n_rows(pdf):
    big = pd.DataFrame({"x": np.arange(200), "s": [str(v) for v in range(200)]})
    df = kd.from_pandas(big, npartitions=20)
    # only the last partitions hold matches: head must keep reading until it has 5 rows
    assert_eq(df[df.x >= 185].head(5), big[big.x >= 185].head(5), check_index=False)
    assert_eq(df[df.x % 50 == 7].head(3), big[big.x % 50 == 7].head(3), check_index=False)
    assert_eq(df[df.x > 1000].head(3), big[big.x > 1000].head(3), check_index=False)


def test_head_of_sorted_and_aggregated(df, pdf):
    assert_eq(df.sort_values("i").head(4), pdf.sort_values("i", kind="mergesort").head(4), check_index=False)
    assert_eq(df.groupby("k").i.sum().head(2), pdf.groupby("k").i.sum().head(2))


def test_head_of_named_index_frame(npartitions):
    pdf = pd.DataFrame({"x": range(6)}, index=pd.Index(list("abcdef"), name="id"))
    assert_eq(kd.from_pandas(pdf, npartitions).head(4), pdf.head(4))


def test_len(df, pdf):
    assert len(df) == len(pdf)
    assert len(df[["s"]]) == len(pdf)
    assert len(df[df.s == "x"]) == len(pdf[pdf.s == "x"])
    assert len(df.groupby("k").i.sum()) == len(pdf.groupby("k").i.sum())
    assert len(kd.concat([df, df])) == 2 * len(pdf)


def test_explain_prints_the_three_plans(df, capsys):
    df[df.i > 0].groupby("k").b.sum().to_frame().explain()
    out = capsys.readouterr().out
    for title in ("== Logical plan ==", "== Optimized plan ==", "== Physical plan =="):
        assert title in out
    assert out.index("Logical") < out.index("Optimized") < out.index("Physical")
    assert "Aggregate" in out and "Filter" in out
    df.i.explain()
    assert "== Physical plan ==" in capsys.readouterr().out
    df.i.sum().explain()
    assert "== Optimized plan ==" in capsys.readouterr().out


def test_repr_is_lazy(df):
    assert "kyudo.DataFrame" in repr(df)
    assert "kyudo.Series" in repr(df.i)


# ---- map_partitions --------------------------------------------------------------------

def test_map_partitions_pandas(df, pdf):
    def add_col(part: pd.DataFrame) -> pd.DataFrame:
        return part.assign(c=part.i * 2 + 1, u=part.s.str.upper())
    assert_eq(df.map_partitions(add_col), add_col(pdf))


def test_map_partitions_returning_series(df, pdf):
    assert_eq(df.map_partitions(lambda p: p.i + 1), (pdf.i + 1).to_frame())


def test_map_partitions_arrow(df, pdf):
    def keep_positive(table: pa.Table) -> pa.Table:
        import pyarrow.compute as pc
        return table.filter(pc.greater(table["i"], 0)).select(["i", "s"])
    assert_eq(df.map_partitions(keep_positive, arrow=True), pdf[pdf.i > 0][["i", "s"]])


def test_map_partitions_with_meta(df, pdf):
    meta = pd.DataFrame({"i": pd.Series([], dtype="int64"), "half": pd.Series([], dtype="float64")})

    def func(part):
        if len(part) == 0:
            raise RuntimeError("not for empty input")
        return pd.DataFrame({"i": part.i, "half": part.i / 2})
    result = df.map_partitions(func, meta=meta)
    assert list(result.columns) == ["i", "half"]
    assert_eq(result, pd.DataFrame({"i": pdf.i, "half": pdf.i / 2}))
    schema = pa.schema([("i", pa.int64()), ("half", pa.float64())])
    assert_eq(df.map_partitions(func, meta=schema), pd.DataFrame({"i": pdf.i, "half": pdf.i / 2}))


def test_map_partitions_then_more_operations(df, pdf):
    mapped = df.map_partitions(lambda p: p.assign(c=p.i * 3))
    pmapped = pdf.assign(c=pdf.i * 3)
    assert_eq(mapped[mapped.c > 0].groupby("k").c.sum(), pmapped[pmapped.c > 0].groupby("k").c.sum())


def test_map_partitions_keeps_a_declared_index(npartitions):
    pdf = pd.DataFrame({"x": [1, 2, 3, 4]}, index=pd.Index(list("abcd"), name="id"))
    df = kd.from_pandas(pdf, npartitions)
    assert_eq(df.map_partitions(lambda p: p * 2, meta=pdf.iloc[:0]), pdf * 2)


def test_map_partitions_inference_failure_is_a_clear_error(df):
    def needs_rows(part):
        return part.assign(first=part.i.iloc[0])
    with pytest.raises(ValueError, match="meta=") as info:
        df.map_partitions(needs_rows)
    assert "needs_rows" in str(info.value)
    assert "empty partition" in str(info.value)


def test_map_partitions_error_at_run_time_propagates(df):
    def boom(part):
        if len(part):
            raise ZeroDivisionError("boom")
        return part
    mapped = df.map_partitions(boom)
    with pytest.raises(ZeroDivisionError, match="boom"):
        mapped.compute()


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_schedulers_give_the_same_results(df, pdf, scheduler):
    query = df[df.i > -3].assign(c=df.i * df.b)
    pquery = pdf[pdf.i > -3].assign(c=pdf.i * pdf.b)
    assert_eq(query.compute(scheduler=scheduler), pquery, check_index=False)
    assert_eq(query.groupby("k").c.sum().compute(scheduler=scheduler), pquery.groupby("k").c.sum())
    assert_eq(query.head(3, scheduler=scheduler), pquery.head(3), check_index=False)
    assert query.to_arrow(scheduler=scheduler).num_rows == len(pquery)
    assert_eq(query.persist(scheduler=scheduler), pquery)


def test_bool_arithmetic_like_pandas(df, pdf):
    assert_eq(df.flag.sum(), pdf.flag.sum())
    assert_eq(df.flag.mean(), pdf.flag.mean())
    assert_eq(df.groupby("k").flag.sum(), pdf.groupby("k").flag.sum())


def test_bool_times_int(df, pdf):
    assert_eq(df.flag * 2, pdf.flag * 2)
    assert_eq(df.i + df.flag, pdf.i + pdf.flag)

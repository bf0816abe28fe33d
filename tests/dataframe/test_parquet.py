"""Frames read from Parquet (a directory of several files, several row groups
each) give the same results as pandas over the same data."""
from __future__ import annotations

import decimal
import tempfile

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kyudo.dataframe as kd
from kyudo.testing import assert_eq


@pytest.fixture
def dataset(tmp_path):
    rng = np.random.default_rng(7)
    n = 60
    pdf = pd.DataFrame({
        "amount": rng.normal(100, 20, n).round(2),
        "qty": rng.integers(-3, 10, n),
        "region": rng.choice(["north", "south", "ëast", None], n),
        "day": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D"),
        "ts": (pd.to_datetime("2024-01-01 00:00") + pd.to_timedelta(rng.integers(0, 10**6, n), unit="s"))
        .tz_localize("UTC"),
    })
    pdf.loc[::9, "amount"] = np.nan
    table = pa.Table.from_pandas(pdf, preserve_index=False)
    table = table.append_column("price", pa.array([decimal.Decimal(f"{i}.{i % 100:02d}") if i % 7 else None
                                                   for i in range(n)], pa.decimal128(12, 2)))
    for j in range(3):  # three files of 20 rows, row groups of 6
        pq.write_table(table.slice(j * 20, 20), tmp_path / f"part-{j}.parquet", row_group_size=6)
    return tmp_path, table.to_pandas()


def test_read_directory_equals_pandas(dataset):
    path, pdf = dataset
    df = kd.read_parquet(path)
    assert df.npartitions >= 1
    assert list(df.columns) == list(pdf.columns)
    pd.testing.assert_series_equal(df.dtypes, pdf.dtypes)
    assert len(df) == len(pdf)
    assert_eq(df, pdf)


def test_filters_and_selection_pushed_into_the_reader(dataset):
    path, pdf = dataset
    df = kd.read_parquet(path)
    for mask in (lambda d: d.amount > 100, lambda d: (d.qty >= 0) & (d.region != "north"),
                 lambda d: ~(d.amount < 90) | d.region.isna(), lambda d: d.day < pd.Timestamp("2024-02-01"),
                 lambda d: d.ts > pd.Timestamp("2024-01-05", tz="UTC"), lambda d: d.qty > 1000):
        assert_eq(df[mask(df)][["qty", "region"]], pdf[mask(pdf)][["qty", "region"]])
        assert len(df[mask(df)]) == len(pdf[mask(pdf)])
    assert_eq(kd.read_parquet(path, columns=["region", "qty"]), pdf[["region", "qty"]])


def test_groupby_sort_merge_over_parquet(dataset):
    path, pdf = dataset
    df = kd.read_parquet(path)
    spec = {"amount": ["sum", "mean", "std", "count"], "qty": ["min", "max"], "price": ["sum", "max"]}
    assert_eq(df.groupby("region").agg(spec), pdf.groupby("region").agg(spec))
    assert_eq(df.groupby("region", dropna=False).size(), pdf.groupby("region", dropna=False).size())
    by, asc = ["region", "amount", "qty"], [False, True, True]
    assert_eq(df.sort_values(by, ascending=asc, na_position="first"),
              pdf.sort_values(by, ascending=asc, na_position="first", kind="mergesort"))
    small = pd.DataFrame({"region": ["north", "ëast", None], "manager": ["Ann", "Bö", "Nobody"]})
    assert_eq(df.merge(kd.from_pandas(small), on="region", how="left"),
              pdf.merge(small, on="region", how="left"), sort_results=True)


def test_head_and_assign_over_parquet(dataset):
    path, pdf = dataset
    df = kd.read_parquet(path)
    assert_eq(df[df.qty > 7].head(4), pdf[pdf.qty > 7].head(4), check_index=False)
    assert_eq(df.head(100), pdf.head(100), check_index=False)
    df["total"] = df.amount * df.qty
    pdf["total"] = pdf.amount * pdf.qty
    assert_eq(df[df.total > 0][["region", "total"]], pdf[pdf.total > 0][["region", "total"]])


def test_read_hive_partitioned_directory(tmp_path):
    pdf = pd.DataFrame({"x": range(12), "y": np.linspace(0, 1, 12), "part": ["a", "b", "c"] * 4})
    for key, group in pdf.groupby("part"):
        (tmp_path / f"part={key}").mkdir()
        pq.write_table(pa.Table.from_pandas(group.drop(columns="part"), preserve_index=False),
                       tmp_path / f"part={key}" / "data.parquet", row_group_size=2)
    df = kd.read_parquet(tmp_path)
    assert df.dtypes["part"] == pdf.dtypes["part"]
    # files are read directory by directory: compare as multisets
    assert_eq(df[df.part != "b"], pdf[pdf.part != "b"], sort_results=True)
    assert_eq(df.groupby("part").agg({"x": "sum", "y": "max"}), pdf.groupby("part").agg({"x": "sum", "y": "max"}))


def test_nan_stored_in_parquet_is_missing_in_masks(tmp_path):
    table = pa.table({"x": pa.array([1.0, float("nan"), None, 2.0]), "g": ["a", "a", "b", "b"]})
    pq.write_table(table, tmp_path / "nan.parquet")
    df, pdf = kd.read_parquet(tmp_path), table.to_pandas()
    assert_eq(df, pdf)
    assert_eq(df[df.x.isna()], pdf[pdf.x.isna()])
    assert_eq(df[df.x.notna()], pdf[pdf.x.notna()])


def test_nan_stored_in_parquet_is_missing_in_aggregates(tmp_path):
    table = pa.table({"x": pa.array([1.0, float("nan"), None, 2.0]), "g": ["a", "a", "b", "b"]})
    pq.write_table(table, tmp_path / "nan.parquet")
    df, pdf = kd.read_parquet(tmp_path), table.to_pandas()
    assert_eq(df.x.count(), pdf.x.count())
    assert_eq(df.x.mean(), pdf.x.mean())
    assert_eq(df.groupby("g").x.count(), pdf.groupby("g").x.count())


def test_required_columns_and_a_file_without_the_key_in_groupby_and_merge(tmp_path):
    """Group-by keys and merge keys declared REQUIRED in one file and absent
    from another: the dropna filters on the required columns fold away at
    planning, the missing ones are NULL (NaN to pandas) and are left out of the
    groups, and merges still match them as pandas does."""
    required = pa.schema([pa.field("k", pa.int64(), nullable=False), pa.field("s", pa.string(), nullable=False),
                          pa.field("x", pa.float64(), nullable=False)])
    pq.write_table(pa.table({"k": [1, 2, 1], "s": ["é", "b", "é"], "x": [1.0, float("nan"), 3.0]}, schema=required),
                   tmp_path / "a.parquet")
    pq.write_table(pa.table({"s": ["b", "z"], "x": [5.0, 6.0]}, schema=pa.schema(list(required)[1:])),
                   tmp_path / "b.parquet")
    df, pdf = kd.read_parquet(tmp_path), pd.read_parquet(tmp_path)
    assert pdf.k.isna().sum() == 2
    assert_eq(df.groupby("s").x.sum(), pdf.groupby("s").x.sum())
    # pandas reads the int key with NULLs as float: the groups' keys are 1.0, 2.0
    assert_eq(df.groupby(["k", "s"]).x.sum(), pdf.groupby(["k", "s"]).x.sum(), check_index_type=False)
    assert_eq(df.groupby("k").x.count(), pdf.groupby("k").x.count(), check_index_type=False)
    # a REQUIRED float key holding NaN: pandas leaves the NaN group out
    assert_eq(df.groupby("x").s.count(), pdf.groupby("x").s.count())
    other = pd.DataFrame({"k": [1.0, None], "y": ["one", "missing"]})
    assert_eq(df.merge(kd.from_pandas(other, npartitions=1), on="k"), pdf.merge(other, on="k"), check_index=False,
              check_dtype=False)


@pytest.fixture
def nan_dataset(tmp_path):
    """Float columns storing NaN beside NULL (Arrow keeps both; pandas has one
    missing value), over three files of small row groups; the third file's
    values are all missing, and group "c" only has missing values."""
    x = [1.5, float("nan"), None, -2.0, float("nan"), 4.0, 0.0, None, float("nan"), 8.25, -3.5, float("nan"),
         float("nan"), None, float("nan"), float("nan")]
    y = pa.array([float("nan") if i % 5 == 0 else i * 0.5 for i in range(len(x))], pa.float32())
    g = ["a", "b", "a", None, "b", "a", "c", "b", "c", "a", "b", None, "c", "a", "b", "c"]
    n = list(range(len(x)))
    table = pa.table({"x": pa.array(x, pa.float64()), "y": y, "g": g, "n": n})
    for j, (start, stop) in enumerate(((0, 6), (6, 12), (12, 16))):
        pq.write_table(table.slice(start, stop - start), tmp_path / f"part-{j}.parquet", row_group_size=2)
    return tmp_path, pd.read_parquet(tmp_path)


def test_nan_from_parquet_reads_back_as_pandas_reads_it(nan_dataset):
    path, pdf = nan_dataset
    assert pdf.x.isna().sum() == 10  # pandas shows NaN for both NaN and NULL
    df = kd.read_parquet(path)
    pd.testing.assert_series_equal(df.dtypes, pdf.dtypes)
    assert_eq(df, pdf)
    assert_eq(kd.read_parquet(path, columns=["y", "n"]), pdf[["y", "n"]])


@pytest.mark.parametrize("method", ["sum", "mean", "count", "min", "max", "std", "var"])
def test_nan_from_parquet_is_skipped_by_aggregates(nan_dataset, method):
    path, pdf = nan_dataset
    df = kd.read_parquet(path)
    for column in ("x", "y"):
        assert_eq(getattr(df[column], method)(), getattr(pdf[column], method)(), rtol=1e-6)
    assert_eq(getattr(df.groupby("g").x, method)(), getattr(pdf.groupby("g").x, method)())
    if method in ("count", "min", "max"):  # kyudo's float32 sums and means are float64
        assert_eq(getattr(df.groupby("g").y, method)(), getattr(pdf.groupby("g").y, method)())
    assert_eq(getattr(df[df.n >= 12].x, method)(), getattr(pdf[pdf.n >= 12].x, method)())  # all missing
    assert_eq(getattr(df[df.n > 100].x, method)(), getattr(pdf[pdf.n > 100].x, method)())  # no rows


def test_nan_from_parquet_in_isna_fillna_dropna_and_groupby(nan_dataset):
    path, pdf = nan_dataset
    df = kd.read_parquet(path)
    assert_eq(df.x.isna(), pdf.x.isna())
    assert_eq(df.y.notna(), pdf.y.notna())
    assert_eq(df.x.fillna(-1.0), pdf.x.fillna(-1.0))
    assert_eq(df.fillna({"x": 0.0}), pdf.fillna({"x": 0.0}))
    assert_eq(df.dropna(), pdf.dropna())
    assert_eq(df.dropna(subset=["x"]), pdf.dropna(subset=["x"]))
    spec = {"x": ["sum", "mean", "count", "min", "max"], "y": ["count", "max"]}
    assert_eq(df.groupby("g").agg(spec), pdf.groupby("g").agg(spec))
    assert_eq(df.groupby("g", dropna=False).x.sum(), pdf.groupby("g", dropna=False).x.sum())
    # NaN as a group key is the missing key, as in pandas
    assert_eq(df.groupby("x").n.sum(), pdf.groupby("x").n.sum())
    assert_eq(df.groupby("x", dropna=False).n.count(), pdf.groupby("x", dropna=False).n.count())
    assert_eq(df.sort_values(["x", "n"], na_position="first"),
              pdf.sort_values(["x", "n"], na_position="first", kind="mergesort"))
    assert_eq(df.x.nunique(), pdf.x.nunique())
    assert_eq(df.x.value_counts(dropna=False), pdf.x.value_counts(dropna=False), sort_results=True)


def test_filters_over_nan_from_parquet_still_prune_row_groups(tmp_path):
    from kyudo.planner.compile import physical_plan
    from kyudo.planner.physical import ScanPartitions

    x = np.arange(1000, dtype="float64")
    x[::7] = np.nan
    # NaN stored as NaN: pyarrow does not prune row groups of a float column that
    # has NULLs at all (its statistics guarantee then allows NULL), with or without kyudo
    pq.write_table(pa.table({"x": x, "i": np.arange(1000)}), tmp_path / "f.parquet", row_group_size=100)
    pdf = pd.read_parquet(tmp_path)
    assert pdf.x.isna().sum() == 143
    df = kd.read_parquet(tmp_path, partition_size=1)
    assert df.npartitions == 10
    for mask, partitions in ((lambda d: d.x >= 850, 2), (lambda d: d.x.between(100, 150), 1),
                             (lambda d: (d.x < 50) | (d.x > 949), 2),
                             (lambda d: (d.x > 300) & (d.i < 400), 1), (lambda d: d.x.isna(), 10),
                             (lambda d: d.x != 3, 10), (lambda d: ~(d.x >= 850), 10)):
        # predicates true for NaN cannot prune: Parquet's min/max leave NaN out
        selected = df[mask(df)]
        assert selected.npartitions == partitions
        assert_eq(selected, pdf[mask(pdf)])
        (scan,) = [n for n in _walk(physical_plan(selected.plan)) if isinstance(n, ScanPartitions)]
        assert (scan.arrow_predicate is not None) == (partitions < 10)


def test_a_filter_true_for_nan_is_not_pruned_by_statistics_that_leave_nan_out(tmp_path):
    # one row group: min == max == 0.0, the NaN is in no statistic
    pq.write_table(pa.table({"x": [float("nan"), 0.0], "g": ["p", "q"]}), tmp_path / "a.parquet")
    df, pdf = kd.read_parquet(tmp_path), pd.read_parquet(tmp_path)
    for mask in (lambda d: d.x.isna(), lambda d: d.x != 0, lambda d: ~(d.x >= 0), lambda d: d.x.isna() | (d.x > 1)):
        assert_eq(df[mask(df)], pdf[mask(pdf)])


def _walk(node):
    yield node
    for child in getattr(node, "children", ()):
        yield from _walk(child)


def test_nan_stays_a_value_in_sql_over_parquet(nan_dataset):
    import duckdb

    from kyudo.sql import Context

    path, _ = nan_dataset
    files = f"{path}/*.parquet"
    query = "select g, count(x) as c, count(y) as cy, count(*) as rows from t group by g order by g"
    ctx = Context()
    ctx.create_table("t", str(path))
    got = ctx.sql(query).compute()
    want = duckdb.sql(query.replace("from t", f"from read_parquet('{files}')")).df()
    assert got.to_dict("records") == want.to_dict("records")
    totals = ctx.sql("select count(x) as c, sum(x) as s from t").compute()
    assert totals.c[0] == 13  # the 7 NaN count as values, the 3 NULL do not
    assert np.isnan(totals.s[0])  # and a sum with NaN is NaN, as in DuckDB


def test_nan_from_orc_and_json_lines_is_missing(tmp_path):
    import pyarrow.orc as orc

    table = pa.table({"x": pa.array([1.0, float("nan"), None, 2.5]), "g": ["a", "a", "b", "b"]})
    orc.write_table(table, tmp_path / "t.orc")
    (tmp_path / "t.jsonl").write_text('{"x": 1.0, "g": "a"}\n{"x": NaN, "g": "a"}\n{"x": null, "g": "b"}\n'
                                       '{"x": 2.5, "g": "b"}\n')
    pdf = table.to_pandas()
    for df in (kd.read_orc(str(tmp_path / "t.orc")), kd.read_json(str(tmp_path / "t.jsonl"))):
        assert_eq(df, pdf)
        assert_eq(df.x.count(), pdf.x.count())
        assert_eq(df.groupby("g").x.mean(), pdf.groupby("g").x.mean())
    raw = kd.read_orc(str(tmp_path / "t.orc"), nan_as_null=False)
    assert raw.x.count().compute() == 3  # kept as a value when asked


def test_len_and_results_with_reader_filters(tmp_path):
    pdf = pd.DataFrame({"x": range(20), "g": list("ab") * 10})
    pq.write_table(pa.Table.from_pandas(pdf, preserve_index=False), tmp_path / "a.parquet", row_group_size=5)
    df = kd.read_parquet(tmp_path, filters=[("x", ">", 12)])
    expected = pdf[pdf.x > 12]
    assert len(df) == len(expected)  # not the rows of the row groups that survive pruning
    assert_eq(df, expected)
    assert_eq(df.groupby("g").x.sum(), expected.groupby("g").x.sum())
    assert len(kd.read_parquet(tmp_path)) == 20


_stored_floats = st.one_of(st.none(), st.just(float("nan")), st.floats(-1e6, 1e6, allow_nan=False, width=64))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(_stored_floats, max_size=25), keys=st.data(), row_group_size=st.integers(1, 8),
       mask_at=st.floats(-1e6, 1e6, allow_nan=False))
def test_property_nan_and_null_from_parquet_are_one_missing_value(values, keys, row_group_size, mask_at):
    g = keys.draw(st.lists(st.sampled_from(["p", "q", None]), min_size=len(values), max_size=len(values)))
    table = pa.table({"x": pa.array(values, pa.float64()), "g": pa.array(g, pa.string())})
    with tempfile.TemporaryDirectory() as path:
        pq.write_table(table, f"{path}/a.parquet", row_group_size=row_group_size)
        df, pdf = kd.read_parquet(path, partition_size=1), pd.read_parquet(path)
        assert_eq(df, pdf)
        for method in ("sum", "mean", "count", "min", "max"):
            assert_eq(getattr(df.x, method)(), getattr(pdf.x, method)())
            assert_eq(getattr(df.groupby("g").x, method)(), getattr(pdf.groupby("g").x, method)())
        assert_eq(df[df.x > mask_at], pdf[pdf.x > mask_at])
        assert_eq(df[~(df.x > mask_at)], pdf[~(pdf.x > mask_at)])
        assert_eq(df[df.x.isna()].g, pdf[pdf.x.isna()].g)

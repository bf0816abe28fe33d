"""Frames read from Parquet (a directory of several files, several row groups
each) give the same results as pandas over the same data."""
from __future__ import annotations

import decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

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


@pytest.mark.xfail(strict=True, reason="a NaN stored in a Parquet file stays an Arrow NaN through kyudo.io, and the "
                   "engine's aggregate and sort kernels treat NaN as a value (SQL/DuckDB semantics): count counts "
                   "it and mean returns NaN, where pandas treats NaN as missing")
def test_nan_stored_in_parquet_is_missing_in_aggregates(tmp_path):
    table = pa.table({"x": pa.array([1.0, float("nan"), None, 2.0]), "g": ["a", "a", "b", "b"]})
    pq.write_table(table, tmp_path / "nan.parquet")
    df, pdf = kd.read_parquet(tmp_path), table.to_pandas()
    assert_eq(df.x.count(), pdf.x.count())
    assert_eq(df.x.mean(), pdf.x.mean())
    assert_eq(df.groupby("g").x.count(), pdf.groupby("g").x.count())


def test_len_and_results_with_reader_filters(tmp_path):
    pdf = pd.DataFrame({"x": range(20), "g": list("ab") * 10})
    pq.write_table(pa.Table.from_pandas(pdf, preserve_index=False), tmp_path / "a.parquet", row_group_size=5)
    df = kd.read_parquet(tmp_path, filters=[("x", ">", 12)])
    expected = pdf[pdf.x > 12]
    assert len(df) == len(expected)  # not the rows of the row groups that survive pruning
    assert_eq(df, expected)
    assert_eq(df.groupby("g").x.sum(), expected.groupby("g").x.sum())
    assert len(kd.read_parquet(tmp_path)) == 20

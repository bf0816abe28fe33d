"""sort_values (several keys, mixed ascending, na_position, range-partitioned
over several partitions, strings and dates) and concat, against pandas."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kyudo.dataframe as kd
from kyudo.testing import assert_eq


def _sort(frame, by, ascending=True, na_position="last"):
    if isinstance(frame, pd.DataFrame):  # a stable sort, so ties keep their order as kyudo's do
        return frame.sort_values(by, ascending=ascending, na_position=na_position, kind="mergesort")
    return frame.sort_values(by, ascending=ascending, na_position=na_position)


@pytest.mark.parametrize("by,ascending", [
    ("i", True), ("i", False), ("b", True), ("b", False), ("s", True), ("s", False),
    (["k", "b"], [True, False]), (["k", "s"], [False, True]), (["flag", "i", "s"], [True, False, True]),
    (["a", "k"], True),
], ids=str)
@pytest.mark.parametrize("na_position", ["last", "first"])
def test_sort_values(df, pdf, by, ascending, na_position):
    result = _sort(df, by, ascending, na_position)
    expected = _sort(pdf, by, ascending, na_position)
    keys = [by] if isinstance(by, str) else by
    # ties among equal keys may come in any order: compare the key columns by position
    assert_eq(result[keys], expected[keys])
    assert_eq(result, expected, sort_results=True)


def test_sort_is_stable_on_range_partitions():
    rng = np.random.default_rng(3)
    pdf = pd.DataFrame({"g": rng.integers(0, 5, 400), "x": rng.normal(size=400), "pos": np.arange(400)})
    pdf.loc[::17, "x"] = np.nan
    df = kd.from_pandas(pdf, npartitions=7)
    result = df.sort_values(["g", "x"], ascending=[False, True], na_position="first")
    assert result.npartitions > 1  # range-partitioned, not gathered into one
    assert_eq(result, _sort(pdf, ["g", "x"], [False, True], "first"))


def test_sort_strings_unicode_and_dates(npartitions):
    pdf = pd.DataFrame({
        "s": ["b", "ä", None, "B", "", "a", "日本", "z"],
        "d": pd.to_datetime(["2024-01-03", None, "2023-12-31", "2024-01-01", "2024-02-29", "2023-06-01",
                             "1999-12-31", "2024-01-01"]),
        "t": pd.to_datetime(["2024-01-03 10:00", "2024-01-01 00:30", None, "2024-01-01 00:00",
                             "2024-02-29 23:59", "2023-06-01 00:00", "2023-06-01 00:00",
                             "2030-01-01 00:00"]).tz_localize("Europe/Paris"),
        "n": range(8),
    })
    df = kd.from_pandas(pdf, npartitions=npartitions)
    for by, asc, na in [("s", True, "last"), ("s", False, "first"), ("d", True, "first"), ("d", False, "last"),
                        ("t", True, "last"), (["d", "s"], [False, True], "last"), (["t", "n"], [True, False], "first")]:
        assert_eq(_sort(df, by, asc, na), _sort(pdf, by, asc, na))


def test_sort_after_filter_and_then_head(df, pdf):
    result = df[df.i > 0].sort_values("b", ascending=False)
    expected = _sort(pdf[pdf.i > 0], "b", ascending=False)
    assert_eq(result, expected)
    assert_eq(result.head(2), expected.head(2), check_index=False)


def test_sort_one_partition_empty_frame():
    pdf = pd.DataFrame({"x": pd.Series([], dtype="int64"), "s": pd.Series([], dtype="str")})
    assert_eq(kd.from_pandas(pdf).sort_values("x"), pdf.sort_values("x"))


def test_sort_of_filter_selecting_nothing_on_several_partitions(pdf):
    df = kd.from_pandas(pdf, npartitions=3)
    assert_eq(df[df.i > 100].sort_values("k"), _sort(pdf[pdf.i > 100], "k"))


def test_sort_with_empty_partitions(pdf):
    df = kd.from_pandas(pdf, npartitions=10)
    assert_eq(df[df.i > 2].sort_values(["i", "s"]), _sort(pdf[pdf.i > 2], ["i", "s"]))


def test_sort_errors(df):
    with pytest.raises(ValueError, match="length of ascending"):
        df.sort_values(["i", "b"], ascending=[True])
    with pytest.raises(ValueError, match="na_position"):
        df.sort_values("i", na_position="middle")


def test_concat_same_columns(df, pdf, npartitions):
    other = kd.from_pandas(pdf.iloc[::-1], npartitions=2)
    assert_eq(kd.concat([df, other]), pd.concat([pdf, pdf.iloc[::-1]]))
    assert_eq(kd.concat([df, df[df.i > 0], df]), pd.concat([pdf, pdf[pdf.i > 0], pdf]))


def test_concat_differing_columns(npartitions):
    p1 = pd.DataFrame({"x": [1.0, 2.0], "s": ["a", "b"]})
    p2 = pd.DataFrame({"x": [3.0], "y": [0.5]})
    p3 = pd.DataFrame({"y": [1.5, np.nan], "s": [None, "ü"]})
    frames = [kd.from_pandas(p, npartitions=npartitions) for p in (p1, p2, p3)]
    assert_eq(kd.concat(frames), pd.concat([p1, p2, p3]))


def test_concat_missing_int_column_becomes_float_as_in_pandas(npartitions):
    p1 = pd.DataFrame({"n": [1, 2], "s": ["a", "b"]})
    p2 = pd.DataFrame({"s": ["c"]})
    empty = pd.DataFrame({"s": pd.Series([], dtype="str")})
    for frames in ([p1, p2], [p2, p1], [p1, empty], [p1.iloc[:0], empty], [p1, p1]):
        assert_eq(kd.concat([kd.from_pandas(f, npartitions) for f in frames]), pd.concat(frames))


def test_concat_with_empty_and_then_aggregate(df, pdf):
    result = kd.concat([df[df.i > 100], df])
    expected = pd.concat([pdf[pdf.i > 100], pdf])
    assert_eq(result, expected)
    assert len(result) == len(expected)
    assert_eq(result.groupby("k").i.sum(), expected.groupby("k").i.sum())


def test_concat_with_named_index(npartitions):
    p1 = pd.DataFrame({"x": [1, 2]}, index=pd.Index(["a", "b"], name="id"))
    p2 = pd.DataFrame({"x": [3]}, index=pd.Index(["c"], name="id"))
    assert_eq(kd.concat([kd.from_pandas(p1, npartitions), kd.from_pandas(p2)]), pd.concat([p1, p2]))


def test_concat_errors(df, pdf):
    with pytest.raises(ValueError):
        kd.concat([])
    indexed = kd.from_pandas(pdf.set_index("k"))
    with pytest.raises(ValueError):
        kd.concat([df, indexed])

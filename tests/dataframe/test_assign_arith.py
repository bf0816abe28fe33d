"""assign / ``df[col] = ...``, arithmetic (incl. reflected operators and division
by zero), astype, rename and drop, compared with pandas."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import kyudo.dataframe as kd
from kyudo.testing import assert_eq


def test_assign_new_columns(df, pdf):
    assert_eq(df.assign(c=df.a + df.b, d=df.i * 2, e=1.5),
              pdf.assign(c=pdf.a + pdf.b, d=pdf.i * 2, e=1.5))


def test_assign_callable_sees_earlier_assignments(df, pdf):
    f = dict(c=lambda d: d.i + 1, e=lambda d: d.c * d.b)
    assert_eq(df.assign(**f), pdf.assign(**f))


def test_assign_replaces_a_column_in_place(df, pdf):
    result = df.assign(a=df.i.astype("float64"), s=df.s.str.upper())
    expected = pdf.assign(a=pdf.i.astype("float64"), s=pdf.s.str.upper())
    assert_eq(result, expected)
    assert list(result.columns) == list(expected.columns)


def test_setitem_new_and_replaced_column(df, pdf):
    df["c"] = df.i - df.a
    pdf["c"] = pdf.i - pdf.a
    df["i"] = df.i * 10
    pdf["i"] = pdf.i * 10
    df["const"] = 3
    pdf["const"] = 3
    assert_eq(df, pdf)
    assert list(df.columns) == list(pdf.columns)


def test_mask_built_before_assignment_still_filters(df, pdf):
    mask, pmask = df.i > 0, pdf.i > 0
    df["twice"] = df.i * 2
    pdf["twice"] = pdf.i * 2
    assert_eq(df[mask], pdf[pmask])
    df["z"] = mask
    pdf["z"] = pmask
    assert_eq(df, pdf)


def test_mask_on_a_replaced_column_is_rejected_not_silently_wrong(df):
    # pandas would filter on the old values; kyudo must not use the new ones
    mask = df.i > 0
    df["i"] = df.i * -1
    with pytest.raises(ValueError):
        df[mask]
    with pytest.raises(ValueError):
        df.assign(j=mask)


OPS = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "truediv": lambda x, y: x / y,
    "floordiv": lambda x, y: x // y,
    "mod": lambda x, y: x % y,
    "pow": lambda x, y: x ** y,
}


@pytest.mark.parametrize("op", list(OPS), ids=str)
@pytest.mark.parametrize("left,right", [("a", "b"), ("b", "i"), ("a", "a"), ("b", 2.5), ("b", -3),
                                        ("a", 2), (2, "b"), (-7.5, "a")], ids=str)
def test_float_arithmetic(df, pdf, op, left, right):
    f = OPS[op]
    x, px = (df[left], pdf[left]) if isinstance(left, str) else (left, left)
    y, py = (df[right], pdf[right]) if isinstance(right, str) else (right, right)
    assert_eq(f(x, y), f(px, py))


@pytest.mark.parametrize("op", ["add", "sub", "mul", "truediv", "floordiv", "mod"], ids=str)
@pytest.mark.parametrize("right", ["i", 3, -2], ids=str)
def test_int_arithmetic(df, pdf, op, right):
    f = OPS[op]
    y, py = (df[right], pdf[right]) if isinstance(right, str) else (right, right)
    assert_eq(f(df.i, y), f(pdf.i, py))
    assert_eq(f(7, df.i), f(7, pdf.i))


def test_int_power_stays_int(df, pdf):
    assert_eq(df.i ** 2, pdf.i ** 2)
    assert_eq(df.i ** 0, pdf.i ** 0)
    assert_eq(2 ** abs(df.i), 2 ** abs(pdf.i))
    assert_eq(df.i ** abs(df.i), pdf.i ** abs(pdf.i))
    assert_eq(df.i ** 63, pdf.i ** 63)  # wraps on overflow, as numpy does


def test_power_with_floats_and_missing_values(df, pdf):
    for f in (lambda d: d.b ** 2, lambda d: d.i ** 0.5, lambda d: d.b ** d.i.abs(), lambda d: d.a ** 0,
              lambda d: 1 ** d.b, lambda d: d.b ** d.a, lambda d: 0.5 ** d.a):
        assert_eq(f(df), f(pdf))


def test_power_of_nullable_ints():
    pdf = pd.DataFrame({"n": pd.array([2, None, 1, -3], dtype="Int64"), "e": pd.array([3, 0, None, 2], dtype="Int64")})
    df = kd.from_pandas(pdf, npartitions=2)
    assert_eq(df.n ** df.e, pdf.n ** pdf.e)  # NA ** 0 and 1 ** NA are 1, as in pandas


def test_int_to_a_negative_int_power_raises_like_numpy(df, pdf):
    with pytest.raises(ValueError, match="negative integer powers"):
        pdf.i ** -1
    with pytest.raises(Exception, match="negative integer powers"):
        (df.i ** -1).compute()


def test_sql_power_and_floordiv_keep_sql_types(df):
    """The catalog entries SQL uses are unchanged: power is float64, an integer
    floor division by zero is NULL."""
    from kyudo.planner.expr import Call, Col, Lit
    from kyudo.planner.types import infer_type

    schema = df.plan.schema
    assert infer_type(Call("power", (Col("i"), Lit(2))), schema) == pa.float64()
    assert infer_type(Call("pandas_power", (Col("i"), Lit(2))), schema) == pa.int64()
    assert infer_type(Call("floordiv", (Col("i"), Lit(0))), schema) == pa.int64()
    assert infer_type(Call("pandas_floordiv", (Col("i"), Lit(0)), (("zero_divisor", True),)), schema) == pa.float64()


def test_float_division_by_zero_gives_inf_and_nan(df, pdf):
    for f in (lambda d: d.b / 0, lambda d: d.b // 0, lambda d: d.b % 0, lambda d: d.b / (d.b * 0),
              lambda d: 1 / (d.b - d.b), lambda d: d.b / 0.0):
        assert_eq(f(df), f(pdf))


def test_int_true_division_by_zero(df, pdf):
    assert_eq(df.i / 0, pdf.i / 0)
    assert_eq(df.i / (df.i - df.i), pdf.i / (pdf.i - pdf.i))


def test_int_mod_by_zero_is_missing(df, pdf):
    assert_eq(df.i % 0, pdf.i % 0)
    assert_eq(df.i % (df.i - df.i), pdf.i % (pdf.i - pdf.i))


def test_int_floordiv_by_zero(df, pdf):
    assert_eq(df.i // 0, pdf.i // 0)  # float64: +inf, -inf, NaN for 0 // 0
    assert_eq((df.i - 3) // 0, (pdf.i - 3) // 0)
    assert_eq(df.i // 0.0, pdf.i // 0.0)
    assert_eq(df.i // 3, pdf.i // 3)  # a non-zero divisor keeps int64
    assert_eq(df[df.i > 2].i // 0, pdf[pdf.i > 2].i // 0)  # partitions left empty by a filter


def test_negation_abs_round(df, pdf):
    assert_eq(-df.b, -pdf.b)
    assert_eq(-df.i, -pdf.i)
    assert_eq(abs(df.i), abs(pdf.i))
    assert_eq((df.b * 1.2345).round(2), (pdf.b * 1.2345).round(2))


def test_string_concatenation_with_plus(df, pdf):
    assert_eq(df.s + "!", pdf.s + "!")
    assert_eq("<" + df.s + df.k, "<" + pdf.s + pdf.k)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", float, "str"], ids=str)
def test_astype_int_column(df, pdf, dtype):
    assert_eq(df.i.astype(dtype), pdf.i.astype(dtype))


def test_astype_dict_and_whole_frame(df, pdf):
    assert_eq(df.astype({"i": "float64", "flag": "int64"}), pdf.astype({"i": "float64", "flag": "int64"}))
    sub, psub = df[["i", "b"]], pdf[["i", "b"]]
    assert_eq(sub.astype("float32"), psub.astype("float32"))


def test_astype_float_with_nan_to_str(df, pdf):
    # NaN stays missing in both
    result = df.s.astype("str").compute()
    assert result.isna().tolist() == pdf.s.astype("str").isna().tolist()


def test_rename(df, pdf):
    assert_eq(df.rename(columns={"a": "A", "s": "ß"}), pdf.rename(columns={"a": "A", "s": "ß"}))
    assert_eq(df.rename(columns=str.upper), pdf.rename(columns=str.upper))
    assert_eq(df.rename(columns={"missing": "x"}), pdf.rename(columns={"missing": "x"}))
    assert_eq(df.a.rename("z"), pdf.a.rename("z"))


def test_drop(df, pdf):
    assert_eq(df.drop(columns=["a", "s"]), pdf.drop(columns=["a", "s"]))
    assert_eq(df.drop(columns="b"), pdf.drop(columns="b"))
    assert_eq(df.drop(["k"], axis=1), pdf.drop(["k"], axis=1))


def test_arithmetic_on_empty_frame(pdf):
    empty = pdf.iloc[:0]
    df = kd.from_pandas(empty, npartitions=2)
    assert_eq(df.assign(c=df.a * df.i, d=df.i // 2), empty.assign(c=empty.a * empty.i, d=empty.i // 2))


def test_assign_on_named_index_frame(npartitions):
    pdf = pd.DataFrame({"x": [1, 2, 3]}, index=pd.Index(["u", "v", "w"], name="key"))
    df = kd.from_pandas(pdf, npartitions=npartitions)
    assert_eq(df.assign(y=df.x * 2.0), pdf.assign(y=pdf.x * 2.0))


# ---- NaN made by arithmetic is missing, as in pandas -----------------------------------

@pytest.fixture
def nan_pair(npartitions):
    pdf = pd.DataFrame({"b": [1.0, 0.0, np.nan, -2.0, 0.0, 3.0, np.inf], "n": range(7),
                        "g": ["x", "y", "x", "y", "x", "y", "x"]})
    df = kd.from_pandas(pdf, npartitions=npartitions)
    return df.assign(r=df.b / df.b, m=df.b * 0, d=df.b - df.b), pdf.assign(r=pdf.b / pdf.b, m=pdf.b * 0, d=pdf.b - pdf.b)


def test_nan_from_arithmetic_is_missing_in_masks_and_reductions(nan_pair):
    df, pdf = nan_pair
    assert_eq(df, pdf)
    for col in ("r", "m", "d"):
        assert_eq(df[df[col].isna()], pdf[pdf[col].isna()])
        assert_eq(df[df[col].notna()], pdf[pdf[col].notna()])
        for func in ("count", "sum", "mean", "max", "std"):
            assert_eq(getattr(df[col], func)(), getattr(pdf[col], func)())


def test_nan_from_arithmetic_in_groupby_and_sort(nan_pair):
    df, pdf = nan_pair
    assert_eq(df.groupby("g").agg({"r": ["count", "mean", "first"]}), pdf.groupby("g").agg({"r": ["count", "mean", "first"]}))
    assert_eq(df.groupby("r").n.sum(), pdf.groupby("r").n.sum())
    assert_eq(df.groupby("r", dropna=False).n.sum(), pdf.groupby("r", dropna=False).n.sum())
    for asc in (True, False):
        for na in ("first", "last"):
            assert_eq(df.sort_values(["r", "n"], ascending=asc, na_position=na),
                      pdf.sort_values(["r", "n"], ascending=asc, na_position=na, kind="mergesort"))


def test_nan_in_an_arrow_table_is_missing(npartitions):
    import pyarrow as pa
    table = pa.table({"x": pa.array([1.0, float("nan"), None, 2.0, float("nan")]), "g": ["a", "a", "b", "b", "b"]})
    df, pdf = kd.from_arrow(table, npartitions=npartitions), table.to_pandas()
    assert_eq(df, pdf)
    assert_eq(df.x.count(), pdf.x.count())
    assert_eq(df.x.mean(), pdf.x.mean())
    assert_eq(df[df.x.isna()], pdf[pdf.x.isna()])
    assert_eq(df.groupby("g").x.count(), pdf.groupby("g").x.count())
    assert_eq(df.groupby("x", dropna=False).g.count(), pdf.groupby("x", dropna=False).g.count())
    assert_eq(df.sort_values("x", na_position="first"), pdf.sort_values("x", na_position="first", kind="mergesort"))


def test_astype_float_to_int_truncates_like_pandas(npartitions):
    pdf = pd.DataFrame({"f": [1.5, -2.7, 0.0, 3.99, -0.5], "g": [1.0, 2.0, 3.0, 4.0, 5.0]})
    df = kd.from_pandas(pdf, npartitions=npartitions)
    assert_eq(df.f.astype("int64"), pdf.f.astype("int64"))
    assert_eq(df.astype({"f": "int32"}), pdf.astype({"f": "int32"}))
    assert_eq(df.astype(int), pdf.astype(int))


def test_a_chain_of_arithmetic_checks_for_nan_once(npartitions):
    """NaN and NULL both carry through + - * /, so a NaN made inside a chain
    (inf - inf, 0 * inf, 0 / 0) is missing at its end, as in pandas, with one
    check of the result rather than one per step."""
    pdf = pd.DataFrame({"a": [np.inf, 0.0, 1.0, np.nan, 2.0, -np.inf, 0.0],
                        "b": [np.inf, np.inf, np.nan, 1.0, 2.0, np.inf, 0.0],
                        "c": [1.0, 2.0, 3.0, 4.0, None, 0.0, 5.0]})
    df = kd.from_pandas(pdf, npartitions=npartitions)
    for chain in (lambda f: (f.a - f.b) * f.c, lambda f: f.a * f.b + 1, lambda f: (f.a / f.b - f.c) / (1 - f.c),
                  lambda f: f.c * (f.a + f.b)):
        ours, theirs = chain(df), chain(pdf)
        assert repr(ours.expr).count("nan_to_null") == 1
        assert_eq(ours, theirs)
        assert_eq(ours.isna(), theirs.isna())
        with np.errstate(invalid="ignore"):  # pandas' own sum of inf and -inf
            assert_eq(ours.sum(), theirs.sum())

"""groupby(...).agg(...) and Series reductions against pandas: every supported
aggregation, dict/list/named forms, several keys, dropna, sort, as_index,
expression keys, all-NULL groups, empty inputs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kyudo.dataframe as kd
from kyudo.testing import assert_eq

FUNCS = ["sum", "mean", "count", "min", "max", "std", "var", "first", "last", "nunique"]


@pytest.mark.parametrize("func", FUNCS + ["size"])
def test_single_aggregation_of_every_numeric_column(df, pdf, func):
    cols = ["k", "a", "i", "b"]
    assert_eq(getattr(df[cols].groupby("k"), func)(), getattr(pdf[cols].groupby("k"), func)())


@pytest.mark.parametrize("func", ["count", "min", "max", "first", "last", "nunique"])
def test_string_column_aggregation(df, pdf, func):
    assert_eq(getattr(df.groupby("k").s, func)(), getattr(pdf.groupby("k").s, func)())


@pytest.mark.parametrize("func", ["count", "min", "max", "first", "last", "nunique", "size"])
def test_the_key_column_itself_selected_and_aggregated(df, pdf, func):
    """df.groupby("k").k.count(): a Series named like its index."""
    assert_eq(getattr(df.groupby("k").k, func)(), getattr(pdf.groupby("k").k, func)())
    assert_eq(getattr(df.groupby("k")["k"], func)(), getattr(pdf.groupby("k")["k"], func)())


@pytest.mark.parametrize("func", FUNCS)
def test_selected_column_by_name_and_agg_string(df, pdf, func):
    assert_eq(df.groupby("k")["b"].agg(func), pdf.groupby("k")["b"].agg(func))


def test_dict_form(df, pdf):
    spec = {"a": "sum", "b": "mean", "s": "count", "i": "max"}
    assert_eq(df.groupby("k").agg(spec), pdf.groupby("k").agg(spec))


def test_dict_form_with_lists_gives_multiindex_columns(df, pdf):
    spec = {"a": ["sum", "min", "max"], "b": ["mean", "std", "count"]}
    result = df.groupby("k").agg(spec)
    expected = pdf.groupby("k").agg(spec)
    assert_eq(result, expected)
    assert list(result.columns) == list(expected.columns)


def test_list_form_on_frame_and_on_series(df, pdf):
    funcs = ["sum", "mean", "count", "var", "first", "last"]
    assert_eq(df[["k", "a", "b"]].groupby("k").agg(funcs), pdf[["k", "a", "b"]].groupby("k").agg(funcs))
    assert_eq(df.groupby("k").b.agg(funcs), pdf.groupby("k").b.agg(funcs))


def test_named_aggregation(df, pdf):
    named = dict(total=("a", "sum"), avg=("b", "mean"), n=("s", "count"), lo=("i", "min"),
                 spread=pd.NamedAgg("b", "std"), first_s=("s", "first"), rows=("i", "size"))
    assert_eq(df.groupby("k").agg(**named), pdf.groupby("k").agg(**named))


def test_several_keys(df, pdf):
    spec = {"a": "sum", "b": ["max", "count"]}
    assert_eq(df.groupby(["k", "flag"]).agg(spec), pdf.groupby(["k", "flag"]).agg(spec))
    assert_eq(df.groupby(["flag", "k"]).i.sum(), pdf.groupby(["flag", "k"]).i.sum())
    assert_eq(df.groupby(["k", "s"]).size(), pdf.groupby(["k", "s"]).size())


@pytest.mark.parametrize("keys", ["k", ["k", "s"]], ids=str)
def test_dropna_false_keeps_null_keys(df, pdf, keys):
    assert_eq(df.groupby(keys, dropna=False).agg({"i": "sum", "b": "mean"}),
              pdf.groupby(keys, dropna=False).agg({"i": "sum", "b": "mean"}))
    assert_eq(df.groupby(keys, dropna=False).size(), pdf.groupby(keys, dropna=False).size())


def test_numeric_key_with_nan(df, pdf):
    assert_eq(df.groupby("a").i.sum(), pdf.groupby("a").i.sum())
    assert_eq(df.groupby("a", dropna=False).i.sum(), pdf.groupby("a", dropna=False).i.sum())


def test_sort_false_gives_the_same_groups(df, pdf):
    assert_eq(df.groupby("k", sort=False).i.sum(), pdf.groupby("k", sort=False).i.sum(), sort_results=True)
    assert_eq(df.groupby("k", sort=False).agg({"b": "max"}), pdf.groupby("k", sort=False).agg({"b": "max"}),
              sort_results=True)


def test_as_index_false(df, pdf):
    assert_eq(df.groupby("k", as_index=False).agg({"i": "sum", "b": "mean"}),
              pdf.groupby("k", as_index=False).agg({"i": "sum", "b": "mean"}))
    cols = ["k", "flag", "i", "b"]
    assert_eq(df[cols].groupby(["k", "flag"], as_index=False).sum(),
              pdf[cols].groupby(["k", "flag"], as_index=False).sum())
    assert_eq(df.groupby("k", as_index=False).size(), pdf.groupby("k", as_index=False).size())
    assert_eq(df.groupby("k", as_index=False).agg(t=("b", "sum")),
              pdf.groupby("k", as_index=False).agg(t=("b", "sum")))


def test_as_index_false_with_lists_and_one_selected_column(df, pdf):
    for f in (lambda d: d.groupby("k", as_index=False).agg({"a": ["sum", "max"], "b": "mean"}),
              lambda d: d[["k", "flag", "a", "b"]].groupby(["k", "flag"], as_index=False).agg(["sum", "count"]),
              lambda d: d.groupby("k", as_index=False).a.sum(),
              lambda d: d.groupby("k", as_index=False)["b"].agg("max"),
              lambda d: d.groupby(["k", "flag"], as_index=False).i.mean(),
              lambda d: d.groupby(d.i % 2, as_index=False).a.sum()):
        result, expected = f(df), f(pdf)
        assert list(result.columns) == list(expected.columns)
        assert_eq(result, expected)


def test_reset_index_after_groupby(df, pdf):
    assert_eq(df.groupby("k").agg({"i": "sum"}).reset_index(), pdf.groupby("k").agg({"i": "sum"}).reset_index())


def test_expression_keys(df, pdf):
    assert_eq(df.groupby(df.i % 3).b.sum(), pdf.groupby(pdf.i % 3).b.sum())
    assert_eq(df.groupby(df.s.str.upper()).i.max(), pdf.groupby(pdf.s.str.upper()).i.max())
    assert_eq(df.groupby([df.k, df.i > 0]).b.mean(), pdf.groupby([pdf.k, pdf.i > 0]).b.mean())


def test_unnamed_expression_key(df, pdf):
    key, pkey = df.i + df.b, pdf.i + pdf.b
    assert_eq(df.groupby(key).a.sum(), pdf.groupby(pkey).a.sum())


def test_groups_with_all_null_values(npartitions):
    pdf = pd.DataFrame({"g": ["x", "x", "y", "y", "z"],
                        "v": [np.nan, np.nan, 1.0, np.nan, 2.0],
                        "s": [None, None, "a", None, "b"]})
    df = kd.from_pandas(pdf, npartitions=npartitions)
    for func in FUNCS + ["size"]:
        assert_eq(getattr(df.groupby("g").v, func)(), getattr(pdf.groupby("g").v, func)())
    for func in ("count", "min", "max", "first", "last"):
        assert_eq(getattr(df.groupby("g").s, func)(), getattr(pdf.groupby("g").s, func)())


def test_group_with_one_row_has_nan_std(npartitions):
    pdf = pd.DataFrame({"g": [1, 2, 2, 3, 3, 3], "v": [1.0, 2.0, 4.0, 1.0, 1.0, 7.0]})
    df = kd.from_pandas(pdf, npartitions=npartitions)
    assert_eq(df.groupby("g").v.std(), pdf.groupby("g").v.std())
    assert_eq(df.groupby("g").v.var(), pdf.groupby("g").v.var())
    assert_eq(df.groupby("g").v.std(ddof=0), pdf.groupby("g").v.std(ddof=0))


def test_std_is_accurate_for_large_offsets(npartitions):
    rng = np.random.default_rng(0)
    pdf = pd.DataFrame({"g": rng.integers(0, 3, 300), "v": 1e9 + rng.normal(0, 1, 300)})
    df = kd.from_pandas(pdf, npartitions=npartitions)
    assert_eq(df.groupby("g").v.std(), pdf.groupby("g").v.std(), rtol=1e-6)


def test_groupby_on_filter_emptying_everything(df, pdf):
    empty, pempty = df[df.i > 100], pdf[pdf.i > 100]
    assert_eq(empty.groupby("k").i.sum(), pempty.groupby("k").i.sum())
    assert_eq(empty.groupby("k").agg({"b": "mean", "i": "count"}), pempty.groupby("k").agg({"b": "mean", "i": "count"}))


SPEC = {"a": ["sum", "mean"], "b": ["std", "count", "first", "last"], "s": ["nunique", "max"]}


def test_groupby_many_partitions_and_split_every(pdf):
    big = pd.concat([pdf] * 7, ignore_index=True)
    df = kd.from_pandas(big, npartitions=13)
    assert_eq(df.groupby("k").agg(SPEC), big.groupby("k").agg(SPEC))
    assert_eq(df.groupby("k", split_every=2).agg(SPEC), big.groupby("k").agg(SPEC))


def test_groupby_split_out(pdf):
    big = pd.concat([pdf] * 7, ignore_index=True)
    df = kd.from_pandas(big, npartitions=13)
    assert_eq(df.groupby("k", split_out=3).agg(SPEC), big.groupby("k").agg(SPEC))


def test_high_cardinality_groupby(npartitions):
    rng = np.random.default_rng(1)
    pdf = pd.DataFrame({"g": rng.integers(0, 500, 2000), "v": rng.normal(size=2000)})
    df = kd.from_pandas(pdf, npartitions=npartitions)
    assert_eq(df.groupby("g").v.agg(["sum", "count", "max"]), pdf.groupby("g").v.agg(["sum", "count", "max"]))


def test_unsupported_aggregation_is_a_clear_error(df):
    with pytest.raises(ValueError, match="unsupported aggregation 'mode'"):
        df.groupby("k").agg({"b": "mode"})


@pytest.mark.parametrize("func", ["sum", "mean", "count", "min", "max", "std", "var", "nunique"])
@pytest.mark.parametrize("col", ["a", "i", "b"])
def test_series_reductions(df, pdf, func, col):
    assert_eq(getattr(df[col], func)(), getattr(pdf[col], func)())


@pytest.mark.parametrize("func", ["count", "min", "max", "nunique"])
def test_string_series_reductions(df, pdf, func):
    assert_eq(getattr(df.s, func)(), getattr(pdf.s, func)())


@pytest.mark.parametrize("func", ["sum", "mean", "count", "min", "max", "std", "var"])
def test_reductions_of_empty_and_all_null(df, pdf, func):
    assert_eq(getattr(df[df.i > 100].b, func)(), getattr(pdf[pdf.i > 100].b, func)())
    assert_eq(getattr(df[df.a.isna()].a, func)(), getattr(pdf[pdf.a.isna()].a, func)())


def test_reduction_of_expression_and_scalar_arithmetic(df, pdf):
    assert_eq((df.a * df.b).sum(), (pdf.a * pdf.b).sum())
    assert_eq(df.b.sum() / df.i.sum(), pdf.b.sum() / pdf.i.sum())
    assert_eq(df.i.max() - 1, pdf.i.max() - 1)
    assert_eq(2 * df.b.mean(), 2 * pdf.b.mean())


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_var_with_inf_is_nan(npartitions):
    pdf = pd.DataFrame({"g": [1, 1, 2, 2], "f": [0.0, np.inf, 1.0, 2.0]})
    df = kd.from_pandas(pdf, npartitions=npartitions)
    assert_eq(df.groupby("g").f.var(), pdf.groupby("g").f.var())
    assert_eq(df.f.std(), pdf.f.std())


def test_sum_of_a_nullable_integer_column_stays_nullable_like_pandas():
    import kyudo.dataframe as kd
    from kyudo.testing import assert_eq

    pdf = pd.DataFrame({"k": ["a", "b", "a", "c", "b"],
                        "x": pd.array([1, None, 3, None, 5], dtype="Int64")})
    frame = kd.from_pandas(pdf, npartitions=2)
    assert_eq(frame.groupby("k").x.sum(), pdf.groupby("k").x.sum())
    assert_eq(frame.groupby("k").agg({"x": "sum"}), pdf.groupby("k").agg({"x": "sum"}))


@pytest.mark.parametrize("dtype", ["Int64", "boolean", "Float64"])
@pytest.mark.parametrize("func", ["sum", "mean", "min", "max", "std", "var", "count", "nunique", "first", "last",
                                  "median"])
def test_aggregates_of_nullable_columns_have_pandas_dtypes(dtype, func):
    """pandas keeps nullable dtypes through a group-by (the mean of Int64 is
    Float64, its count Int64); so must kyudo."""
    from kyudo.testing import assert_eq

    values = {"Int64": [1, None, 3, None, 5, 2], "boolean": [True, None, False, None, True, True],
              "Float64": [1.5, None, 3.0, None, 5.25, 2.0]}[dtype]
    pdf = pd.DataFrame({"k": ["a", "b", "a", "c", "b", "a"], "x": pd.array(values, dtype=dtype)})
    frame = kd.from_pandas(pdf, npartitions=2)
    assert_eq(getattr(frame.groupby("k").x, func)(), getattr(pdf.groupby("k").x, func)())
    assert_eq(frame.groupby("k").agg(out=("x", func)), pdf.groupby("k").agg(out=("x", func)))


# ---- float32 columns: pandas keeps float32 -------------------------------------------

FLOAT32_FUNCS = ["sum", "mean", "min", "max", "std", "var", "median", "first", "last", "prod", "count", "nunique"]
FLOAT32_ROWS = {  # (key, value) rows: with NULLs and an all-NULL group, none, one
    "nulls": [("a", 1.5), ("b", None), ("a", 0.1), ("c", None), ("b", 2.25), ("a", -3.0), ("c", None), ("d", 7.0)],
    "empty": [],
    "one_row": [("a", 0.1)],
}


def _float32_frame(rows) -> pd.DataFrame:
    return pd.DataFrame({"k": pd.Series([k for k, _ in rows], dtype="str"),
                         "x": pd.Series([np.nan if v is None else v for _, v in rows], dtype="float32"),
                         "y": pd.Series([np.nan if v is None else v for _, v in rows], dtype="float64")})


def _pandas_mean_dtype_is_its_rule(pdf: pd.DataFrame) -> bool:
    """Whether pandas' groupby mean of a float32 column is float32 here.

    pandas 3.1 gives float32, as for sum, std and var, except on its shortcut
    (``ufunc.reduceat``) for rows already in key order with no NaN, which gives
    float64: the dtype depends on the data. A lazy plan cannot know the order or
    the NaN, so kyudo keeps to the rule (float32, what pandas gives an empty frame)."""
    keys = pdf.k.dropna()
    return bool(pdf.x.isna().any()) or not keys.is_monotonic_increasing or keys.empty


@pytest.mark.parametrize("rows", sorted(FLOAT32_ROWS))
@pytest.mark.parametrize("func", FLOAT32_FUNCS)
def test_aggregates_of_float32_columns_have_pandas_dtypes(func, rows):
    """pandas keeps float32 through sum, mean, std, var, median, prod (the
    planner computes them in float64): the results are float32 in every form
    of aggregation, beside float64 ones, and equal pandas' up to float32 rounding."""
    pdf = _float32_frame(FLOAT32_ROWS[rows])
    check_dtype = func != "mean" or _pandas_mean_dtype_is_its_rule(pdf)
    for parts in (1, 2):
        frame = kd.from_pandas(pdf, npartitions=parts)
        grouped, pgrouped = frame.groupby("k"), pdf.groupby("k")
        assert getattr(grouped.x, func)().dtype == getattr(pdf.iloc[:0].groupby("k").x, func)().dtype
        compare = dict(rtol=1e-6, check_dtype=check_dtype)
        assert_eq(getattr(grouped.x, func)(), getattr(pgrouped.x, func)(), **compare)
        assert_eq(getattr(grouped, func)(), getattr(pgrouped, func)(), **compare)
        assert_eq(grouped.agg(out=("x", func)), pgrouped.agg(out=("x", func)), **compare)
        several = [func] if func == "sum" else [func, "sum"]
        assert_eq(grouped.agg({"x": several, "y": func}), pgrouped.agg({"x": several, "y": func}), **compare)
        assert_eq(grouped.x.agg(several), pgrouped.x.agg(several), **compare)


@pytest.mark.parametrize("rows", sorted(FLOAT32_ROWS))
@pytest.mark.parametrize("func", ["sum", "mean", "min", "max", "std", "var", "median", "prod", "count", "nunique"])
def test_reductions_of_float32_columns_are_float32_like_pandas(func, rows):
    """A float32 result is a numpy float32, as pandas', so it prints and
    compares as pandas' does (``np.float32(0.1)``, not 0.10000000149)."""
    pdf = _float32_frame(FLOAT32_ROWS[rows])
    for parts in (1, 2):
        frame = kd.from_pandas(pdf, npartitions=parts)
        got, want = getattr(frame.x, func)().compute(), getattr(pdf.x, func)()
        if isinstance(want, np.floating):
            assert type(got) is type(want)
        # as Python floats: assert_eq compares numpy float32 scalars exactly
        assert_eq(float(got), float(want), rtol=1e-6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["p", "q", "r"]),
                          st.one_of(st.none(), st.floats(-100, 100, width=32))), max_size=25),
       st.integers(1, 4), st.sampled_from(["sum", "mean", "min", "max", "std", "var", "median", "first", "last"]))
def test_float32_aggregates_match_pandas_on_random_frames(rows, parts, func):
    """Values as pandas' up to float32 rounding: pandas adds float32 values in
    float32, kyudo in float64 (then rounds once), so sums that cancel differ
    by a few float32 steps of the addends (atol)."""
    pdf = _float32_frame(rows)
    frame = kd.from_pandas(pdf, npartitions=parts)
    got = getattr(frame.groupby("k").x, func)()
    assert got.dtype == np.float32
    assert_eq(got, getattr(pdf.groupby("k").x, func)(), rtol=1e-5, atol=1e-3,
              check_dtype=func != "mean" or _pandas_mean_dtype_is_its_rule(pdf))
    if func not in ("first", "last"):  # no Series.first in pandas
        np.testing.assert_allclose(float(getattr(frame.x, func)().compute()), float(getattr(pdf.x, func)()),
                                   rtol=1e-5, atol=1e-3)

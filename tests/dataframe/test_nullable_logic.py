"""Comparisons and logic over nullable extension dtypes, as pandas: a masked
column (Int64, Float64, boolean, string) compares to ``boolean`` (Arrow strings:
``bool[pyarrow]``) with NA where an input is missing, and ``&``, ``|``, ``^``,
``~`` follow Kleene logic; numpy columns keep numpy's rule (a missing value
compares False, the result is ``bool``). Masks with NA filter as pandas does (NA
drops the row) and stay plain filters in the plan."""
from __future__ import annotations

import operator

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kyudo.dataframe as kd
from kyudo.planner import logical as L
from kyudo.planner.compile import optimize
from kyudo.testing import assert_eq

COMPARISONS = [operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge]
FLEX = ["eq", "ne", "lt", "le", "gt", "ge"]


def make_pdf() -> pd.DataFrame:
    return pd.DataFrame({
        "n": pd.array([1, None, 3, 5, None, 2], dtype="Int64"),
        "m": pd.array([2, 2, None, 5, None, 1], dtype="Int64"),
        "n32": pd.array([7, None, -1, 3, 0, 2], dtype="Int32"),
        "f": pd.array([1.5, None, 3.0, 0.0, 2.0, None], dtype="Float64"),
        "b": pd.array([True, None, False, True, None, False], dtype="boolean"),
        "c": pd.array([None, True, False, None, True, False], dtype="boolean"),
        "s": pd.array(["a", None, "c", "b", "", None], dtype="string"),
        "sp": pd.array(["a", None, "c", "b", "", None], dtype="string[python]"),
        "i": np.array([1, 2, 3, 4, 5, 6], dtype="int64"),
        "x": [1.0, np.nan, 3.0, 4.0, np.nan, 2.5],
        "flag": [True, False, True, False, True, False],
    })


@pytest.fixture
def pdf() -> pd.DataFrame:
    return make_pdf()


@pytest.fixture(params=[1, 3], ids=lambda k: f"{k}part")
def df(pdf, request):
    return kd.from_pandas(pdf, npartitions=request.param)


SCALARS = {"n": 2, "m": 2, "n32": 2, "f": 1.5, "b": True, "c": False, "s": "b", "sp": "b",
           "i": 3, "x": 2.0, "flag": True}
PAIRS = [("n", "m"), ("n", "n32"), ("n", "i"), ("n", "x"), ("f", "x"), ("f", "n"), ("b", "c"),
         ("b", "flag"), ("s", "sp"), ("i", "x"), ("flag", "c")]


def _has_map_partitions(plan: L.LogicalPlan) -> bool:
    return any(isinstance(node, L.MapPartitions) for node in L.walk(plan))


# ---- comparisons --------------------------------------------------------------


@pytest.mark.parametrize("op", COMPARISONS, ids=lambda op: op.__name__)
@pytest.mark.parametrize("column", list(SCALARS))
def test_comparison_with_a_scalar(df, pdf, column, op):
    assert_eq(op(df[column], SCALARS[column]), op(pdf[column], SCALARS[column]))


@pytest.mark.parametrize("op", COMPARISONS, ids=lambda op: op.__name__)
@pytest.mark.parametrize("pair", PAIRS, ids="-".join)
def test_comparison_of_two_columns(df, pdf, pair, op):
    a, b = pair
    assert_eq(op(df[a], df[b]), op(pdf[a], pdf[b]))
    assert_eq(op(df[b], df[a]), op(pdf[b], pdf[a]))


@pytest.mark.parametrize("method", FLEX)
def test_flex_comparison_methods(df, pdf, method):
    for column in ("n", "f", "x", "s"):
        assert_eq(getattr(df[column], method)(SCALARS[column]), getattr(pdf[column], method)(SCALARS[column]))
    assert_eq(getattr(df.n, method)(df.m), getattr(pdf.n, method)(pdf.m))


def test_reflected_scalar_comparison(df, pdf):
    assert_eq(2 < df.n, 2 < pdf.n)
    assert_eq(3.0 >= df.f, 3.0 >= pdf.f)
    assert_eq(2 < df.x, 2 < pdf.x)


def test_comparison_with_missing_scalars(df, pdf):
    for column in ("n", "f", "x", "i"):
        assert_eq(df[column] == None, pdf[column] == None)  # noqa: E711 (pandas' own semantics)
        assert_eq(df[column] != None, pdf[column] != None)  # noqa: E711
        assert_eq(df[column] > pd.NA, pdf[column] > pd.NA)


def test_comparison_of_arithmetic_keeps_nulls(df, pdf):
    assert_eq((df.n + 1) > 3, (pdf.n + 1) > 3)
    assert_eq((df.n * df.m) <= 4, (pdf.n * pdf.m) <= 4)


@pytest.mark.parametrize("inclusive", ["both", "neither", "left", "right"])
def test_between(df, pdf, inclusive):
    for column, low, high in (("n", 1, 3), ("f", 0.0, 2.0), ("x", 1.0, 3.0), ("i", 2, 4), ("s", "a", "b")):
        assert_eq(df[column].between(low, high, inclusive), pdf[column].between(low, high, inclusive))


def test_masked_results_have_pandas_dtypes(df, pdf):
    assert (df.n > 2).dtype == "boolean"
    assert (df.f == df.x).dtype == "boolean"
    assert (df.x > 2).dtype == np.dtype(bool)
    assert (df.s > "a").dtype == (pdf.s > "a").dtype
    assert (df.sp > "a").dtype == "boolean"


# ---- Kleene logic -------------------------------------------------------------

TRUTH = pd.DataFrame({
    "p": pd.array([True, True, True, False, False, False, None, None, None], dtype="boolean"),
    "q": pd.array([True, False, None, True, False, None, True, False, None], dtype="boolean"),
    "r": [True, False, True, True, False, False, True, False, True],
})


@pytest.mark.parametrize("npartitions", [1, 2, 4])
@pytest.mark.parametrize("op", [operator.and_, operator.or_, operator.xor], ids=lambda op: op.__name__)
def test_kleene_truth_tables(op, npartitions):
    df = kd.from_pandas(TRUTH, npartitions=npartitions)
    assert_eq(op(df.p, df.q), op(TRUTH.p, TRUTH.q))
    assert_eq(op(df.p, df.r), op(TRUTH.p, TRUTH.r))
    assert_eq(op(df.r, df.q), op(TRUTH.r, TRUTH.q))
    assert_eq(op(df.r, df.r), op(TRUTH.r, TRUTH.r))
    for value in (True, False):
        assert_eq(op(df.p, value), op(TRUTH.p, value))
        assert_eq(op(value, df.q), op(value, TRUTH.q))


def test_invert(df, pdf):
    assert_eq(~df.b, ~pdf.b)
    assert_eq(~df.flag, ~pdf.flag)
    assert_eq(~(df.n > 2), ~(pdf.n > 2))
    assert_eq(~(df.x > 2), ~(pdf.x > 2))
    assert_eq(~~(df.n > 2), ~~(pdf.n > 2))


def test_logic_of_comparisons(df, pdf):
    assert_eq((df.n > 1) & (df.m < 5), (pdf.n > 1) & (pdf.m < 5))
    assert_eq((df.n > 1) | (df.x < 2), (pdf.n > 1) | (pdf.x < 2))
    assert_eq((df.f > 1) ^ df.flag, (pdf.f > 1) ^ pdf.flag)
    assert_eq(~((df.n > 1) & df.b) | (df.sp == "a"), ~((pdf.n > 1) & pdf.b) | (pdf.sp == "a"))
    assert_eq((df.s == "a") | ~((df.n > 1) & df.b), (pdf.s == "a") | ~((pdf.n > 1) & pdf.b))
    assert_eq((df.i > 2) & (df.x < 4), (pdf.i > 2) & (pdf.x < 4))
    assert_eq(df.n.isin([1, 5]) & (df.m > 1), pdf.n.isin([1, 5]) & (pdf.m > 1))


def test_filled_masks_stay_boolean(df, pdf):
    assert_eq((df.n > 2).fillna(False), (pdf.n > 2).fillna(False))
    assert_eq((df.n > 2).fillna(True) & df.flag, (pdf.n > 2).fillna(True) & pdf.flag)
    assert_eq((df.n > 2).dropna(), (pdf.n > 2).dropna())


# ---- new columns ----------------------------------------------------------------


def test_assign_comparisons_and_logic(df, pdf):
    assert_eq(df.assign(g=df.n > 3), pdf.assign(g=pdf.n > 3))
    assert_eq(df.assign(g=df.n > 3, h=df.x > 2, k=(df.f < 2) | df.b, e=df.s == "a"),
              pdf.assign(g=pdf.n > 3, h=pdf.x > 2, k=(pdf.f < 2) | pdf.b, e=pdf.s == "a"))
    assert_eq(df.assign(g=lambda d: d.n.between(1, 3)), pdf.assign(g=lambda d: d.n.between(1, 3)))
    assert_eq(df.assign(g=df.n.isin([1, 2])), pdf.assign(g=pdf.n.isin([1, 2])))
    assert_eq(df.assign(n=df.n >= 3), pdf.assign(n=pdf.n >= 3))  # replaces the Int64 column
    assert df.assign(g=df.n > 3).dtypes["g"] == "boolean"


def test_setitem_comparisons_and_logic(df, pdf):
    df["g"] = df.n > 3
    pdf["g"] = pdf.n > 3
    df["h"] = df.g & df.flag
    pdf["h"] = pdf.g & pdf.flag
    df["k"] = ~df.g ^ df.b
    pdf["k"] = ~pdf.g ^ pdf.b
    df["e"] = df.i > 3
    pdf["e"] = pdf.i > 3
    df["j"] = df.n.isin([1, 2])
    pdf["j"] = pdf.n.isin([1, 2])
    assert_eq(df, pdf)
    assert_eq(df[df.g], pdf[pdf.g])
    assert_eq(df[df.h | df.e], pdf[pdf.h | pdf.e])


def test_a_numpy_column_assign_records_nothing(df, pdf):
    """Comparisons of numpy columns are plain bool: no retyping node in the plan."""
    out = df.assign(g=df.x > 2, h=df.i == 3)
    assert_eq(out, pdf.assign(g=pdf.x > 2, h=pdf.i == 3))
    assert not _has_map_partitions(out.plan)


# ---- filters ----------------------------------------------------------------------

MASKS = [
    lambda d: d.n > 2,
    lambda d: d.n != 3,
    lambda d: ~(d.n > 2),
    lambda d: (d.n > 1) & (d.f < 3),
    lambda d: (d.n > 1) | d.b,
    lambda d: d.b ^ d.c,
    lambda d: d.b,
    lambda d: ~d.b,
    lambda d: d.s == "b",
    lambda d: d.sp < "c",
    lambda d: d.n.between(1, 4),
    lambda d: d.f.isin([1.5, 0.0]),
    lambda d: (d.x > 1) & (d.n < 5),
    lambda d: d.n.gt(d.m),
]


@pytest.mark.parametrize("mask", range(len(MASKS)))
def test_filter_by_masks_with_missing_values(df, pdf, mask):
    make = MASKS[mask]
    assert_eq(df[make(df)], pdf[make(pdf)])
    assert_eq(df[make(df)].n, pdf[make(pdf)].n)


def test_filter_is_a_plain_pushed_down_filter(df):
    for make in MASKS:
        filtered = df[make(df)]
        assert not _has_map_partitions(filtered.plan)
        assert isinstance(filtered.plan, L.Filter)
    for make in (MASKS[0], MASKS[3], MASKS[4], MASKS[8]):
        optimized = optimize(df[make(df)].plan).plan
        assert not _has_map_partitions(optimized)
        assert not any(isinstance(node, L.Filter) for node in L.walk(optimized)), "the filter reaches the scan"
        assert isinstance(optimized, L.Scan) and optimized.predicate is not None


def test_filter_by_an_assigned_mask(df, pdf):
    out = df.assign(g=df.n > 2)
    expected = pdf.assign(g=pdf.n > 2)
    assert_eq(out[out.g], expected[expected.g])
    assert_eq(out[out.n > 2], expected[expected.n > 2])


# ---- edge sizes ---------------------------------------------------------------------


def test_empty_frame(pdf):
    empty = pdf.iloc[:0]
    df = kd.from_pandas(empty, npartitions=1)
    assert_eq(df.n > 2, empty.n > 2)
    assert_eq(df.b & df.c, empty.b & empty.c)
    assert_eq(df.assign(g=df.n > 2, h=df.x > 1), empty.assign(g=empty.n > 2, h=empty.x > 1))
    assert_eq(df[df.n > 2], empty[empty.n > 2])


def test_empty_after_a_filter(df, pdf):
    none = df[df.i > 100]
    expected = pdf[pdf.i > 100]
    assert_eq(none.assign(g=none.n > 2), expected.assign(g=expected.n > 2))
    assert_eq(none[none.n > 2], expected[expected.n > 2])


@pytest.mark.parametrize("row", range(6))
def test_one_row_frames(pdf, row):
    one = pdf.iloc[[row]].reset_index(drop=True)
    df = kd.from_pandas(one, npartitions=1)
    assert_eq(df.assign(g=df.n > 2, h=(df.b | df.c), k=~df.b, e=df.f == df.x),
              one.assign(g=one.n > 2, h=(one.b | one.c), k=~one.b, e=one.f == one.x))
    assert_eq(df[df.n >= 2], one[one.n >= 2])


# ---- property ---------------------------------------------------------------------

_INTS = st.lists(st.one_of(st.none(), st.integers(-3, 3)), min_size=0, max_size=12)
_BOOLS = st.lists(st.one_of(st.none(), st.booleans()), min_size=0, max_size=12)


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), npartitions=st.integers(1, 3),
       op=st.sampled_from(COMPARISONS), logic=st.sampled_from([operator.and_, operator.or_, operator.xor]),
       threshold=st.integers(-3, 3), dtype=st.sampled_from(["Int64", "Float64", "int64", "float64"]))
def test_comparisons_and_logic_match_pandas(data, npartitions, op, logic, threshold, dtype):
    values = data.draw(_INTS)
    n = len(values)
    others = data.draw(st.lists(st.one_of(st.none(), st.integers(-3, 3)), min_size=n, max_size=n))
    flags = data.draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=n, max_size=n))
    if dtype == "int64":
        values = [0 if v is None else v for v in values]
    pdf = pd.DataFrame({
        "a": pd.array(values, dtype=dtype) if dtype != "float64" else
        np.array([np.nan if v is None else v for v in values], dtype="float64"),
        "o": pd.array(others, dtype="Int64"),
        "b": pd.array(flags, dtype="boolean"),
    })
    df = kd.from_pandas(pdf, npartitions=npartitions)
    assert_eq(op(df.a, threshold), op(pdf.a, threshold))
    assert_eq(op(df.a, df.o), op(pdf.a, pdf.o))
    assert_eq(logic(op(df.a, threshold), df.b), logic(op(pdf.a, threshold), pdf.b))
    assert_eq(~op(df.a, df.o), ~op(pdf.a, pdf.o))
    assert_eq(df.assign(m=logic(df.b, op(df.a, df.o))), pdf.assign(m=logic(pdf.b, op(pdf.a, pdf.o))))
    assert_eq(df[logic(op(df.a, threshold), df.b)], pdf[logic(op(pdf.a, threshold), pdf.b)])


def test_masks_built_before_a_setitem_still_apply(df, pdf):
    """A mask made before ``df[...] = <masked comparison>`` (whose dtype is
    recorded by a metadata-only node) still reads the new frame's columns."""
    mask, pmask = df.n > 1, pdf.n > 1
    flag, pflag = df.flag, pdf.flag
    df["g"] = df.n > 3
    pdf["g"] = pdf.n > 3
    df["h"] = flag & df.g
    pdf["h"] = pflag & pdf.g
    assert_eq(df[mask], pdf[pmask])
    assert_eq(df.assign(k=mask | flag), pdf.assign(k=pmask | pflag))
    assert_eq(df[mask & df.h], pdf[pmask & pdf.h])


_ODD_VALUES = ["a", 1, 0, 1.5, True, False, None, np.nan, pd.NA]


@pytest.mark.parametrize("column", ["n", "f", "b", "x", "i", "s", "sp", "flag"])
def test_comparison_with_values_of_other_kinds_and_missing_values(df, pdf, column):
    """1 == "1" is False, True == 1, and None, NaN and NA compare as pandas does
    for each dtype (where pandas raises, nothing is checked)."""
    for value in _ODD_VALUES:
        for op in COMPARISONS:
            try:
                expected = op(pdf[column], value)
            except TypeError:
                continue
            assert_eq(op(df[column], value), expected)

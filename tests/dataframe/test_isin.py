"""``isin`` of a lazy Series: a plan (a mark join on distinct values), never an
eager computation of the other side; missing values and dtypes as pandas."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kyudo.dataframe as kd
from kyudo.dataframe.extensions import is_mark_join
from kyudo.planner import logical as L
from kyudo.testing import assert_eq


def _other() -> pd.DataFrame:
    return pd.DataFrame({"key": ["p", "r", None, "zz", "p"], "x": [5, 1, 7, 9, 4],
                         "v": [1.0, np.nan, 4.0, 3.0, -5.0], "n": [3, -5, 9, 3, 100]})


@pytest.fixture(params=[1, 2], ids=lambda k: f"other{k}part")
def other(request):
    return kd.from_pandas(_other(), npartitions=request.param)


def test_filter_by_membership_in_a_filtered_lazy_series(df, pdf, other):
    po = _other()
    assert_eq(df[df.k.isin(other[other.x > 3].key)], pdf[pdf.k.isin(po[po.x > 3].key)])
    assert_eq(df[~df.k.isin(other[other.x > 3].key)], pdf[~pdf.k.isin(po[po.x > 3].key)])
    assert_eq(df[df.i.isin(other.n) & (df.b > 0)], pdf[pdf.i.isin(po.n) & (pdf.b > 0)])
    assert_eq(df[df.i.isin(other.n) | df.flag], pdf[pdf.i.isin(po.n) | pdf.flag])
    # nothing on the other side, and nothing kept
    assert_eq(df[df.k.isin(other[other.x > 100].key)], pdf[pdf.k.isin(po[po.x > 100].key)])


def test_the_other_side_is_never_computed_while_planning(df, other):
    """The mask is a join in the plan; building it reads no data of either side."""
    mask = df.k.isin(other[other.x > 3].key)
    joins = [node for node in L.walk(mask.frame.plan) if isinstance(node, L.Join)]
    assert len(joins) == 1 and is_mark_join(joins[0])
    # the other side is a subplan: its filter is still there, not a list of values
    assert any(isinstance(node, L.Filter) for node in L.walk(joins[0].right))
    # rows keep their partitions: a broadcast of the other side, no shuffle of this one
    assert df[mask].npartitions == df.npartitions


@pytest.mark.parametrize("column", ["a", "i", "b", "s", "k", "flag"])
def test_mask_values_and_missing_values_match_pandas(df, pdf, other, column):
    po = _other()
    source = {"a": "v", "b": "v", "i": "n", "s": "key", "k": "key", "flag": "x"}[column]
    assert_eq(df[column].isin(other[source]), pdf[column].isin(po[source]))
    # the other side without its missing values
    assert_eq(df[column].isin(other[source].dropna()), pdf[column].isin(po[source].dropna()))
    assert_eq(df.assign(m=df[column].isin(other[source])), pdf.assign(m=pdf[column].isin(po[source])))


@pytest.mark.parametrize("dtype,values,others", [
    ("Int64", [1, None, 3, 4, None], [3, None, 7]),
    ("Float64", [1.5, None, 3.0, 4.0, None], [3.0, None]),
    ("boolean", [True, None, False, True, None], [True, None]),
    ("string", ["a", None, "ü", "", None], ["", None, "zz"]),
    ("str", ["a", None, "ü", "", None], ["", None, "zz"]),
    ("float64", [1.5, np.nan, 3.0, 4.0, np.nan], [3.0, np.nan]),
    ("datetime64[ns]", ["2024-01-01", None, "2024-01-03", "2024-01-04", None], ["2024-01-03", None]),
])
@pytest.mark.parametrize("other_dtype_same", [True, False])
def test_extension_dtypes_missing_values_and_result_dtype(dtype, values, others, other_dtype_same):
    """pandas decides per pair of dtypes whether a missing value is in a side
    holding one (Int64: never, boolean/string/float: yes) and types the result
    ``boolean`` for masked dtypes."""
    pdf = pd.DataFrame({"v": pd.Series(values, dtype=dtype)})
    other_dtype = dtype if other_dtype_same else {"Int64": "float64", "Float64": "float64", "boolean": "boolean",
                                                  "string": "str", "str": "string", "float64": "Float64",
                                                  "datetime64[ns]": "datetime64[ns]"}[dtype]
    po = pd.DataFrame({"w": pd.Series(others, dtype=other_dtype)})
    for parts in (1, 3):
        df, od = kd.from_pandas(pdf, npartitions=parts), kd.from_pandas(po, npartitions=2)
        want = pdf.v.isin(po.w)
        got = df.v.isin(od.w)
        assert got.compute().dtype == want.dtype
        assert_eq(got, want)
        assert_eq(df[df.v.isin(od.w)], pdf[pdf.v.isin(po.w)])
        assert_eq(df.v.isin(od[od.w.isna()].w), pdf.v.isin(po[po.w.isna()].w))


def test_one_row_empty_partitions_and_an_empty_other(df, pdf, other):
    po = _other()
    assert_eq(df[df.i == 9].k.isin(other.key), pdf[pdf.i == 9].k.isin(po.key))
    kept = df[df.i > 3]  # some partitions are empty
    pkept = pdf[pdf.i > 3]
    assert_eq(kept[kept.k.isin(other.key)], pkept[pkept.k.isin(po.key)])
    assert_eq(df[df.i > 100].k.isin(other.key), pdf[pdf.i > 100].k.isin(po.key), check_dtype=False)
    one = kd.from_pandas(po.iloc[:1], npartitions=1)
    assert_eq(df.k.isin(one.key), pdf.k.isin(po.iloc[:1].key))


def test_membership_in_the_same_frame_and_after_assignments(df, pdf):
    assert_eq(df.i.isin(df.a), pdf.i.isin(pdf.a))
    assert_eq(df[df.i.isin(df[df.flag].i)], pdf[pdf.i.isin(pdf[pdf.flag].i)])
    # a mask made before the frame grew a column still filters it (pandas aligns on the index)
    mask = df.i.isin(df[df.b > 1].i)
    pmask = pdf.i.isin(pdf[pdf.b > 1].i)
    df["c"] = df.i * 2
    pdf["c"] = pdf.i * 2
    assert_eq(df[mask], pdf[pmask])
    assert_eq(df.assign(m=mask, n=df.c.isin(df.i)), pdf.assign(m=pmask, n=pdf.c.isin(pdf.i)))
    assert_eq(df.i.where(mask, 0), pdf.i.where(pmask, 0))
    # and two memberships in one mask
    both = df.i.isin(df[df.flag].i) & df.k.isin(df[df.b > 0].k)
    pboth = pdf.i.isin(pdf[pdf.flag].i) & pdf.k.isin(pdf[pdf.b > 0].k)
    assert_eq(df[both], pdf[pboth])
    assert_eq(df[both].groupby("k").i.sum(), pdf[pboth].groupby("k").i.sum())


def test_values_of_another_kind_are_never_in(df, pdf, other):
    po = _other()
    assert_eq(df.i.isin(other.key), pdf.i.isin(po.key))
    assert_eq(df.s.isin(other.n), pdf.s.isin(po.n))


def test_frame_isin_with_a_series_aligns_on_the_index_in_pandas(df, pdf, other):
    """pandas' DataFrame.isin compares a Series (also one in a dict) label by
    label, which kyudo cannot do lazily: it says so instead of answering another
    question; per-column membership is ``df[c].isin(series)``."""
    po = _other()
    with pytest.raises(TypeError, match="index"):
        df.isin(other.key)
    with pytest.raises(TypeError, match="index"):
        df.isin({"k": other.key, "a": [1.0]})
    assert_eq(df.assign(k=df.k.isin(other.key), i=df.i.isin(other[other.x > 3].n)),
              pdf.assign(k=pdf.k.isin(po.key), i=pdf.i.isin(po[po.x > 3].n)))
    assert_eq(df.isin({"a": [1.0, 2.0], "k": ["p"]}), pdf.isin({"a": [1.0, 2.0], "k": ["p"]}))


@pytest.mark.parametrize("values", [[1, None], [1, np.nan], [1, pd.NA], [True, None], ["a", None], ["a", pd.NA],
                                    [pd.NA], [None], [np.nan], [], [pd.NaT], [pd.Timestamp("2024-01-01"), None]])
def test_concrete_values_missing_values_as_pandas(values):
    """Which missing value (None, NaN, NA, NaT) a missing cell matches depends
    on the dtype in pandas (an Int64 NA only matches pd.NA); values of another
    kind never match. A masked column's result is ``boolean``, as in pandas."""
    pdf = pd.DataFrame({"n": pd.array([1, None, 3], dtype="Int64"), "b": pd.array([True, None, False], dtype="boolean"),
                        "s": pd.array(["a", None, "b"], dtype="string"), "f": [1.0, np.nan, 2.0],
                        "o": ["a", None, "b"], "t": pd.to_datetime(["2024-01-01", None, "2024-01-02"]),
                        "i": [1, 2, 3]})
    for parts in (1, 2):
        df = kd.from_pandas(pdf, npartitions=parts)
        for column in pdf.columns:
            want = pdf[column].isin(values)
            assert_eq(df[column].isin(values), want)
            assert_eq(df[df[column].isin(values)], pdf[want])


# ---- membership in a list: the result's dtype is pandas' own ------------------------

_VALUES = {  # dtype -> the values a column and a list draw from (None: a missing value)
    "Int64": [0, 1, 2, -3, None], "Int32": [0, 1, 2, -3, None], "UInt8": [0, 1, 2, 200, None],
    "Float64": [0.0, 1.5, -2.25, None], "Float32": [0.0, 1.5, -2.25, None],
    "boolean": [True, False, None], "string": ["a", "", "ü", None],
    "int64": [0, 1, 2, -3], "float64": [0.0, 1.5, np.nan], "float32": [0.0, 1.5, np.nan],
    "bool": [True, False], "str": ["a", "", "ü", None],
}


@st.composite
def _column_and_list(draw):
    dtype = draw(st.sampled_from(sorted(_VALUES)))
    pool = _VALUES[dtype]
    cells = draw(st.lists(st.sampled_from(pool), max_size=8))  # empty and one-row frames too
    wanted = draw(st.lists(st.sampled_from(pool + [pd.NA, np.nan, None, "zz", 1]), max_size=4))
    return pd.Series(cells, dtype=dtype, name="v"), wanted, draw(st.integers(1, 3))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_column_and_list())
def test_list_membership_has_pandas_values_and_dtype(case):
    """``isin`` of a list gives pandas' result dtype (``boolean`` for the masked
    Int/UInt/Float dtypes and ``boolean``, ``bool`` otherwise) and pandas'
    answer for missing cells (False on an Int64 NA unless the list holds pd.NA),
    through ``~``, ``rename``, masks and ``DataFrame.isin``."""
    column, wanted, parts = case
    pdf = column.to_frame()
    df = kd.from_pandas(pdf, npartitions=parts)
    got, want = df.v.isin(wanted), pdf.v.isin(wanted)
    assert got.dtype == want.dtype
    assert_eq(got, want)
    assert_eq(~got, ~want)
    assert_eq(got.rename("m"), want.rename("m"))
    assert_eq(df[got], pdf[want])
    assert_eq(df.isin(wanted), pdf.isin(wanted))


def test_frame_isin_types_every_column_as_pandas():
    """A list and a dict (whose missing columns are all False), over nullable,
    numpy and string columns side by side, and values of another kind."""
    pdf = pd.DataFrame({"n": pd.array([1, None, 3], dtype="Int64"), "f": pd.array([1.5, None, 2.0], dtype="Float64"),
                        "b": pd.array([True, None, False], dtype="boolean"), "i": [1, 2, 3],
                        "s": pd.array(["a", None, "b"], dtype="string")})
    for parts in (1, 2):
        df = kd.from_pandas(pdf, npartitions=parts)
        for values in ([1, 2], [1.5, pd.NA], ["a", True], [], {"n": [3]}, {"f": [pd.NA], "s": ["b"]}, {}):
            assert_eq(df.isin(values), pdf.isin(values))


def test_a_mask_of_a_nullable_column_still_filters_in_the_plan():
    """The ``boolean`` dtype is recorded where the mask becomes a result column,
    not in the frame's plan: ``df[df.n.isin(...)]`` is a plain filter (one the
    optimizer can push into a reader), with no opaque node above the data."""
    pdf = pd.DataFrame({"n": pd.array([1, None, 3, 4], dtype="Int64"), "x": [1.0, 2.0, 3.0, 4.0]})
    df = kd.from_pandas(pdf, npartitions=2)
    mask = df.n.isin([1, 4])
    assert mask.dtype == pd.BooleanDtype()
    filtered = df[mask]
    assert not any(isinstance(node, L.MapPartitions) for node in L.walk(filtered.plan))
    assert_eq(filtered, pdf[pdf.n.isin([1, 4])])
    assert_eq(df[mask & (df.x > 1)], pdf[pdf.n.isin([1, 4]) & (pdf.x > 1)])

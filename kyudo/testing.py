"""``assert_eq``: compare a kyudo result with pandas, the oracle.

kyudo frames without an index have a positional default index (0..n-1 after any
operation), where pandas keeps the labels rows had before a filter or concat.
Such frames are compared by position, like Dask's ``check_index=False``; frames
with a real index (a groupby result, a ``from_pandas`` frame with a named index)
are compared with their index. Dtypes, NULLs and NaN are compared as pandas does.
"""
from __future__ import annotations

import pandas as pd
import pandas.testing as pdt


def _materialize(obj):
    from kyudo.dataframe import DataFrame, Scalar, Series

    if isinstance(obj, (DataFrame, Series, Scalar)):
        return obj.compute(), _has_index(obj)
    return obj, None


def _has_index(obj) -> bool:
    from kyudo.dataframe import DataFrame, Series

    if isinstance(obj, DataFrame):
        return bool(obj.index)
    if isinstance(obj, Series):
        return bool(obj.frame.index)
    return True


def _sorted(obj):
    if isinstance(obj, pd.DataFrame):
        return obj.sort_values(list(obj.columns), na_position="last", kind="mergesort")
    return obj.sort_values(na_position="last", kind="mergesort")


def assert_eq(actual, expected, check_index: bool | None = None, check_dtype: bool = True,
              sort_results: bool = False, rtol: float = 1e-7, **kwargs) -> None:
    """Assert that ``actual`` (kyudo or pandas) equals ``expected`` (pandas).

    check_index:  compare the index; by default only when the kyudo side has one.
    sort_results: compare as multisets of rows (for results whose order is not
                  defined, such as a merge), sorting both by every column.
    """
    actual, has_index = _materialize(actual)
    expected, _ = _materialize(expected)
    if check_index is None:
        check_index = has_index if has_index is not None else True
    if isinstance(expected, (pd.DataFrame, pd.Series)):
        if sort_results:
            if check_index and isinstance(actual, pd.DataFrame):
                actual, expected = actual.sort_index(kind="mergesort"), expected.sort_index(kind="mergesort")
            actual, expected = _sorted(actual), _sorted(expected)
        if not check_index:
            actual = actual.reset_index(drop=True)
            expected = expected.reset_index(drop=True)
        if isinstance(expected, pd.DataFrame):
            pdt.assert_frame_equal(actual, expected, check_dtype=check_dtype, rtol=rtol, **kwargs)
        else:
            pdt.assert_series_equal(actual, expected, check_dtype=check_dtype, rtol=rtol, **kwargs)
        return
    if isinstance(expected, float) and pd.isna(expected):
        assert actual is not None and pd.isna(actual), f"{actual!r} != {expected!r}"
        return
    if isinstance(expected, float) or isinstance(actual, float):
        close = actual == expected or abs(actual - expected) <= rtol * max(abs(expected), 1.0)  # inf == inf
        assert close, f"{actual!r} != {expected!r}"
        return
    assert actual == expected, f"{actual!r} != {expected!r}"

"""Turn any engine's answer into a pandas frame and compare two answers.

Engines answer in different shapes: pandas and kyudo frames, DuckDB relations turned
into pandas, Polars frames, and plain scalars for the one-value queries (Q6, Q14,
Q19). The comparison is by column position, because the DataFrame queries and the
SQL are written to produce the same columns in the same order, and by row position,
because both apply the query's ORDER BY.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# TPC-H accepts money answers rounded to the cent; the relative part covers the
# last bits of float sums taken in a different order.
ABS_TOL = 0.01 + 1e-9
REL_TOL = 1e-9


def materialize(answer):
    """Compute a lazy answer; pass an eager one through.

    Some answers are eager even on a lazy engine: ``head(n)`` computes at once in
    kyudo and Dask, as pandas users expect when they peek at a frame.
    """
    return answer.compute() if hasattr(answer, "compute") else answer


def to_pandas(result) -> pd.DataFrame:
    """The answer as a pandas frame with a fresh 0..n-1 index.

    Lazy results are computed first; a scalar becomes a one-cell frame.
    """
    result = materialize(result)
    if hasattr(result, "to_pandas"):  # Polars and Arrow
        result = result.to_pandas()
    if isinstance(result, pd.Series):
        raise TypeError("a query answer must be a frame or a scalar, not a Series")
    if not isinstance(result, pd.DataFrame):
        result = pd.DataFrame({"result": [result]})
    return result.reset_index(drop=True)


def _comparable(column: pd.Series) -> pd.Series:
    """Dates and timestamps of any flavour become datetime64; other values stay."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype) or (
        column.dtype == object and len(column) and hasattr(column.iloc[0], "isoformat")
    ):
        return pd.to_datetime(column).astype("datetime64[ns]")
    return column


def mismatches(actual, expected) -> list[str]:
    """What differs between two answers (empty when they agree)."""
    actual, expected = to_pandas(actual), to_pandas(expected)
    if actual.shape != expected.shape:
        return [f"shape {actual.shape} != expected {expected.shape}"]
    problems = []
    for i, name in enumerate(expected.columns):
        got, want = _comparable(actual.iloc[:, i]), _comparable(expected.iloc[:, i])
        if pd.api.types.is_numeric_dtype(got) and pd.api.types.is_numeric_dtype(want):
            got, want = got.to_numpy(float), want.to_numpy(float)
            same = np.isclose(got, want, rtol=REL_TOL, atol=ABS_TOL)
        else:
            got, want = got.to_numpy(object), want.to_numpy(object)
            same = got == want
        if not same.all():
            row = int(np.flatnonzero(~same)[0])
            problems.append(
                f"column {i} ({actual.columns[i]!r} vs {name!r}) row {row}: "
                f"{got[row]!r} != {want[row]!r}"
            )
    return problems


def assert_same_answer(actual, expected) -> None:
    """Raise AssertionError listing the differences when two answers disagree."""
    problems = mismatches(actual, expected)
    assert not problems, "answers differ:\n" + "\n".join(problems)

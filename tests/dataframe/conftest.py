"""Shared data for the DataFrame API tests: pandas is the oracle, so every test
builds a pandas frame, hands the same data to kyudo, and compares results with
``kyudo.testing.assert_eq``."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kyudo.dataframe as kd


@pytest.fixture(params=[1, 3], ids=lambda k: f"{k}part")
def npartitions(request) -> int:
    return request.param


def make_pdf() -> pd.DataFrame:
    """Ints (with and without NULLs), floats with NaN, unicode strings with NULL
    and empty, a grouping key with NULLs, booleans."""
    return pd.DataFrame({
        "a": pd.array([1, 2, None, 4, 5, 6, 7, None, 9, 10], dtype="float64"),
        "i": np.array([3, -1, 4, 1, -5, 9, 2, 6, -5, 3], dtype="int64"),
        "b": [1.5, np.nan, 3.0, -1.0, 0.0, 2.0, np.nan, 8.25, -3.5, 1.0],
        "s": ["x", "y", None, "ü", "", "x", "日本", "y", None, "x"],
        "k": ["p", "q", "p", None, "q", "p", "r", None, "q", "p"],
        "flag": [True, False, True, True, False, False, True, False, True, True],
    })


@pytest.fixture
def pdf() -> pd.DataFrame:
    return make_pdf()


@pytest.fixture
def df(pdf, npartitions):
    return kd.from_pandas(pdf, npartitions=npartitions)

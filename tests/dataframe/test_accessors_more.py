"""More .str and .dt methods, against pandas."""
from __future__ import annotations

import pandas as pd
import pytest

import kyudo.dataframe as kd
from kyudo.testing import assert_eq

WORDS = ["hello world", "ABC", None, "Ünïcode ß", "", "123", "  ", "mIxEd 9"]


@pytest.fixture
def words():
    pdf = pd.DataFrame({"w": WORDS})
    return pdf, kd.from_pandas(pdf, npartitions=3)


@pytest.mark.parametrize("method", ["capitalize", "title", "swapcase", "isalpha", "isdigit", "isalnum",
                                    "isnumeric", "isdecimal", "isspace", "islower", "isupper", "istitle"])
def test_string_methods_without_arguments(words, method):
    pdf, df = words
    assert_eq(getattr(df.w.str, method)(), getattr(pdf.w.str, method)())


@pytest.mark.parametrize("call", [
    lambda s: s.str.count("l"), lambda s: s.str.repeat(2), lambda s: s.str.match("[a-z]+"),
    lambda s: s.str.fullmatch(r"\d+"), lambda s: s.str.match("abc", case=False),
    lambda s: s.str.pad(6, fillchar="*"), lambda s: s.str.center(8, "-"), lambda s: s.str.ljust(5, "."),
    lambda s: s.str.rjust(5), lambda s: s.str.get(1),
])
def test_string_methods_with_arguments(words, call):
    pdf, df = words
    assert_eq(call(df.w), call(pdf.w))


def test_find_on_ascii(words):
    pdf = pd.DataFrame({"w": ["hello", None, "world", ""]})
    df = kd.from_pandas(pdf, npartitions=2)
    assert_eq(df.w.str.find("l"), pdf.w.str.find("l"), check_dtype=False)


def test_datetime_methods():
    stamps = pd.to_datetime(["2024-01-01 10:30", "2024-03-01 23:59", None, "2023-12-31 00:00"])
    pdf = pd.DataFrame({"t": stamps.tz_localize("Europe/Berlin"), "n": stamps})
    df = kd.from_pandas(pdf, npartitions=2)
    for column in ("t", "n"):
        assert_eq(df[column].dt.day_name(), pdf[column].dt.day_name())
        assert_eq(df[column].dt.month_name(), pdf[column].dt.month_name())
        assert_eq(df[column].dt.is_month_start, pdf[column].dt.is_month_start)
        assert_eq(df[column].dt.is_year_start, pdf[column].dt.is_year_start)
        assert_eq(df[column].dt.normalize(), pdf[column].dt.normalize())
    assert_eq(df.t.dt.tz_convert("Asia/Tokyo"), pdf.t.dt.tz_convert("Asia/Tokyo"))
    assert_eq(df.t.dt.tz_convert("UTC").dt.hour, pdf.t.dt.tz_convert("UTC").dt.hour, check_dtype=False)

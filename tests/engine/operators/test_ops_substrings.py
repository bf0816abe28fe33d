"""LIKE and regex matches with rows ruled out first (kyudo.engine.operators.substrings):
always Arrow's answer, on any strings, patterns, NULLs, slices and chunks."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kyudo.engine.operators.substrings import contains_in_order, like_parts, match_in_order, regex_parts

# Few letters, so pieces often occur, in and out of order; a newline, which
# a regex "." does not match; multi-byte characters.
_ALPHABET = "abé\n€ "
_strings = st.text(_ALPHABET, max_size=12)
_pieces = st.lists(st.text(_ALPHABET, min_size=1, max_size=3), min_size=1, max_size=3)


def _arrays(draw_values, large: bool, start: int):
    values = pa.array(draw_values, pa.large_string() if large else pa.string())
    return values.slice(start)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(st.none(), _strings), max_size=20), pieces=_pieces,
       wildcards=st.lists(st.sampled_from(["%", "_", "%_", ""]), min_size=4, max_size=4),
       large=st.booleans(), start=st.integers(0, 3))
def test_like_is_arrows(values, pieces, wildcards, large, start):
    pattern = wildcards[0] + "".join(p + w for p, w in zip(pieces, wildcards[1:]))
    array = _arrays(values, large, start)
    expected = pc.match_like(array, pattern=pattern)
    got = match_in_order(array, like_parts(pattern), lambda v: pc.match_like(v, pattern=pattern))
    assert got.equals(expected), (values, pattern)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(st.none(), _strings), max_size=20), pieces=_pieces,
       ends=st.tuples(st.booleans(), st.booleans()), large=st.booleans(), start=st.integers(0, 3))
def test_regex_of_pieces_and_substring_are_arrows(values, pieces, ends, large, start):
    pattern = (".*" if ends[0] else "") + ".*".join(pieces) + (".*" if ends[1] else "")
    array = _arrays(values, large, start)
    expected = pc.match_substring_regex(array, pattern=pattern)
    got = match_in_order(array, regex_parts(pattern), lambda v: pc.match_substring_regex(v, pattern=pattern))
    assert got.equals(expected), (values, pattern)
    expected = pc.match_substring(array, pattern=pieces[0])
    assert match_in_order(array, (pieces[0],), lambda v: pc.match_substring(v, pattern=pieces[0])).equals(expected)


def test_chunked_empty_and_all_null_columns():
    chunked = pa.chunked_array([["special requests", None], [], ["requests, special"]])
    match = lambda v: pc.match_like(v, pattern="%special%requests%")  # noqa: E731
    got = match_in_order(chunked, like_parts("%special%requests%"), match)
    assert got.to_pylist() == [True, None, False]
    assert match_in_order(pa.array([], pa.string()), ("a",), match).to_pylist() == []
    assert match_in_order(pa.array([None, None], pa.string()), ("a",), match).to_pylist() == [None, None]
    assert contains_in_order(pa.array(["", ""]), ("a",)).tolist() == [False, False]


def test_pieces_must_not_overlap_and_follow_in_order():
    values = pa.array(["aba", "ab", "ba", "abab"])
    assert contains_in_order(values, ("ab", "ba")).tolist() == [False, False, False, False]
    assert contains_in_order(values, ("ab", "ab")).tolist() == [False, False, False, True]
    assert contains_in_order(values, ("b", "a")).tolist() == [True, False, True, True]


def test_other_inputs_go_to_the_arrow_kernel_whole():
    calls = []

    def match(values):
        calls.append(values)
        return pc.match_substring(values, pattern="a")

    assert match_in_order(pa.scalar("xa"), ("a",), match).as_py() is True
    expression = match_in_order(pc.field("s"), ("a",), match)
    assert isinstance(expression, pc.Expression) and len(calls) == 2
    assert match_in_order(pa.array(["xa"]), None, match).to_pylist() == [True]


@pytest.mark.parametrize("pattern, parts", [
    ("%special%requests%", ("special", "requests")), ("abc", ("abc",)), ("a_c", ("a", "c")),
    ("%", None), ("__", None), ("100\\%%", ("100%",)), ("a\\_b%", ("a_b",)), ("é%€", ("é", "€")),
])
def test_like_parts(pattern, parts):
    assert like_parts(pattern) == parts


@pytest.mark.parametrize("pattern, parts", [
    ("special.*requests", ("special", "requests")), (".*a.*", ("a",)), ("Customer", ("Customer",)),
    ("a.b", None), ("^a", None), ("a|b", None), ("a.*b+", None), ("a\\.b", None), ("", None), (".*", None),
])
def test_regex_parts(pattern, parts):
    assert regex_parts(pattern) == parts

"""The compiled integer hash join against a nested loop: the same pairs, in the
documented order, for every join type, NULL rule and packed multi-column key."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

import pytest

from kyudo.engine.operators import int_join
from kyudo.engine.operators.int_join import _gallop, int_join_pairs, int_keys, pack_keys

KEYS = st.lists(st.one_of(st.none(), st.integers(-3, 3)), max_size=12)
# Keys at both ends of int64 and next to them: spans that fit a direct-addressed
# table at one end only, and probes far outside it (no overflow in the bounds check).
EDGE = [-(2**63), -(2**63) + 1, -1, 0, 1, 2**63 - 2, 2**63 - 1]
EDGE_KEYS = st.lists(st.one_of(st.none(), st.sampled_from(EDGE)), max_size=12)


def _side(values):
    column = pa.array(values, type=pa.int64())
    return int_keys(column)


def _nested_loop(left, right, how, null_equal):
    """Pairs by the definition: left order, ties in right order, unmatched as -1."""
    def equal(a, b):
        return (a is None and b is None and null_equal) or (a is not None and a == b)
    matches = [[j for j, b in enumerate(right) if equal(a, b)] for a in left]
    if how == "semi":
        return [i for i, m in enumerate(matches) if m], None
    if how == "anti":
        return [i for i, m in enumerate(matches) if not m], None
    if how == "right":
        r, l = _nested_loop(right, left, "left", null_equal)
        return l, r
    lrows, rrows = [], []
    for i, m in enumerate(matches):
        for j in m or ([-1] if how in ("left", "outer") else []):
            lrows.append(i)
            rrows.append(j)
    if how == "outer":
        hit = {j for m in matches for j in m}
        extra = [j for j in range(len(right)) if j not in hit]
        lrows += [-1] * len(extra)
        rrows += extra
    return lrows, rrows


HOWS = st.sampled_from(["inner", "left", "right", "outer", "semi", "anti"])


def _check_against_nested_loop(left, right, how, null_equal, right_table=None):
    lrows, rrows = int_join_pairs(_side(left), _side(right), how, null_equal, right_table=right_table)
    expected_l, expected_r = _nested_loop(left, right, how, null_equal)
    assert lrows.tolist() == expected_l
    assert (rrows.tolist() if rrows is not None else None) == expected_r


TABLES = ["direct", "hashed", "hashed without bitmap"]


def _use_table(patch, table: str) -> None:
    """Small keys span few values, so they get the direct-addressed table; with
    no span allowed, the hash table (with its bitmap of present keys, or not)."""
    if table != "direct":
        patch.setattr(int_join, "_DIRECT_SPAN_MIN", 0)
        patch.setattr(int_join, "_DIRECT_SPAN_PER_ROW", 0)
    if table == "hashed without bitmap":
        patch.setattr(int_join, "_BITMAP_SPAN_MAX", 0)


@pytest.mark.parametrize("table", TABLES)
@settings(max_examples=200, deadline=None)
@given(left=KEYS, right=KEYS, how=HOWS, null_equal=st.booleans())
def test_pairs_equal_a_nested_loop(table, left, right, how, null_equal):
    with pytest.MonkeyPatch.context() as patch:
        _use_table(patch, table)
        _check_against_nested_loop(left, right, how, null_equal)


@pytest.mark.parametrize("base", [-(2**63), 2**63 - 200])
@settings(max_examples=100, deadline=None)
@given(left=st.lists(st.none() | st.integers(0, 199) | st.sampled_from(EDGE), max_size=12),
       right=st.lists(st.none() | st.integers(0, 199), max_size=12), how=HOWS, null_equal=st.booleans())
def test_the_bitmap_of_present_keys_at_the_ends_of_int64(base, left, right, how, null_equal):
    """Build keys near either end of int64 get a bitmap from their lowest key;
    probes far on either side of it must miss, not wrap into it."""
    shift = lambda keys: [k if k is None or k not in range(200) else base + k for k in keys]  # noqa: E731
    with pytest.MonkeyPatch.context() as patch:
        _use_table(patch, "hashed")
        _check_against_nested_loop(shift(left), shift(right), how, null_equal)


@pytest.mark.parametrize("table", TABLES)
@settings(max_examples=200, deadline=None)
@given(left=KEYS, right=st.lists(st.integers(-3, 3), max_size=7, unique=True).flatmap(
    lambda keys: st.permutations(keys + [None])) | st.lists(st.integers(-3, 3), max_size=7, unique=True),
    how=HOWS, null_equal=st.booleans())
def test_distinct_build_keys_take_the_one_pass_probe_and_give_the_same_pairs(table, left, right, how, null_equal):
    """A built right side whose keys are distinct (at most one NULL) is probed
    in one pass (``_unique_pairs``) for inner, left and outer joins."""
    with pytest.MonkeyPatch.context() as patch:
        _use_table(patch, table)
        calls = []
        one_pass = int_join._unique_pairs
        patch.setattr(int_join, "_unique_pairs", lambda *a: calls.append(1) or one_pass(*a))
        built = int_join.build_table(_side(right))  # as a broadcast side is: always probed into
        _check_against_nested_loop(left, right, how, null_equal, right_table=built)
        assert calls or how not in ("inner", "left", "outer")


@settings(max_examples=200, deadline=None)
@given(left=EDGE_KEYS, right=EDGE_KEYS, how=HOWS, null_equal=st.booleans())
def test_keys_at_the_ends_of_int64_match_exactly(left, right, how, null_equal):
    _check_against_nested_loop(left, right, how, null_equal)


def test_the_table_is_direct_addressed_only_when_the_keys_span_few_values():
    def table_of(values):
        keys, valid = _side(values)
        return int_join.build_table((keys, valid))[0].shape[1]
    assert table_of([5, 9, 7]) == 1
    assert table_of([2**63 - 1, 2**63 - 3]) == 1
    assert table_of([-(2**63), 2**63 - 1]) == 2  # a span no array could hold
    assert table_of([None, None]) == 1  # no key: an empty table
    assert table_of(list(range(0, 1 << 30, 1 << 10))) == 2  # 1 Mi rows' worth of span per row


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.tuples(st.one_of(st.none(), st.integers(-2, 2)), st.one_of(st.none(), st.integers(0, 2))),
                     max_size=10),
       other=st.lists(st.tuples(st.one_of(st.none(), st.integers(-2, 2)), st.one_of(st.none(), st.integers(0, 2))),
                      max_size=10),
       null_equal=st.booleans())
def test_packed_keys_match_row_by_row(rows, other, null_equal):
    """Two keys packed into one match exactly when both keys match (NULL = NULL
    only with null_equal, key by key)."""
    left = [_side([r[i] for r in rows]) for i in range(2)]
    right = [_side([r[i] for r in other]) for i in range(2)]
    packed = pack_keys(left, right, null_equal)
    lrows, rrows = int_join_pairs(packed[0], packed[1], "inner", null_equal)

    def equal(a, b):
        return all((x is None and y is None and null_equal) or (x is not None and x == y) for x, y in zip(a, b))
    expected = [(i, j) for i, a in enumerate(rows) for j, b in enumerate(other) if equal(a, b)]
    assert list(zip(lrows.tolist(), rrows.tolist())) == expected


def test_keys_too_wide_to_pack_are_refused_and_non_integers_are_not_taken():
    wide = _side([-(2**62), 2**62])
    assert pack_keys([wide, wide], [wide, wide], False) is None
    assert int_keys(pa.array(["a"])) is None
    assert int_keys(pa.array([2**64 - 1], type=pa.uint64())) is None
    values, valid = int_keys(pa.chunked_array([pa.array([1, None], pa.int32()), pa.array([3], pa.int32())]))
    assert values.tolist()[::2] == [1, 3] and valid.tolist() == [True, False, True]
    days, _ = int_keys(pa.array([2], pa.int32()).cast(pa.date32()))
    assert days.tolist() == [2]


def test_a_small_left_side_is_built_on_and_gives_the_same_pairs_in_order():
    """A left side under half the right's size gets the hash table (the other
    code path); pairs and their order must not change."""
    left = [2, None, 1, 2, 7]
    right = [1, 2, None, 2, 5, 1, 1, 2, 9, 2, 3, None]
    for how in ("inner", "left", "right", "outer", "semi", "anti"):
        for null_equal in (False, True):
            lrows, rrows = int_join_pairs(_side(left), _side(right), how, null_equal)
            expected_l, expected_r = _nested_loop(left, right, how, null_equal)
            assert lrows.tolist() == expected_l, (how, null_equal)
            assert (rrows.tolist() if rrows is not None else None) == expected_r, (how, null_equal)


@settings(max_examples=200, deadline=None)
@given(left=st.lists(st.integers(-3, 3), max_size=12), right=st.lists(st.integers(-3, 3), max_size=12),
       how=st.sampled_from(["inner", "left", "right", "outer", "semi", "anti"]))
def test_sorted_keys_take_the_merge_path_and_give_the_same_pairs(left, right, how):
    left, right = sorted(left), sorted(right)
    lrows, rrows = int_join_pairs(_side(left), _side(right), how, False)
    expected_l, expected_r = _nested_loop(left, right, how, False)
    assert lrows.tolist() == expected_l
    assert (rrows.tolist() if rrows is not None else None) == expected_r


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(-50, 50), max_size=200).map(sorted), key=st.integers(-60, 60),
       bounds=st.tuples(st.integers(0, 200), st.integers(0, 200)))
def test_a_gallop_finds_where_searchsorted_does(values, key, bounds):
    array = np.array(values, np.int64)
    low, high = min(bounds[0], len(values)), min(max(bounds), len(values))
    expected = low + int(np.searchsorted(array[low:high], key, side="left"))
    assert _gallop(array, low, high, key) == expected


@settings(max_examples=200, deadline=None)
@given(left=st.lists(st.integers(0, 60), min_size=40, max_size=300), right=st.lists(st.integers(0, 60), max_size=4),
       spread=st.sampled_from([1, 40]), how=st.sampled_from(["inner", "left", "semi", "anti"]), swap=st.booleans())
def test_a_sparse_side_skips_ahead_and_gives_the_same_pairs(left, right, spread, how, swap):
    """A long side against a few keys, either way round: the skips are long
    (spread out keys) or none (neighbouring keys, runs that touch)."""
    left, right = [v * spread for v in left], [v * spread for v in right]
    left, right = (sorted(right), sorted(left)) if swap else (sorted(left), sorted(right))
    lrows, rrows = int_join_pairs(_side(left), _side(right), how, False)
    expected_l, expected_r = _nested_loop(left, right, how, False)
    assert lrows.tolist() == expected_l
    assert (rrows.tolist() if rrows is not None else None) == expected_r

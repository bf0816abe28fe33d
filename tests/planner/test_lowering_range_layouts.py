"""Partitions that hold ascending key ranges (by statistics) are used where they
are. Range-aligned joins: that side stays and only the other side moves; every
join type must give exactly the hash join's rows, including when a run of equal
keys spans two kept partitions, partitions are empty, keys are NULL or the kept
side is the right one. Range-local aggregations: each partition is grouped on its
own, a group spanning two partitions is finished in one, and the result equals
the shuffled aggregation's."""
from __future__ import annotations

import datetime

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kyudo
from kyudo.planner import logical as L
from kyudo.planner import physical as P
from kyudo.planner import physical_partitioning as PP
from kyudo.planner.compile import compute_table
from kyudo.planner.expr import Call, Col, Lit
from kyudo.planner.lowering import lower
from kyudo.planner.sources import InMemorySource
from kyudo.planner.specs import AggSpec

HOWS = ("inner", "left", "right", "outer", "semi", "anti")


def scan(table: pa.Table, npartitions: int) -> L.Scan:
    return L.Scan(InMemorySource.from_table(table, npartitions))


def rows(table: pa.Table) -> list:
    return sorted(map(repr, table.to_pylist()))


def hash_joined(plan: L.Join) -> pa.Table:
    return compute_table(L.Join(plan.left, plan.right, plan.how, plan.left_on, plan.right_on,
                                condition=plan.condition, strategy="hash"))


@pytest.fixture(autouse=True)
def no_broadcast():
    # tiny tables must count as large: joins not broadcast, aggregations not gathered
    with kyudo.config.set(broadcast_threshold=1, partition_size=1):
        yield


@settings(deadline=None, max_examples=120)
@given(kept=st.lists(st.integers(0, 12), min_size=2, max_size=30).map(sorted),
       moving=st.one_of(st.lists(st.one_of(st.none(), st.integers(-2, 14)), max_size=30),
                        st.lists(st.integers(-2, 14), max_size=30).map(sorted)),
       kept_parts=st.integers(2, 6), moving_parts=st.integers(1, 5),
       how=st.sampled_from(HOWS), kept_on_left=st.booleans())
def test_range_aligned_join_equals_the_hash_join(kept, moving, kept_parts, moving_parts, how, kept_on_left):
    """When the moving side is in key order too, each piece takes only the
    moving partitions whose range meets it; nothing is lost at shared or
    touching boundaries."""
    big = pa.table({"k": pa.array(kept, pa.int64()), "a": list(range(len(kept)))})
    small = pa.table({"m": pa.array(moving, pa.int64()), "b": list(range(len(moving)))})
    left, right = (scan(big, kept_parts), scan(small, moving_parts)) if kept_on_left else \
        (scan(small, moving_parts), scan(big, kept_parts))
    left_on, right_on = (("k",), ("m",)) if kept_on_left else (("m",), ("k",))
    plan = L.Join(left, right, how, left_on, right_on)
    node = lower(plan)
    if isinstance(node, PP.RangeAlignedJoin) and moving and None not in moving and moving == sorted(moving):
        assert node.moving_parts is not None
    assert rows(compute_table(plan)) == rows(hash_joined(plan))


def test_lineitem_like_sides_join_without_moving_the_larger_one():
    lines = pa.table({"order": [1, 1, 3, 3, 3, 5, 6, 6, 7, 8, 9, 9], "qty": list(range(12))})
    orders = pa.table({"o_id": [7, 3, 5, 1, 2, 4, 6, 8, 9], "date": [datetime.date(2024, 1, d) for d in range(1, 10)]})
    plan = L.Join(scan(lines, 4), scan(orders, 2), "inner", ("order",), ("o_id",))
    node = lower(plan)
    assert isinstance(node, PP.RangeAlignedJoin) and node.kept == "left" and node.npartitions == 4
    assert node.cuts == (3, 6, 8)
    assert node.shared == (True, False, False)  # 3 ends one partition and starts the next
    assert rows(compute_table(plan)) == rows(hash_joined(plan))


def test_ranges_survive_renames_filters_and_a_broadcast_probe():
    lines = pa.table({"order": list(range(40)), "part": [i % 3 for i in range(40)]})
    parts = pa.table({"p": [0, 1, 2], "name": ["x", "y", "z"]})
    orders = pa.table({"o_id": list(range(39, -1, -1)), "v": list(range(40))})
    renamed = L.Project(L.Filter(scan(lines, 4), Call("greater", (Col("order"), Lit(3)))),
                        (("l.order", Col("order")), ("l.part", Col("part"))))
    probe = L.Join(renamed, scan(parts, 1), "inner", ("l.part",), ("p",))
    plan = L.Join(probe, scan(orders, 4), "inner", ("l.order",), ("o_id",))
    with kyudo.config.set(broadcast_threshold=200):  # parts is broadcast, orders is not
        with_parts = lower(probe)
        node = lower(plan)
        got = compute_table(plan)
    assert isinstance(with_parts, P.BroadcastJoin)
    assert PP.partition_key_ranges(with_parts, "l.order") == ((0, 9), (10, 19), (20, 29), (30, 39))
    assert isinstance(node, PP.RangeAlignedJoin) and node.kept == "left"
    assert rows(got) == rows(hash_joined(plan))


def test_shared_boundaries_keep_preserved_moving_rows_on_the_hash_join():
    """A right join that keeps the left side would output a moving (right) row
    twice when its key spans two kept partitions: it falls back to a hash join."""
    orders = pa.table({"o_id": [9, 2], "date": [1, 2]})  # not in key order: only lines can stay
    for keys, expected in (([1, 2, 3, 4], PP.RangeAlignedJoin), ([1, 2, 2, 3], P.HashJoin)):
        lines = pa.table({"order": keys, "qty": [1, 2, 3, 4]})
        plan = L.Join(scan(lines, 2), scan(orders, 2), "right", ("order",), ("o_id",))
        assert isinstance(lower(plan), expected)
        assert rows(compute_table(plan)) == rows(hash_joined(plan))


def test_unsorted_or_string_keys_are_hash_joined():
    shuffled = pa.table({"k": [5, 1, 4, 2, 3, 0], "a": list(range(6))})
    other = pa.table({"m": list(range(6)), "b": list(range(6))})
    assert isinstance(lower(L.Join(scan(shuffled, 3), scan(other.take([5, 4, 3, 2, 1, 0]), 3), "inner",
                                   ("k",), ("m",))), P.HashJoin)
    words = pa.table({"k": ["a", "b", "c", "d"], "a": list(range(4))})
    plan = L.Join(scan(words, 2), scan(words.rename_columns(["m", "b"]), 2), "inner", ("k",), ("m",))
    assert isinstance(lower(plan), P.HashJoin)


def grouped(source: L.LogicalPlan, distinct: bool) -> L.LogicalPlan:
    if distinct:
        return L.Distinct(L.Project(source, (("k", Col("k")), ("g", Col("g")))))
    return L.Aggregate(source, ("g", "k"), (AggSpec("s", "sum", "x"), AggSpec("n", "count", "x"),
                                            AggSpec("m", "mean", "x"), AggSpec("rows", "size", None)))


@settings(deadline=None, max_examples=60)
@given(keys=st.lists(st.integers(0, 9), min_size=2, max_size=40).map(sorted),
       values=st.lists(st.one_of(st.none(), st.floats(-5, 5, allow_nan=False)), min_size=40, max_size=40),
       npartitions=st.integers(2, 6), distinct=st.booleans())
def test_range_local_aggregation_equals_the_shuffled_one(keys, values, npartitions, distinct):
    table = pa.table({"k": pa.array(keys, pa.int64()), "g": [i % 2 for i in range(len(keys))],
                      "x": pa.array(values[:len(keys)], pa.float64())})
    plan = grouped(scan(table, npartitions), distinct)
    source = plan.input.input.source if distinct else plan.input.source

    def ascending(column):
        ranges = PP.source_ranges(source, column)
        return ranges is not None and all(a[0] < b[0] for a, b in zip(ranges, ranges[1:]))
    assert isinstance(lower(plan), PP.RangeLocalAggregate) == (ascending("k") or ascending("g"))
    unordered = grouped(scan(table.take(list(range(len(keys)))[::-1]), npartitions), distinct)  # no ranges
    assert not isinstance(lower(unordered), PP.RangeLocalAggregate)
    assert rows(compute_table(plan)) == rows(compute_table(unordered))


def distinct_count(source: L.LogicalPlan) -> L.LogicalPlan:
    """``count_distinct(v)`` per ``k`` as ``distinct_aggregates`` leaves it."""
    pairs = L.Distinct(L.Project(source, (("k", Col("k")), ("v", Col("v")))))
    return L.Aggregate(pairs, ("k",), (AggSpec("n", "count", "v"),))


@settings(deadline=None, max_examples=60)
@given(keys=st.lists(st.integers(0, 9), min_size=2, max_size=40).map(sorted),
       values=st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=40, max_size=40),
       npartitions=st.integers(2, 6))
def test_distinct_counts_where_the_groups_lie_equal_the_counted_distinct_rows(keys, values, npartitions):
    """Counting each group's distinct values in place (one task per partition,
    the rows of a key two partitions share moved to the second) gives what
    counting the shuffled distinct rows gives: NULL values not counted."""
    table = pa.table({"k": pa.array(keys, pa.int64()), "v": pa.array(values[:len(keys)], pa.int64()),
                      "pad": [0.5] * len(keys)})
    plan = distinct_count(scan(table, npartitions))
    node = lower(plan)
    ranges = PP.source_ranges(plan.input.input.input.source, "k")
    ascending = ranges is not None and all(a[0] < b[0] for a, b in zip(ranges, ranges[1:]))
    assert isinstance(node, PP.RangeLocalAggregate) == ascending
    assert not ascending or [a.func for a in node.aggs] == ["count_distinct"]
    unordered = distinct_count(scan(table.take(list(range(len(keys)))[::-1]), npartitions))
    assert not isinstance(lower(unordered), PP.RangeLocalAggregate)
    want = table.to_pandas().groupby("k")["v"].nunique()
    assert rows(compute_table(plan)) == rows(compute_table(unordered)) == sorted(
        repr({"k": k, "n": n}) for k, n in want.items())


def test_a_distinct_count_in_key_ranges_is_one_aggregation():
    lines = pa.table({"k": [1, 1, 2, 2, 2, 3, 4, 4], "v": [5, 5, 6, 7, 6, None, 1, 2]})
    node = lower(distinct_count(scan(lines, 3)))  # [1 1 2] [2 2 3] [4 4]: key 2 spans two
    assert isinstance(node, PP.RangeLocalAggregate) and not isinstance(node.input, PP.RangeLocalAggregate)
    assert sorted(compute_table(distinct_count(scan(lines, 3))).to_pylist(), key=lambda r: r["k"]) == [
        {"k": 1, "n": 1}, {"k": 2, "n": 2}, {"k": 3, "n": 0}, {"k": 4, "n": 2}]


def test_groups_spanning_partitions_are_finished_once_and_joins_above_stay_aligned():
    lines = pa.table({"order": [1, 1, 2, 2, 2, 3, 4, 4], "qty": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]})
    per_order = L.Aggregate(scan(lines, 3), ("order",), (AggSpec("total", "sum", "qty"),))
    node = lower(per_order)  # partitions [1 1 2] [2 2 3] [4 4]: order 2 spans the first two
    assert isinstance(node, PP.RangeLocalAggregate) and node.npartitions == 3
    assert sorted(compute_table(per_order).to_pylist(), key=lambda r: r["order"]) == [
        {"order": 1, "total": 3.0}, {"order": 2, "total": 12.0}, {"order": 3, "total": 6.0},
        {"order": 4, "total": 15.0}]
    orders = pa.table({"o_id": [4, 3, 2, 1], "date": [1, 2, 3, 4]})
    plan = L.Join(per_order, scan(orders, 2), "inner", ("order",), ("o_id",))
    joined = lower(plan)
    got = compute_table(plan)
    assert isinstance(joined, PP.RangeAlignedJoin) and joined.kept == "left"
    assert rows(got) == rows(hash_joined(plan))


def test_keys_of_different_widths_align_only_when_the_moving_side_can_hold_the_cuts():
    wide = pa.table({"k": pa.array([1, 2, 3_000_000_000, 3_000_000_001], pa.int64()), "a": [1, 2, 3, 4]})
    narrow = pa.table({"m": pa.array([2, 1], pa.int32()), "b": [5, 6]})
    onto_narrow = L.Join(scan(wide, 2), scan(narrow, 2), "inner", ("k",), ("m",))
    assert isinstance(lower(onto_narrow), P.HashJoin)  # 3e9 is no int32 cut
    assert rows(compute_table(onto_narrow)) == rows(hash_joined(onto_narrow))
    small = pa.table({"k": pa.array([1, 2, 5, 6], pa.int32()), "a": [1, 2, 3, 4]})
    wider = pa.table({"m": pa.array([6, 1, 5], pa.int64()), "b": [5, 6, 7]})
    onto_wide = L.Join(scan(small, 2), scan(wider, 2), "inner", ("k",), ("m",))
    assert isinstance(lower(onto_wide), PP.RangeAlignedJoin)
    assert rows(compute_table(onto_wide)) == rows(hash_joined(onto_wide))


@settings(deadline=None, max_examples=200)
@given(cuts=st.lists(st.integers(-30, 30), max_size=6, unique=True).map(sorted),
       bounds=st.lists(st.tuples(st.integers(-35, 35), st.integers(0, 10)), max_size=6))
def test_overlapping_parts_match_their_definition(cuts, bounds):
    """Piece j takes moving range m when m's high reaches cuts[j-1] and its low
    is not past cuts[j] (the pieces' ends included: shared keys go to both)."""
    ranges = tuple((low, low + width) for low, width in bounds)
    last = len(cuts)
    expected = tuple(tuple(m for m, (low, high) in enumerate(ranges)
                           if (j == 0 or high >= cuts[j - 1]) and (j == last or low <= cuts[j]))
                     for j in range(last + 1))
    assert PP.overlapping_parts(tuple(cuts), ranges) == expected


def test_overlapping_parts_include_boundaries_and_skip_the_rest():
    # pieces: (-inf, 10], [10, 20], [20, +inf)
    assert PP.overlapping_parts((10, 20), ((0, 5), (5, 10), (10, 10), (11, 30), (31, 40))) == (
        (0, 1, 2), (1, 2, 3), (3, 4))
    assert PP.overlapping_parts((10,), ((0, "a"),)) is None  # bounds that do not compare


def test_a_semi_join_keeps_the_ranges_of_the_side_that_stays():
    """TPC-H Q21's lines semi-joined with other lines stay in order key ranges,
    so the next range-aligned join waits only for neighbouring partitions."""
    lines = pa.table({"order": [i // 3 for i in range(36)], "supp": [i % 4 for i in range(36)]})
    others = pa.table({"o": [i // 6 for i in range(72)], "s": [(i + 1) % 4 for i in range(72)],
                       "pad": [float(i) for i in range(72)]})
    semi = L.Join(scan(lines, 3), scan(others, 4), "semi", ("order",), ("o",),
                  condition=Call("not_equal", (Col("supp"), Col("s"))))
    node = lower(semi)
    assert isinstance(node, PP.RangeAlignedJoin) and node.kept == "right"  # the larger side stays
    assert PP.partition_key_ranges(node, "order") is not None
    plan = L.Join(semi, scan(lines.rename_columns(["o2", "s2"]), 2), "inner", ("order",), ("o2",))
    joined = lower(plan)
    assert isinstance(joined, PP.RangeAlignedJoin) and joined.moving_parts is not None
    assert rows(compute_table(plan)) == rows(hash_joined(plan))


def test_a_side_just_shuffled_moves_onto_fewer_partitions_that_stay():
    """TPC-H Q9: lines joined with partsupp by a hash join, then with orders.
    The hash join's output would be shuffled again by another hash join; moving
    it onto orders' few partitions moves it once and orders not at all."""
    lines = pa.table({"part": [(i * 7) % 10 for i in range(40)], "order": [(i * 3) % 20 for i in range(40)]})
    offers = pa.table({"p": list(range(10)), "cost": [float(i) for i in range(10)]})
    orders = pa.table({"o": list(range(20)), "date": list(range(20))})
    offered = L.Join(scan(lines, 8), scan(offers.take([3, 1, 4, 0, 5, 9, 2, 6, 8, 7]), 8), "inner",
                     ("part",), ("p",))
    plan = L.Join(offered, scan(orders, 3), "inner", ("order",), ("o",))
    node = lower(plan)
    assert isinstance(node.left, P.HashJoin) and node.left.npartitions == 8
    assert isinstance(node, PP.RangeAlignedJoin) and node.kept == "right" and node.npartitions == 3
    assert rows(compute_table(plan)) == rows(hash_joined(plan))
    unshuffled = L.Join(scan(lines, 8), scan(orders, 3), "inner", ("order",), ("o",))
    assert isinstance(lower(unshuffled), P.HashJoin)  # lines would squeeze into 3 partitions

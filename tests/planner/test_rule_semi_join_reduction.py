"""semi_join_reduction: a grouped side of a join is first cut down to the keys the
other side's filtered scan can hold; the join's rows never change."""
from dataclasses import replace

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kyudo.planner.compile import compute_table
from kyudo.planner.expr import Col, call, lit
from kyudo.planner.logical import Aggregate, Join, Project
from kyudo.planner.rules import semi_join_reduction
from kyudo.planner.rules.semi_join_reduction import apply
from kyudo.planner.specs import AggSpec
from reference import rows, table_scan


def lines(keys=None):
    keys = keys if keys is not None else [i % 50 for i in range(500)]
    return table_scan(2, k=keys, q=[float(i % 7) for i in range(len(keys))])


def parts(wanted=(3, 8)):
    scan = table_scan(p=list(range(50)), brand=[f"b{i % 25}" for i in range(50)])
    return replace(scan, predicate=call("is_in", Col("brand"), values=tuple(f"b{w}" for w in wanted)))


def averages(source):
    renamed = Project(source, (("k2", Col("k")), ("q2", Col("q"))))
    return Project(Aggregate(renamed, ("k2",), (AggSpec("avg", "mean", "q2"),)),
                   (("k2", Col("k2")), ("limit", call("multiply", lit(0.2), Col("avg")))))


def q17_like(how="left"):
    outer = Join(lines(), parts(), "inner", ("k",), ("p",))
    return Join(outer, averages(lines()), how, ("p",), ("k2",))


def reduced_input(plan):
    aggregate = plan.right.input
    assert isinstance(aggregate, Aggregate)
    return aggregate.input


def test_the_grouped_side_is_semi_joined_to_the_scan_that_provides_the_keys():
    plan = q17_like()
    after = apply(plan)
    semi = reduced_input(after)
    assert isinstance(semi, Join) and semi.how == "semi" and semi.left_on == ("k2",)
    assert semi.right.input.predicate == parts().predicate  # traced through the inner join to the scan
    assert after.schema == plan.schema
    assert apply(after) == after  # recognised as done
    assert rows(after) == rows(plan)
    assert sorted(compute_table(after).to_pylist(), key=repr) == sorted(compute_table(plan).to_pylist(), key=repr)


def test_nothing_changes_when_it_would_not_pay_or_is_not_allowed():
    everything = parts(wanted=tuple(range(25)))  # every part: no smaller than the lines
    few_lines = lines([i % 50 for i in range(100)])
    big = Join(Join(few_lines, everything, "inner", ("k",), ("p",)), averages(few_lines), "left", ("p",), ("k2",))
    assert apply(big) == big
    preserved = Join(averages(lines()), parts(), "left", ("k2",), ("p",))  # grouped side is preserved
    assert apply(preserved) == preserved
    not_in = Join(parts(), Project(averages(lines()), (("k2", Col("k2")),)), "anti", ("p",), ("k2",),
                  null_aware=True)
    assert apply(not_in) == not_in


def test_an_unfiltered_provider_reduces_nothing_so_nothing_changes():
    """Q15's revenue per supplier joined to every supplier: all the keys a table
    has would keep every group, and the rule once added that semi join again at
    each pass."""
    every_part = table_scan(p=list(range(50)), brand=[f"b{i % 25}" for i in range(50)])
    plan = Join(Join(lines(), every_part, "inner", ("k",), ("p",)), averages(lines()), "left", ("p",), ("k2",))
    assert apply(plan) == plan


def test_a_reduced_aggregation_is_not_reduced_again_by_the_same_provider():
    once = apply(q17_like())
    provider = once.left.right  # the very scan of parts the reduction used
    joined_again = Join(provider, once.right, "inner", ("p",), ("k2",))
    assert apply(joined_again) == joined_again


@settings(max_examples=60, deadline=None)
@given(keys=st.lists(st.one_of(st.none(), st.integers(0, 9)), min_size=0, max_size=40),
       wanted=st.lists(st.integers(0, 12), max_size=4),
       how=st.sampled_from(["inner", "left", "semi", "anti", "right"]))
def test_every_join_type_keeps_its_rows(keys, wanted, how):
    source = table_scan(2, k=pa.array(keys, pa.int64()), q=pa.array([float(i % 5) for i in range(len(keys))], pa.float64()))
    outer = Join(source, parts(wanted), "inner", ("k",), ("p",))
    grouped = averages(source)
    plan = (Join(grouped, outer, how, ("k2",), ("p",)) if how == "right"
            else Join(outer, grouped, how, ("p",), ("k2",)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(semi_join_reduction, "MIN_REDUCTION", 0)  # apply even where it would not pay
        after = apply(plan)
    assert after != plan
    assert rows(after) == rows(plan)


def test_the_provider_is_found_through_the_side_a_key_is_matched_with():
    """Q20's shape: the outer key is all of an unfiltered table's, but only the rows
    semi-joined to the filtered parts come out, so the parts provide it."""
    outer = Join(lines(), parts(), "semi", ("k",), ("p",))
    plan = Join(outer, averages(lines()), "left", ("k",), ("k2",))
    after = apply(plan)
    semi = reduced_input(after)
    assert isinstance(semi, Join) and semi.how == "semi" and semi.right.input.predicate == parts().predicate
    assert rows(after) == rows(plan)
    # A left join's right side does not filter its left side's keys: nothing to trace.
    unfiltered = Join(Join(lines(), parts(), "left", ("k",), ("p",)), averages(lines()), "left", ("k",), ("k2",))
    assert apply(unfiltered) == unfiltered


@settings(max_examples=60, deadline=None)
@given(keys=st.lists(st.one_of(st.none(), st.integers(0, 9)), min_size=0, max_size=40),
       wanted=st.lists(st.integers(0, 12), max_size=4),
       outer_how=st.sampled_from(["inner", "semi"]),
       how=st.sampled_from(["inner", "left", "semi", "anti"]), null_equal=st.booleans())
def test_a_key_traced_through_the_matched_side_keeps_every_row(keys, wanted, outer_how, how, null_equal):
    """Also under pandas' NULL-matches-NULL, with NULLs among the parts too."""
    source = table_scan(2, k=pa.array(keys, pa.int64()), q=pa.array([float(i % 5) for i in range(len(keys))], pa.float64()))
    some_parts = table_scan(p=pa.array([None, *range(50)], pa.int64()), brand=[f"b{i % 25}" for i in range(51)])
    some_parts = replace(some_parts, predicate=call("or", call("is_null", Col("p")),
                                                    call("is_in", Col("brand"), values=tuple(f"b{w}" for w in wanted))))
    outer = Join(source, some_parts, outer_how, ("k",), ("p",), null_equal=null_equal)
    plan = Join(outer, averages(source), how, ("k",), ("k2",), null_equal=null_equal)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(semi_join_reduction, "MIN_REDUCTION", 0)
        after = apply(plan)
    assert after != plan
    # kyudo's own engine: the reference interpreter never matches NULL keys
    assert sorted(compute_table(after).to_pylist(), key=repr) == sorted(compute_table(plan).to_pylist(), key=repr)

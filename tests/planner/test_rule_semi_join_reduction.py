"""semi_join_reduction: a grouped side of a join is first cut down to the keys the
other side's filtered scan can hold; the join's rows never change."""
from dataclasses import replace

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kyudo
from kyudo.planner.compile import compute_table
from kyudo.planner.expr import Col, call, lit
from kyudo.planner.logical import Aggregate, Distinct, Join, Project
from kyudo.planner.lowering import lower
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


def supplier_counts(source):
    """Distinct values per key as ``distinct_aggregates`` leaves nunique: a
    count over the distinct (key, value) rows."""
    pairs = Distinct(Project(source, (("k2", Col("k")), ("q2", Col("q")))))
    return Aggregate(pairs, ("k2",), (AggSpec("n", "count", "q2"),))


def test_a_distinct_count_is_reduced_under_its_distinct_rows():
    """Fewer rows are then deduplicated, not only fewer groups counted."""
    plan = Join(Join(lines(), parts(), "inner", ("k",), ("p",)), supplier_counts(lines()), "inner", ("p",), ("k2",))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(semi_join_reduction, "MIN_REDUCTION", 0)
        after = apply(plan)
    distinct = after.right.input
    assert isinstance(distinct, Distinct)
    assert isinstance(distinct.input, Join) and distinct.input.how == "semi"
    assert rows(after) == rows(plan)


def _physical_nodes(node, seen=None):
    seen = {} if seen is None else seen
    if id(node) not in seen:
        seen[id(node)] = node
        for child in node.children:
            _physical_nodes(child, seen)
    return list(seen.values())


def test_lowering_reduces_by_the_other_side_itself_and_computes_it_once():
    """Between SHARED_MIN_REDUCTION and MIN_REDUCTION, no rule reads the provider
    again, but lowering semi-joins the grouped input to the join's other side:
    that side's node is the one the join reads, so its tasks are shared."""
    plan = Join(Join(lines(), parts(), "inner", ("k",), ("p",)), supplier_counts(lines()), "inner", ("p",), ("k2",))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(semi_join_reduction, "MIN_REDUCTION", 10 ** 9)  # the logical rule never pays
        patch.setattr(semi_join_reduction, "SHARED_MIN_REDUCTION", 0)
        assert apply(plan) == plan
        physical = lower(plan)
        expected = compute_table(plan)
        with kyudo.config.set(optimizer_disabled={"semi_join_reduction"}):
            unreduced = lower(plan)
            assert sorted(compute_table(plan).to_pylist(), key=repr) == sorted(expected.to_pylist(), key=repr)
    semis = [n for n in _physical_nodes(physical) if getattr(n, "how", None) == "semi"]
    assert len(semis) == 1
    assert not [n for n in _physical_nodes(unreduced) if getattr(n, "how", None) == "semi"]
    other_side = physical.left
    assert any(node is other_side for node in _physical_nodes(semis[0].right))
    assert sorted(expected.to_pylist(), key=repr) == sorted(
        (dict(zip(plan.schema.names, r)) for r in rows(plan)), key=repr)


def test_lowering_leaves_a_side_already_reduced_by_the_rule():
    plan = Join(Join(lines(), parts(), "inner", ("k",), ("p",)), supplier_counts(lines()), "inner", ("p",), ("k2",))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(semi_join_reduction, "MIN_REDUCTION", 0)
        patch.setattr(semi_join_reduction, "SHARED_MIN_REDUCTION", 0)
        physical = lower(apply(plan))
    assert len([n for n in _physical_nodes(physical) if getattr(n, "how", None) == "semi"]) == 1

"""merge_global_aggregates: side-by-side whole-input aggregates of the same rows
become one aggregation, with the same output columns and values."""
from kyudo.planner.expr import Col, call, lit
from kyudo.planner.logical import Aggregate, Join, Project
from kyudo.planner.rules.merge_global_aggregates import apply
from kyudo.planner.specs import AggSpec
import kyudo
from kyudo.planner.compile import compute_table
from reference import table_scan


def rows(plan):
    return [tuple(r.values()) for r in compute_table(plan).to_pylist()]


def unmerged(plan):
    """The rows computed with this rule switched off (compute_table optimizes)."""
    with kyudo.config.set(optimizer_disabled=("merge_global_aggregates",)):
        return rows(plan)


def total(rows_plan, expr, func="sum", name="v"):
    return Aggregate(Project(rows_plan, (("x", expr),)), (), (AggSpec(name, func, "x"),))


def side_by_side(left, right):
    return Join(Project(left, (("a", call("multiply", lit(100.0), Col("v"))),)),
                Project(right, (("b", Col("w")),)), "cross", (), ())


def test_two_aggregates_of_the_same_rows_are_computed_together():
    t = table_scan(2, r=[1.0, 2.0, 3.0, None], p=[1, 0, 1, 1])
    plan = Project(side_by_side(total(t, call("multiply", Col("r"), Col("p"))),
                                total(t, Col("r"), name="w")),
                   (("share", call("divide", Col("a"), Col("b"))),))
    after = apply(plan)
    merged = after.input
    assert isinstance(merged, Project) and isinstance(merged.input, Aggregate)
    assert [spec.output for spec in merged.input.aggs] == ["__left_v", "__right_w"]
    assert after.schema == plan.schema
    assert rows(after) == unmerged(plan) == [(400.0 / 6.0,)]
    assert apply(after) == after


def test_different_rows_or_grouped_aggregates_stay_apart():
    t, u = table_scan(r=[1.0, 2.0]), table_scan(r=[5.0])
    different = side_by_side(total(t, Col("r")), total(u, Col("r"), name="w"))
    assert apply(different) == different
    grouped = Aggregate(Project(t, (("x", Col("r")),)), ("x",), (AggSpec("w", "size", None),))
    with_keys = side_by_side(total(t, Col("r")), grouped)
    assert apply(with_keys) == with_keys


def test_other_aggregations():
    t = table_scan(r=[4.0, 1.0, 7.0])
    plan = side_by_side(total(t, Col("r"), "max"), total(t, Col("r"), "count", name="w"))
    assert rows(apply(plan)) == unmerged(plan) == [(700.0, 3)]

import pytest

from kyudo.engine.operators.aggregate import AggSpec
from kyudo.engine.operators.sort import SortKey
from kyudo.planner.expr import call, col, lit
from kyudo.planner.logical import Aggregate, Distinct, Filter, Join, Limit, Project, Sort, Union
from kyudo.planner.rules.limit_pushdown import apply
from reference import rows, table_scan


def scan():
    return table_scan(a=[1, 2, 3, 4, 5], b=[5, 4, 3, 2, 1])


def test_limit_moves_below_a_projection():
    t = scan()
    exprs = (("s", call("add", col("a"), col("b"))),)
    assert apply(Limit(Project(t, exprs), 2, 1)) == Project(Limit(t, 2, 1), exprs)


@pytest.mark.parametrize("outer, inner, merged", [
    ((2, 0), (3, 0), (2, 0)),
    ((5, 0), (3, 0), (3, 0)),
    ((2, 1), (3, 0), (2, 1)),
    ((2, 2), (3, 0), (1, 2)),
    ((2, 5), (3, 0), (0, 5)),
    ((2, 1), (3, 1), (2, 2)),
    ((None, 1), (3, 1), (2, 2)),
    ((2, 1), (None, 1), (2, 2)),
    ((None, 1), (None, 1), (None, 2)),
])
def test_limits_merge(outer, inner, merged):
    t = scan()
    plan = Limit(Limit(t, *inner), *outer)
    assert apply(plan) == Limit(t, *merged)
    assert rows(apply(plan)) == rows(plan)


def test_union_inputs_are_bounded_by_n_plus_offset():
    t, u = scan(), scan()
    swap = (("b", col("b")), ("a", col("a")))
    plan = Limit(Union((t, Project(u, swap))), 2, 3)
    expected = Limit(Union((Limit(t, 5), Project(Limit(u, 5), swap))), 2, 3)
    assert apply(plan) == expected
    assert apply(apply(plan)) == expected


def test_union_input_with_a_smaller_limit_keeps_it():
    t, u = scan(), scan()
    plan = Limit(Union((Limit(t, 1), u)), 3)
    assert apply(plan) == Limit(Union((Limit(t, 1), Limit(u, 3))), 3)


def test_offset_only_limit_does_not_bound_union_inputs():
    t, u = scan(), scan()
    plan = Limit(Union((t, u)), None, 2)
    assert apply(plan) == plan


def test_limit_above_project_above_union_reaches_the_inputs():
    t, u = scan(), scan()
    exprs = (("a", col("a")),)
    plan = Limit(Project(Union((t, u)), exprs), 2)
    assert apply(plan) == Project(Limit(Union((Limit(t, 2), Limit(u, 2))), 2), exprs)


@pytest.mark.parametrize("make", [
    lambda t: Sort(t, (SortKey("a"),)),
    lambda t: Filter(t, call("greater", col("a"), lit(2))),
    lambda t: Aggregate(t, ("a",), (AggSpec("s", "sum", "b"),)),
    lambda t: Join(t, table_scan(k=[1], v=[2]), "inner", ("a",), ("k",)),
    lambda t: Distinct(t),
])
def test_limit_stays_above_order_or_row_dependent_nodes(make):
    plan = Limit(make(scan()), 2)
    assert apply(plan) == plan

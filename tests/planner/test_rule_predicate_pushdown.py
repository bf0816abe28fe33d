from dataclasses import replace

import pyarrow as pa
import pytest

from kyudo.engine.operators.aggregate import AggSpec
from kyudo.engine.operators.sort import SortKey
from kyudo.engine.operators.window import WindowFunction
from kyudo.planner.expr import call, col, conjoin, lit
from kyudo.planner.logical import (Aggregate, Distinct, Filter, Join, Limit, MapPartitions, Project,
                                   Sort, Union, Window)
from kyudo.planner.rules.predicate_pushdown import apply
from reference import table_scan


def left():
    return table_scan(a=[1, 2, 3], b=[4, 5, 6])


def right():
    return table_scan(k=[1, 2, 4], v=[10, 20, 40])


def gt(name, value):
    return call("greater", col(name), lit(value))


def scanned(scan, *predicates):
    return replace(scan, predicate=conjoin(list(predicates)))


def test_filter_merges_into_scan_predicate_after_the_existing_one():
    t = left()
    plan = Filter(scanned(t, gt("a", 0)), call("and", gt("b", 4), gt("a", 1)))
    assert apply(plan) == scanned(t, gt("a", 0), gt("b", 4), gt("a", 1))


def test_through_project_rewrites_column_references():
    t = left()
    project = Project(t, (("x", call("add", col("a"), col("b"))), ("b", col("b"))))
    plan = Filter(project, call("and", gt("x", 5), gt("b", 4)))
    rewritten = call("greater", call("add", col("a"), col("b")), lit(5))
    expected = Project(scanned(t, rewritten, gt("b", 4)), project.exprs)
    assert apply(plan) == expected


@pytest.fixture
def random_function(monkeypatch):
    """Let plans call an opaque ``random()`` (not in the catalog, so non-deterministic)."""
    import kyudo.planner.types as types

    infer_type = types.infer_type
    monkeypatch.setattr(types, "infer_type", lambda expr, schema: pa.float64()
                        if getattr(expr, "op", None) == "random" else infer_type(expr, schema))


def test_not_through_a_non_deterministic_projection(random_function):
    t = left()
    project = Project(t, (("r", call("random")), ("a", col("a"))))
    plan = Filter(project, call("and", gt("r", 0.5), gt("a", 1)))
    assert apply(plan) == Filter(Project(scanned(t, gt("a", 1)), project.exprs), gt("r", 0.5))


def test_non_deterministic_conjunct_stays_in_place():
    t = left()
    noisy = call("less", call("random"), lit(0.5))
    plan = Filter(Sort(t, (SortKey("a"),)), call("and", noisy, gt("a", 1)))
    assert apply(plan) == Filter(Sort(scanned(t, gt("a", 1)), (SortKey("a"),)), noisy)


def test_through_sort_and_distinct():
    t = left()
    plan = Filter(Distinct(Sort(t, (SortKey("a"),))), gt("a", 1))
    assert apply(plan) == Distinct(Sort(scanned(t, gt("a", 1)), (SortKey("a"),)))


def test_never_through_limit_but_the_filter_below_still_moves():
    t = left()
    plan = Filter(Limit(Filter(Project(t, (("a", col("a")),)), gt("a", 0)), 2), gt("a", 1))
    expected = Filter(Limit(Project(scanned(t, gt("a", 0)), (("a", col("a")),)), 2), gt("a", 1))
    assert apply(plan) == expected


def test_never_through_map_partitions():
    t = left()
    mapped = MapPartitions(Filter(t, gt("b", 0)), lambda x: x, t.schema, token="id")
    plan = Filter(mapped, gt("a", 1))
    below = MapPartitions(scanned(t, gt("b", 0)), mapped.func, t.schema, token="id")
    assert apply(plan) == Filter(below, gt("a", 1))


def test_into_every_union_input():
    t1, t2 = left(), table_scan(b=[7], a=[8])
    plan = Filter(Union((t1, t2)), gt("a", 1))
    assert apply(plan) == Union((scanned(t1, gt("a", 1)), scanned(t2, gt("a", 1))))


def test_aggregate_passes_only_conjuncts_on_group_keys():
    t = left()
    agg = Aggregate(t, ("a",), (AggSpec("s", "sum", "b"),))
    plan = Filter(agg, call("and", gt("a", 1), gt("s", 4)))
    assert apply(plan) == Filter(replace(agg, input=scanned(t, gt("a", 1))), gt("s", 4))


def test_constant_false_is_not_pushed_below_a_global_aggregate():
    # A global aggregate of no rows is still one row (count = 0).
    t = left()
    plan = Filter(Aggregate(t, (), (AggSpec("n", "size", None),)), lit(False))
    assert apply(plan) == plan


def both_sides():
    return call("and", call("and", gt("a", 1), gt("v", 10)), call("greater", col("b"), col("v")))


@pytest.mark.parametrize("how, to_left, to_right", [
    ("inner", True, True),
    ("left", True, False),
    ("right", False, True),
    ("outer", False, False),
])
def test_join_sides_by_type(how, to_left, to_right):
    t, u = left(), right()
    plan = Filter(Join(t, u, how, ("a",), ("k",)), both_sides())
    stuck = [] if to_left else [gt("a", 1)]
    stuck += [] if to_right else [gt("v", 10)]
    stuck.append(call("greater", col("b"), col("v")))
    expected = Join(scanned(t, gt("a", 1)) if to_left else t,
                    scanned(u, gt("v", 10)) if to_right else u, how, ("a",), ("k",))
    assert apply(plan) == Filter(expected, conjoin(stuck))


@pytest.mark.parametrize("how", ["semi", "anti"])
def test_semi_and_anti_joins_pass_everything_left(how):
    t, u = left(), right()
    plan = Filter(Join(t, u, how, ("a",), ("k",)), call("and", gt("a", 1), gt("b", 4)))
    assert apply(plan) == Join(scanned(t, gt("a", 1), gt("b", 4)), u, how, ("a",), ("k",))


def test_filters_inside_both_join_inputs_reach_their_scans():
    t, u = left(), right()
    plan = Join(Filter(t, gt("a", 1)), Filter(u, gt("v", 1)), "inner", ("a",), ("k",))
    expected = Join(scanned(t, gt("a", 1)), scanned(u, gt("v", 1)), "inner", ("a",), ("k",))
    assert apply(plan) == expected


def test_plan_without_filters_is_unchanged():
    t = left()
    plan = Sort(Project(t, (("a", col("a")),)), (SortKey("a"),))
    assert apply(plan) == plan


def test_schema_is_preserved():
    t = left()
    plan = Filter(Project(t, (("x", col("a")),)), gt("x", 1))
    assert apply(plan).schema == pa.schema([("x", pa.int64())])


def lt(name, value):
    return call("less", col(name), lit(value))


@pytest.mark.parametrize("how, to_left, to_right", [
    ("inner", True, True),
    ("left", False, True),
    ("right", True, False),
    ("outer", False, False),
    ("semi", True, True),
    ("anti", False, True),
])
def test_join_condition_conjuncts_move_unless_that_side_is_preserved(how, to_left, to_right):
    t, u = left(), right()
    cross = call("less", col("b"), col("v"))
    plan = Join(t, u, how, ("a",), ("k",), condition=conjoin([lt("b", 6), lt("v", 30), cross]))
    kept = [] if to_left else [lt("b", 6)]
    kept += [] if to_right else [lt("v", 30)]
    expected = Join(scanned(t, lt("b", 6)) if to_left else t,
                    scanned(u, lt("v", 30)) if to_right else u, how, ("a",), ("k",),
                    condition=conjoin(kept + [cross]))
    assert apply(plan) == expected


def test_join_condition_that_moves_entirely_is_dropped():
    t, u = left(), right()
    plan = Join(t, u, "left", ("a",), ("k",), condition=lt("v", 30))
    assert apply(plan) == Join(t, scanned(u, lt("v", 30)), "left", ("a",), ("k",))


def test_semi_join_condition_on_a_name_both_sides_have_stays():
    t, u = left(), table_scan(k=[1, 2], b=[1, 9])
    plan = Join(t, u, "semi", ("a",), ("k",), condition=lt("b", 6))
    assert apply(plan) == plan


def test_window_passes_conjuncts_on_partition_keys_only():
    t = left()
    window = Window(t, ("a",), (SortKey("b"),), (WindowFunction("r", "row_number"),))
    plan = Filter(window, call("and", gt("a", 1), gt("r", 1)))
    assert apply(plan) == Filter(replace(window, input=scanned(t, gt("a", 1))), gt("r", 1))
    plan = Filter(replace(window, partition_by=()), gt("a", 1))
    assert apply(plan) == plan


# ---- filters implied by an OR that reads both sides of a join -----------------------

def eq(name, value):
    return call("equal", col(name), lit(value))


def both(a, b):
    return call("and", a, b)


def either(a, b):
    return call("or", a, b)


def test_an_or_of_per_side_branches_implies_a_filter_on_each_side():
    """TPC-H Q7: (a=1 AND v=20) OR (a=2 AND v=10) keeps the join's output, and each
    side is first cut down to the values its branches allow."""
    t, u = left(), right()
    crossing = either(both(eq("a", 1), eq("v", 20)), both(eq("a", 2), eq("v", 10)))
    plan = Filter(Join(t, u, "inner", ("a",), ("k",)), crossing)
    expected = Filter(Join(scanned(t, either(eq("a", 1), eq("a", 2))),
                           scanned(u, either(eq("v", 20), eq("v", 10))), "inner", ("a",), ("k",)), crossing)
    assert apply(plan) == expected
    assert apply(apply(plan)) == expected  # derived again, not added twice


def test_a_branch_without_a_side_implies_nothing_for_it():
    t, u = left(), right()
    crossing = either(both(eq("a", 1), eq("v", 20)), eq("a", 3))
    plan = Filter(Join(t, u, "inner", ("a",), ("k",)), crossing)
    expected = Filter(Join(scanned(t, either(eq("a", 1), eq("a", 3))), u, "inner", ("a",), ("k",)), crossing)
    assert apply(plan) == expected


def test_a_nested_or_inside_a_branch_is_reduced_too():
    t, u = left(), right()
    inner = either(both(eq("a", 1), eq("v", 10)), both(eq("a", 2), eq("v", 20)))
    crossing = either(both(gt("b", 4), inner), both(eq("a", 3), eq("v", 40)))
    plan = Filter(Join(t, u, "inner", ("a",), ("k",)), crossing)
    implied_left = either(both(gt("b", 4), either(eq("a", 1), eq("a", 2))), eq("a", 3))
    implied_right = either(either(eq("v", 10), eq("v", 20)), eq("v", 40))
    assert apply(plan) == Filter(Join(scanned(t, implied_left), scanned(u, implied_right), "inner",
                                      ("a",), ("k",)), crossing)


def test_the_preserved_side_of_an_outer_join_gets_no_implied_filter():
    t, u = left(), right()
    crossing = either(both(eq("a", 1), eq("v", 20)), both(eq("a", 2), eq("v", 10)))
    in_condition = Join(t, u, "left", ("a",), ("k",), condition=crossing)
    assert apply(in_condition) == Join(t, scanned(u, either(eq("v", 20), eq("v", 10))), "left",
                                       ("a",), ("k",), condition=crossing)
    above = Filter(Join(t, u, "left", ("a",), ("k",)), crossing)
    assert apply(above) == Filter(Join(scanned(t, either(eq("a", 1), eq("a", 2))), u, "left", ("a",), ("k",)),
                                  crossing)

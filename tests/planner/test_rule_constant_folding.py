from dataclasses import replace

import pyarrow as pa

from kyudo.planner.expr import call, col, lit
from kyudo.planner.logical import Filter, Join, Project
from kyudo.planner.rules.constant_folding import apply
from reference import rows, table_scan


def scan():
    return table_scan(a=[1, 2, 3], b=[4, 5, 6])


def test_filter_predicate_is_folded():
    t = scan()
    plan = Filter(t, call("greater", col("a"), call("add", lit(1), lit(1))))
    assert apply(plan) == Filter(t, call("greater", col("a"), lit(2, pa.int64())))
    assert rows(apply(plan)) == rows(plan) == [(3, 6)]


def test_filter_that_folds_to_true_is_removed():
    t = scan()
    assert apply(Filter(t, call("less", lit(1), lit(2)))) == t
    assert apply(Filter(t, call("or", call("greater", col("a"), lit(1)), lit(True)))) == t


def test_filter_that_folds_to_false_or_null_stays():
    t = scan()
    assert apply(Filter(t, call("greater", lit(1), lit(2)))) == Filter(t, lit(False, pa.bool_()))
    folded = apply(Filter(t, call("greater", lit(None, pa.int64()), lit(2))))
    assert folded == Filter(t, lit(None, pa.bool_()))
    assert rows(folded) == []


def test_projection_is_folded_and_keeps_its_types():
    t = scan()
    plan = Project(t, (("x", call("multiply", col("a"), call("add", lit(2), lit(3)))),
                       ("y", call("add", lit(1), lit(0.5)))))
    folded = apply(plan)
    assert folded == Project(t, (("x", call("multiply", col("a"), lit(5, pa.int64()))),
                                 ("y", lit(1.5, pa.float64()))))
    assert folded.schema == plan.schema
    assert rows(folded) == rows(plan)


def test_scan_predicate_is_folded_and_dropped_when_true():
    t = scan()
    plan = replace(t, predicate=call("greater", col("a"), call("negate", lit(1))))
    assert apply(plan) == replace(t, predicate=call("greater", col("a"), lit(-1, pa.int64())))
    assert apply(replace(t, predicate=call("equal", lit(1), lit(1)))) == t


def test_folding_reaches_filters_below_other_nodes():
    t, u = scan(), table_scan(k=[1], v=[2])
    plan = Join(Filter(t, call("less", lit(1), lit(2))), u, "inner", ("a",), ("k",))
    assert apply(plan) == Join(t, u, "inner", ("a",), ("k",))


def test_plan_without_constants_is_the_same_object():
    t = scan()
    plan = Filter(Project(t, (("a", col("a")),)), call("greater", col("a"), lit(1)))
    assert apply(plan) is plan


def test_join_condition_is_folded_and_dropped_when_true():
    t, u = scan(), table_scan(k=[1], v=[2])
    condition = call("less", col("b"), call("add", col("v"), call("multiply", lit(2), lit(3))))
    plan = Join(t, u, "left", ("a",), ("k",), condition=condition)
    folded = call("less", col("b"), call("add", col("v"), lit(6, pa.int64())))
    assert apply(plan) == Join(t, u, "left", ("a",), ("k",), condition=folded)
    always = call("or", call("is_null", col("v")), call("less", lit(0), lit(1)))
    plan = Join(t, u, "left", ("a",), ("k",), condition=always)
    assert apply(plan) == Join(t, u, "left", ("a",), ("k",))

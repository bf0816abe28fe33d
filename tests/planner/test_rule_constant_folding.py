from dataclasses import replace

import pyarrow as pa

from kyudo.planner.expr import Call, call, col, lit
from kyudo.planner.logical import Filter, Join, Project, Scan
from kyudo.planner.sources import InMemorySource
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


def required_scan():
    """A scan whose "a" is declared non-nullable (a Parquet REQUIRED column) and
    whose "b" may hold NULLs."""
    table = pa.table({"a": [1, 2, 3], "b": [4, None, 6]},
                     schema=pa.schema([pa.field("a", pa.int64(), nullable=False),
                                       pa.field("b", pa.int64())]))
    return Scan(InMemorySource.from_table(table, 1))


def test_null_tests_of_a_non_nullable_column_are_constants():
    t = required_scan()
    assert apply(Filter(t, call("is_not_null", col("a")))) == t
    kept_b = call("is_not_null", col("b"))
    assert apply(Filter(t, call("and", call("is_not_null", col("a")), kept_b))) == Filter(t, kept_b)
    folded = apply(Filter(t, call("is_null", col("a"))))
    assert folded == Filter(t, lit(False, pa.bool_()))
    assert rows(folded) == []
    assert rows(apply(Filter(t, kept_b))) == [(1, 4), (3, 6)]


def test_null_tests_fold_in_scan_predicates_on_columns_the_scan_does_not_output():
    t = replace(required_scan(), columns=("b",))
    assert apply(replace(t, predicate=call("is_not_null", col("a")))) == t
    kept = replace(t, predicate=call("is_not_null", col("b")))
    assert apply(kept) is kept


def test_null_tests_with_options_or_of_expressions_are_not_folded():
    t = Scan(InMemorySource.from_table(
        pa.table({"x": [1.0, float("nan")]}, schema=pa.schema([pa.field("x", pa.float64(), nullable=False)])), 1))
    nan_is_null = Filter(t, Call("is_null", (col("x"),), (("nan_is_null", True),)))
    assert apply(nan_is_null) is nan_is_null
    of_expression = Filter(t, call("is_not_null", call("nan_to_null", col("x"))))
    assert apply(of_expression) is of_expression
    assert rows(of_expression) == [(1.0,)]


def test_null_tests_of_expressions_that_cannot_be_null_are_constants():
    table = pa.table({"d": pa.array([0, 400], pa.date32()), "n": pa.array([1, None], pa.int64()),
                      "f": [1.0, 0.0]},
                     schema=pa.schema([pa.field("d", pa.date32(), nullable=False), pa.field("n", pa.int64()),
                                       pa.field("f", pa.float64(), nullable=False)]))
    t = Scan(InMemorySource.from_table(table, 1))
    year_plus_one = call("add", call("year", col("d")), lit(1))
    assert apply(Filter(t, call("is_not_null", year_plus_one))) == t
    assert apply(Filter(t, call("is_null", call("less", col("f"), lit(2.0))))) == Filter(t, lit(False, pa.bool_()))
    # NULL from a nullable column, a NULL literal, or NaN made NULL; and a
    # division, which gives NULL for a decimal zero divisor: kept
    for kept, survivors in ((call("add", call("year", col("d")), col("n")), 1),
                            (call("add", col("f"), lit(None, pa.float64())), 0),
                            (call("nan_to_null", call("divide", col("f"), col("f"))), 1),
                            (call("divide", col("f"), col("f")), 2)):
        plan = Filter(t, call("is_not_null", kept))
        assert apply(plan) is plan
        assert len(rows(plan)) == survivors

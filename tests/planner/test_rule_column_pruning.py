from dataclasses import replace

import pyarrow as pa

from kyudo.engine.operators.aggregate import AggSpec
from kyudo.engine.operators.sort import SortKey
from kyudo.engine.operators.window import WindowFunction
from kyudo.planner.expr import call, col, lit
from kyudo.planner.logical import (Aggregate, Distinct, Filter, Join, Limit, MapPartitions, Project,
                                   Sort, Union, Window)
from kyudo.planner.rules.column_pruning import apply
from reference import rows, table_scan


def wide():
    return table_scan(a=[1, 2, 3], b=[4, 5, 6], c=[7, 8, 9], d=[0, 1, 0])


def cols(scan, *names):
    return replace(scan, columns=names)


def pick(plan, *names):
    return Project(plan, tuple((n, col(n)) for n in names))


def gt(name, value):
    return call("greater", col(name), lit(value))


def test_scan_reads_only_projected_columns_in_source_order():
    t = wide()
    plan = Project(t, (("x", col("c")), ("y", col("a"))))
    assert apply(plan) == Project(cols(t, "a", "c"), plan.exprs)


def test_root_scan_and_full_use_are_unchanged():
    t = wide()
    assert apply(t) is t
    plan = Project(t, (("s", call("add", col("a"), col("b"))), ("c", col("c")), ("d", col("d"))))
    assert apply(plan) == plan


def test_filter_columns_are_read_but_the_scan_predicate_columns_are_not_output():
    t = wide()
    plan = pick(Filter(replace(t, predicate=gt("d", 0)), gt("b", 4)), "a")
    expected = pick(Filter(replace(t, columns=("a", "b"), predicate=gt("d", 0)), gt("b", 4)), "a")
    assert apply(plan) == expected
    assert rows(apply(plan)) == rows(plan) == [(2,)]


def test_unused_projection_outputs_are_dropped_below_the_root():
    t = wide()
    inner = Project(t, (("s", call("add", col("a"), col("b"))), ("c", col("c")), ("d", col("d"))))
    plan = pick(inner, "c")
    assert apply(plan) == pick(Project(cols(t, "c"), (("c", col("c")),)), "c")


def test_aggregate_keeps_keys_and_needed_aggregations():
    t = wide()
    agg = Aggregate(t, ("a",), (AggSpec("sb", "sum", "b"), AggSpec("mc", "max", "c")))
    plan = pick(agg, "a", "mc")
    expected = pick(Aggregate(cols(t, "a", "c"), ("a",), (AggSpec("mc", "max", "c"),)), "a", "mc")
    assert apply(plan) == expected
    assert rows(apply(plan)) == rows(plan)


def test_global_count_keeps_one_column_and_one_aggregation():
    t = wide()
    agg = Aggregate(t, (), (AggSpec("n", "size", None), AggSpec("s", "sum", "b")))
    plan = pick(agg, "n")
    assert apply(plan) == pick(Aggregate(cols(t, "a"), (), (AggSpec("n", "size", None),)), "n")
    assert rows(apply(plan)) == [(3,)]


def test_nothing_needed_from_a_global_aggregate_keeps_its_first_aggregation():
    t = wide()
    agg = Aggregate(t, (), (AggSpec("s", "sum", "b"), AggSpec("m", "max", "c")))
    plan = Project(agg, (("one", lit(1)),))
    expected = Project(Aggregate(cols(t, "b"), (), (AggSpec("s", "sum", "b"),)), plan.exprs)
    assert apply(plan) == expected


def test_sort_and_limit_keep_their_key_columns():
    t = wide()
    plan = pick(Limit(Sort(t, (SortKey("d"),)), 2), "a")
    assert apply(plan) == pick(Limit(Sort(cols(t, "a", "d"), (SortKey("d"),)), 2), "a")


def test_join_keeps_keys_and_needed_columns_per_side():
    t, u = wide(), table_scan(k=[1, 2], v=[10, 20], w=[0, 0])
    plan = pick(Join(t, u, "inner", ("a",), ("k",)), "b", "v")
    expected = pick(Join(cols(t, "a", "b"), cols(u, "k", "v"), "inner", ("a",), ("k",)), "b", "v")
    assert apply(plan) == expected
    assert rows(apply(plan)) == rows(plan)


def test_semi_join_reads_only_the_keys_of_the_right_side():
    # Semi join inputs may share names; the right "b" must not be kept for the left "b".
    t, u = wide(), table_scan(k=[1, 2], b=[10, 20])
    plan = pick(Join(t, u, "semi", ("a",), ("k",)), "b")
    assert apply(plan) == pick(Join(cols(t, "a", "b"), cols(u, "k"), "semi", ("a",), ("k",)), "b")


def test_distinct_needs_every_input_column():
    t = wide()
    plan = pick(Distinct(pick(t, "a", "d")), "d")
    assert apply(plan) == pick(Distinct(pick(cols(t, "a", "d"), "a", "d")), "d")


def test_map_partitions_needs_every_input_column():
    t = wide()
    mapped = MapPartitions(pick(t, "a", "b"), lambda x: x.select(["a"]),
                           pa.schema([("a", pa.int64())]), token="f")
    assert apply(mapped) == MapPartitions(pick(cols(t, "a", "b"), "a", "b"), mapped.func,
                                          mapped.output_schema, token="f")


def test_union_inputs_are_pruned_to_the_same_columns():
    t, u = wide(), table_scan(d=[5], c=[6], b=[7], a=[8])
    plan = pick(Union((Filter(t, gt("d", 0)), u)), "b")
    expected = pick(Union((pick(Filter(cols(t, "b", "d"), gt("d", 0)), "b"), cols(u, "b"))), "b")
    assert apply(plan) == expected
    assert rows(apply(plan)) == rows(plan)


def test_root_schema_never_changes():
    t = wide()
    plan = Filter(Sort(t, (SortKey("b"),)), gt("c", 7))
    assert apply(plan) == plan
    assert apply(plan).schema == plan.schema


def test_join_keeps_condition_columns_of_both_sides():
    t, u = wide(), table_scan(k=[1, 2], v=[10, 20], w=[0, 5])
    condition = call("less", col("c"), call("add", col("w"), lit(5)))
    plan = pick(Join(t, u, "left", ("a",), ("k",), condition=condition), "b")
    expected = pick(Join(cols(t, "a", "b", "c"), cols(u, "k", "w"), "left", ("a",), ("k",),
                         condition=condition), "b")
    assert apply(plan) == expected
    assert rows(apply(plan)) == rows(plan)


def test_window_drops_unneeded_functions_and_keeps_its_columns():
    t = wide()
    window = Window(t, ("a",), (SortKey("b"),),
                    (WindowFunction("r", "row_number"), WindowFunction("s", "sum", "c")))
    plan = pick(window, "d", "r")
    expected = pick(Window(cols(t, "a", "b", "d"), ("a",), (SortKey("b"),),
                           (WindowFunction("r", "row_number"),)), "d", "r")
    assert apply(plan) == expected


def test_window_without_needed_functions_goes_away():
    t = wide()
    window = Window(t, ("a",), (SortKey("b"),), (WindowFunction("r", "row_number"),))
    assert apply(pick(window, "d")) == pick(cols(t, "d"), "d")

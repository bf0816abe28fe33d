"""eliminate_sorts: stacked sorts merge; sorts nobody can observe disappear."""
from __future__ import annotations

import pyarrow as pa

from kyudo.engine.operators.aggregate import AggSpec
from kyudo.engine.operators.sort import SortKey
from kyudo.planner.compile import compute_table
from kyudo.planner.expr import call, col, lit
from kyudo.planner.logical import Aggregate, Filter, Join, Limit, Project, Scan, Sort
from kyudo.planner.rules.eliminate_sorts import apply
from kyudo.planner.sources import InMemorySource

T = Scan(InMemorySource.from_table(pa.table({"a": [3, 1, 2, 1], "b": [1, 2, 3, 4]}), 2))
U = Scan(InMemorySource.from_table(pa.table({"k": [1, 2, 3], "v": ["x", "y", "z"]})))
A_DESC, B_ASC = SortKey("a", ascending=False), SortKey("b")


def test_sort_over_sort_merges_keys_outer_first():
    plan = Sort(Sort(T, (B_ASC,)), (A_DESC,))
    assert apply(plan) == Sort(T, (A_DESC, B_ASC))


def test_merged_sort_gives_the_same_rows_as_two_stable_sorts():
    plan = Sort(Sort(T, (B_ASC,)), (SortKey("a"),))
    assert compute_table(apply(plan)).to_pylist() == compute_table(plan).to_pylist()


def test_sorts_apart_by_projects_and_filters_merge_under_the_projected_names():
    """groupby's sorted keys, reset_index, sort_values: one sort, whose
    tie-breaks are the inner keys under the names the projection gives them."""
    t = Scan(InMemorySource.from_table(pa.table({"a": [3, 1, 2, 1, 2, 3], "b": [1, 2, 3, 4, 2, 1],
                                                 "c": [5, 6, 5, 6, 5, 6]}), 3))
    projected = Project(Filter(Sort(t, (B_ASC, SortKey("c", ascending=False))), call("greater", col("b"), lit(0))),
                        (("x", col("a")), ("bb", col("b")), ("c", col("c"))))
    plan = Sort(projected, (SortKey("x"),))
    merged = apply(plan)
    assert merged == Sort(Project(Filter(t, call("greater", col("b"), lit(0))),
                                  (("x", col("a")), ("bb", col("b")), ("c", col("c")))),
                          (SortKey("x"), SortKey("bb"), SortKey("c", ascending=False)))
    assert compute_table(merged).to_pylist() == compute_table(plan).to_pylist()


def test_sorts_stay_apart_when_a_projection_drops_an_inner_key():
    plan = Sort(Project(Sort(T, (B_ASC,)), (("a", col("a")),)), (SortKey("a"),))
    assert apply(plan) == plan
    computed = Sort(Project(Sort(T, (B_ASC,)), (("a", col("a")), ("b", call("negate", col("b"))))), (SortKey("a"),))
    assert apply(computed) == computed


def test_sort_under_a_join_is_dropped_through_projects_and_filters():
    sorted_side = Filter(Project(Sort(T, (A_DESC,)), (("a", col("a")),)), call("greater", col("a"), lit(1)))
    plan = Join(sorted_side, U, "inner", ("a",), ("k",))
    expected = Join(Filter(Project(T, (("a", col("a")),)), call("greater", col("a"), lit(1))), U,
                    "inner", ("a",), ("k",))
    assert apply(plan) == expected


def test_sort_under_an_order_insensitive_aggregate_is_dropped():
    plan = Aggregate(Sort(T, (A_DESC,)), ("a",), (AggSpec("s", "sum", "b"),))
    assert apply(plan) == Aggregate(T, ("a",), (AggSpec("s", "sum", "b"),))


def test_sort_under_first_or_last_is_kept():
    plan = Aggregate(Sort(T, (A_DESC,)), (), (AggSpec("f", "first", "b"),))
    assert apply(plan) == plan


def test_sort_under_a_limit_is_kept():
    plan = Join(Limit(Sort(T, (A_DESC,)), 2), U, "inner", ("a",), ("k",))
    assert apply(plan) == plan

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

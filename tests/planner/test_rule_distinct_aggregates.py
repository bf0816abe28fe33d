"""count_distinct becomes a count over deduplicated rows: same answers (NULL
values not counted, NULL keys a group of their own), other aggregations kept."""
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from kyudo.planner.compile import compute_table
from kyudo.planner.logical import Aggregate, Distinct, Project
from kyudo.planner.rules.distinct_aggregates import apply
from kyudo.planner.specs import AggSpec
from reference import table_scan


def _sorted_rows(table: pa.Table) -> list:
    return sorted(table.to_pylist(), key=lambda row: [(v is None, v) for v in row.values()])


def test_a_count_distinct_aggregation_is_rewritten_into_distinct_then_count():
    t = table_scan(k=[1, 1, 2], x=[5, 5, 6], y=[0.5, 1.5, 2.5])
    plan = Aggregate(t, ("k",), (AggSpec("n", "count_distinct", "x"), AggSpec("m", "count_distinct", "x")))
    rewritten = apply(plan)
    assert isinstance(rewritten, Aggregate) and [a.func for a in rewritten.aggs] == ["count", "count"]
    assert isinstance(rewritten.input, Distinct) and isinstance(rewritten.input.input, Project)
    assert rewritten.input.schema.names == ["k", "x"]
    assert rewritten.schema == plan.schema
    assert apply(rewritten) == rewritten  # idempotent


def test_mixed_aggregations_other_columns_and_distinct_keys_are_left_alone():
    t = table_scan(k=[1, 1, 2], x=[5, 5, 6], y=[0.5, 1.5, 2.5])
    for aggs in ((AggSpec("n", "count_distinct", "x"), AggSpec("s", "sum", "y")),
                 (AggSpec("n", "count_distinct", "x"), AggSpec("m", "count_distinct", "y")),
                 (AggSpec("n", "count_distinct", "k"),)):
        plan = Aggregate(t, ("k",), aggs)
        assert apply(plan) == plan


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 3)), st.one_of(st.none(), st.integers(0, 4))),
                     max_size=30),
       keyed=st.booleans(), npartitions=st.integers(1, 4))
def test_answers_equal_the_direct_count_distinct(rows, keyed, npartitions):
    t = table_scan(npartitions=npartitions, k=pa.array([r[0] for r in rows], pa.int64()),
                   x=pa.array([r[1] for r in rows], pa.int64()))
    plan = Aggregate(t, ("k",) if keyed else (), (AggSpec("n", "count_distinct", "x"),))
    assert _sorted_rows(compute_table(apply(plan))) == _sorted_rows(compute_table(plan))

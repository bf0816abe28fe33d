"""semi_join_from_distinct: an inner join with the distinct keys of another table
(a pandas merge written for EXISTS) becomes a semi join on that table's rows,
with the same rows in the same order."""
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kyudo.planner.compile import compute_table
from kyudo.planner.expr import Col, call, lit
from kyudo.planner.logical import Aggregate, Distinct, Join, Project
from kyudo.planner.rules.semi_join_from_distinct import apply
from kyudo.planner.specs import AggSpec
from reference import rows, table_scan


def orders(keys=(1, 2, 3, 4, None), kind=pa.int64()):
    return table_scan(2, o=pa.array(list(keys), kind), pri=pa.array([f"p{i}" for i in range(len(keys))]))


def lines(keys=(2, 2, 4, 4, 4, 9, None), kind=pa.int64()):
    return table_scan(3, l=pa.array(list(keys), kind), q=pa.array([float(i) for i in range(len(keys))]))


def distinct_keys(source):
    return Aggregate(source, ("l",), ())


def test_an_inner_join_with_grouped_keys_becomes_a_semi_join_on_the_rows():
    source = lines()
    plan = Join(orders(), distinct_keys(source), "inner", ("o",), ("l",))
    after = apply(plan)
    assert isinstance(after, Project) and isinstance(after.input, Join)
    semi = after.input
    assert semi.how == "semi" and semi.right is source
    assert after.schema.names == plan.schema.names
    assert compute_table(after).to_pylist() == compute_table(plan).to_pylist()


def test_a_distinct_of_just_the_keys_counts_too():
    only_keys = Distinct(Project(lines(), (("l", Col("l")),)))
    plan = Join(orders(), only_keys, "inner", ("o",), ("l",), null_equal=True)
    after = apply(plan)
    assert after.input.how == "semi" and after.input.null_equal
    assert compute_table(after).to_pylist() == compute_table(plan).to_pylist()


def test_nothing_changes_unless_the_right_side_is_exactly_the_distinct_keys():
    counted = Aggregate(lines(), ("l",), (AggSpec("n", "count", "q"),))  # a value is read
    wider = Aggregate(lines(), ("l", "q"), ())  # not distinct on the join key alone
    cases = [
        Join(orders(), counted, "inner", ("o",), ("l",)),
        Join(orders(), wider, "inner", ("o",), ("l",)),
        Join(orders(), distinct_keys(lines()), "left", ("o",), ("l",)),
        Join(orders(), distinct_keys(lines()), "inner", ("o",), ("l",),
             condition=call("greater", Col("o"), lit(1))),
        Join(orders(kind=pa.int32()), distinct_keys(lines()), "inner", ("o",), ("l",)),  # types differ
        Join(orders(kind=pa.float64()), distinct_keys(lines(kind=pa.float64())), "inner", ("o",), ("l",)),
        Join(distinct_keys(lines()), orders(), "inner", ("l",), ("o",)),  # the left side is distinct: order is its
    ]
    for plan in cases:
        assert apply(plan) == plan


@settings(max_examples=60, deadline=None)
@given(left=st.lists(st.one_of(st.none(), st.integers(0, 6)), max_size=12),
       right=st.lists(st.one_of(st.none(), st.integers(0, 6)), max_size=20),
       null_equal=st.booleans(), distinct=st.booleans(), two_keys=st.booleans())
def test_the_rows_and_their_order_never_change(left, right, null_equal, distinct, two_keys):
    outer = table_scan(2, o=pa.array(left, pa.int64()), o2=pa.array([(v or 0) % 2 for v in left], pa.int64()))
    inner = table_scan(3, l=pa.array(right, pa.int64()), l2=pa.array([(v or 0) % 2 for v in right], pa.int64()),
                       q=pa.array([float(i) for i in range(len(right))], pa.float64()))
    keys = ("l", "l2") if two_keys else ("l",)
    side = (Distinct(Project(inner, tuple((k, Col(k)) for k in keys))) if distinct
            else Aggregate(inner, keys, ()))
    plan = Join(outer, side, "inner", ("o", "o2")[:len(keys)], keys, null_equal=null_equal)
    after = apply(plan)
    assert after != plan
    assert compute_table(after).to_pylist() == compute_table(plan).to_pylist()
    assert rows(after) == rows(plan)


@settings(max_examples=60, deadline=None)
@given(left=st.lists(st.one_of(st.none(), st.integers(0, 6)), max_size=12),
       right=st.lists(st.one_of(st.none(), st.integers(0, 6)), max_size=20),
       null_equal=st.booleans(), how=st.sampled_from(["semi", "anti"]), distinct=st.booleans())
def test_a_semi_or_anti_join_drops_the_grouping_and_keeps_its_rows(left, right, null_equal, how, distinct):
    outer = table_scan(2, o=pa.array(left, pa.int64()))
    inner = table_scan(3, l=pa.array(right, pa.int64()), q=pa.array([float(i) for i in range(len(right))], pa.float64()))
    side = (Distinct(Project(inner, (("l", Col("l")),))) if distinct
            else Aggregate(inner, ("l",), (AggSpec("n", "count", "q"),)))
    plan = Join(outer, side, how, ("o",), ("l",), null_equal=null_equal)
    after = apply(plan)
    assert after.right is (inner if not distinct else side.input)
    assert compute_table(after).to_pylist() == compute_table(plan).to_pylist()


def test_not_in_keeps_its_grouping():
    plan = Join(orders(), distinct_keys(lines()), "anti", ("o",), ("l",), null_aware=True)
    assert apply(plan) == plan

"""anti_join_from_left_join: a left merge with per-key counts, kept where the
count is missing (pandas' NOT EXISTS), becomes an anti join with the same rows
in the same order."""
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from kyudo.planner.compile import compute_table
from kyudo.planner.expr import Col, call, lit
from kyudo.planner.logical import Aggregate, Filter, Join, Project
from kyudo.planner.rules.anti_join_from_left_join import apply
from kyudo.planner.specs import AggSpec
from reference import table_scan


def customers(keys=(1, 2, 3, None, 5)):
    return table_scan(2, c=pa.array(list(keys), pa.int64()), bal=pa.array([float(i) for i in range(len(keys))]))


def orders(keys=(2, 2, 5, None, 9)):
    return table_scan(3, o=pa.array(list(keys), pa.int64()), ok=pa.array(list(range(len(keys))), pa.int64()))


def counts(source, func="count"):
    spec = AggSpec("n", func, "ok" if func != "size" else None)
    return Project(Aggregate(source, ("o",), (spec,)), (("o", Col("o")), ("n_orders", Col("n"))))


def test_is_null_of_a_count_over_a_left_join_becomes_an_anti_join():
    plan = Filter(Join(customers(), counts(orders()), "left", ("c",), ("o",), null_equal=True),
                  call("and", call("is_null", Col("n_orders")), call("greater", Col("bal"), lit(0.5))))
    after = apply(plan)
    assert isinstance(after, Filter) and after.predicate == call("greater", Col("bal"), lit(0.5))
    anti = after.input.input
    assert isinstance(anti, Join) and anti.how == "anti" and anti.null_equal
    assert after.schema == plan.schema
    assert compute_table(after).to_pylist() == compute_table(plan).to_pylist()


def test_a_column_that_can_be_null_on_a_match_changes_nothing():
    summed = Aggregate(orders(), ("o",), (AggSpec("n_orders", "sum", "ok"),))  # a sum can be NULL
    for right, column, how in [(summed, "n_orders", "left"), (counts(orders()), "n_orders", "inner"),
                               (counts(orders()), "bal", "left")]:
        plan = Filter(Join(customers(), right, how, ("c",), ("o",)), call("is_null", Col(column)))
        assert apply(plan) == plan


@settings(max_examples=60, deadline=None)
@given(left=st.lists(st.one_of(st.none(), st.integers(0, 6)), max_size=12),
       right=st.lists(st.one_of(st.none(), st.integers(0, 6)), max_size=20),
       null_equal=st.booleans(), func=st.sampled_from(["count", "size"]))
def test_the_rows_and_their_order_never_change(left, right, null_equal, func):
    plan = Filter(Join(customers(left), counts(orders(right), func), "left", ("c",), ("o",), null_equal=null_equal),
                  call("is_null", Col("n_orders")))
    after = apply(plan)
    assert after != plan
    assert compute_table(after).to_pylist() == compute_table(plan).to_pylist()

"""The join_order rule: greedy ordering of reorderable inner equi-joins, and
semi/anti joins applied above the inner joins that shrink their input."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kyudo.planner.expr import call, col, conjoin, lit
from kyudo.planner.logical import Filter, Join, LogicalPlan, Project, Scan, walk
from kyudo.planner.optimizer import RULE_NAMES, optimize
from kyudo.planner.rules.join_order import apply
from kyudo.planner.statistics import distinct_bound
from reference import rows, table_scan


def join(left, right, how, left_on, right_on, condition=None, null_aware=False, reorderable=True):
    return Join(left, right, how, tuple(left_on), tuple(right_on), condition=condition,
                null_aware=null_aware, reorderable=reorderable)


def eq(a, b):
    return call("equal", col(a), col(b))


def scans(plan: LogicalPlan) -> list[Scan]:
    return [n for n in walk(plan) if isinstance(n, Scan)]


def first_scan_columns(plan: LogicalPlan) -> list[str]:
    """The column names of the scans of ``plan``, depth first: the join order."""
    return [s.schema.names[0] for s in scans(plan)]


def fact(n=1000):
    return table_scan(f_a=[i % 100 for i in range(n)], f_b=[i % 50 for i in range(n)],
                      f_v=list(range(n)))


def dim_a():
    return table_scan(a_id=list(range(100)), a_x=[i * 2 for i in range(100)])


def dim_b(filtered=True):
    scan = table_scan(b_id=list(range(50)), b_x=[i % 7 for i in range(50)])
    return replace(scan, predicate=call("equal", col("b_x"), lit(3))) if filtered else scan


def star():
    """fact ⋈ a ⋈ b in that order; only b is filtered."""
    return join(join(fact(), dim_a(), "inner", ["f_a"], ["a_id"]), dim_b(), "inner", ["f_b"], ["b_id"])


def test_selective_dimension_is_joined_first_and_columns_keep_their_order():
    plan = star()
    out = apply(plan)
    assert out.schema == plan.schema
    assert isinstance(out, Project) and out.is_identity() is False
    top = out.input
    assert isinstance(top, Join) and top.right_on == ("a_id",)
    inner = top.left
    assert isinstance(inner, Join) and inner.left_on == ("f_b",) and inner.right_on == ("b_id",)
    assert first_scan_columns(out) == ["f_a", "b_id", "a_id"]
    assert rows(out) == rows(plan)


def test_filtered_snowflake_dimension_is_built_before_meeting_the_fact_table():
    supplier = table_scan(s_id=list(range(200)), s_n=[i % 25 for i in range(200)])
    nation = replace(table_scan(n_id=list(range(25)), n_name=[f"n{i}" for i in range(25)]),
                     predicate=call("equal", col("n_name"), lit("n3")))
    orders = table_scan(o_id=list(range(3000)), o_x=[i % 3 for i in range(3000)])
    line = table_scan(l_o=[i % 3000 for i in range(10000)], l_s=[i % 200 for i in range(10000)])
    plan = join(join(join(line, orders, "inner", ["l_o"], ["o_id"]), supplier, "inner", ["l_s"], ["s_id"]),
                nation, "inner", ["s_n"], ["n_id"])
    out = apply(plan)
    joins = [n for n in walk(out) if isinstance(n, Join)]
    # supplier ⋈ nation is a join of its own, below the one with lineitem
    sn = [j for j in joins if j.left_on == ("s_n",)]
    assert len(sn) == 1 and isinstance(sn[0].left, Scan) and sn[0].left.schema.names[0] == "s_id"
    assert any(j.right is sn[0] for j in joins)
    assert rows(out) == rows(plan)


def test_many_to_many_join_on_a_low_cardinality_column_is_not_chosen_first():
    # customer ⋈ supplier on a nation key with 5 values would multiply rows
    customer = table_scan(c_id=list(range(300)), c_n=[i % 5 for i in range(300)])
    supplier = table_scan(s_id=list(range(100)), s_n=[i % 5 for i in range(100)])
    orders = replace(table_scan(o_id=list(range(2000)), o_c=[i % 300 for i in range(2000)]),
                     predicate=call("less", col("o_id"), lit(500)))
    line = table_scan(l_o=[i % 2000 for i in range(6000)], l_s=[i % 100 for i in range(6000)])
    plan = join(join(join(customer, supplier, "inner", ["c_n"], ["s_n"]), orders, "inner", ["c_id"], ["o_c"]),
                line, "inner", ["o_id", "s_id"], ["l_o", "l_s"])
    assert distinct_bound(customer, "c_n") == 5
    out = apply(plan)
    joins = [n for n in walk(out) if isinstance(n, Join)]
    assert "c_n" in joins[0].left_on + joins[0].right_on  # the many-to-many join is the last one
    assert rows(out) == rows(plan)


def test_semi_join_moves_above_a_selective_inner_join():
    other = table_scan(g_k=[i % 500 for i in range(2000)], g_v=list(range(2000)))
    semi = join(fact(), other, "semi", ["f_v"], ["g_k"], condition=call("greater", col("g_v"), col("f_a")))
    plan = join(semi, dim_b(), "inner", ["f_b"], ["b_id"])
    out = apply(plan)
    assert isinstance(out, Join) and out.how == "semi"
    assert isinstance(out.left, Join) and out.left.how == "inner"
    assert out.schema == plan.schema
    assert rows(out) == rows(plan)


def test_semi_join_stays_below_an_inner_join_that_multiplies_its_rows():
    # a semi join on a small dimension: joining the fact table repeats its rows
    other = table_scan(g_k=list(range(0, 100, 3)))
    semi = join(dim_a(), other, "semi", ["a_id"], ["g_k"])
    plan = join(join(fact(), semi, "inner", ["f_a"], ["a_id"]), dim_b(), "inner", ["f_b"], ["b_id"])
    out = apply(plan)
    semis = [n for n in walk(out) if isinstance(n, Join) and n.how == "semi"]
    assert len(semis) == 1 and isinstance(semis[0].left, Scan)
    assert rows(out) == rows(plan)


def test_anti_join_whose_condition_names_another_leafs_column_is_not_moved():
    other = table_scan(g_k=list(range(10)), b_x=list(range(10)))  # b_x is also a column of dim b
    anti = join(fact(), other, "anti", ["f_v"], ["g_k"], condition=call("greater", col("b_x"), col("f_a")))
    plan = join(join(anti, dim_a(), "inner", ["f_a"], ["a_id"]), dim_b(), "inner", ["f_b"], ["b_id"])
    assert apply(plan) == plan


def test_idempotent_and_schema_preserved():
    for plan in (star(), join(join(fact(), dim_b(), "inner", ["f_b"], ["b_id"]), dim_a(), "inner",
                              ["f_a"], ["a_id"])):
        once = apply(plan)
        assert apply(once) == once
        assert once.schema == plan.schema


def test_same_order_whatever_the_written_order():
    f, da, db = fact(), dim_a(), dim_b()
    a = join(join(f, da, "inner", ["f_a"], ["a_id"]), db, "inner", ["f_b"], ["b_id"])
    b = join(join(db, f, "inner", ["b_id"], ["f_b"]), da, "inner", ["f_a"], ["a_id"])
    strip = lambda p: p.input if isinstance(p, Project) else p  # noqa: E731
    assert strip(apply(a)) == strip(apply(b))


def test_cross_leaf_filters_and_residual_conditions_stay_correct():
    # the residual condition of the last join reads the fact and b (joined first
    # after reordering); the filter reads a and b
    cond = call("less", col("b_x"), call("subtract", col("f_v"), lit(500)))
    plan = Filter(join(join(fact(), dim_a(), "inner", ["f_a"], ["a_id"]), dim_b(),
                       "inner", ["f_b"], ["b_id"], condition=cond),
                  call("greater", call("add", col("b_x"), col("a_x")), lit(50)))
    out = apply(plan)
    assert out != plan
    filters = [n for n in walk(out) if isinstance(n, Filter)]
    assert len(filters) == 2  # each conjunct right above the join that brings its columns
    assert filters[0].predicate.columns() == {"b_x", "a_x"}
    assert filters[1].predicate == cond and isinstance(filters[1].input, Join)
    assert filters[1].input.right_on == ("b_id",)
    assert rows(out) == rows(plan)


def test_not_reordered_without_the_reorderable_mark_or_with_null_equal():
    plan = join(join(fact(), dim_a(), "inner", ["f_a"], ["a_id"], reorderable=False), dim_b(),
                "inner", ["f_b"], ["b_id"], reorderable=False)
    assert apply(plan) == plan
    merged = replace(star(), null_equal=True)
    out = apply(merged)
    assert isinstance(out, Join) and out.null_equal and out.right_on == ("b_id",)  # its left part is
    # a tree of two leaves, which the rule leaves to the lowering


def test_outer_join_is_a_boundary_and_disconnected_trees_stay():
    left_joined = join(star(), table_scan(z=[1, 2]), "left", ["f_v"], ["z"])
    out = apply(left_joined)
    assert isinstance(out, Join) and out.how == "left"
    assert rows(out) == rows(left_joined)
    # f ⋈ a, then b joined by a condition only: no edge to b, so no reordering
    disconnected = join(join(fact(), dim_a(), "inner", ["f_a"], ["a_id"]), dim_b(), "inner", [], [],
                        condition=eq("f_b", "b_id"))
    assert apply(disconnected) == disconnected


def test_rule_is_registered_after_pruning_and_switchable_by_name():
    assert RULE_NAMES.index("join_order") > RULE_NAMES.index("column_pruning")
    assert RULE_NAMES.index("join_order") > RULE_NAMES.index("predicate_pushdown")
    plan = star()
    on = optimize(plan).plan
    off = optimize(plan, disabled={"join_order"}).plan
    assert [s.schema.names[0] for s in scans(off)] == ["f_a", "a_id", "b_id"]
    assert [s.schema.names[0] for s in scans(on)] == ["f_a", "b_id", "a_id"]
    assert optimize(on).plan == on  # a fixed point
    assert rows(on) == rows(off)


def test_dataframe_merges_are_untouched():
    import kyudo.dataframe as kd

    f = kd.from_pandas(pd.DataFrame({"fa": [i % 10 for i in range(100)], "fb": [i % 5 for i in range(100)],
                                     "v": range(100)}), npartitions=2)
    a = kd.from_pandas(pd.DataFrame({"fa": range(10), "ax": range(10)}), npartitions=1)
    b = kd.from_pandas(pd.DataFrame({"fb": range(5), "bx": range(5)}), npartitions=1)
    b = b[b.bx == 3]
    merged = f.merge(a, on="fa").merge(b, on="fb")
    assert optimize(merged.plan).plan == optimize(merged.plan, disabled={"join_order"}).plan
    assert not any(isinstance(n, Join) and n.reorderable for n in walk(merged.plan))


def test_sql_marks_its_inner_and_semi_joins_reorderable_and_agrees_with_duckdb():
    duckdb = pytest.importorskip("duckdb")
    from kyudo.sql import Context

    tables = {
        "f": pa.table({"fa": [i % 10 for i in range(200)], "fb": [i % 5 for i in range(200)],
                       "v": [None if i % 17 == 0 else i for i in range(200)]}),
        "a": pa.table({"aid": list(range(10)), "ax": [i * 3 for i in range(10)]}),
        "b": pa.table({"bid": list(range(5)), "bx": list(range(5))}),
        "g": pa.table({"gk": [i * 7 for i in range(30)] + [None]}),
        "h": pa.table({"hk": [i * 5 for i in range(30)]}),
    }
    ctx = Context()
    con = duckdb.connect()
    for name, table in tables.items():
        ctx.create_table(name, table)
        con.register(name, table)
    query = ("select f.v, a.ax, b.bx from f, a, b where f.fa = a.aid and f.fb = b.bid and b.bx = 3 "
             "and exists (select 1 from h where h.hk = f.v) and f.v not in (select gk from g where gk > 100)")
    frame = ctx.sql(query)
    assert any(isinstance(n, Join) and n.reorderable for n in walk(frame.plan))
    optimized = optimize(frame.plan).plan
    assert optimized != optimize(frame.plan, disabled={"join_order"}).plan
    ours = frame.compute().sort_values(["v"]).reset_index(drop=True)
    theirs = con.sql(query).df().sort_values(["v"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)


# ---- equivalence on random data ------------------------------------------------------

keys = st.lists(st.one_of(st.none(), st.integers(0, 6)), min_size=0, max_size=12)


def _table(prefix, ks, vs):
    return table_scan(**{f"{prefix}_k": pa.array(ks, pa.int64()), f"{prefix}_v": pa.array(vs, pa.int64())})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_trees_give_the_same_rows(data):
    def rel(prefix, filtered):
        ks = data.draw(keys)
        vs = data.draw(st.lists(st.integers(0, 6), min_size=len(ks), max_size=len(ks)))
        scan = _table(prefix, ks, vs)
        if filtered:
            scan = replace(scan, predicate=call("greater", col(f"{prefix}_v"), lit(data.draw(st.integers(0, 5)))))
        return scan

    names = ["p", "q", "r", "s"]
    filtered = [data.draw(st.booleans()) for _ in names]
    plan = rel("p", filtered[0])
    for i, name in enumerate(names[1:], start=1):
        # join to a random earlier relation, on k or v
        target = names[data.draw(st.integers(0, i - 1))]
        column = data.draw(st.sampled_from(["k", "v"]))
        condition = (call("less_equal", col(f"{target}_v"), call("add", col(f"{name}_v"), lit(3)))
                     if data.draw(st.booleans()) else None)
        plan = join(plan, rel(name, filtered[i]), "inner", [f"{target}_{column}"], [f"{name}_k"], condition=condition)
        if data.draw(st.booleans()):
            how = data.draw(st.sampled_from(["semi", "anti"]))
            side = table_scan(z_k=pa.array(data.draw(keys), pa.int64()))
            on = data.draw(st.sampled_from(names[: i + 1]))
            plan = join(plan, side, how, [f"{on}_v"], ["z_k"])
    if data.draw(st.booleans()):
        plan = Filter(plan, call("greater_equal", call("add", col("p_v"), col(f"{names[-1]}_v")), lit(4)))
    out = apply(plan)
    assert out.schema == plan.schema
    assert apply(out) == out
    assert rows(out) == rows(plan)


# ---- the estimates the rule relies on ---------------------------------------------

def test_selectivity_from_min_max_and_distinct_bounds():
    from kyudo.planner.statistics import EQUAL_SELECTIVITY, filtered_rows, selectivity

    t = table_scan(k=list(range(100)), d=list(range(0, 1000, 10)), s=[f"x{i}" for i in range(100)])
    assert distinct_bound(t, "k") == 100
    assert distinct_bound(t, "s") is None  # strings: no range
    assert selectivity(call("equal", col("k"), lit(3)), t) == pytest.approx(0.01)
    assert selectivity(call("equal", col("s"), lit("x3")), t) == EQUAL_SELECTIVITY
    assert selectivity(call("less", col("d"), lit(495)), t) == pytest.approx(0.5)
    assert selectivity(call("greater", lit(495), col("d")), t) == pytest.approx(0.5)
    assert selectivity(call("between", col("d"), lit(0), lit(99)), t) == pytest.approx(0.1)
    both = call("and", call("less", col("d"), lit(495)), call("equal", col("k"), lit(3)))
    assert selectivity(both, t) == pytest.approx(0.005)
    assert selectivity(call("not", call("equal", col("k"), lit(3))), t) == pytest.approx(0.99)
    renamed = Project(replace(t, predicate=call("less", col("d"), lit(495))), (("kk", col("k")),))
    assert distinct_bound(renamed, "kk") == 100
    assert filtered_rows(Filter(renamed, call("less", col("kk"), lit(50)))) == pytest.approx(100 * 0.5 * 50 / 99)
    assert filtered_rows(Filter(renamed, call("equal", col("kk"), lit(1)))) == 1.0  # at least a row
    assert filtered_rows(renamed) == pytest.approx(50)


def test_equality_filtered_dimension_beats_a_range_filtered_one():
    # b_x = 3 keeps ~1/7 of b; the range on a keeps 90 % of it: b is joined first
    a = replace(dim_a(), predicate=call("greater", col("a_x"), lit(19)))
    plan = join(join(fact(), a, "inner", ["f_a"], ["a_id"]), dim_b(), "inner", ["f_b"], ["b_id"])
    assert first_scan_columns(apply(plan)) == ["f_a", "b_id", "a_id"]


def test_a_dimension_too_large_to_broadcast_is_joined_after_a_broadcast_one():
    from kyudo import config

    # with everything broadcast, the more selective join (b) comes first ...
    plan = join(join(fact(), dim_b(), "inner", ["f_b"], ["b_id"]), dim_a(), "inner", ["f_a"], ["a_id"])
    assert first_scan_columns(apply(plan)) == ["f_a", "b_id", "a_id"]
    # ... but when b is too large to broadcast and a is not, a comes first: joining
    # b to the fact table is a hash join that moves the fact table
    a_bytes = dim_a().source.nbytes
    with config.set(broadcast_threshold=a_bytes):
        big_b = table_scan(b_id=list(range(50)), b_x=[i % 7 for i in range(50)],
                           **{f"pad{i}": [0] * 50 for i in range(7)})
        big_b = replace(big_b, predicate=call("equal", col("b_x"), lit(3)))
        assert big_b.source.nbytes * 0.5 > a_bytes
        plan = join(join(fact(), big_b, "inner", ["f_b"], ["b_id"]), dim_a(), "inner", ["f_a"], ["a_id"])
        out = apply(plan)
        assert first_scan_columns(out) == ["f_a", "a_id", "b_id"]
        assert rows(out) == rows(plan)


def test_semi_join_above_a_join_that_does_not_shrink_its_input_moves_down_to_its_relation():
    # TPC-H Q18's shape: the IN-subquery semi join sits on top of orders ⋈ customer
    orders = table_scan(o_id=list(range(1000)), o_c=[i % 300 for i in range(1000)])
    customer = table_scan(c_id=list(range(300)), c_name=[f"c{i}" for i in range(300)])
    picked = table_scan(k=[3, 30, 300, 999, 5000])
    plan = join(join(customer, orders, "inner", ["c_id"], ["o_c"]), picked, "semi", ["o_id"], ["k"])
    out = apply(plan)
    semis = [n for n in walk(out) if isinstance(n, Join) and n.how == "semi"]
    assert len(semis) == 1 and semis[0].left is orders
    assert out.schema == plan.schema and apply(out) == out
    assert rows(out) == rows(plan)

"""Joins with a residual condition and null-aware anti joins (SQL NOT IN), lowered
to every strategy and run over several partitions, against DuckDB."""
from __future__ import annotations

import collections
from unittest import mock

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kyudo
from kyudo.engine.operators import join as join_ops
from kyudo.planner import logical as L
from kyudo.planner import physical as P
from kyudo.planner.compile import compute_table, explain
from kyudo.planner.errors import PlanError
from kyudo.planner.expr import Call, Col, Lit
from kyudo.planner.lowering import lower
from kyudo.planner.sources import InMemorySource

_DUCK = duckdb.connect()
HOWS = ["inner", "left", "right", "outer", "semi", "anti", "cross"]
DUCK_JOINS = {"inner": "JOIN", "left": "LEFT JOIN", "right": "RIGHT JOIN", "outer": "FULL OUTER JOIN",
              "semi": "SEMI JOIN", "anti": "ANTI JOIN", "cross": "JOIN"}
# x + 1 < y: goes through the planner's own evaluate (a callable in the kernel)
CONDITION = Call("less", (Call("add", (Col("x"), Lit(1))), Col("y")))
DUCK_CONDITION = "l.x + 1 < r.y"
# with one-sided conjuncts, which predicate pushdown may move into an input
ONE_SIDED = Call("and", (CONDITION, Call("greater", (Col("x"), Lit(-2))), Call("less", (Col("y"), Lit(3)))))
DUCK_ONE_SIDED = f"{DUCK_CONDITION} AND l.x > -2 AND r.y < 3"

small_ints = st.lists(st.none() | st.integers(-2, 3), max_size=14)


@st.composite
def sides(draw):
    n, m = draw(st.integers(0, 14)), draw(st.integers(0, 14))
    ints = lambda k: st.lists(st.none() | st.integers(-2, 3), min_size=k, max_size=k)  # noqa: E731
    left = pa.table({"lk": pa.array(draw(ints(n)), pa.int64()), "x": pa.array(draw(ints(n)), pa.int64())})
    right = pa.table({"rk": pa.array(draw(ints(m)), pa.int64()), "y": pa.array(draw(ints(m)), pa.int64())})
    return left, right


def scan(table: pa.Table, npartitions: int) -> L.Scan:
    return L.Scan(InMemorySource.from_table(table, npartitions))


def rows(table: pa.Table) -> collections.Counter:
    return collections.Counter(tuple(r.values()) for r in table.to_pylist())


def duckdb_rows(sql: str, left: pa.Table, right: pa.Table) -> collections.Counter:
    _DUCK.register("l", left)
    _DUCK.register("r", right)
    return rows(pa.table(_DUCK.sql(sql)))


@settings(max_examples=120, deadline=None)
@given(data=sides(), how=st.sampled_from(HOWS), equi=st.booleans(), strategy=st.sampled_from([None, "broadcast", "hash"]),
       parts=st.tuples(st.integers(1, 3), st.integers(1, 3)), tiny_threshold=st.booleans(),
       one_sided=st.booleans(), chunk=st.sampled_from([3, join_ops._PAIRS_PER_CHUNK]))
def test_condition_decides_matching_on_every_strategy(data, how, equi, strategy, parts, tiny_threshold, one_sided,
                                                      chunk):
    left, right = data
    keys = (("lk",), ("rk",)) if equi and how != "cross" else ((), ())
    condition = ONE_SIDED if one_sided else CONDITION
    plan = L.Join(scan(left, parts[0]), scan(right, parts[1]), how, *keys, strategy=strategy, condition=condition)
    # chunk: candidate pairs are checked a few at a time, or all at once
    with kyudo.config.set(broadcast_threshold=1 if tiny_threshold else "32MB"), \
            mock.patch.object(join_ops, "_PAIRS_PER_CHUNK", chunk):
        result = compute_table(plan)
    assert result.schema.names == plan.schema.names
    on = ("l.lk = r.rk AND " if keys[0] else "") + (DUCK_ONE_SIDED if one_sided else DUCK_CONDITION)
    assert rows(result) == duckdb_rows(f"SELECT * FROM l {DUCK_JOINS[how]} r ON {on}", left, right)


@settings(max_examples=120, deadline=None)
@given(data=sides(), parts=st.integers(1, 3), correlated=st.booleans(), chunk=st.sampled_from([2, 1 << 20]))
def test_null_aware_anti_join_is_not_in(data, parts, correlated, chunk):
    left, right = data
    condition = Call("and", (Call("less", (Col("x"), Col("y"))), Call("greater", (Col("y"), Lit(-1)))))
    plan = L.Join(scan(left, parts), scan(right, parts), "anti", ("lk",), ("rk",),
                  condition=condition if correlated else None, null_aware=True, strategy="hash")
    where = " WHERE r.y > l.x AND r.y > -1" if correlated else ""
    expected = duckdb_rows(f"SELECT * FROM l WHERE lk NOT IN (SELECT rk FROM r{where})", left, right)
    with mock.patch.object(join_ops, "_PAIRS_PER_CHUNK", chunk):
        assert rows(compute_table(plan)) == expected


@settings(max_examples=80, deadline=None)
@given(a=small_ints, b=small_ints, c=small_ints, d=small_ints)
def test_null_aware_anti_join_on_two_keys(a, b, c, d):
    n, m = min(len(a), len(b)), min(len(c), len(d))
    left = pa.table({"a": pa.array(a[:n], pa.int64()), "b": pa.array(b[:n], pa.int64())})
    right = pa.table({"c": pa.array(c[:m], pa.int64()), "d": pa.array(d[:m], pa.int64())})
    plan = L.Join(scan(left, 2), scan(right, 2), "anti", ("a", "b"), ("c", "d"), null_aware=True)
    expected = duckdb_rows("SELECT * FROM l WHERE (a, b) NOT IN (SELECT c, d FROM r)", left, right)
    assert rows(compute_table(plan)) == expected


def test_null_aware_cases_spelled_out():
    left = pa.table({"k": [1, 2, None]})

    def not_in(values):
        right = pa.table({"v": pa.array(values, pa.int64())})
        plan = L.Join(scan(left, 1), scan(right, 1), "anti", ("k",), ("v",), null_aware=True)
        return sorted(compute_table(plan)["k"].to_pylist(), key=str)

    assert not_in([]) == [1, 2, None]  # nothing to be in: every row, NULL too
    assert not_in([2]) == [1]  # NULL NOT IN (2) is NULL
    assert not_in([2, None]) == []  # 1 NOT IN (2, NULL) is NULL


def test_strategies_chosen_for_conditions_and_null_awareness():
    left, right = scan(pa.table({"lk": [1], "x": [1]}), 4), scan(pa.table({"rk": [1], "y": [1]}), 3)
    with kyudo.config.set(broadcast_threshold=1):
        nested_outer = lower(L.Join(left, right, "outer", (), (), condition=CONDITION))
        assert isinstance(nested_outer, P.HashJoin) and nested_outer.npartitions == 1
        nested_inner = lower(L.Join(left, right, "inner", (), (), condition=CONDITION))
        assert isinstance(nested_inner, P.BroadcastJoin)
        nested_right = lower(L.Join(left, right, "right", (), (), condition=CONDITION, strategy="hash"))
        assert isinstance(nested_right, P.BroadcastJoin) and nested_right.broadcast == "left"
        not_in = lower(L.Join(left, right, "anti", ("lk",), ("rk",), null_aware=True, strategy="hash"))
        assert isinstance(not_in, P.BroadcastJoin) and not_in.broadcast == "right" and not_in.null_aware
        forced = lower(L.Join(left, right, "outer", ("lk",), ("rk",), strategy="broadcast"))
        assert isinstance(forced, P.HashJoin)  # no broadcast computes a full outer join


def test_explain_shows_the_condition_and_null_awareness():
    left = scan(pa.table({"lk": [1, 2, 3, 4], "x": [1, 2, 3, 4]}), 2)
    right = scan(pa.table({"rk": [1, 2, 3, 4], "y": [1, 2, 3, 4]}), 2)
    text = explain(L.Join(left, right, "left", ("lk",), ("rk",), condition=CONDITION, strategy="hash"))
    physical = text.split("== Physical plan ==")[1]
    assert "HashJoin[2](left, on=[lk=rk], condition=" in physical and "add" in physical
    text = explain(L.Join(left, right, "anti", ("lk",), ("rk",), null_aware=True))
    assert "null_aware" in text.split("== Physical plan ==")[1]


def test_ambiguous_or_misplaced_options_are_rejected():
    left, right = scan(pa.table({"k": [1], "x": [1]}), 1), scan(pa.table({"k": [1], "y": [1]}), 1)
    with pytest.raises(PlanError, match="both inputs"):
        lower(L.Join(left, right, "semi", ("k",), ("k",), condition=Call("less", (Col("k"), Col("y")))))
    # names the condition does not read may be shared
    ok = L.Join(left, right, "semi", ("k",), ("k",), condition=Call("less", (Col("x"), Col("y"))))
    assert compute_table(ok).num_rows == 0
    with pytest.raises(PlanError, match="anti"):
        L.Join(left, right, "left", ("k",), ("k",), null_aware=True)

"""Random expression trees (integer arithmetic, conditionals, comparisons and
three-valued logic, NULLs everywhere) checked four ways: against DuckDB running the
same tree as SQL, against infer_type, against constant folding of each row, and
against the pushed pyarrow.dataset filter."""
from __future__ import annotations

import functools

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kyudo.planner.evaluate import constant_fold, evaluate
from kyudo.planner.expr import Call, Col, Lit, call, col, lit
from kyudo.planner.to_arrow import to_arrow_expression
from kyudo.planner.types import infer_type

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DUCKDB = duckdb.connect()
Tree = tuple  # (expr, sql)

INT_LEAVES = [(col("a"), "a"), (col("b"), "b"), (Lit(None, pa.int64()), "CAST(NULL AS BIGINT)")]
BOOL_LEAVES = [(col("p"), "p"), (col("q"), "q"), (lit(True), "TRUE"), (lit(False), "FALSE"),
               (Lit(None, pa.bool_()), "CAST(NULL AS BOOLEAN)")]
ARITHMETIC = {"add": "+", "subtract": "-", "multiply": "*"}
COMPARISONS = {"equal": "=", "not_equal": "<>", "less": "<", "less_equal": "<=",
               "greater": ">", "greater_equal": ">="}
small = st.integers(-20, 20)


def int_literal(k: int) -> Tree:
    return lit(k), f"({k})"


@functools.lru_cache(maxsize=None)
def int_trees(depth: int) -> st.SearchStrategy[Tree]:
    leaves = st.sampled_from(INT_LEAVES) | small.map(int_literal)
    if depth == 0:
        return leaves
    x, c = int_trees(depth - 1), bool_trees(depth - 1)
    return st.one_of(
        leaves,
        st.builds(lambda op, l, r: (call(op, l[0], r[0]), f"({l[1]} {ARITHMETIC[op]} {r[1]})"),
                  st.sampled_from(sorted(ARITHMETIC)), x, x),
        x.map(lambda t: (call("negate", t[0]), f"(-{t[1]})")),
        x.map(lambda t: (call("abs", t[0]), f"abs({t[1]})")),
        st.builds(lambda l, r: (call("coalesce", l[0], r[0]), f"coalesce({l[1]}, {r[1]})"), x, x),
        st.builds(lambda l, r: (call("nullif", l[0], r[0]), f"nullif({l[1]}, {r[1]})"), x, x),
        st.builds(lambda k, l, r: (call("if_else", k[0], l[0], r[0]),
                                   f"(CASE WHEN {k[1]} THEN {l[1]} ELSE {r[1]} END)"), c, x, x),
        st.builds(lambda k, l, j, r: (call("case_when", k[0], l[0], j[0], r[0]),
                                      f"(CASE WHEN {k[1]} THEN {l[1]} WHEN {j[1]} THEN {r[1]} END)"), c, x, c, x),
    )


@functools.lru_cache(maxsize=None)
def bool_trees(depth: int) -> st.SearchStrategy[Tree]:
    leaves = st.sampled_from(BOOL_LEAVES)
    if depth == 0:
        return leaves
    x, c = int_trees(depth - 1), bool_trees(depth - 1)
    in_values = st.lists(st.one_of(st.none(), small), min_size=1, max_size=4).map(tuple)
    return st.one_of(
        leaves,
        st.builds(lambda op, l, r: (call(op, l[0], r[0]), f"({l[1]} {op.upper()} {r[1]})"),
                  st.sampled_from(["and", "or"]), c, c),
        c.map(lambda t: (call("not", t[0]), f"(NOT {t[1]})")),
        st.builds(lambda op, l, r: (call(op, l[0], r[0]), f"({l[1]} {COMPARISONS[op]} {r[1]})"),
                  st.sampled_from(sorted(COMPARISONS)), x, x),
        x.map(lambda t: (call("is_null", t[0]), f"({t[1]} IS NULL)")),
        st.builds(lambda v, lo, hi: (call("between", v[0], lo[0], hi[0]),
                                     f"({v[1]} BETWEEN {lo[1]} AND {hi[1]})"), x, x, x),
        st.builds(lambda v, values: (call("is_in", v[0], values=values),
                                     f"({v[1]} IN ({', '.join('NULL' if k is None else str(k) for k in values)}))"),
                  x, in_values),
    )


@st.composite
def tables(draw):
    n = draw(st.integers(1, 10))
    column = lambda s: draw(st.lists(st.one_of(st.none(), s), min_size=n, max_size=n))  # noqa: E731
    return pa.table({"a": pa.array(column(small), pa.int64()), "b": pa.array(column(small), pa.int32()),
                     "p": pa.array(column(st.booleans()), pa.bool_()),
                     "q": pa.array(column(st.booleans()), pa.bool_())})


def duckdb_values(table: pa.Table, sql: str) -> list:
    DUCKDB.register("t", table)
    try:
        return [row[0] for row in DUCKDB.execute(f"SELECT {sql} FROM t").fetchall()]
    finally:
        DUCKDB.unregister("t")


def substitute_row(expr, table: pa.Table, row: int):
    if isinstance(expr, Col):
        return Lit(table[expr.name][row].as_py(), table.schema.field(expr.name).type)
    if isinstance(expr, Call):
        return Call(expr.op, tuple(substitute_row(a, table, row) for a in expr.args), expr.options)
    return expr


def check(tree: Tree, table: pa.Table):
    expr, sql = tree
    got = evaluate(expr, table)
    assert got.to_pylist() == duckdb_values(table, sql), sql
    assert got.type == infer_type(expr, table.schema)
    for row in range(table.num_rows):
        folded = constant_fold(substitute_row(expr, table, row))
        assert isinstance(folded, Lit) and folded.value == got[row].as_py(), (sql, row)
    assert evaluate(constant_fold(expr), table).to_pylist() == got.to_pylist(), sql


@SETTINGS
@given(int_trees(3), tables())
def test_integer_trees_match_duckdb(tree, table):
    check(tree, table)


@SETTINGS
@given(bool_trees(3), tables())
def test_boolean_trees_match_duckdb_and_push_down(tree, table):
    check(tree, table)
    expr = tree[0]
    want = table.filter(evaluate(expr, table), null_selection_behavior="drop")
    assert ds.dataset(table).to_table(filter=to_arrow_expression(expr, table.schema)).equals(want)

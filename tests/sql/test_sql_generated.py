"""Generated differential tests: hypothesis builds small tables (NULLs, empty
strings, duplicates, empty partitions) and queries (expressions, predicates,
joins, aggregates, windows, subqueries); kyudo SQL and DuckDB must agree."""

from __future__ import annotations

import duckdb
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kyudo.dataframe as kd
from kyudo.planner import logical as L
from kyudo.planner.sources import InMemorySource
from kyudo.sql import Context

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

small_int = st.one_of(st.none(), st.integers(-3, 3))
text = st.sampled_from([None, "", "a", "b", "ab", "B"])
number = st.one_of(st.none(), st.sampled_from([-1.5, 0.0, 0.25, 2.0, 10.0]))


@st.composite
def table(draw, columns: dict, max_rows: int = 8):
    n = draw(st.integers(0, max_rows))
    data = {name: draw(st.lists(values, min_size=n, max_size=n)) for name, (values, _) in columns.items()}
    t = pa.table({name: pa.array(data[name], type) for name, (_, type) in columns.items()})
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))  # may repeat: empty partitions
    bounds = [0] + cuts + [n]
    parts = [t.slice(a, b - a) for a, b in zip(bounds, bounds[1:])]
    return t, parts


money = st.one_of(st.none(), st.decimals(-1000, 1000, places=2, allow_nan=False, allow_infinity=False))
T_COLUMNS = {"a": (small_int, pa.int64()), "b": (small_int, pa.int64()),
             "s": (text, pa.string()), "f": (number, pa.float64()),
             "m": (money, pa.decimal128(9, 2))}
U_COLUMNS = {"a": (small_int, pa.int64()), "c": (small_int, pa.int64()), "s": (text, pa.string())}


def engines(t, u):
    ctx, con = Context(), duckdb.connect()
    for name, (whole, parts) in {"t": t, "u": u}.items():
        ctx.create_table(name, kd.DataFrame(L.Scan(InMemorySource(parts, whole.schema))))
        con.register(name, whole)
    return ctx, con


def ints():
    leaves = st.one_of(st.sampled_from(["a", "b"]),
                       st.integers(-3, 3).map(str), st.just("NULL"))

    def extend(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda x: f"({x[0]} {x[1]} {x[2]})"),
            st.tuples(inner, inner, inner, inner).map(
                lambda x: f"(CASE WHEN {x[0]} > {x[1]} THEN {x[2]} ELSE {x[3]} END)"),
            st.tuples(inner, inner).map(lambda x: f"coalesce({x[0]}, {x[1]})"),
            st.tuples(inner, inner).map(lambda x: f"nullif({x[0]}, {x[1]})"),
            inner.map(lambda x: f"abs({x})"),
        )
    return st.recursive(leaves, extend, max_leaves=5)


def predicates(values):
    atoms = st.one_of(
        st.tuples(values, st.sampled_from(["=", "<>", "<", "<=", ">", ">="]), values).map(" ".join),
        values.map(lambda v: f"{v} IS NULL"),
        st.tuples(values, values, values).map(lambda x: f"{x[0]} BETWEEN {x[1]} AND {x[2]}"),
        st.tuples(values, st.lists(st.sampled_from(["1", "2", "-1", "NULL"]), min_size=1, max_size=3))
        .map(lambda x: f"{x[0]} IN ({', '.join(x[1])})"),
    )
    return st.recursive(atoms, lambda p: st.one_of(
        st.tuples(p, p).map(lambda x: f"({x[0]} AND {x[1]})"),
        st.tuples(p, p).map(lambda x: f"({x[0]} OR {x[1]})"),
        p.map(lambda x: f"(NOT {x})")), max_leaves=4)


INTS = ints()
PREDICATES = predicates(INTS)
string_predicates = st.one_of(
    st.sampled_from(["s = ''", "s LIKE 'a%'", "s ILIKE 'b'", "s IS NOT NULL", "s NOT LIKE '%b'",
                     "s < 'b'", "s IN ('a', '')", "length(s) > 1"]))

tables = st.tuples(table(T_COLUMNS), table(U_COLUMNS))

decimals = st.recursive(
    st.one_of(st.sampled_from(["m", "a", "0.5", "1.25", "-3", "100.001"])),
    lambda inner: st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(
        lambda x: f"({x[0]} {x[1]} {x[2]})"), max_leaves=4)


@SETTINGS
@given(tables, INTS, INTS, PREDICATES)
def test_projection_and_filter(same_answer, tu, e1, e2, p):
    ctx, con = engines(*tu)
    same_answer(ctx, con, f"SELECT {e1} AS x, {e2} AS y, s FROM t WHERE {p}")


@SETTINGS
@given(tables, INTS, PREDICATES | string_predicates)
def test_grouped_aggregates(same_answer, tu, e, p):
    ctx, con = engines(*tu)
    same_answer(ctx, con, f"SELECT s, count(*), count({e}), sum({e}), min({e}), max(f), avg(f), "
                          f"count(DISTINCT a) FROM t WHERE {p} GROUP BY s")
    same_answer(ctx, con, f"SELECT sum({e}), count(*), max(s) FROM t WHERE {p}")


@SETTINGS
@given(tables, st.sampled_from(["JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN"]),
       st.sampled_from(["", " AND t.b < u.c", " AND t.s = u.s", " AND u.c > 0"]))
def test_joins(same_answer, tu, kind, extra):
    ctx, con = engines(*tu)
    same_answer(ctx, con, f"SELECT t.a, t.b, u.c, u.s FROM t {kind} u ON t.a = u.a{extra}")


@SETTINGS
@given(tables, st.sampled_from([
    "a IN (SELECT a FROM u)", "a NOT IN (SELECT a FROM u)", "a NOT IN (SELECT c FROM u WHERE c > 0)",
    "EXISTS (SELECT 1 FROM u WHERE u.a = t.a)", "NOT EXISTS (SELECT 1 FROM u WHERE u.a = t.a AND u.c > t.b)",
    "b > (SELECT avg(c) FROM u)", "b >= (SELECT min(c) FROM u WHERE u.a = t.a)",
    "s IN (SELECT s FROM u)", "b < 0 OR a IN (SELECT c FROM u)",
    "NOT (a IN (SELECT a FROM u WHERE c > 0)) OR s = ''",
    "b IS NULL OR EXISTS (SELECT 1 FROM u WHERE u.a = t.a)",
    "a < (SELECT count(*) FROM u WHERE u.c < t.b)",
    "b > (SELECT min(c) FROM u WHERE u.a <> t.a AND u.s = t.s)",
    "a NOT IN (SELECT c FROM u WHERE u.s = t.s)",
    "s = '' OR EXISTS (SELECT 1 FROM u WHERE u.c > t.b)",
    "b IN (SELECT c FROM u WHERE u.a > t.a) OR s = 'a'"]))
def test_subqueries(same_answer, tu, p):
    ctx, con = engines(*tu)
    same_answer(ctx, con, f"SELECT a, b, s FROM t WHERE {p}")


@SETTINGS
@given(tables, st.sampled_from([
    "rank() OVER (PARTITION BY s ORDER BY a)", "dense_rank() OVER (ORDER BY b DESC NULLS LAST)",
    "sum(b) OVER (PARTITION BY s)", "count(*) OVER (PARTITION BY a ORDER BY b)",
    "max(f) OVER (PARTITION BY s ORDER BY a NULLS FIRST)", "min(b) OVER ()"]))
def test_windows(same_answer, tu, w):
    ctx, con = engines(*tu)
    same_answer(ctx, con, f"SELECT a, b, s, {w} AS w FROM t")


@SETTINGS
@given(tables, st.sampled_from(["UNION", "UNION ALL", "INTERSECT", "EXCEPT"]))
def test_set_operations(same_answer, tu, op):
    ctx, con = engines(*tu)
    same_answer(ctx, con, f"SELECT a, s FROM t {op} SELECT a, s FROM u")


@SETTINGS
@given(tables, decimals, decimals)
def test_decimal_arithmetic(same_answer, tu, e1, e2):
    """Exact decimal results (DuckDB's scale rules differ from Arrow's in the
    type, never in the value)."""
    ctx, con = engines(*tu)
    same_answer(ctx, con, f"SELECT {e1} AS x, {e1} < {e2} AS lt, round({e1}, 1) AS r FROM t")
    same_answer(ctx, con, f"SELECT s, sum({e1}), min({e2}), avg(m) FROM t GROUP BY s")

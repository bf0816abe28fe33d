"""Subqueries decorrelated into joins.

* ``EXISTS`` / ``NOT EXISTS`` -> semi / anti join; the subquery's WHERE conjuncts
  that read outer columns become the join: equalities the keys, the rest the
  join condition.
* ``x IN (SELECT y ...)`` -> semi join on ``x = y`` (plus any correlation);
  ``NOT IN`` -> a null-aware anti join, which keeps no row when the subquery
  yields a NULL and drops rows whose ``x`` is NULL unless the subquery is empty;
  a correlated NOT IN counts, per distinct outer value, the subquery's rows,
  non-NULL results and matches, and decides from those counts.
* elsewhere (under OR or CASE, in a select list) they become boolean columns
  by a "mark" join: a left join to the subquery's distinct keys plus a marker,
  and for IN the subquery's row and NULL counts, which decide between FALSE and
  NULL when nothing matches.
* uncorrelated scalar subquery -> its one-row result cross-joined (only when it
  is known to give at most one row: a global aggregate or LIMIT 1).
* correlated scalar subquery (an aggregate) -> over correlation equalities,
  aggregate grouped by the inner correlation columns, left-joined on them; over
  any other correlation, the distinct outer values joined to the subquery's rows
  on the whole correlation, aggregated per value and left-joined back. Rows with
  no match get what the aggregate gives over no rows (COUNT is 0).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pyarrow as pa
from sqlglot import exp

from kyudo.planner.specs import AggSpec
from kyudo.planner import logical as L
from kyudo.planner.expr import Call, Col, Expr, Lit, conjoin, transform
from kyudo.planner.types import infer_type
from kyudo.sql.errors import SQLError, UnsupportedSQLError
from kyudo.sql.translate.joins import join, split_keys
from kyudo.sql.translate.relation import with_columns


def unwrap(node: exp.Expression) -> tuple[exp.Expression, bool]:
    negated = False
    while isinstance(node, (exp.Not, exp.Paren)):
        if isinstance(node, exp.Not):
            negated = not negated
        node = node.this
    if node.args.get("negate"):
        node = node.copy()
        node.set("negate", False)
        negated = not negated
    return node, negated


def is_predicate_subquery(node: exp.Expression) -> bool:
    inner, _ = unwrap(node)
    return isinstance(inner, exp.Exists) or (isinstance(inner, exp.In) and inner.args.get("query") is not None)


def _query_of(node: exp.Expression) -> exp.Expression:
    return node.this if isinstance(node, exp.Subquery) else node


def apply_predicate(block, node: exp.Expression) -> L.LogicalPlan:
    """The block's plan filtered by an [NOT] EXISTS / [NOT] IN subquery."""
    inner, negated = unwrap(node)
    if isinstance(inner, exp.Exists):
        return _exists(block, _query_of(inner.this), negated)
    return _in(block, inner, negated)


def _inner_block(block, query: exp.Expression):
    from kyudo.sql.translate.select import SelectBlock
    if not isinstance(query, exp.Select):
        return None
    sub = SelectBlock(block.t, query, block.scope)
    sub.from_where()
    return sub


def _is_simple(query: exp.Select) -> bool:
    """No grouping, aggregates, windows, DISTINCT or LIMIT: the rows of FROM+WHERE."""
    from kyudo.sql.translate.aggregates import find_aggregates
    return not (query.args.get("group") or query.args.get("having") or query.args.get("distinct")
                or query.args.get("limit") or query.args.get("offset")
                or find_aggregates(query.expressions) or list(query.find_all(exp.Window)))


def _exists(block, query: exp.Expression, negated: bool) -> L.LogicalPlan:
    how = "anti" if negated else "semi"
    sub = _inner_block(block, query)
    if sub is not None and sub.correlated:
        if not _is_simple(query):
            raise UnsupportedSQLError(f"a correlated EXISTS subquery with grouping or LIMIT: {query.sql()}")
        keys, residual = split_keys(sub.correlated, set(block.plan.schema.names), set(sub.plan.schema.names))
        return join(block.plan, sub.plan, how, keys, residual, block.t.namer)
    # uncorrelated: keep all rows or none, by the subquery's row count
    rel = block.t.query(query, block.scope)
    counted = L.Aggregate(rel.plan, (), (AggSpec(block.t.namer.fresh("__exists"), "size", None),))
    n = counted.schema.names[0]
    joined = L.Join(block.plan, counted, "cross", (), ())
    test = Call("greater", (Col(n), Lit(0)))
    kept = L.Filter(joined, Call("not", (test,)) if negated else test)
    return L.Project(kept, tuple((c, Col(c)) for c in block.plan.schema.names))


def _in(block, node: exp.In, negated: bool) -> L.LogicalPlan:
    query = _query_of(node.args["query"])
    value = block.expr(node.this, "IN")
    sub = _inner_block(block, query) if isinstance(query, exp.Select) else None
    if sub is not None and sub.correlated:
        if negated or not _is_simple(query):
            plan, found = _correlated_in(block, sub, query, value)
            kept = L.Filter(plan, Call("not", (found,)) if negated else found)
            return L.Project(kept, tuple((c, Col(c)) for c in block.plan.schema.names))
        inner_value = sub.expr(query.expressions[0], "IN")
        predicates = [Call("equal", (value, inner_value))] + sub.correlated
        keys, residual = split_keys(predicates, set(block.plan.schema.names), set(sub.plan.schema.names))
        return join(block.plan, sub.plan, "semi", keys, residual, block.t.namer)
    rel = block.t.query(query, block.scope)
    if len(rel.columns) != 1:
        raise SQLError(f"a subquery in IN must return one column, not {len(rel.columns)}")
    keys = [(value, Col(rel.columns[0]))]
    if not negated:
        return join(block.plan, rel.plan, "semi", keys, [], block.t.namer)
    joined = join(block.plan, rel.plan, "anti", keys, [], block.t.namer)
    return L.Join(joined.left, joined.right, "anti", joined.left_on, joined.right_on,
                  null_aware=True, reorderable=True)


def join_mark(block, node: exp.Expression) -> tuple[L.LogicalPlan, Expr]:
    """The block's plan with what [NOT] EXISTS / IN ``node`` needs joined on, and
    the boolean expression giving its value for each row."""
    if isinstance(node, exp.Exists):
        return _exists_mark(block, _query_of(node.this))
    return _in_mark(block, node)


def _marked_distinct(block, plan: L.LogicalPlan, keys: list[Expr]) -> tuple[L.LogicalPlan, list[str], str]:
    """Distinct ``keys`` of ``plan`` plus a TRUE marker column: at most one match
    per outer row, and a NULL marker after a left join means no match."""
    names = [block.t.namer.fresh("__mark_key") for _ in keys]
    distinct = L.Distinct(L.Project(plan, tuple(zip(names, keys))))
    marker = block.t.namer.fresh("__mark")
    return with_columns(distinct, [(marker, Lit(True, pa.bool_()))]), names, marker


def _exists_mark(block, query) -> tuple[L.LogicalPlan, Expr]:
    sub = _inner_block(block, query)
    if sub is None or not sub.correlated:
        rel = block.t.query(query, block.scope)
        n = block.t.namer.fresh("__exists")
        counted = L.Aggregate(rel.plan, (), (AggSpec(n, "size", None),))
        return L.Join(block.plan, counted, "cross", (), ()), Call("greater", (Col(n), Lit(0)))
    if not _is_simple(query):
        raise UnsupportedSQLError(f"a correlated EXISTS subquery with grouping or LIMIT: {query.sql()}")
    keys, residual = split_keys(sub.correlated, set(block.plan.schema.names), set(sub.plan.schema.names))
    if residual or not keys:
        plan, counts = _count_per_outer_value(block, sub, [], {})
        return plan, Call("greater", (Call("coalesce", (Col(counts["rows"]), Lit(0, pa.int64()))),
                                      Lit(0, pa.int64())))
    right, names, marker = _marked_distinct(block, sub.plan, [inner for _, inner in keys])
    joined = join(block.plan, right, "left", [(o, Col(n)) for (o, _), n in zip(keys, names)], [],
                  block.t.namer)
    return joined, Call("coalesce", (Col(marker), Lit(False, pa.bool_())))


def _in_mark(block, node: exp.In) -> tuple[L.LogicalPlan, Expr]:
    query = _query_of(node.args["query"])
    value = block.expr(node.this, "IN")
    sub = _inner_block(block, query)
    if sub is not None and sub.correlated:
        return _correlated_in(block, sub, query, value)
    rel = block.t.query(query, block.scope)
    if len(rel.columns) != 1:
        raise SQLError(f"a subquery in IN must return one column, not {len(rel.columns)}")
    right, names, marker = _marked_distinct(block, rel.plan, [Col(rel.columns[0])])
    joined = join(block.plan, right, "left", [(value, Col(names[0]))], [], block.t.namer)
    rows, non_null = block.t.namer.fresh("__in_rows"), block.t.namer.fresh("__in_values")
    counts = L.Aggregate(rel.plan, (), (AggSpec(rows, "size", None),
                                        AggSpec(non_null, "count", rel.columns[0])))
    joined = L.Join(joined, counts, "cross", (), ())
    return joined, _in_value(Call("is_not_null", (Col(marker),)), Col(rows), Col(non_null), value)


def _in_value(found: Expr, rows: Expr, non_null: Expr, value: Expr) -> Expr:
    """SQL's ``value IN (subquery)`` from what is known about the subquery's rows:
    TRUE on a match, FALSE when there are no rows, NULL when ``value`` is NULL or
    the rows hold a NULL, FALSE otherwise."""
    unknown = Call("or", (Call("is_null", (value,)), Call("less", (non_null, rows))))
    return Call("case_when", (found, Lit(True, pa.bool_()),
                              Call("equal", (rows, Lit(0))), Lit(False, pa.bool_()),
                              unknown, Lit(None, pa.bool_()), Lit(False, pa.bool_())))


def _correlated_in(block, sub, query: exp.Select, value: Expr) -> tuple[L.LogicalPlan, Expr]:
    """``value [NOT] IN`` a correlated subquery, per outer row, decided from the
    subquery's rows, non-NULL results and matches per outer value."""
    if len(query.expressions) != 1:
        raise SQLError(f"a subquery in IN must return one column: {query.sql()}")
    without_distinct = query.copy()
    without_distinct.set("distinct", None)  # DISTINCT does not change IN
    if not _is_simple(without_distinct):
        raise UnsupportedSQLError(f"a correlated IN subquery with grouping or LIMIT: {query.sql()}")
    result = block.t.namer.fresh("__in_result")
    sub.plan = with_columns(sub.plan, [(result, sub.expr(query.expressions[0], "IN"))])
    plan, counts = _count_per_outer_value(block, sub, [value], {"values": result},
                                          match=(value, result))
    zero = Lit(0, pa.int64())
    n, c, m = (Call("coalesce", (Col(counts[k]), zero)) for k in ("rows", "values", "matches"))
    return plan, _in_value(Call("greater", (m, zero)), n, c, value)


def _count_per_outer_value(block, sub, also: list[Expr], count_columns: dict[str, str],
                           match: tuple[Expr, str] | None = None):
    """Per distinct outer value (see :func:`_join_outer_values`) count the
    subquery's rows (``rows``), the non-NULL values of each ``count_columns``
    entry, and the rows where ``match`` = (outer expression, inner column)
    holds (``matches``); left-joined back onto the block's plan NULL-equal (an
    outer row without any row gets NULL counts)."""
    values = _join_outer_values(block, sub, tuple(also))
    joined = values.joined
    counts = {"rows": block.t.namer.fresh("__rows")}
    specs = [AggSpec(counts["rows"], "size", None)]
    for label, column in count_columns.items():
        counts[label] = block.t.namer.fresh(f"__{label}")
        specs.append(AggSpec(counts[label], "count", column))
    if match is not None:
        hit = block.t.namer.fresh("__hit")
        outer_value, inner_column = match
        joined = with_columns(joined, [(hit, Call("if_else", (
            Call("equal", (values.rename(outer_value), Col(inner_column))), Lit(1), Lit(None, pa.int64()))))])
        counts["matches"] = block.t.namer.fresh("__matches")
        specs.append(AggSpec(counts["matches"], "count", hit))
    aggregated = L.Aggregate(joined, values.group, tuple(specs))
    return L.Join(block.plan, aggregated, "left", values.outer, values.group, null_equal=True), counts


def join_scalar(block, node: exp.Subquery) -> tuple[L.LogicalPlan, str]:
    """Join scalar subquery ``node`` onto the block's plan; returns the new plan
    and the column holding the subquery's value."""
    query = _query_of(node)
    sub = _inner_block(block, query)
    if sub is not None and sub.correlated:
        return _correlated_scalar(block, sub, query)
    rel = block.t.query(query, block.scope)
    if len(rel.columns) != 1:
        raise SQLError(f"a scalar subquery must return one column, not {len(rel.columns)}: {node.sql()}")
    plan, column = rel.plan, rel.columns[0]
    if not _one_row(plan):
        if not (isinstance(plan, L.Project) and _limit_one(plan.input)) and not _limit_one(plan):
            raise UnsupportedSQLError(f"a scalar subquery that may return several rows "
                                      f"(only aggregates or LIMIT 1 are supported): {node.sql()}")
        value = block.t.namer.fresh("__scalar")
        plan = L.Aggregate(plan, (), (AggSpec(value, "first", column),))
        column = value
    plan = L.Project(plan, ((column, Col(column)),))
    return L.Join(block.plan, plan, "cross", (), ()), column


def _one_row(plan: L.LogicalPlan) -> bool:
    while isinstance(plan, L.Project):
        plan = plan.input
    return isinstance(plan, L.Aggregate) and not plan.keys


def _limit_one(plan: L.LogicalPlan) -> bool:
    return isinstance(plan, L.Limit) and plan.n is not None and plan.n <= 1


def _correlated_scalar(block, sub, query: exp.Select) -> tuple[L.LogicalPlan, str]:
    if len(query.expressions) != 1:
        raise SQLError(f"a scalar subquery must return one column: {query.sql()}")
    outer_names = set(block.plan.schema.names)
    keys, residual = split_keys(sub.correlated, outer_names, set(sub.plan.schema.names))
    if residual or not keys:
        return _correlated_by_values(block, sub)
    inner_columns = []
    for _, inner in keys:
        if isinstance(inner, Col):
            inner_columns.append(inner.name)
        else:
            name = block.t.namer.fresh("__corr")
            sub.plan = with_columns(sub.plan, [(name, inner)])
            inner_columns.append(name)
    rel = sub.finish(extra_keys=tuple(inner_columns))
    right, value_column, matched = _value_side(block, rel, inner_columns)
    joined = join(block.plan, right, "left",
                  [(o, Col(i)) for (o, _), i in zip(keys, inner_columns)], [], block.t.namer)
    return _fill_unmatched(block, sub, rel, joined, value_column, matched)


def _correlated_by_values(block, sub) -> tuple[L.LogicalPlan, str]:
    """A correlated scalar subquery whose correlation is not only equalities
    (``(SELECT count(*) FROM u WHERE u.v < t.n)``): aggregated per distinct
    outer value (see :func:`_join_outer_values`), joined back on those values
    (NULLs equal, so a NULL outer value finds its group of no matches)."""
    values = _join_outer_values(block, sub)
    sub.plan = values.joined
    rel = sub.finish(extra_keys=values.group)
    right, value_column, matched = _value_side(block, rel, values.group)
    joined = L.Join(block.plan, right, "left", values.outer, values.group, null_equal=True)
    return _fill_unmatched(block, sub, rel, joined, value_column, matched)


def _value_side(block, rel, keys) -> tuple[L.LogicalPlan, str, str]:
    """The subquery's keys and value, with a TRUE column telling matched rows
    apart after the left join."""
    value_column = rel.columns[-1]
    matched = block.t.namer.fresh("__matched")
    right = L.Project(rel.plan, tuple((k, Col(k)) for k in keys)
                      + ((value_column, Col(value_column)), (matched, Lit(True, pa.bool_()))))
    return right, value_column, matched


def _fill_unmatched(block, sub, rel, joined, value_column: str, matched: str):
    """Outer rows without a match get the subquery's value over no rows."""
    empty = _empty_value(sub, rel, value_column)
    if empty is None:
        return joined, value_column
    result = block.t.namer.fresh("__scalar")
    value = Call("if_else", (Call("is_null", (Col(matched),)), empty, Col(value_column)))
    return with_columns(joined, [(result, value)]), result


@dataclass
class _OuterValues:
    """The subquery's rows joined to the distinct outer values they correlate
    with: ``outer`` are the outer plan's columns, ``group`` their copies in
    ``joined``, ``rename`` rewrites an outer expression onto the copies."""

    joined: L.LogicalPlan
    outer: tuple[str, ...]
    group: tuple[str, ...]
    rename: Callable[[Expr], Expr]


def _join_outer_values(block, sub, also: tuple[Expr, ...] = ()) -> _OuterValues:
    """Decorrelate by value: the distinct values of the outer columns that the
    correlation (and ``also``) read, joined to the subquery's rows on the whole
    correlation (equalities as keys, the rest as a filter)."""
    names = set(block.plan.schema.names)
    outer = tuple(sorted(set().union(*(c.columns() for c in list(sub.correlated) + list(also)))
                         & names))
    fresh = {c: block.t.namer.fresh(f"__outer.{c}") for c in outer}

    def rename(e: Expr) -> Expr:
        return transform(e, lambda n: Col(fresh[n.name]) if isinstance(n, Col) and n.name in fresh else n)
    values = L.Distinct(L.Project(block.plan, tuple((fresh[c], Col(c)) for c in outer)))
    keys, residual = split_keys([rename(c) for c in sub.correlated], set(values.schema.names),
                                set(sub.plan.schema.names))
    joined = join(values, sub.plan, "inner" if keys else "cross", keys, [], block.t.namer)
    if residual:
        joined = L.Filter(joined, conjoin(residual))
    return _OuterValues(joined, outer, tuple(fresh[c] for c in outer), rename)


def _empty_value(sub, rel, value_column: str) -> Expr | None:
    """What the subquery's value is over no rows, when that may not be NULL: its
    select expression with COUNTs as 0 and other aggregates as NULL (None when
    the value is a bare non-count aggregate, whose empty value is NULL anyway)."""
    project = next((p for p in L.walk(rel.plan) if isinstance(p, L.Project)
                    and value_column in dict(p.exprs)), None)
    expr = dict(project.exprs)[value_column]
    if not isinstance(project.input, L.Aggregate):
        raise UnsupportedSQLError("a correlated scalar subquery with HAVING, windows or nested "
                                  "subqueries in its select list")
    aggregate = project.input
    counts = {a.output for a in aggregate.aggs if a.func in ("count", "size", "count_distinct")}
    if isinstance(expr, Col) and expr.name not in counts:
        return None
    in_schema = aggregate.schema

    def empty(node):
        if isinstance(node, Col):
            if node.name in counts:
                return Lit(0, pa.int64())
            return Lit(None, in_schema.field(node.name).type)
        return node
    result = transform(expr, empty)
    infer_type(result, in_schema)
    return result

"""GROUP BY and aggregate functions, GROUPING SETS / ROLLUP / CUBE.

SQL aggregates map onto the engine's AggSpec functions with SQL options: a sum
of no values is NULL (``min_count=1``), ``avg`` is ``mean`` (a double, also for
integers and decimals, as in DuckDB). A grouping-sets query is a Union of one
Aggregate per set, with the keys a set leaves out filled with typed NULLs and a
``GROUPING()`` bitmask column per branch.
"""
from __future__ import annotations

from itertools import combinations

from sqlglot import exp

from kyudo.planner.specs import AggSpec
from kyudo.sql.errors import SQLError, UnsupportedSQLError

_SIMPLE = {exp.Avg: "mean", exp.Min: "min", exp.Max: "max", exp.Stddev: "std",
           exp.StddevSamp: "std", exp.Variance: "var", exp.VariancePop: "var",
           exp.StddevPop: "std", exp.LogicalAnd: "all", exp.LogicalOr: "any",
           exp.AnyValue: "first", exp.First: "first", exp.Last: "last"}
_POPULATION = (exp.VariancePop, exp.StddevPop)


def find_aggregates(nodes, user_aggregations=()) -> list[exp.Expression]:
    """Aggregate calls (with their FILTER clause, if any) in ``nodes``, outside
    subqueries and not the function of a window (whose arguments may hold
    aggregates: ``sum(sum(x)) OVER ()``)."""
    found: list[exp.AggFunc] = []

    def visit(node, is_window_function=False):
        if isinstance(node, (exp.Subquery, exp.Select, exp.Exists)):
            return
        if isinstance(node, exp.Grouping):  # GROUPING() reads the grouping set, see select.py
            return
        is_aggregate = isinstance(node, exp.AggFunc) or (
            isinstance(node, exp.Filter) and isinstance(node.this, exp.AggFunc)) or (
            isinstance(node, exp.Anonymous) and node.name.lower() in user_aggregations)
        if is_aggregate and not is_window_function:
            found.append(node)
            return
        for key, value in node.args.items():
            children = value if isinstance(value, list) else [value]
            for child in children:
                if isinstance(child, exp.Expression):
                    visit(child, isinstance(node, exp.Window) and key == "this")

    for n in nodes:
        if n is not None:
            visit(n)
    return found


def distinct_argument(node: exp.AggFunc) -> bool:
    """``agg(DISTINCT x)`` for an aggregate other than COUNT (which the engine
    computes itself): the caller aggregates the distinct values separately."""
    return isinstance(node.this, exp.Distinct) and not isinstance(node, exp.Count)


def aggregate_spec(node: exp.AggFunc, output: str, argument: str | None,
                   over_distinct: bool = False) -> AggSpec:
    """The AggSpec of SQL aggregate ``node`` over plan column ``argument``;
    ``over_distinct``: the caller feeds it distinct values (see
    :func:`distinct_argument`)."""
    if isinstance(node, exp.Count):
        inner = node.this
        if isinstance(inner, exp.Distinct):
            return AggSpec(output, "count_distinct", argument)
        if argument is None:
            return AggSpec(output, "size", None)
        return AggSpec(output, "count", argument)
    if isinstance(node.this, exp.Distinct) and not over_distinct:
        raise UnsupportedSQLError(f"{node.sql()}: DISTINCT is not supported here")
    if isinstance(node, exp.Sum):
        return AggSpec(output, "sum", argument, (("min_count", 1),))
    for cls, func in _SIMPLE.items():
        if type(node) is cls:
            options = (("ddof", 0),) if isinstance(node, _POPULATION) else ()
            return AggSpec(output, func, argument, options)
    raise UnsupportedSQLError(f"aggregate function {node.sql_name()} is not supported")


def filtered_argument(node: exp.Expression) -> tuple[exp.AggFunc, exp.Expression | None]:
    """The aggregate function of ``node`` and the expression it aggregates; with
    ``FILTER (WHERE c)`` that is ``CASE WHEN c THEN arg END`` (arg 1 for COUNT(*)),
    since every aggregate skips NULLs."""
    if not isinstance(node, exp.Filter):
        return node, aggregate_argument(node)
    fn, condition = node.this, node.expression.this
    argument = aggregate_argument(fn)
    value = argument.copy() if argument is not None else exp.Literal.number(1)
    return fn, exp.Case(ifs=[exp.If(this=condition.copy(), true=value)])


def aggregate_argument(node: exp.AggFunc) -> exp.Expression | None:
    """The argument expression of an aggregate (None for COUNT(*))."""
    inner = node.this
    if isinstance(inner, exp.Distinct):
        if len(inner.expressions) != 1:
            raise UnsupportedSQLError(f"{node.sql()}: COUNT(DISTINCT) of several columns")
        inner = inner.expressions[0]
    if inner is None or isinstance(inner, exp.Star):
        return None
    if node.expressions:
        raise UnsupportedSQLError(f"{node.sql()}: aggregates take one argument")
    return inner


def grouping_sets(group: exp.Group | None) -> tuple[list[exp.Expression], list[tuple[int, ...]] | None]:
    """All GROUP BY expressions, and the grouping sets as index tuples into them
    (None for a plain GROUP BY). Several ROLLUP/CUBE/GROUPING SETS items combine
    as their cross product, as in SQL."""
    if group is None:
        return [], None
    keys: list[exp.Expression] = []

    def index(e: exp.Expression) -> int:
        sql = e.sql()
        for i, k in enumerate(keys):
            if k.sql() == sql:
                return i
        keys.append(e)
        return len(keys) - 1

    factors: list[list[tuple[int, ...]]] = []
    plain = True
    items = list(group.expressions) + [g for k in ("grouping_sets", "rollup", "cube")
                                       for g in group.args.get(k) or []]
    for e in items:
        if isinstance(e, (exp.GroupingSets, exp.Rollup, exp.Cube)):
            factors.append(_sets_of(e, index))
            plain = False
        elif isinstance(e, exp.Tuple):  # GROUP BY (a, b) is GROUP BY a, b; () adds nothing
            factors.append([tuple(index(x) for x in e.expressions)])
        else:
            factors.append([(index(e),)])
    if plain:
        return keys, None
    sets: list[tuple[int, ...]] = [()]
    for factor in factors:
        sets = [tuple(dict.fromkeys(a + b)) for a in sets for b in factor]
    return keys, sets


def _sets_of(node: exp.Expression, index) -> list[tuple[int, ...]]:
    def members(e):
        if isinstance(e, (exp.Tuple, exp.Paren)):
            inner = e.expressions if isinstance(e, exp.Tuple) else [e.this]
            return tuple(index(x) for x in inner)
        return (index(e),)

    items = [members(e) for e in node.expressions]
    if isinstance(node, exp.GroupingSets):
        return items
    if isinstance(node, exp.Rollup):
        return [tuple(i for m in items[:n] for i in m) for n in range(len(items), -1, -1)]
    if isinstance(node, exp.Cube):
        out = []
        for n in range(len(items), -1, -1):
            for combo in combinations(items, n):
                out.append(tuple(i for m in combo for i in m))
        return out
    raise SQLError(f"unexpected grouping item {node.sql()}")

"""A left join kept only where the right side found nothing is an anti join."""
from __future__ import annotations

from kyudo.planner.expr import Call, Col, Lit, conjoin, conjuncts
from kyudo.planner.logical import Aggregate, Filter, Join, LogicalPlan, Project, transform_up

# Aggregates that are never NULL, even for a group of NULLs.
_NEVER_NULL = ("count", "size", "count_distinct")


def apply(plan: LogicalPlan) -> LogicalPlan:
    """pandas has no anti join, so ``NOT EXISTS`` is written as a left merge with
    the other table's per-key counts, keeping the rows whose count is missing
    (TPC-H Q22: customers without orders). A right column that is never NULL on
    a matched row (a count, seen through renames) is NULL exactly on the left
    rows nothing matched: the filter and the join together are an anti join on
    the same keys, whose output gets the right columns back as NULLs. The
    anti join then needs no counting at all (``semi_join_from_distinct`` drops
    the grouping), where the left join counted 15M orders per customer first.

    Before::

        Filter(is_null(n_orders))
          Join(left, on=[c_custkey=o_custkey])
            Scan(customer)
            Aggregate(keys=[o_custkey], n_orders=count(o_orderkey))

    After::

        Project(c_custkey, ..., o_custkey=NULL, n_orders=NULL)
          Join(anti, on=[c_custkey=o_custkey])
            Scan(customer)
            Aggregate(keys=[o_custkey], n_orders=count(o_orderkey))

    Other conjuncts of the filter stay above. Joins with a residual condition
    are left alone.
    """
    return transform_up(plan, _rewrite)


def _rewrite(node: LogicalPlan) -> LogicalPlan:
    if not isinstance(node, Filter) or not isinstance(node.input, Join):
        return node
    join = node.input
    if join.how != "left" or join.condition is not None or not join.left_on:
        return node
    right_names = set(join.right.schema.names)
    terms = conjuncts(node.predicate)
    unmatched = next((t for t in terms if _is_null_of(t, right_names) and _never_null(join.right, t.args[0].name)),
                     None)
    if unmatched is None:
        return node
    anti = Join(join.left, join.right, "anti", join.left_on, join.right_on, null_equal=join.null_equal,
                strategy=join.strategy)
    right = join.right.schema
    nulls = tuple((f.name, Lit(None, f.type)) for f in right)
    rebuilt: LogicalPlan = Project(anti, tuple((name, Col(name)) for name in join.left.schema.names) + nulls)
    rest = [t for t in terms if t is not unmatched]
    return Filter(rebuilt, conjoin(rest)) if rest else rebuilt


def _is_null_of(term, names: set[str]) -> bool:
    return (isinstance(term, Call) and term.op == "is_null" and len(term.args) == 1
            and isinstance(term.args[0], Col) and term.args[0].name in names)


def _never_null(plan: LogicalPlan, name: str) -> bool:
    """Whether column ``name`` of ``plan`` is never NULL: a count, through renames."""
    while isinstance(plan, Project):
        expr = dict(plan.exprs).get(name)
        if not isinstance(expr, Col):
            return False
        plan, name = plan.input, expr.name
    if isinstance(plan, Aggregate):
        return any(spec.output == name and spec.func in _NEVER_NULL for spec in plan.aggs)
    return False

"""Aggregate only the groups a join can use: filter a grouped input by the keys
the other side of the join can hold, before it is grouped."""
from __future__ import annotations

from dataclasses import replace

from kyudo.planner.expr import Col
from kyudo.planner.logical import Aggregate, Filter, Join, LogicalPlan, Project, Scan, transform_up
from kyudo.planner.statistics import estimate, filtered_rows

# The provider of the keys must be this many times smaller than the grouped input
# (by estimate) for the extra semi join to pay for itself.
MIN_REDUCTION = 10

# Join types where dropping rows of one side whose key no row of the other side
# has changes nothing: those rows are never output or looked at.
_REDUCIBLE_RIGHT = ("inner", "left", "semi", "anti")
_REDUCIBLE_LEFT = ("inner", "right")


def apply(plan: LogicalPlan) -> LogicalPlan:
    """When one side of an equi-join is a grouped aggregation on the join key (as
    decorrelated subqueries are: TPC-H Q17's average quantity per part) and the
    other side's key values all come from a small filtered scan (the parts of one
    brand and container), semi-join the aggregation's input with that scan first.

    Groups whose key the other side cannot hold are never matched, so they need
    not be computed: Q17 then averages the lineitems of 2 thousand parts instead
    of grouping all 60 million rows into 2 million parts. Whole groups go or
    stay, so every kept group's value is unchanged, and a NULL key (which matches
    nothing) only loses a group nobody sees. NOT IN joins are left alone: there a
    NULL key in the subquery matters.

    The key values of the other side are traced down to their *provider*: through
    projections (renames), filters and the inner or preserved side of joins, each
    of which can only drop values, to a scan (with its filters). It is read once
    more, which is why it must be much smaller than the grouped input.

    Before::

        Join(left, on=[p_partkey=l_partkey2])
          Join(inner, on=[l_partkey=p_partkey])
            Scan(lineitem)
            Scan(part, predicate=p_brand = 'Brand#23')
          Aggregate(keys=[l_partkey2], avg=mean(l_quantity2))
            Scan(lineitem)

    After::

        Join(left, on=[p_partkey=l_partkey2])
          Join(inner, on=[l_partkey=p_partkey])
            Scan(lineitem)
            Scan(part, predicate=p_brand = 'Brand#23')
          Aggregate(keys=[l_partkey2], avg=mean(l_quantity2))
            Join(semi, on=[l_partkey2=__semi_key])
              Scan(lineitem)
              Project(__semi_key=p_partkey)
                Scan(part, predicate=p_brand = 'Brand#23')

    Applying the rule again changes nothing: an aggregation already reduced by the
    same provider is recognised.
    """
    return transform_up(plan, _rewrite)


def _rewrite(node: LogicalPlan) -> LogicalPlan:
    if not isinstance(node, Join) or not node.left_on or node.null_equal or node.null_aware:
        return node
    if node.how in _REDUCIBLE_RIGHT:
        reduced = _reduce_side(node.right, node.right_on, node.left, node.left_on)
        if reduced is not None:
            return replace(node, right=reduced)
    if node.how in _REDUCIBLE_LEFT:
        reduced = _reduce_side(node.left, node.left_on, node.right, node.right_on)
        if reduced is not None:
            return replace(node, left=reduced)
    return node


def _reduce_side(side: LogicalPlan, side_keys: tuple, other: LogicalPlan, other_keys: tuple):
    """``side`` with its aggregation's input semi-joined to the provider of one of
    ``other``'s keys, or None when no key pair qualifies."""
    for side_key, other_key in zip(side_keys, other_keys):
        found = _provider(other, other_key)
        if found is None:
            continue
        provider, name = found
        keys = Project(provider, (("__semi_key", Col(name)),))
        reduced = _reduce_aggregate(side, side_key, keys)
        if reduced is not None:
            return reduced
    return None


def _provider(plan: LogicalPlan, name: str):
    """``(subtree, column)``: a filtered scan whose ``column`` holds every value
    ``name`` can have in ``plan``'s output; None when there is none, or when the
    scan is not filtered (all of a table's keys reduce nothing: TPC-H Q15's
    revenue per supplier joined to every supplier)."""
    while True:
        if isinstance(plan, Project):
            expr = dict(plan.exprs).get(name)
            if not isinstance(expr, Col):
                return None
            plan, name = plan.input, expr.name
        elif isinstance(plan, Filter):
            plan = plan.input
        elif isinstance(plan, Join) and plan.how in ("inner", "left", "semi", "anti", "right"):
            in_left, in_right = name in plan.left.schema.names, name in plan.right.schema.names
            if in_left and not in_right and plan.how in ("inner", "left", "semi", "anti"):
                plan = plan.left
            elif in_right and not in_left and plan.how in ("inner", "right"):
                plan = plan.right
            else:
                return None
        elif isinstance(plan, Scan):
            return (plan, name) if plan.predicate is not None else None
        else:
            return None


def _reduce_aggregate(plan: LogicalPlan, key: str, keys: Project):
    """``plan`` (projections and filters over a grouped aggregation on ``key``)
    with the aggregation's input semi-joined to ``keys``; None when ``plan`` is
    not that shape, is already reduced, or the reduction would not pay."""
    if isinstance(plan, Project):
        expr = dict(plan.exprs).get(key)
        if not isinstance(expr, Col):
            return None
        inner = _reduce_aggregate(plan.input, expr.name, keys)
        return None if inner is None else plan.with_children((inner,))
    if isinstance(plan, Filter):
        inner = _reduce_aggregate(plan.input, key, keys)
        return None if inner is None else plan.with_children((inner,))
    if not isinstance(plan, Aggregate) or key not in plan.keys:
        return None
    source = plan.input
    while isinstance(source, Join) and source.how == "semi":
        if source.right == keys:
            return None
        source = source.left
    source = plan.input
    provider_rows = filtered_rows(keys.input)
    input_rows, _ = estimate(source)
    if provider_rows is None or input_rows is None or provider_rows * MIN_REDUCTION > input_rows:
        return None
    return plan.with_children((Join(source, keys, "semi", (key,), ("__semi_key",)),))

"""Remove sorts whose order nobody can observe, and merge stacked sorts."""
from __future__ import annotations

import dataclasses

from kyudo.planner.expr import Col
from kyudo.planner.logical import (Aggregate, Distinct, Filter, Join, LogicalPlan, Project, Sort,
                                   transform_up)

# Aggregations whose result depends on the order rows arrive in.
_ORDER_SENSITIVE = frozenset({"first", "last"})


def apply(plan: LogicalPlan) -> LogicalPlan:
    """Sorting is the costliest row-preserving step, and pandas code sorts often
    for its own sake (``groupby`` sorts its keys by default). Two rewrites:

    * a Sort over a Sort (directly, or through Projects and Filters that keep
      the inner keys) becomes one Sort on the outer keys, then the inner ones:
      sorts are stable, so the inner order survives only as the tie-break,
      which is exactly what the merged keys say;
    * a Sort (seen through Projects and Filters) feeding a Join, a Distinct, or
      an Aggregate without first/last is dropped: those outputs have no order
      that depends on their input's order.

    Before::

        Join(inner, on=[o_orderkey=l_orderkey])
          Scan(orders)
          Sort(l_orderkey asc)
            Aggregate(keys=[l_orderkey], n=count(l_linenumber))

    After::

        Join(inner, on=[o_orderkey=l_orderkey])
          Scan(orders)
          Aggregate(keys=[l_orderkey], n=count(l_linenumber))
    """
    return transform_up(plan, _rewrite)


def _rewrite(node: LogicalPlan) -> LogicalPlan:
    if isinstance(node, Sort):
        merged = _merged_with_inner_sort(node)
        if merged is not None:
            return merged
    if isinstance(node, (Join, Distinct)) or (
            isinstance(node, Aggregate) and not any(a.func in _ORDER_SENSITIVE for a in node.aggs)):
        children = tuple(_without_sort(c) for c in node.children)
        if any(a is not b for a, b in zip(children, node.children)):
            return node.with_children(children)
    return node


def _merged_with_inner_sort(node: Sort) -> LogicalPlan | None:
    """``node`` and a Sort below it, through Projects and Filters (which keep
    row order), as one Sort over them, or None. The inner keys become the
    tie-breaks under the names the Projects give them; an inner key a Project
    drops or computes from other columns leaves the two sorts apart.
    (``groupby`` sorts its keys, ``reset_index`` projects, ``sort_values``
    sorts again: TPC-H Q16 in pandas.)"""
    chain: list[LogicalPlan] = []
    inner = node.input
    while isinstance(inner, (Project, Filter)):
        chain.append(inner)
        inner = inner.input
    if not isinstance(inner, Sort):
        return None
    keys = list(inner.keys)
    for step in reversed(chain):  # bottom-up, renaming the inner keys
        if isinstance(step, Project):
            names = {expr.name: name for name, expr in step.exprs if isinstance(expr, Col)}
            if any(key.column not in names for key in keys):
                return None
            keys = [dataclasses.replace(key, column=names[key.column]) for key in keys]
    rebuilt = inner.input
    for step in reversed(chain):
        rebuilt = step.with_children((rebuilt,))
    outer = {k.column for k in node.keys}
    return Sort(rebuilt, node.keys + tuple(k for k in keys if k.column not in outer))


def _without_sort(plan: LogicalPlan) -> LogicalPlan:
    """``plan`` with a Sort below its row-wise top removed (if there is one)."""
    if isinstance(plan, Sort):
        return _without_sort(plan.input)
    if isinstance(plan, (Project, Filter)):
        child = _without_sort(plan.input)
        return plan if child is plan.input else plan.with_children((child,))
    return plan

"""Remove sorts whose order nobody can observe, and merge stacked sorts."""
from __future__ import annotations

from kyudo.planner.logical import (Aggregate, Distinct, Filter, Join, LogicalPlan, Project, Sort,
                                   transform_up)

# Aggregations whose result depends on the order rows arrive in.
_ORDER_SENSITIVE = frozenset({"first", "last"})


def apply(plan: LogicalPlan) -> LogicalPlan:
    """Sorting is the costliest row-preserving step, and pandas code sorts often
    for its own sake (``groupby`` sorts its keys by default). Two rewrites:

    * a Sort directly over a Sort becomes one Sort on the outer keys, then the
      inner ones: sorts are stable, so the inner order survives only as the
      tie-break, which is exactly what the merged keys say;
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
    if isinstance(node, Sort) and isinstance(node.input, Sort):
        outer = {k.column for k in node.keys}
        keys = node.keys + tuple(k for k in node.input.keys if k.column not in outer)
        return Sort(node.input.input, keys)
    if isinstance(node, (Join, Distinct)) or (
            isinstance(node, Aggregate) and not any(a.func in _ORDER_SENSITIVE for a in node.aggs)):
        children = tuple(_without_sort(c) for c in node.children)
        if any(a is not b for a, b in zip(children, node.children)):
            return node.with_children(children)
    return node


def _without_sort(plan: LogicalPlan) -> LogicalPlan:
    """``plan`` with a Sort below its row-wise top removed (if there is one)."""
    if isinstance(plan, Sort):
        return _without_sort(plan.input)
    if isinstance(plan, (Project, Filter)):
        child = _without_sort(plan.input)
        return plan if child is plan.input else plan.with_children((child,))
    return plan

"""Count distinct values by deduplicating rows first, not by collecting sets."""
from __future__ import annotations

from kyudo.planner.expr import Col
from kyudo.planner.logical import Aggregate, Distinct, LogicalPlan, Project, transform_up
from kyudo.planner.specs import AggSpec


def apply(plan: LogicalPlan) -> LogicalPlan:
    """Rewrite an aggregation whose every output is ``count_distinct`` of one
    column (pandas ``nunique``, SQL ``COUNT(DISTINCT x)``) into a count over the
    distinct (keys, column) rows.

    The direct way keeps, per group, the set of values seen, and merges sets
    between partitions: with millions of groups (``nunique`` per order over
    TPC-H lineitem) those sets are lists of lists and cost far more than the
    data. Deduplicating the (keys, column) rows is an ordinary aggregation with
    no state at all, which shuffles and combines cheaply, and what is left is a
    plain count. Both ignore NULL values (a deduplicated NULL row is not
    counted) and keep NULL keys as a group, so the answers are the same.

    Before::

        Aggregate(keys=[k], n=count_distinct(x))
          Scan(t: k, x, y)

    After::

        Aggregate(keys=[k], n=count(x))
          Distinct
            Project(k, x)
              Scan(t: k, x, y)
    """
    return transform_up(plan, _rewrite)


def _rewrite(node: LogicalPlan) -> LogicalPlan:
    if not isinstance(node, Aggregate) or not node.aggs:
        return node
    columns = {spec.column for spec in node.aggs}
    if len(columns) != 1 or any(spec.func != "count_distinct" or spec.options for spec in node.aggs):
        return node
    (column,) = columns
    if column in node.keys:
        return node
    pairs = Distinct(Project(node.input, tuple((name, Col(name)) for name in (*node.keys, column))))
    counts = tuple(AggSpec(spec.output, "count", column) for spec in node.aggs)
    return Aggregate(pairs, node.keys, counts, node.split_every, node.split_out)

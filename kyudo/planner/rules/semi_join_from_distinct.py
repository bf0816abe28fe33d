"""An inner join with a set of distinct keys is a semi join on the rows before
they were made distinct."""
from __future__ import annotations

import pyarrow as pa

from kyudo.planner.expr import Col
from kyudo.planner.logical import Aggregate, Distinct, Join, LogicalPlan, Project, transform_up


def apply(plan: LogicalPlan) -> LogicalPlan:
    """pandas has no semi join, so ``EXISTS`` is written as a merge with the
    distinct keys of the other table: ``orders.merge(late.groupby("l_orderkey")
    .agg(...).reset_index())`` in TPC-H Q4, its counts never read. Once column
    pruning has removed the unread aggregates, the right side of such an inner
    join is an Aggregate grouping by exactly its join keys, with nothing else,
    or a Distinct of just those keys. Each left row then matches at most one
    right row, so the inner join keeps the left rows that have a match, in left
    order: a semi join, which needs no grouping at all. The right key columns
    the inner join output equal the left keys on every matched row (NULL too,
    under ``null_equal``), so a projection puts them back.

    Before::

        Join(inner, on=[o_orderkey=l_orderkey])
          Scan(orders)
          Aggregate(keys=[l_orderkey])
            Scan(lineitem)

    After::

        Project(o_orderkey, ..., l_orderkey=col('o_orderkey'))
          Join(semi, on=[o_orderkey=l_orderkey])
            Scan(orders)
            Scan(lineitem)

    Only when each right key has the left key's type (else the copied values
    would change type), no key is a float (NaN decides equality differently in
    grouping and in joining) and there is no residual condition.
    """
    return transform_up(plan, _rewrite)


def _rewrite(node: LogicalPlan) -> LogicalPlan:
    if not isinstance(node, Join) or node.how != "inner" or node.condition is not None or not node.left_on:
        return node
    rows = _rows_made_distinct(node.right, set(node.right_on))
    if rows is None:
        return node
    left, right = node.left.schema, node.right.schema
    for left_key, right_key in zip(node.left_on, node.right_on):
        kind = left.field(left_key).type
        if not kind.equals(right.field(right_key).type) or pa.types.is_floating(kind):
            return node
    semi = Join(node.left, rows, "semi", node.left_on, node.right_on, null_equal=node.null_equal,
                strategy=node.strategy, reorderable=node.reorderable)
    copied = dict(zip(node.right_on, node.left_on))
    return Project(semi, tuple((name, Col(name)) for name in left.names)
                   + tuple((name, Col(copied[name])) for name in right.names))


def _rows_made_distinct(plan: LogicalPlan, keys: set[str]) -> LogicalPlan | None:
    """The input of an Aggregate grouping by exactly ``keys`` with no aggregates,
    or of a Distinct whose columns are exactly ``keys``; None otherwise."""
    if isinstance(plan, Aggregate) and not plan.aggs and set(plan.keys) == keys and len(plan.keys) == len(keys):
        return plan.input
    if isinstance(plan, Distinct) and set(plan.schema.names) == keys and len(plan.schema.names) == len(keys):
        return plan.input
    return None

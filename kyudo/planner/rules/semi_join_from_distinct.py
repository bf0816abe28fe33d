"""An inner join with a set of distinct keys is a semi join on the rows before
they were made distinct; a semi or anti join needs no distinct keys at all."""
from __future__ import annotations

from dataclasses import replace

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

    A semi or anti join with such a right side looks only at which keys exist,
    so the grouping is dropped from under it (an anti join made from a left
    merge with per-key counts, see ``anti_join_from_left_join``). ``NOT IN``
    joins (``null_aware``) are left alone.
    """
    return transform_up(plan, _rewrite)


def _rewrite(node: LogicalPlan) -> LogicalPlan:
    if not isinstance(node, Join) or node.condition is not None or not node.left_on or node.null_aware:
        return node
    if node.how not in ("inner", "semi", "anti"):
        return node
    # A semi or anti join outputs no right column: the aggregates may be anything.
    rows = _rows_made_distinct(node.right, set(node.right_on), node.how != "inner")
    if rows is None:
        return node
    if node.how != "inner":  # only which keys exist counts: the grouping changes nothing
        return replace(node, right=rows)
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


def _rows_made_distinct(plan: LogicalPlan, keys: set[str], aggregates_allowed: bool) -> LogicalPlan | None:
    """The input of an Aggregate grouping by exactly ``keys`` (with no
    aggregates unless allowed), or of a Distinct whose columns are exactly
    ``keys``; None otherwise."""
    if (isinstance(plan, Aggregate) and (aggregates_allowed or not plan.aggs)
            and set(plan.keys) == keys and len(plan.keys) == len(keys)):
        return plan.input
    if isinstance(plan, Distinct) and set(plan.schema.names) == keys and len(plan.schema.names) == len(keys):
        return plan.input
    return None

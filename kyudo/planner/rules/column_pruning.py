"""Read and compute only the columns that something above actually uses."""
from __future__ import annotations

from dataclasses import replace

from kyudo.planner.expr import Col
from kyudo.planner.logical import (Aggregate, Filter, Join, Limit, LogicalPlan, Project, Scan,
                                   Sort, Union, Window)


def apply(plan: LogicalPlan) -> LogicalPlan:
    """Prune columns, walking the plan top-down with the set of columns the parent needs:

    * a Scan gets ``columns`` = the needed columns, in its current column order. The
      Scan's own predicate may read other columns: **contract with the lowering** —
      a Scan reads ``columns`` ∪ the predicate's columns, applies the predicate, and
      outputs exactly ``columns`` (which is what ``Scan.schema`` says);
    * a Project drops outputs nobody needs (the root needs all of its outputs, so the
      plan's schema never changes), an Aggregate drops aggregations nobody needs;
    * Filter and Sort add the columns of their predicate / keys, a Join its key
      and condition columns, to what their inputs must provide;
    * a Window drops functions nobody needs (and goes away when none is left) and
      adds its partition, order and function columns;
    * Distinct and MapPartitions need every input column (dropping one would change
      which rows are duplicates, or what the opaque function sees);
    * a node that only moves rows between partitions (``needed_columns()``, see
      :mod:`kyudo.planner.partitioning`) adds its own key columns;
    * every input of a Union is pruned to the same columns, with a Project added on
      an input that cannot drop the extra ones itself.

    A node's output may keep a few extra columns (a Filter's predicate columns); the
    next Project, Aggregate, Union or the root cuts them. No node is ever pruned to
    zero columns (the first one is kept), so row counts stay visible.

    Before::

        Project(a)
          Filter(b > 1)
            Scan(t: a, b, c, d)

    After::

        Project(a)
          Filter(b > 1)
            Scan(t, columns=[a, b])
    """
    return _prune(plan, set(plan.schema.names))


def _prune(plan: LogicalPlan, required: set[str]) -> LogicalPlan:
    """``plan`` rewritten to output at least ``required``, in the original order."""
    if isinstance(plan, Scan):
        names = plan.schema.names
        keep = [c for c in names if c in required] or names[:1]
        return plan if keep == names else replace(plan, columns=tuple(keep))
    if isinstance(plan, Project):
        exprs = tuple((n, e) for n, e in plan.exprs if n in required) or plan.exprs[:1]
        child = _prune(plan.input, set().union(*(e.columns() for _, e in exprs)))
        if exprs == plan.exprs and child is plan.input:
            return plan
        return Project(child, exprs)
    if isinstance(plan, Aggregate):
        aggs = tuple(a for a in plan.aggs if a.output in required)
        if not plan.keys and not aggs:
            aggs = plan.aggs[:1]
        needed = set(plan.keys) | {a.column for a in aggs if a.column is not None}
        child = _prune(plan.input, needed)
        if aggs == plan.aggs and child is plan.input:
            return plan
        return replace(plan, input=child, aggs=aggs)
    if isinstance(plan, Filter):
        return plan.with_children((_prune(plan.input, required | plan.predicate.columns()),))
    if isinstance(plan, Sort):
        return plan.with_children((_prune(plan.input, required | {k.column for k in plan.keys}),))
    if isinstance(plan, Limit):
        return plan.with_children((_prune(plan.input, required),))
    if isinstance(plan, Join):
        return _prune_join(plan, required)
    if isinstance(plan, Window):
        return _prune_window(plan, required)
    if isinstance(plan, Union):
        return _prune_union(plan, required)
    needed = getattr(plan, "needed_columns", None)
    if needed is not None:  # nodes that only lay rows out (kyudo.planner.partitioning)
        return plan.with_children((_prune(plan.input, required | needed()),))
    # Distinct, MapPartitions and anything unknown need every input column.
    return plan.with_children(tuple(_prune(c, set(c.schema.names)) for c in plan.children))


def _prune_join(plan: Join, required: set[str]) -> LogicalPlan:
    condition = plan.condition.columns() if plan.condition is not None else set()
    left_names, right_names = set(plan.left.schema.names), set(plan.right.schema.names)
    left_required = ((required | condition) & left_names) | set(plan.left_on)
    right_required = (condition & right_names) | set(plan.right_on)
    if plan.how not in ("semi", "anti"):  # their output has no right columns
        right_required |= required & right_names
    left, right = _prune(plan.left, left_required), _prune(plan.right, right_required)
    return plan.with_children((left, right))


def _prune_window(plan: Window, required: set[str]) -> LogicalPlan:
    functions = tuple(f for f in plan.functions if f.output in required)
    passed = required & set(plan.input.schema.names)
    if not functions:  # a window without functions adds nothing to its input
        return _prune(plan.input, passed)
    needed = (passed | set(plan.partition_by) | {k.column for k in plan.order_by}
              | {f.column for f in functions if f.column is not None})
    child = _prune(plan.input, needed)
    if functions == plan.functions and child is plan.input:
        return plan
    return replace(plan, input=child, functions=functions)


def _prune_union(plan: Union, required: set[str]) -> LogicalPlan:
    keep = {c for c in plan.schema.names if c in required} or set(plan.schema.names[:1])
    inputs = []
    for child in plan.inputs:
        child = _prune(child, keep)
        if set(child.schema.names) != keep:
            child = Project(child, tuple((c, Col(c)) for c in child.schema.names if c in keep))
        inputs.append(child)
    return plan.with_children(tuple(inputs))

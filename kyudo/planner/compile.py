"""From a logical plan to results: optimize, lower, build the task graph, run it.

This is the one path every front end takes (DataFrame API and SQL alike), and
``explain`` shows each of its stages.
"""
from __future__ import annotations

import pyarrow as pa

from kyudo.engine import compute
from kyudo.planner.logical import LogicalPlan, format_plan
from kyudo.planner.lowering import lower
from kyudo.planner.optimizer import optimize
from kyudo.planner.physical import Gather, PhysicalNode, Pipeline, ScanPartitions, format_physical, to_graph
from kyudo.planner.physical_partitioning import SortEachPartition, SortedPartitions
from kyudo.planner import task_functions as tf


def physical_plan(plan: LogicalPlan) -> PhysicalNode:
    return lower(optimize(plan).plan)


def compute_partitions(plan: LogicalPlan, scheduler=None) -> list[pa.Table]:
    """Run the plan and return its output partitions, in order."""
    graph, keys = to_graph(physical_plan(plan))
    return list(compute(graph, keys, scheduler=scheduler))


def compute_table(plan: LogicalPlan, scheduler=None) -> pa.Table:
    """Run the plan and return one Arrow table with exactly the plan's schema."""
    return tf.concat(compute_partitions(plan, scheduler), plan.schema)


def explain(plan: LogicalPlan, show_rules: bool = True) -> str:
    """The logical plan, the optimized plan (with each rule that changed it), and
    the physical plan with its partition counts."""
    optimized = optimize(plan)
    parts = ["== Logical plan ==", format_plan(plan), "", "== Optimized plan ==",
             format_plan(optimized.plan)]
    if show_rules:
        changed = [step.name for step in optimized.steps if step.changed]
        parts += ["", "Rules that changed the plan: " + (", ".join(changed) or "none")]
    parts += ["", "== Physical plan ==", format_physical(lower(optimized.plan))]
    return "\n".join(parts)


def compute_head(plan: LogicalPlan, n: int, scheduler=None) -> pa.Table:
    """The first ``n`` rows, computing as few partitions as possible.

    When the plan is row-wise down to its scan (each output partition depends on
    one input partition), partitions are computed in growing batches until ``n``
    rows are found, as ``head()`` in Dask reads only the first partition. Any
    other plan is computed with a limit on top.
    """
    from kyudo.planner.logical import Limit

    physical = physical_plan(Limit(plan, n))
    child = physical.children[0] if physical.children else None
    if not isinstance(physical, Gather) or not _is_row_wise(child):
        graph, keys = to_graph(physical)
        return tf.concat(list(compute(graph, keys, scheduler=scheduler)), plan.schema)
    graph, keys = to_graph(child)
    found: list[pa.Table] = []
    rows, start, batch = 0, 0, 1
    while rows < n and start < len(keys):
        batch_keys = keys[start:start + batch]
        for table in compute(graph, batch_keys, scheduler=scheduler):
            found.append(table)
            rows += table.num_rows
        start += batch
        batch *= 2
    return tf.concat(found, plan.schema).slice(0, n)


def _is_row_wise(node) -> bool:
    # these pass on (some of) their input's partitions, one for one
    while isinstance(node, (Pipeline, SortedPartitions, SortEachPartition)):
        node = node.input
    return isinstance(node, ScanPartitions)

"""A tiny reference interpreter for logical plans, for tests of the optimizer.

It evaluates a plan directly with pyarrow over the tables of ``InMemorySource``
scans, one node at a time, with no partitioning and no optimization, so a test can
check that an optimized plan returns the same rows as the plan it came from.
Only what the planner tests use is supported.
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from kyudo.planner.evaluate import evaluate
from kyudo.planner.logical import (Aggregate, Distinct, Filter, Join, Limit, LogicalPlan,
                                   MapPartitions, Project, Scan, Sort, Union)
from kyudo.planner.sources import InMemorySource

_JOIN_TYPES = {"inner": "inner", "left": "left outer", "right": "right outer",
               "outer": "full outer", "semi": "left semi", "anti": "left anti"}
_AGG_FUNCS = {"sum": "sum", "count": "count", "min": "min", "max": "max", "mean": "mean",
              "size": "count_all"}


def table_scan(npartitions: int = 1, **columns) -> Scan:
    """A Scan over an in-memory table built from ``name=list`` arguments."""
    return Scan(InMemorySource.from_table(pa.table(columns), npartitions))


def run(plan: LogicalPlan) -> pa.Table:
    """The rows ``plan`` produces, as one table whose schema is ``plan.schema``."""
    table = _run(plan)
    assert table.schema.names == plan.schema.names, (table.schema.names, plan.schema.names)
    return table


def rows(plan: LogicalPlan) -> list[tuple]:
    """The rows of ``plan`` in a canonical order, for comparing plans as multisets."""
    return sorted((tuple(r.values()) for r in run(plan).to_pylist()), key=repr)


def _run(plan: LogicalPlan) -> pa.Table:
    if isinstance(plan, Scan):
        table = pa.concat_tables(plan.source.tables)
        if plan.predicate is not None:
            table = table.filter(evaluate(plan.predicate, table))
        return table if plan.columns is None else table.select(list(plan.columns))
    if isinstance(plan, Project):
        table = _run(plan.input)
        return pa.Table.from_arrays([evaluate(e, table) for _, e in plan.exprs],
                                    schema=plan.schema)
    if isinstance(plan, Filter):
        table = _run(plan.input)
        return table.filter(evaluate(plan.predicate, table))
    if isinstance(plan, Aggregate):
        table = _run(plan.input)
        aggs = [(a.column if a.column is not None else [], _AGG_FUNCS[a.func],
                 pc.ScalarAggregateOptions(min_count=a.option("min_count", 0))
                 if a.func == "sum" else None) for a in plan.aggs]
        out = table.group_by(list(plan.keys)).aggregate(aggs)
        # pyarrow outputs the keys, then the aggregates in order.
        return out.rename_columns(plan.schema.names).cast(plan.schema)
    if isinstance(plan, Join):
        left, right = _run(plan.left), _run(plan.right)
        if plan.condition is not None:
            return _join_on_condition(plan, left, right)
        out = left.join(right, list(plan.left_on), list(plan.right_on),
                        join_type=_JOIN_TYPES[plan.how], coalesce_keys=False)
        return out.select(plan.schema.names)
    if isinstance(plan, Sort):
        table = _run(plan.input)
        keys = [(k.column, "ascending" if k.ascending else "descending") for k in plan.keys]
        return table.sort_by(keys)
    if isinstance(plan, Limit):
        table = _run(plan.input)
        return table.slice(plan.offset, plan.n)
    if isinstance(plan, Union):
        schema = plan.schema
        return pa.concat_tables([_run(i).select(schema.names).cast(schema) for i in plan.inputs])
    if isinstance(plan, Distinct):
        table = _run(plan.input)
        return table.group_by(table.schema.names).aggregate([]).select(table.schema.names)
    if isinstance(plan, MapPartitions):
        return plan.func(_run(plan.input))
    raise NotImplementedError(f"the reference interpreter has no {type(plan).__name__}")


def _join_on_condition(plan: Join, left: pa.Table, right: pa.Table) -> pa.Table:
    """A join with a residual condition: the matching pairs are the equi-join's pairs
    that satisfy it; unmatched rows of a preserved side are padded with NULLs."""
    left = left.append_column("__left_row", pa.array(range(left.num_rows), pa.int64()))
    right = right.append_column("__right_row", pa.array(range(right.num_rows), pa.int64()))
    pairs = left.join(right, list(plan.left_on), list(plan.right_on), join_type="inner",
                      coalesce_keys=False)
    pairs = pairs.filter(evaluate(plan.condition, pairs))
    matched_left = pa.array(pairs["__left_row"].to_pylist() + [-1], pa.int64())
    matched_right = pa.array(pairs["__right_row"].to_pylist() + [-1], pa.int64())
    left_matched = pc.is_in(left["__left_row"], matched_left)
    if plan.how == "semi":
        return left.filter(left_matched).select(plan.schema.names)
    if plan.how == "anti":
        return left.filter(pc.invert(left_matched)).select(plan.schema.names)
    parts = [pairs]
    if plan.how in ("left", "outer"):
        parts.append(left.filter(pc.invert(left_matched)))
    if plan.how in ("right", "outer"):
        parts.append(right.filter(pc.invert(pc.is_in(right["__right_row"], matched_right))))
    schema = plan.schema

    def padded(part: pa.Table) -> pa.Table:
        return pa.table([part[f.name] if f.name in part.schema.names
                         else pa.nulls(part.num_rows, f.type) for f in schema], schema=schema)

    return pa.concat_tables([padded(part) for part in parts])

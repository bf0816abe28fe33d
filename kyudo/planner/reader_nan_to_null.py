"""Float columns read with NaN as NULL by the reader, not by a pass after it.

The DataFrame API reads every float column of a Parquet file through
``nan_to_null`` (pandas has one missing value).  As a projection that is one
more pass over each float column of each partition, reading it from memory
again: in TPC-H Q1, four of them per partition, 3-7% of the query's CPU on two
cores.  The Parquet reader does it for less (``parquet_pages.read_chunk``): it
looks at a chunk's dictionary once, and at a PLAIN page's values while they
are in the cache.

So where a scan's first projection reads a float column only as
``nan_to_null(column)``, the scan asks its source to read that column with NaN
as NULL and the projection reads the column as it is.  The scan's output is
the same, so this holds however many consumers the scan has.  Before that
projection the column may only be compared in the filters (the scan's
predicate, its filter steps) in ways that keep the same rows either way
(:mod:`kyudo.planner.nan_filters`); the predicate's row-group pruning was done
on statistics of the raw values, which is sound for both.
"""
from __future__ import annotations

import pyarrow as pa

from kyudo.planner import physical as P
from kyudo.planner.expr import Call, Col, Expr, transform
from kyudo.planner.nan_filters import rewrite_nan_false_comparisons


def read_nan_as_null(root: P.PhysicalNode) -> P.PhysicalNode:
    """Move the NaN checks of the columns each scan of ``root`` reads into its
    reader where the source can (in place; returns ``root``)."""
    nodes, parents = P.nodes_and_parents(root)
    for node in nodes:
        if isinstance(node, P.ScanPartitions):
            _move_into_reader(node, parents)
    return root


def _move_into_reader(scan: P.ScanPartitions, parents) -> None:
    """A scan read by several pipelines (``shared_scans``) reads a column with
    NaN as NULL only if each of them may, and each then drops its check."""
    if not getattr(scan.source, "reads_nan_as_null", False) or scan.read_columns is None:
        return
    if scan.arrow_predicate is not None and scan.row_predicate is None:
        return  # a filter only the reader knows: nothing says how it sees NaN
    schema = scan.source.schema
    movable = {c for c in scan.read_columns if pa.types.is_floating(schema.field(c).type)}
    if scan.row_predicate is not None:
        movable = {c for c in movable if _same_rows_either_way(scan.row_predicate, c)}
    readers = _readers(scan, scan.ops, parents)
    for _, ops in readers:
        movable &= _movable_by(scan.read_columns, ops)
    if not movable or not readers:
        return
    rewritten = set()
    for node, ops in readers:
        if id(node) not in rewritten:
            rewritten.add(id(node))
            node.ops = _without_checks(scan.read_columns, ops, movable)[-len(node.ops):]
    scan.nan_as_null = scan.nan_as_null | movable


def _readers(node: P.PhysicalNode, ops: tuple, parents) -> list[tuple[P.PhysicalNode, tuple]]:
    """Each node whose ops hold the first projection on a path up from the
    scan, with the ops from the scan's read to there; empty when a path ends
    before one (a join, an aggregate, the plan's output read the values)."""
    if any(op[0] == "project" for op in ops):
        return [(node, ops)]
    above = parents[id(node)]
    if not above or not all(isinstance(p, P.Pipeline) for p in above):
        return []
    found = []
    for pipeline in above:
        reached = _readers(pipeline, ops + pipeline.ops, parents)
        if not reached:
            return []
        found += reached
    return found


def _movable_by(read_columns, ops: tuple) -> set[str]:
    """The read columns that ``ops`` (up to their first projection) read only
    as ``nan_to_null(column)``, or compare where NaN and NULL drop the same rows."""
    candidates = set(read_columns)
    names = {c: c for c in read_columns}  # name in the ops -> source column
    for op in ops:
        if op[0] == "conform":
            names = {n: s for n, s in names.items() if n in op[1].names}
        elif op[0] == "filter":
            candidates -= {names[n] for n in op[1].columns() & names.keys()
                           if not _same_rows_either_way(op[1], n)}
        elif op[0] == "project":
            return {s for n, s in names.items() if s in candidates and _only_as_nan_to_null(op[1], n)}
        else:  # a user's function, a head: it may look at the NaN
            return set()
    return set()


def _without_checks(read_columns, ops: tuple, moved: set[str]) -> tuple:
    """``ops`` with the first projection reading the ``moved`` columns as they are."""
    names = {c: c for c in read_columns}
    for position, op in enumerate(ops):
        if op[0] == "conform":
            names = {n: s for n, s in names.items() if n in op[1].names}
        elif op[0] == "project":
            local = {n for n, s in names.items() if s in moved}
            project = ("project", tuple((name, _without_checks_of(expr, local)) for name, expr in op[1]))
            return ops[:position] + (project,) + ops[position + 1:]
    return ops


def _same_rows_either_way(predicate: Expr, column: str) -> bool:
    """Whether ``predicate`` keeps the same rows with ``column``'s NaN as NULL:
    each use of the column is under ``nan_to_null`` or is compared where NaN
    and NULL both drop the row."""
    return _only_as_nan_to_null_in(rewrite_nan_false_comparisons(predicate, _checked_as(column)), column)


def _checked_as(column: str):
    def rewrite(comparison: Call) -> Call:
        args = tuple(Call("nan_to_null", (a,)) if a == Col(column) else a for a in comparison.args)
        return Call(comparison.op, args, comparison.options)
    return rewrite


def _only_as_nan_to_null(exprs, column: str) -> bool:
    return all(_only_as_nan_to_null_in(expr, column) for _, expr in exprs)


def _only_as_nan_to_null_in(expr: Expr, column: str) -> bool:
    if isinstance(expr, Col):
        return expr.name != column
    if isinstance(expr, Call) and expr.op == "nan_to_null" and expr.args == (Col(column),):
        return True
    return all(_only_as_nan_to_null_in(child, column) for child in expr.children)


def _without_checks_of(expr: Expr, columns: set[str]) -> Expr:
    def unwrap(node: Expr) -> Expr:
        if isinstance(node, Call) and node.op == "nan_to_null" and len(node.args) == 1 \
                and isinstance(node.args[0], Col) and node.args[0].name in columns:
            return node.args[0]
        return node
    return transform(expr, unwrap)

"""Group-by keys read straight from Parquet dictionaries, never decoded per row.

A low-cardinality string column (TPC-H's one-letter ``l_returnflag``) is
stored as a dictionary and small indices.  Decoding it to a string per row and
then numbering the strings again for a group-by cost a third of TPC-H Q1's CPU
time.  When a scan's column reaches an aggregate in the same fused tasks only
as a group key, passed through by plain column references, the scan may leave
it a dictionary: the aggregate numbers the groups from the indices, and decodes
one value per group (``task_functions.partial_aggregate``).

This runs on the finished physical plan because a scan read by two consumers
(a shared subplan) must stay as it is for the other one.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict

import pyarrow as pa

from kyudo.planner import physical as P
from kyudo.planner import physical_partitioning as PP
from kyudo.planner.expr import Col

_AGGREGATES = (P.TreeAggregate, P.ShuffleAggregate, PP.RangeLocalAggregate)
_STRING_TYPES = (pa.string(), pa.large_string())


def keep_key_dictionaries(root: P.PhysicalNode) -> P.PhysicalNode:
    """Give each aggregate whose input is a scan read by nothing else a scan
    that keeps its key columns as dictionaries (in place; returns ``root``)."""
    nodes, parents = P.nodes_and_parents(root)
    for node in nodes:
        scan = getattr(node, "input", None)
        if isinstance(node, _AGGREGATES) and isinstance(scan, P.ScanPartitions) and len(parents[id(scan)]) == 1:
            node.input = _with_key_dictionaries(scan, node.keys, {a.column for a in node.aggs})
    return root


def _with_key_dictionaries(scan: P.ScanPartitions, keys, aggregated: set) -> P.ScanPartitions:
    if not getattr(scan.source, "keeps_dictionaries", False) or scan.read_columns is None:
        return scan
    kept = _passed_only_as_keys(scan, set(keys) - aggregated)
    if not kept:
        return scan
    return dataclasses.replace(scan, keep_dictionaries=kept, ops=_conform_keeping(scan, kept))


def _passed_only_as_keys(scan: P.ScanPartitions, keys: set) -> frozenset:
    """The string columns read by ``scan`` whose every name after its ops is
    one of ``keys`` and which no op computes with."""
    names = {c: c for c in scan.read_columns}  # name now -> source column
    used = set()
    for op in scan.ops:
        if op[0] == "conform":
            names = {n: s for n, s in names.items() if n in op[1].names}
        elif op[0] == "project":
            renamed = {}
            for name, expr in op[1]:
                if isinstance(expr, Col) and expr.name in names:
                    renamed[name] = names[expr.name]
                else:
                    used.update(names[c] for c in expr.columns() if c in names)
            names = renamed
        elif op[0] == "filter":
            used.update(names[c] for c in op[1].columns() if c in names)
        else:  # a user's function, a head: they may look at the values
            return frozenset()
    final: dict[str, set] = defaultdict(set)
    for name, source_column in names.items():
        final[source_column].add(name)
    return frozenset(s for s, as_names in final.items()
                     if s not in used and as_names <= keys
                     and scan.source.schema.field(s).type in _STRING_TYPES)


def _conform_keeping(scan: P.ScanPartitions, kept: frozenset) -> tuple:
    """The scan's ops, its conform steps told to leave the kept columns as
    dictionaries (under the names they have there)."""
    names = {c: c for c in scan.read_columns}
    ops = []
    for op in scan.ops:
        if op[0] == "conform":
            names = {n: s for n, s in names.items() if n in op[1].names}
            op = ("conform", op[1], frozenset(n for n, s in names.items() if s in kept))
        elif op[0] == "project":
            names = {name: names[expr.name] for name, expr in op[1] if isinstance(expr, Col) and expr.name in names}
        ops.append(op)
    return tuple(ops)

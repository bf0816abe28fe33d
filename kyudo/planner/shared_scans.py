"""One read of a table that a query scans more than once.

TPC-H Q21 reads ``lineitem`` three times: the late lines, every line for the
count of suppliers per order, and the late lines again for the count of late
suppliers.  Q17 and Q18 read it twice.  Each read decodes the same Parquet
pages; decoding is most of the time such a query takes.  Equal subplans already
share their tasks (``lowering``), but these scans differ in their columns or
their filters, or in the row-wise ops fused into them.

So scans of the same partitions that read a column in common become one read
of every column any of them needs, and each former scan a pipeline over it: its
own filter (unless every scan had the same one, which then stays in the read),
a selection of its columns, and its ops.  The partitions of the shared read are
then held until each of those pipelines has taken its part; the pipelines need
nothing else, so the execution order (``kyudo.engine.order``) runs them right
after the read.

A scan pruned to other row groups (by its filter's statistics) reads other
partitions and is left alone.  This runs on the finished physical plan, before
``key_dictionaries``: a shared read has several readers, so no one of them may
ask it for dictionaries.
"""
from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict

import pyarrow as pa

from kyudo import config
from kyudo.planner import physical as P
from kyudo.planner import physical_partitioning as PP
from kyudo.planner.sources import source_num_rows


def share_scans(root: P.PhysicalNode) -> P.PhysicalNode:
    """Merge the scans of ``root`` that read the same partitions and a column
    in common (in place; returns ``root``, or its replacement if it was one)."""
    nodes, parents = P.nodes_and_parents(root)
    by_partitions: dict[str, list[P.ScanPartitions]] = defaultdict(list)
    for node in nodes:
        if isinstance(node, P.ScanPartitions) and node.source.npartitions and hasattr(node.source, "token"):
            by_partitions[node.source.token()].append(node)
    for scans in by_partitions.values():
        if len(scans) > 1 and _reads_a_column_twice(scans) and _streams_apart(root, scans):
            for scan, replacement in _shared(scans):
                for parent in parents[id(scan)]:
                    _replace_child(parent, scan, replacement)
                if scan is root:
                    root = replacement
    return root


def _columns(scan: P.ScanPartitions) -> list[str]:
    return list(scan.source.schema.names) if scan.read_columns is None else list(scan.read_columns)


def _reads_a_column_twice(scans: list[P.ScanPartitions]) -> bool:
    read = [_columns(scan) for scan in scans]
    return sum(len(columns) for columns in read) > len(set().union(*read))


def _streams_apart(root: P.PhysicalNode, scans: list[P.ScanPartitions]) -> bool:
    """Whether no node of ``root`` needs a large result that streams from
    ``scans`` together with a result that waits for all of their partitions.

    Such a node (TPC-H Q18 joins lineitem with orders filtered by lineitem's
    sums per order) would hold the streamed side of every partition of a
    shared read until the other side is done: a second read costs less than
    holding the table. When what it holds is estimated at most
    :data:`HELD_BYTES` (Q17 holds the lines of a few thousand parts until
    their average quantities are known), holding is cheaper than reading."""
    shared = {id(scan) for scan in scans}
    memo: dict[int, tuple[bool, bool]] = {}

    def reach(node: P.PhysicalNode) -> tuple[bool, bool]:
        """(streams from the scans, waits for all of them)."""
        if id(node) in shared:
            return True, False
        known = memo.get(id(node))
        if known is not None:
            return known
        streams = waits = False
        held: list[P.PhysicalNode] = []
        for child, streamed in _inputs(node):
            child_streams, child_waits = reach(child)
            if streamed:
                streams, waits = streams or child_streams, waits or child_waits
                if child_streams:
                    held.append(child)
            else:
                waits = waits or child_streams or child_waits
        if streams and waits:
            if not all(_small(child) for child in held):
                raise _HeldWhileWaiting
            # Its output comes after the whole read: nothing above holds the read.
            streams = False
        memo[id(node)] = streams, waits
        return streams, waits

    try:
        reach(root)
    except _HeldWhileWaiting:
        return False
    return True


# The most a node may be estimated to hold of a shared read's partitions while
# it waits for the whole read (and at most an eighth of a ``memory_limit``);
# the cost of a second read of a large table (seconds) is never saved by
# holding more than this.
HELD_BYTES = 64 * 2**20


def _small(node: P.PhysicalNode) -> bool:
    """Whether all of ``node``'s partitions are estimated to fit in what a
    node may hold (:data:`HELD_BYTES`)."""
    rows = _estimated_rows(node)
    limit = config.get("memory_limit")
    room = HELD_BYTES if limit is None else min(HELD_BYTES, limit // 8)
    return rows is not None and rows * 8 * max(len(node.schema), 1) <= room


def _estimated_rows(node: P.PhysicalNode) -> float | None:
    """Rows ``node`` is estimated to produce, where the plan says enough: a
    scan's own estimate, unchanged by row-wise pipelines (at most that many),
    and an inner or semi join against a broadcast filtered scan keeping the
    share of the large side that the filter keeps of its table (the broadcast
    keys taken to be a table's unique keys, as a foreign key references them).
    None for anything else."""
    if isinstance(node, P.ScanPartitions):
        return node.estimated_rows
    if isinstance(node, P.Pipeline):
        return _estimated_rows(node.input)
    if isinstance(node, P.BroadcastJoin) and node.how in ("inner", "semi") and node.broadcast == "right":
        rows, share = _estimated_rows(node.left), _kept_share(node.right)
        return rows * share if rows is not None and share is not None else None
    return None


def _kept_share(node: P.PhysicalNode) -> float | None:
    """The share of its table's rows a filtered scan (under row-wise
    pipelines) is estimated to keep; None for anything else."""
    while isinstance(node, P.Pipeline):
        node = node.input
    if not isinstance(node, P.ScanPartitions) or node.arrow_predicate is None or node.estimated_rows is None:
        return None
    total = source_num_rows(node.source)
    return min(1.0, node.estimated_rows / total) if total else None


class _HeldWhileWaiting(Exception):
    """A node of the plan would hold streamed partitions of a shared read."""


def _inputs(node: P.PhysicalNode):
    """Each child of ``node`` with whether its partitions flow through one by
    one (True) or are all needed before the node's first output (False)."""
    if isinstance(node, (P.PartitionwisePhysical, PP.RangeLocalAggregate)):
        return [(node.input, True)]
    if isinstance(node, PP.RangeAlignedJoin):
        moving_streams = node.moving_parts is not None
        return [(node.left, node.kept == "left" or moving_streams),
                (node.right, node.kept == "right" or moving_streams)]
    if isinstance(node, (PP.PartitionwiseJoin, P.Concatenate)):
        return [(child, True) for child in node.children]
    if isinstance(node, P.BroadcastJoin):
        return [(node.left, node.broadcast == "right"), (node.right, node.broadcast == "left")]
    return [(child, False) for child in node.children]


def _shared(scans: list[P.ScanPartitions]) -> list[tuple[P.ScanPartitions, P.PhysicalNode]]:
    """Each scan with the pipeline over one shared read that replaces it."""
    source = scans[0].source
    wanted = set().union(*(_columns(scan) for scan in scans))
    columns = [name for name in source.schema.names if name in wanted]
    same_filter = all(scan.row_predicate == scans[0].row_predicate for scan in scans)
    if not same_filter and any(s.arrow_predicate is not None and s.row_predicate is None for s in scans):
        return []  # a filter only the reader can apply: leave these scans be
    read = P.ScanPartitions(
        source, columns, scans[0].arrow_predicate if same_filter else None, (),
        pa.schema([source.schema.field(name) for name in columns]),
        max(scan.estimated_rows or 0 for scan in scans) or None,
        row_predicate=scans[0].row_predicate if same_filter else None,
    )
    # A filter that several scans have (Q21's late lines, read for a join and
    # for a count) is computed once, in a pipeline of its own they all read.
    uses = Counter(scan.row_predicate for scan in scans if not same_filter and scan.row_predicate is not None)
    filtered = {predicate: P.Pipeline(read, (("filter", predicate),), read.schema)
                for predicate, count in uses.items() if count > 1}
    replaced = []
    for scan in scans:
        base, ops = filtered.get(scan.row_predicate, read), ()
        if base is read and scan.row_predicate in uses:
            ops += (("filter", scan.row_predicate),)
        selects_first = scan.ops and scan.ops[0][0] in ("conform", "project")
        if len(_columns(scan)) < len(columns) and not selects_first:
            ops += (("conform", pa.schema([source.schema.field(name) for name in _columns(scan)])),)
        ops += scan.ops
        replaced.append((scan, P.Pipeline(base, ops, scan.schema) if ops else base))
    return replaced


def _replace_child(parent: P.PhysicalNode, old: P.PhysicalNode, new: P.PhysicalNode) -> None:
    for field in dataclasses.fields(parent):
        value = getattr(parent, field.name)
        if value is old:
            setattr(parent, field.name, new)
        elif isinstance(value, (tuple, list)) and any(item is old for item in value):
            setattr(parent, field.name, type(value)(new if item is old else item for item in value))
    if any(child is old for child in parent.children):  # pragma: no cover - a node keeping children elsewhere
        raise AssertionError(f"{type(parent).__name__} keeps its inputs outside its fields")

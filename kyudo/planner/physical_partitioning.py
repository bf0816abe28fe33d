"""Physical nodes that move rows between partitions without sorting them, or
that know how the rows are already laid out.

* :class:`SortedPartitions` — partitions known to be sorted on a column, each
  with its key range (from Parquet statistics or given divisions); it reads only
  the partitions a ``.loc`` can hit.
* :class:`SortEachPartition` — sort partitions already in key order, each alone.
* :class:`RangeRepartition` — split every partition at given division points.
* :class:`BalancedRepartition` — equal contiguous row ranges, sized by a counting
  stage in the graph (never by the planner).
* :class:`HashShuffle` — hash-partition on columns.
* :class:`OverlapPartitions` — ``map_overlap``: each partition sees the rows of
  as many neighbours as its window reaches, carried along a chain of small tasks.
* :class:`GapFill` — the empty bins of a resample, between partitions too.
* :class:`PartitionwiseJoin` — join partition ``i`` with partition ``i`` of two
  inputs split at the same division points: no shuffle.
* :class:`RangeLocalAggregate` — group partitions that already hold ascending
  ranges of a key on their own: no shuffle.
* :class:`RangeAlignedJoin` — one side stays where it is (its partitions hold
  ascending key ranges, by source statistics) and only the other side moves, split
  at that side's range starts: half a shuffle, and no hashing.

Key ranges are ``(low, high)`` per output partition (``None`` when unknown);
``divisions`` turns them into the pandas/Dask tuple of ``npartitions + 1`` bounds.
"""
from __future__ import annotations

import bisect

from dataclasses import dataclass, field
from typing import Any, Callable

import pyarrow as pa

from kyudo.engine.graph import Ref, Task
from kyudo.engine.operators.sort import SortKey
from kyudo.planner import partition_tasks as pt
from kyudo.planner import task_functions as tf
from kyudo.planner.expr import Col
from kyudo.planner.physical import (BroadcastJoin, JoinPhysical, PartitionwisePhysical, PhysicalNode, Pipeline, UnaryPhysical,
                                    ScanPartitions, _describe_join, _refs, _shuffle)


def divisions_of(ranges) -> tuple | None:
    """``(low_0, low_1, ..., low_n-1, high_n-1)``, or None unless every range is known."""
    if not ranges or any(r is None for r in ranges):
        return None
    return tuple(low for low, _ in ranges) + (ranges[-1][1],)


def keeps_column(ops: tuple, column: str) -> bool:
    """Whether row-wise ``ops`` leave ``column`` and the partition layout as they were
    (filters drop rows but keep order; a user function may do anything)."""
    for op in ops:
        if op[0] == "map":
            return False
        if op[0] == "project" and (column, Col(column)) not in op[1]:
            return False
    return True


def source_ranges(source, column: str):
    """Per-partition ``(min, max)`` of ``column`` from a source's statistics; None
    unless every partition is known, free of NULLs and ordered after the one
    before it (touching is allowed: a run of equal keys may span two). An empty
    partition gets the one-point range where it sits (its neighbour's bound), as
    in Dask's divisions."""
    stats_of = getattr(source, "column_statistics", None)
    if stats_of is None or source.npartitions == 0:
        return None
    ranges: list = []
    highest = None
    for stats in stats_of(column):
        if stats == (None, None, 0):  # no rows
            ranges.append(None)
            continue
        if stats is None or stats[0] is None or stats[2]:
            return None
        if highest is not None and stats[0] < highest:
            return None
        ranges.append((stats[0], stats[1]))
        highest = stats[1]
    return _fill_empty(ranges)


def _fill_empty(ranges: list):
    """One-point ranges for empty partitions: the previous partition's max, or
    for leading ones the first minimum. None when every partition is empty."""
    known = [r for r in ranges if r is not None]
    if not known:
        return None
    point = known[0][0]
    filled = []
    for r in ranges:
        point = r[1] if r is not None else point
        filled.append(r if r is not None else (point, point))
    return tuple(filled)


def overlapping_parts(cuts: tuple, moving_ranges: tuple) -> tuple | None:
    """For each piece a range split at ``cuts`` makes (keys from one cut up to
    and including the next: a shared boundary key goes to both), the indices of
    the ``moving_ranges`` that meet it; None if the bounds do not compare.
    Piece ``j`` spans ``cuts[j-1]`` to ``cuts[j]``, so a range meets the pieces
    from the first cut not below its low to the last cut not above its high
    (two binary searches: thousands of partitions plan in milliseconds)."""
    pieces: list[list[int]] = [[] for _ in range(len(cuts) + 1)]
    try:
        for m, (low, high) in enumerate(moving_ranges):
            for j in range(bisect.bisect_left(cuts, low), bisect.bisect_right(cuts, high) + 1):
                pieces[j].append(m)
    except TypeError:
        return None
    return tuple(map(tuple, pieces))


def _renamed_from(ops: tuple, column: str) -> str | None:
    """The name ``column`` had before row-wise ``ops`` (a projection may rename
    it), or None when an op computes it or may move rows between partitions."""
    for op in reversed(ops):
        if op[0] == "map":
            return None
        if op[0] == "project":
            expr = dict(op[1]).get(column)
            if not isinstance(expr, Col):
                return None
            column = expr.name
    return column


def partition_key_ranges(node: PhysicalNode, column: str):
    """Key ranges of ``node``'s partitions on ``column`` where the layout is known
    without reading data: through row-wise pipelines (renames included) and the
    probe side of a broadcast or range-aligned join (whose partitions are that
    side's, in order), down to a scan's statistics or a sorted layout."""
    while True:
        if isinstance(node, (Pipeline, ScanPartitions)):
            column = _renamed_from(node.ops, column)
            if column is None:
                return None
            if isinstance(node, ScanPartitions):
                return source_ranges(node.source, column)
            node = node.input
        elif isinstance(node, (BroadcastJoin, RangeAlignedJoin)):
            stays = node.left if _stays_left(node) else node.right
            other = node.right if _stays_left(node) else node.left
            column = _kept_key_for(node, column)
            if column not in stays.schema.names or column in other.schema.names:
                return None
            node = stays
        else:
            return physical_ranges(node, column)


def _kept_key_for(node, column: str) -> str:
    """In an inner or semi range-aligned join the moving side's key equals the
    kept side's on every output row, so it has the kept side's ranges too."""
    if not isinstance(node, RangeAlignedJoin) or node.how not in ("inner", "semi"):
        return column
    kept_on, moving_on = (node.left_on, node.right_on) if node.kept == "left" else (node.right_on, node.left_on)
    return kept_on[node.key] if column == moving_on[node.key] else column


def _stays_left(node) -> bool:
    return node.broadcast == "right" if isinstance(node, BroadcastJoin) else node.kept == "left"


def physical_ranges(node: PhysicalNode, column: str):
    """Key ranges of ``node``'s partitions on ``column``, or None when not known."""
    while isinstance(node, Pipeline):
        if not keeps_column(node.ops, column):
            return None
        node = node.input
    if getattr(node, "column", None) == column:
        return getattr(node, "ranges", None)
    return None


@dataclass(eq=False)
class SortedPartitions(UnaryPhysical):
    input: PhysicalNode
    column: str
    ranges: tuple | None  # of the kept partitions
    keep: tuple[int, ...]
    schema: pa.Schema

    @property
    def npartitions(self):
        return max(len(self.keep), 1)

    def build(self, builder):
        keys = builder.keys_of(self.input)
        if not self.keep:
            return [builder.add(builder.new_name("no-partitions"), 0, Task(tf.concat, [], self.schema))]
        return [keys[i] for i in self.keep]

    def describe(self):
        return f"SortedPartitions[{self.npartitions}]({self.column}, divisions={divisions_of(self.ranges)})"


@dataclass(eq=False)
class SortEachPartition(PartitionwisePhysical):
    """Sort every partition on its own (partitions already in key order)."""

    input: PhysicalNode
    keys: tuple
    schema: pa.Schema

    def build(self, builder):
        name = builder.new_name("sort-each")
        return [builder.add(name, i, Task(tf.sort, [Ref(k)], self.keys, self.schema))
                for i, k in enumerate(builder.keys_of(self.input))]

    def describe(self):
        return f"SortEachPartition[{self.npartitions}]({', '.join(k.column for k in self.keys)})"


@dataclass(eq=False)
class RangeRepartition(UnaryPhysical):
    input: PhysicalNode
    column: str
    cuts: tuple  # interior division points, ascending
    ranges: tuple
    schema: pa.Schema
    sort: bool = False  # also sort each output on the column

    @property
    def npartitions(self):
        return len(self.cuts) + 1

    def build(self, builder):
        name = builder.new_name("range-repartition")
        keys = (SortKey(self.column),)
        bounds = [(c,) for c in self.cuts]
        splits = _refs([builder.add(f"{name}-split", i, Task(tf.range_split, Ref(k), keys, bounds))
                        for i, k in enumerate(builder.keys_of(self.input))])
        ranges = [builder.add(f"{name}-take" if self.sort else name, j,
                              Task(tf.take_split, splits, j, self.schema)) for j in range(self.npartitions)]
        if not self.sort:
            return ranges
        return [builder.add(name, j, Task(tf.sort, [Ref(k)], keys, self.schema)) for j, k in enumerate(ranges)]

    def describe(self):
        return f"RangeRepartition[{self.npartitions}]({self.column}, cuts={list(self.cuts)})"


@dataclass(eq=False)
class BalancedRepartition(UnaryPhysical):
    """``npartitions`` outputs of equal row counts; with ``target_bytes`` only as
    many as that size needs are filled and the trailing ones stay empty (the
    count is fixed when the graph is built, the sizes only when it runs)."""

    input: PhysicalNode
    npartitions: int
    target_bytes: int | None
    schema: pa.Schema

    def build(self, builder):
        name = builder.new_name("repartition")
        inputs = builder.keys_of(self.input)
        sizes = [builder.add(f"{name}-size", i, Task(pt.sizes, Ref(k))) for i, k in enumerate(inputs)]
        plan = builder.add(f"{name}-plan", 0, Task(pt.rebalance_plan, _refs(sizes), self.npartitions,
                                                   self.target_bytes))
        cuts = _refs([builder.add(f"{name}-cut", i, Task(pt.rebalance_cut, Ref(k), Ref(plan), i))
                      for i, k in enumerate(inputs)])
        return [builder.add(name, j, Task(tf.take_split, cuts, j, self.schema))
                for j in range(self.npartitions)]

    def describe(self):
        size = f", partition_size={self.target_bytes}" if self.target_bytes else ""
        return f"BalancedRepartition[{self.npartitions}]({size.lstrip(', ')})"


@dataclass(eq=False)
class HashShuffle(UnaryPhysical):
    input: PhysicalNode
    keys: tuple[str, ...]
    npartitions: int
    schema: pa.Schema

    def build(self, builder):
        return _shuffle(builder, builder.new_name("shuffle"), builder.keys_of(self.input),
                        self.keys, self.npartitions, self.schema)

    def describe(self):
        return f"HashShuffle[{self.npartitions}]({', '.join(self.keys)})"


@dataclass(eq=False)
class OverlapPartitions(PartitionwisePhysical):
    """``func`` over each partition plus the ``before`` rows preceding it and the
    ``after`` rows following it (counts, or distances in ``column``), from as many
    neighbouring partitions as that takes."""

    input: PhysicalNode
    func: Callable
    before: Any
    after: Any
    column: str | None
    schema: pa.Schema

    def build(self, builder):
        name = builder.new_name("overlap")
        inputs = builder.keys_of(self.input)
        n = len(inputs)
        previous: list = [None] * n
        following: list = [None] * n
        if self.before:
            carry = None
            for i in range(n - 1):
                carry = Ref(builder.add(f"{name}-carry", i, Task(pt.carry_forward, carry, Ref(inputs[i]),
                                                                 self.before, self.column)))
                previous[i + 1] = carry
        if self.after:
            carry = None
            for i in range(n - 1, 0, -1):
                carry = Ref(builder.add(f"{name}-lead", i, Task(pt.carry_backward, Ref(inputs[i]), carry,
                                                                self.after, self.column)))
                following[i - 1] = carry
        return [builder.add(name, i, Task(pt.apply_with_overlap, previous[i], Ref(k), following[i],
                                          self.before, self.after, self.column, self.func, self.schema))
                for i, k in enumerate(inputs)]

    def describe(self):
        by = f", by={self.column}" if self.column else ""
        return f"OverlapPartitions[{self.npartitions}](before={self.before}, after={self.after}{by})"


@dataclass(eq=False)
class GapFill(PartitionwisePhysical):
    """Rows for the missing multiples of ``step`` in a column sorted across
    partitions; each partition gets the last row before it along a carry chain."""

    input: PhysicalNode
    column: str
    step: int
    zero_columns: tuple
    schema: pa.Schema

    def build(self, builder):
        name = builder.new_name("fill-gaps")
        inputs = builder.keys_of(self.input)
        previous: list = [None]
        for i, k in enumerate(inputs[:-1]):
            previous.append(Ref(builder.add(f"{name}-carry", i, Task(pt.carry_forward, previous[-1], Ref(k), 1, None))))
        return [builder.add(name, i, Task(pt.fill_gaps, previous[i], Ref(k), self.column, self.step,
                                          self.zero_columns, self.schema))
                for i, k in enumerate(inputs)]

    def describe(self):
        return f"GapFill[{self.npartitions}]({self.column}, step={self.step})"


@dataclass(eq=False)
class PartitionwiseJoin(JoinPhysical):
    """Join partition ``i`` of the left side with partition ``i`` of the right:
    both are split at the same division points, so neither is shuffled."""

    @property
    def npartitions(self):
        return self.left.npartitions

    def build(self, builder):
        name = builder.new_name("partitionwise-join")
        return self.join_pairs(builder, name, zip(builder.keys_of(self.left), builder.keys_of(self.right)))

    def describe(self):
        return f"PartitionwiseJoin[{self.npartitions}]({self.how})"


@dataclass(eq=False)
class RangeAlignedJoin(JoinPhysical):
    """Partition ``i`` of the ``kept`` side meets the rows of the other side whose
    key falls in its range: each partition of the other side is cut at ``cuts``
    (the kept partitions' range starts after the first) and the pieces for ``i``
    are gathered, as a hash shuffle of that side alone would.

    Two neighbouring kept partitions may share their boundary key (a run of equal
    keys split between row groups); ``shared[j]`` says so for ``cuts[j]``, and
    rows of the moving side with that key go to both. That is only correct when
    the moving side's unmatched rows are not output, which the lowering checks.

    When the moving side's partitions hold known key ranges too (lineitem
    against orders), ``moving_parts[i]`` lists the ones whose range meets
    partition ``i``'s: piece ``i`` then waits for those alone, so both sides
    stream through the join instead of every moving partition being split
    (and held) before the first pair is joined."""

    kept: str = field(kw_only=True)  # "left" or "right"
    key: int = field(kw_only=True)  # which key pair the kept side's ranges are on
    cuts: tuple = field(kw_only=True)
    shared: tuple = field(kw_only=True)
    moving_parts: tuple | None = field(kw_only=True, default=None)

    @property
    def npartitions(self):
        return len(self.cuts) + 1

    def build(self, builder):
        name = builder.new_name("range-join")
        moving = self.right if self.kept == "left" else self.left
        column = (self.right_on if self.kept == "left" else self.left_on)[self.key]
        splits = _refs([builder.add(f"{name}-split", i, Task(tf.range_split_points, Ref(k), column,
                                                              self.cuts, self.shared))
                        for i, k in enumerate(builder.keys_of(moving))])
        needed = self.moving_parts or [range(len(splits))] * self.npartitions
        pieces = [builder.add(f"{name}-take", j, Task(tf.take_split, [splits[m] for m in parts], j, moving.schema))
                  for j, parts in enumerate(needed)]
        kept = builder.keys_of(self.left if self.kept == "left" else self.right)
        pairs = zip(kept, pieces) if self.kept == "left" else zip(pieces, kept)
        return self.join_pairs(builder, name, pairs)

    def describe(self):
        return f"RangeAlignedJoin[{self.npartitions}]({self.how}, kept={self.kept}{_describe_join(self)})"


@dataclass(eq=False)
class RangeLocalAggregate(UnaryPhysical):
    """A grouped aggregation whose input partitions hold ascending ranges of the
    group key ``column``: a group can only span two neighbouring partitions, where
    one's last key is the next one's first (``shared``). The rows of such a
    boundary key move to the next partition, where its run goes on, so every
    partition then holds whole groups and is aggregated in one task, with no
    partial states to merge; the partitions keep their key ranges (``ranges``,
    for joins above)."""

    input: PhysicalNode
    keys: tuple
    aggs: tuple
    column: str
    ranges: tuple
    schema: pa.Schema
    input_schema: pa.Schema

    @property
    def npartitions(self):
        return self.input.npartitions

    def build(self, builder):
        name = builder.new_name("local-aggregate")
        inputs = [[Ref(k)] for k in builder.keys_of(self.input)]
        for i, (this, following) in enumerate(zip(self.ranges, self.ranges[1:])):
            if this[1] == following[0]:
                split = builder.add(f"{name}-boundary", i, Task(tf.range_split_points, inputs[i][-1],
                                                                self.column, (following[0],), (False,)))
                inputs[i][-1] = Ref(builder.add(f"{name}-body", i, Task(tf.piece, Ref(split), 0)))
                inputs[i + 1].insert(0, Ref(builder.add(f"{name}-tail", i, Task(tf.piece, Ref(split), 1))))
        return [builder.add(name, i, Task(tf.aggregate_whole, parts, self.keys, self.aggs, self.input_schema,
                                          self.schema))
                for i, parts in enumerate(inputs)]

    def describe(self):
        return f"RangeLocalAggregate[{self.npartitions}](keys=[{', '.join(self.keys)}], ranges on {self.column})"

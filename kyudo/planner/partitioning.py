"""Logical nodes about how rows are laid out over partitions.

* :class:`SortedOn` — a column sorted across partitions, as the user promises
  (``set_index(sorted=True)``) or by sorting (``set_index``); divisions are given
  or read from source statistics when lowering, and ``select`` keeps only the
  partitions that can hold the key intervals a ``.loc`` asks for.
* :class:`Repartition` — by division points, to a partition count, or to a byte
  size; the last two balance sizes by counting rows in the graph.
* :class:`Shuffle` — hash partitioning on columns.
* :class:`Overlap` — an opaque function over each partition plus neighbouring rows.
* :class:`FillGaps` — the empty bins of a resample.
* :class:`AlignedJoin` — a :class:`~kyudo.planner.logical.Join` (so every rule
  still sees a join) on sorted keys that lowers to partition-wise joins when the
  left side's divisions are known, and to an ordinary join otherwise.

Nodes that only move rows between partitions tell the optimizer so:
``needed_columns()`` (column pruning keeps just those beyond what is asked) and
``filters_commute`` (predicate pushdown moves filters below them, down to the
Parquet reader). The lowering calls each node's ``lower_with(lowering)``.
Nothing here reads data: statistics come from metadata, sizes from a counting
stage of the graph.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, Callable

import pyarrow as pa

from kyudo.engine.operators.sort import SortKey
from kyudo.planner import logical as L
from kyudo.planner import physical as P
from kyudo.planner import physical_partitioning as PP
from kyudo.planner.errors import PlanError, check_columns
from kyudo.planner.physical import ScanPartitions
from kyudo.planner.statistics import estimate


def _statistics_ranges(child, column: str):
    """Per-partition ``(min, max)`` of ``column`` from the source's statistics when
    ``child`` reads a source directly (see :func:`PP.source_ranges`)."""
    if not isinstance(child, ScanPartitions) or not PP.keeps_column(child.ops, column):
        return None
    return PP.source_ranges(child.source, column)


def _ranges_from_divisions(divisions: tuple) -> tuple:
    return tuple(zip(divisions[:-1], divisions[1:]))


def _overlaps(low, high, intervals) -> bool:
    return any((lo is None or not high < lo) and (hi is None or not hi < low)
               for lo, hi in intervals)


@dataclass(frozen=True, eq=True)
class SortedOn(L.UnaryPlan):
    """``column`` is sorted within and across the output's partitions.

    Without ``sort`` the user promises the input already is (``set_index(...,
    sorted=True)``); with it the rows are sorted here: when the source's
    statistics show the partitions already in key order (data sorted on disk)
    each partition is sorted on its own, otherwise a range sort moves rows
    (split points from samples, a stage of the graph).

    ``divisions`` (``npartitions + 1`` bounds) are the user's; otherwise they come
    from the source's min/max statistics when lowering (after pruning has
    decided which partitions exist). ``select`` is a tuple of ``(low, high)``
    key intervals (``None`` for unbounded): partitions that cannot hold any are
    not read. Rows are not filtered here; a Filter above does that."""

    input: L.LogicalPlan
    column: str
    divisions: tuple | None = None
    select: tuple | None = None
    sort: bool = False

    def __post_init__(self):
        check_columns({self.column}, self.input.schema)

    @property
    def schema(self) -> pa.Schema:
        return self.input.schema

    def needed_columns(self) -> set[str]:
        return {self.column}

    @property
    def filters_commute(self) -> bool:
        # a filter pushed into a Parquet scan may drop whole partitions, which
        # only statistics read afterwards (not given divisions) account for
        return self.divisions is None

    def describe(self) -> str:
        sel = f", select={list(self.select)}" if self.select is not None else ""
        return f"SortedOn({self.column}{sel}{', sort' if self.sort else ''})"

    def lower_with(self, lowering):
        child = lowering.lower(self.input)
        if self.divisions is not None:
            if len(self.divisions) != child.npartitions + 1:
                raise PlanError(f"{len(self.divisions)} divisions given for {child.npartitions} "
                                "partitions; expected one more than the partitions")
            ranges = _ranges_from_divisions(self.divisions)
        else:
            ranges = _statistics_ranges(child, self.column)
        if self.sort:
            keys = (SortKey(self.column),)
            if ranges is None:
                return P.RangeSort(child, keys, child.npartitions, self.schema)
            child = PP.SortEachPartition(child, keys, self.schema)
        keep = tuple(range(child.npartitions))
        if self.select is not None and ranges is not None:
            keep = tuple(i for i in keep if _overlaps(*ranges[i], self.select))
            ranges = tuple(ranges[i] for i in keep)
        return PP.SortedPartitions(child, self.column, ranges, keep, self.schema)


@dataclass(frozen=True, eq=True)
class Repartition(L.UnaryPlan):
    """Exactly one of: ``divisions`` on ``column`` (rows are range-split, their
    order kept), ``npartitions`` (equal row counts), ``partition_bytes``."""

    input: L.LogicalPlan
    npartitions: int | None = None
    partition_bytes: int | None = None
    divisions: tuple | None = None
    column: str | None = None
    sort: bool = False  # sort each output on ``column`` (set_index with divisions)

    def __post_init__(self):
        if sum(x is not None for x in (self.npartitions, self.partition_bytes, self.divisions)) != 1:
            raise PlanError("repartition takes exactly one of npartitions, partition_size, divisions")
        if self.npartitions is not None and self.npartitions < 1:
            raise PlanError("npartitions must be at least 1")
        if self.partition_bytes is not None and self.partition_bytes < 1:
            raise PlanError("partition_size must be positive")
        if self.divisions is not None:
            if self.column is None or len(self.divisions) < 2:
                raise PlanError("divisions need a column and at least two bounds")
            if any(b < a for a, b in zip(self.divisions, self.divisions[1:])):
                raise PlanError("divisions must be sorted")
            check_columns({self.column}, self.input.schema)

    filters_commute = True

    @property
    def schema(self) -> pa.Schema:
        return self.input.schema

    def needed_columns(self) -> set[str]:
        return {self.column} if self.column is not None else set()

    def describe(self) -> str:
        if self.divisions is not None:
            return f"Repartition({self.column}, divisions={list(self.divisions)})"
        if self.npartitions is not None:
            return f"Repartition(npartitions={self.npartitions})"
        return f"Repartition(partition_size={self.partition_bytes})"

    def lower_with(self, lowering):
        child = lowering.lower(self.input)
        if self.divisions is not None:
            return PP.RangeRepartition(child, self.column, tuple(self.divisions[1:-1]),
                                       _ranges_from_divisions(self.divisions), self.schema, self.sort)
        if self.npartitions is not None:
            return PP.BalancedRepartition(child, self.npartitions, None, self.schema)
        _, nbytes = estimate(self.input)
        bound = child.npartitions
        if nbytes is not None:
            bound = max(bound, math.ceil(nbytes / self.partition_bytes))
        return PP.BalancedRepartition(child, bound, self.partition_bytes, self.schema)


@dataclass(frozen=True, eq=True)
class Shuffle(L.UnaryPlan):
    """Rows with equal ``keys`` (NULLs included) end up in the same partition."""

    input: L.LogicalPlan
    keys: tuple[str, ...]
    npartitions: int | None = None

    def __post_init__(self):
        check_columns(set(self.keys), self.input.schema)
        if not self.keys:
            raise PlanError("shuffle needs at least one column")

    filters_commute = True

    @property
    def schema(self) -> pa.Schema:
        return self.input.schema

    def needed_columns(self) -> set[str]:
        return set(self.keys)

    def describe(self) -> str:
        return f"Shuffle({', '.join(self.keys)})"

    def lower_with(self, lowering):
        child = lowering.lower(self.input)
        return PP.HashShuffle(child, self.keys, self.npartitions or child.npartitions, self.schema)


@dataclass(frozen=True, eq=True)
class Overlap(L.UnaryPlan):
    """``func`` (Arrow in, Arrow out, one row per row) over each partition with the
    ``before`` preceding and ``after`` following rows; with ``column`` those are
    distances in that sorted column's values rather than row counts. Two nodes
    are equal only with the same function object (no two user functions are
    assumed to compute the same)."""

    input: L.LogicalPlan
    func: Callable
    before: Any
    after: Any
    column: str | None
    output_schema: pa.Schema = field(compare=False)
    name: str = "map_overlap"

    @property
    def schema(self) -> pa.Schema:
        return self.output_schema

    def describe(self) -> str:
        return f"Overlap({self.name}, before={self.before}, after={self.after})"

    def lower_with(self, lowering):
        return PP.OverlapPartitions(lowering.lower(self.input), self.func, self.before, self.after,
                                    self.column, self.schema)


@dataclass(frozen=True, eq=True)
class FillGaps(L.UnaryPlan):
    """Add a row for every missing multiple of ``step`` in ``column`` (sorted
    across partitions), NULL except ``zero_columns``, which get 0."""

    input: L.LogicalPlan
    column: str
    step: int
    zero_columns: tuple[str, ...] = ()

    def __post_init__(self):
        check_columns({self.column, *self.zero_columns}, self.input.schema)

    @property
    def schema(self) -> pa.Schema:
        return self.input.schema

    def needed_columns(self) -> set[str]:
        return {self.column, *self.zero_columns}

    def describe(self) -> str:
        return f"FillGaps({self.column}, step={self.step})"

    def lower_with(self, lowering):
        return PP.GapFill(lowering.lower(self.input), self.column, self.step, self.zero_columns, self.schema)


@dataclass(frozen=True, eq=True)
class AlignedJoin(L.Join):
    """A join on one key that both sides keep sorted. When the left side's
    partitions have known, non-overlapping key ranges, each right partition is
    range-split at the left's division points (or used as it is if it already
    fits them) and partitions are joined pairwise: the left side never moves."""

    @classmethod
    def of(cls, join: L.Join) -> "AlignedJoin":
        return cls(**{f.name: getattr(join, f.name) for f in fields(L.Join)})

    def lower_with(self, lowering):
        left, right = lowering.lower(self.left), lowering.lower(self.right)
        ranges = PP.physical_ranges(left, self.left_on[0]) if len(self.left_on) == 1 else None
        if (ranges is None or self.condition is not None or self.how in ("cross",)
                or any(not a[1] < b[0] for a, b in zip(ranges, ranges[1:]))):
            return lowering._lower_join(self)
        lows = tuple(low for low, _ in ranges)
        if not _fits(PP.physical_ranges(right, self.right_on[0]), lows):
            # the right side's rows move anyway: sorting them first would be wasted
            unsorted = lowering.lower(_without_sorts(self.right))
            right = PP.RangeRepartition(unsorted, self.right_on[0], lows[1:], ranges, self.right.schema)
        return PP.PartitionwiseJoin(left, right, self.how, self.left_on, self.right_on,
                                    self.null_equal, self.schema)


def _without_sorts(plan: L.LogicalPlan) -> L.LogicalPlan:
    """``plan`` without the sorts of SortedOn nodes below its row-wise top."""
    if isinstance(plan, SortedOn) and plan.sort:
        return _without_sorts(plan.input)
    if isinstance(plan, (L.Project, L.Filter)):
        return plan.with_children((_without_sorts(plan.input),))
    return plan


def _fits(ranges, lows: tuple) -> bool:
    """Whether partition ``i`` of ``ranges`` holds only keys in ``[lows[i], lows[i+1])``."""
    if ranges is None or len(ranges) != len(lows):
        return False
    last = len(lows) - 1
    return all((i == 0 or not r[0] < lows[i]) and (i == last or r[1] < lows[i + 1])
               for i, r in enumerate(ranges))

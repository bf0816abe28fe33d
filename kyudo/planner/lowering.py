"""Lowering: turn an optimized logical plan into a partitioned physical plan.

Row-wise nodes (Filter, Project, MapPartitions) become ops of a fused pipeline;
a pipeline directly over a scan is folded into the scan's tasks. Everything that
moves data between partitions is an explicit physical node, chosen here from the
statistics in :mod:`kyudo.planner.statistics` unless the user overrode it.
"""
from __future__ import annotations

import dataclasses
import functools
import math

import pyarrow as pa

from kyudo import config
from kyudo.planner import logical as L
from kyudo.planner import physical as P
from kyudo.planner import physical_partitioning as PP
from kyudo.planner.errors import PlanError
from kyudo.planner.evaluate import evaluate
from kyudo.planner.expr import conjoin, conjuncts
from kyudo.planner.physical_passes import run_passes
from kyudo.planner.row_group_pruning import prune_scan_source
from kyudo.planner.rules.semi_join_reduction import reduce_join
from kyudo.planner.specs import AggSpec
from kyudo.planner.statistics import estimate, filtered_rows
from kyudo.planner.to_arrow import to_arrow_expression
from kyudo.io.row_filter import RowFilter

# Join types where the right side can be broadcast (each left row is looked at once)
# and, mirrored, the left side.
_BROADCAST_RIGHT = ("inner", "left", "semi", "anti", "cross")
_BROADCAST_LEFT = ("inner", "right", "cross")
# See _Lowering._lopsided_broadcast.
LOPSIDED_BROADCAST_FACTOR = 4


# Join types that drop the unmatched rows of the side that moves in a range-aligned
# join, by which side stays: rows of the moving side may then meet two partitions.
_UNMATCHED_DROPPED = {"left": ("inner", "left", "semi", "anti"), "right": ("inner", "right")}


def _range_splittable(kept_type: pa.DataType, moving_type: pa.DataType) -> bool:
    """Key types a range-aligned join handles: integers, dates or timestamps, the
    same on both sides or a signed integer no narrower on the moving side (the
    kept side's range starts become values of the moving side's type)."""
    if not (pa.types.is_integer(kept_type) or pa.types.is_date32(kept_type) or pa.types.is_timestamp(kept_type)):
        return False
    if kept_type.equals(moving_type):
        return True
    return (pa.types.is_signed_integer(kept_type) and pa.types.is_signed_integer(moving_type)
            and moving_type.bit_width >= kept_type.bit_width)


def _just_shuffled(node: P.PhysicalNode) -> bool:
    """Whether ``node``'s partitions come out of a hash shuffle (through
    row-wise ops and broadcast probes), so they have no layout a join could
    keep: a hash join would shuffle them again, and a range-aligned join moves
    them once while the other side stays, however few partitions it has."""
    while isinstance(node, (P.Pipeline, P.BroadcastJoin)):
        node = node.input if isinstance(node, P.Pipeline) else \
            (node.left if node.broadcast == "right" else node.right)
    return isinstance(node, (P.HashJoin, P.ShuffleAggregate))


def _nullable_keys(plan: L.Join) -> bool:
    """Whether a key column of either side may hold NULL (pandas merges match NULL
    keys, which a range split would not bring together)."""
    return any(plan.left.schema.field(k).nullable for k in plan.left_on) or \
        any(plan.right.schema.field(k).nullable for k in plan.right_on)


_RELATIONAL = (L.Scan, L.Project, L.Filter, L.Aggregate, L.Join, L.Sort, L.Limit, L.Union,
               L.Distinct, L.Window)


def _relational(plan: L.LogicalPlan) -> bool:
    """Whether ``plan`` is built only of the relational nodes, whose output
    depends on nothing but their inputs and parameters (no user function, no
    repartitioning), so two equal ones may share their tasks."""
    known = _RELATIONAL_MEMO.get(id(plan))
    if known is not None and known[0] is plan:
        return known[1]
    answer = isinstance(plan, _RELATIONAL) and all(_relational(c) for c in plan.children)
    if len(_RELATIONAL_MEMO) > 4096:
        _RELATIONAL_MEMO.clear()
    _RELATIONAL_MEMO[id(plan)] = (plan, answer)
    return answer


_RELATIONAL_MEMO: dict[int, tuple] = {}


def _scan_estimate(plan: L.Scan) -> tuple[float | None, float | None]:
    """Rows and bytes a scan is expected to return, its filter judged by the
    predicate's selectivity (``p_brand = 'Brand#23'`` keeps a tenth) rather than
    the flat half :func:`estimate` gives every filter. Only physical passes read
    it (``shared_scans``): the strategies were chosen on the logical estimates."""
    rows, nbytes = estimate(plan)
    if plan.predicate is None or not rows:
        return rows, nbytes
    finer = filtered_rows(plan)
    if finer is None:
        return rows, nbytes
    return finer, nbytes * (finer / rows) if nbytes is not None else None


def lower(plan: L.LogicalPlan) -> P.PhysicalNode:
    """The physical plan for an (already optimized) logical plan, after the
    physical passes that are not switched off (``optimizer_disabled``)."""
    return run_passes(_Lowering().lower(plan), config.get("optimizer_disabled", ()) or frozenset())


class _Lowering:
    def __init__(self):
        self.memo: dict[int, P.PhysicalNode] = {}
        # Equal relational subplans are computed once: a SQL view or CTE read
        # twice (TPC-H Q15's revenue per supplier, once joined, once for its
        # maximum) is two equal trees, and its tasks are then shared.
        self.by_value: dict[L.LogicalPlan, P.PhysicalNode] = {}
        self.split_every = int(config.get("split_every", 8))
        self.disabled = frozenset(config.get("optimizer_disabled", ()) or ())
        self.broadcast_threshold = config.parse_bytes(config.get("broadcast_threshold", "32MB"))
        self.partition_size = config.parse_bytes(config.get("partition_size", "128MB"))

    def lower(self, plan: L.LogicalPlan) -> P.PhysicalNode:
        node = self.memo.get(id(plan))
        if node is None:
            shared = _relational(plan)
            node = self.by_value.get(plan) if shared else None
            if node is None:
                # Nodes defined outside logical.py (kyudo.planner.partitioning) lower themselves.
                method = getattr(self, f"_lower_{type(plan).__name__.lower()}", None)
                node = method(plan) if method is not None else plan.lower_with(self)
                if shared:
                    self.by_value[plan] = node
            self.memo[id(plan)] = node
        return node

    # ---- row-wise -----------------------------------------------------------------

    def _with_op(self, child: P.PhysicalNode, op: tuple, schema: pa.Schema) -> P.PhysicalNode:
        if isinstance(child, P.ScanPartitions):
            return dataclasses.replace(child, ops=child.ops + (op,), schema=schema)
        if isinstance(child, P.Pipeline):
            return P.Pipeline(child.input, child.ops + (op,), schema)
        return P.Pipeline(child, (op,), schema)

    def _lower_scan(self, plan: L.Scan) -> P.PhysicalNode:
        source = plan.source
        out_columns = list(plan.schema.names)
        ops: tuple = ()
        arrow_predicate = row_predicate = None
        needed = set(out_columns)
        if plan.predicate is not None:
            pushed, kept = [], []
            for conjunct in conjuncts(plan.predicate):
                converted = to_arrow_expression(conjunct, source.schema)
                (pushed if converted is not None else kept).append((conjunct, converted))
            if pushed:
                source, pushed = prune_scan_source(source, pushed)
            if pushed:
                arrow_predicate = RowFilter(tuple((expr, frozenset(conjunct.columns())) for conjunct, expr in pushed),
                                            row_masks=tuple(functools.partial(evaluate, c) for c, _ in pushed))
                row_predicate = conjoin([c for c, _ in pushed])
            if kept:
                ops += (("filter", conjoin([c for c, _ in kept])),)
            # Not the columns of conjuncts every row satisfies: nothing reads them.
            needed = needed.union(*(conjunct.columns() for conjunct, _ in pushed + kept))
        read_columns = [n for n in source.schema.names if n in needed]
        if read_columns != out_columns:
            ops += (("conform", plan.schema),)
        rows, nbytes = _scan_estimate(plan)
        return P.ScanPartitions(source, read_columns, arrow_predicate, ops, plan.schema, rows, nbytes,
                                row_predicate=row_predicate)

    def _lower_filter(self, plan: L.Filter):
        return self._with_op(self.lower(plan.input), ("filter", plan.predicate), plan.schema)

    def _lower_project(self, plan: L.Project):
        return self._with_op(self.lower(plan.input), ("project", plan.exprs), plan.schema)

    def _lower_mappartitions(self, plan: L.MapPartitions):
        child = self._with_op(self.lower(plan.input), ("map", plan.func), plan.schema)
        return self._with_op(child, ("conform", plan.schema), plan.schema)

    # ---- moving data ----------------------------------------------------------------

    def _lower_limit(self, plan: L.Limit):
        child = self.lower(plan.input)
        if isinstance(child, P.RangeSort) and plan.n is not None:
            top = P.TopK(child.input, child.keys, plan.n + plan.offset, plan.schema)
            return P.Gather(top, plan.schema, plan.n, plan.offset) if plan.offset else top
        if plan.n is not None:
            # Each partition contributes at most n + offset rows.
            child = self._with_op(child, ("head", plan.n + plan.offset), plan.schema)
        return P.Gather(child, plan.schema, plan.n, plan.offset)

    def _split_out(self, plan: L.LogicalPlan, child: P.PhysicalNode) -> int:
        """Output partitions of a grouped aggregation: the user's ``split_out``, else
        as many as the estimated result needs at a quarter of ``partition_size``
        each (at most the input's count), so a high-cardinality group-by or
        distinct is never squeezed into one partition.

        Why a quarter: group counts are guessed (a fixed share of the input rows),
        and the two mistakes cost very differently. Shuffling a result that turns
        out tiny adds a few tasks over a few rows; funnelling one that turns out
        large (TPC-H Q18's 15M orders at scale 10) through a tree into one task
        costs seconds and gigabytes."""
        if getattr(plan, "split_out", None):
            return plan.split_out
        _, nbytes = estimate(plan)
        if nbytes is None:
            return 1
        return max(1, min(child.npartitions, math.ceil(4 * nbytes / self.partition_size)))

    def _local_aggregate(self, plan, child: P.PhysicalNode, keys: tuple, aggs: tuple, input_schema):
        """A :class:`PP.RangeLocalAggregate` when the input's partitions hold
        ascending ranges of one of the integer-like group keys (a group by order
        over lineitem, stored in order key order), else None."""
        if child.npartitions < 2 or getattr(plan, "split_out", None) or self._split_out(plan, child) < 2:
            return None  # a small result is cheaper gathered into one partition by a tree
        for key in keys:
            if not _range_splittable(child.schema.field(key).type, child.schema.field(key).type):
                continue
            ranges = PP.partition_key_ranges(child, key)
            if ranges is not None and all(a[0] < b[0] for a, b in zip(ranges, ranges[1:])):
                return PP.RangeLocalAggregate(child, keys, aggs, key, ranges, plan.schema, input_schema)
        return None

    def _lower_aggregate(self, plan: L.Aggregate):
        counted = self._local_distinct_count(plan)
        if counted is not None:
            return counted
        child = self.lower(plan.input)
        local = self._local_aggregate(plan, child, plan.keys, plan.aggs, plan.input.schema) if plan.keys else None
        if local is not None:
            return local
        split_out = self._split_out(plan, child)
        if split_out > 1 and plan.keys:
            return P.ShuffleAggregate(child, plan.keys, plan.aggs, split_out, plan.schema, plan.input.schema)
        split_every = plan.split_every or self.split_every
        if split_every < 2:
            raise PlanError("split_every must be at least 2")
        return P.TreeAggregate(child, plan.keys, plan.aggs, split_every, plan.schema, plan.input.schema)

    def _local_distinct_count(self, plan: L.Aggregate):
        """A count of distinct (keys, value) rows per key, computed where the
        groups lie as a count of distinct values, or None.

        ``distinct_aggregates`` rewrites ``count_distinct(x)`` per key into
        that count of distinct rows, which a shuffle or a tree needs: no sets of
        values to carry between partitions. When the input's partitions hold
        ascending ranges of a key (:class:`PP.RangeLocalAggregate`), nothing is
        carried, and counting each group's values straight from the rows skips
        building the distinct rows and grouping them a second time: 4 ms
        against 13 ms per lineitem partition for suppliers per order (Q21)."""
        distinct = plan.input
        if not (plan.keys and plan.aggs and isinstance(distinct, L.Distinct)):
            return None
        values = [name for name in distinct.schema.names if name not in plan.keys]
        if len(values) != 1 or any(a.func != "count" or a.column != values[0] or a.options for a in plan.aggs):
            return None
        child = self.lower(distinct.input)
        aggs = tuple(AggSpec(a.output, "count_distinct", a.column) for a in plan.aggs)
        return self._local_aggregate(plan, child, plan.keys, aggs, distinct.schema)

    def _lower_distinct(self, plan: L.Distinct):
        keys = tuple(plan.schema.names)
        child = self.lower(plan.input)
        local = self._local_aggregate(plan, child, keys, (), plan.schema)
        if local is not None:
            return local
        split_out = self._split_out(plan, child)
        if split_out > 1:
            return P.ShuffleAggregate(child, keys, (), split_out, plan.schema, plan.schema)
        return P.TreeAggregate(child, keys, (), self.split_every, plan.schema, plan.schema)

    def _lower_sort(self, plan: L.Sort):
        child = self.lower(plan.input)
        return P.RangeSort(child, plan.keys, child.npartitions, plan.schema)

    def _lower_union(self, plan: L.Union):
        children = []
        for child_plan in plan.inputs:
            child = self.lower(child_plan)
            if not child_plan.schema.equals(plan.schema):
                child = self._with_op(child, ("conform", plan.schema), plan.schema)
            children.append(child)
        return P.Concatenate(tuple(children), plan.schema)

    def _lower_join(self, plan: L.Join):
        _check_condition_names(plan)
        if "semi_join_reduction" not in self.disabled:
            # The grouped side's input semi-joined to the other side's keys: the
            # other side is lowered once (``memo``), so nothing is read again.
            plan = reduce_join(plan, by_other_side=True)
        left, right = self.lower(plan.left), self.lower(plan.right)
        args = (left, right, plan.how, plan.left_on, plan.right_on, plan.null_equal, plan.schema)
        extra = {"condition": plan.condition, "null_aware": plan.null_aware}
        strategy = self._choose_join(plan, left, right)
        if strategy == "broadcast_right":
            return P.BroadcastJoin(*args, **extra, broadcast="right")
        if strategy == "broadcast_left":
            return P.BroadcastJoin(*args, **extra, broadcast="left")
        aligned = self._range_aligned(plan, left, right) if plan.strategy is None else None
        if aligned is not None:
            return PP.RangeAlignedJoin(*args, **extra, **aligned)
        lopsided = self._lopsided_broadcast(plan) if plan.strategy is None else None
        if lopsided is not None:
            return P.BroadcastJoin(*args, **extra, broadcast=lopsided)
        # Without keys every row goes to one partition anyway (a full outer join
        # on a condition alone, which no broadcast can do).
        npartitions = max(left.npartitions, right.npartitions) if plan.left_on else 1
        return P.HashJoin(*args, **extra, npartitions=npartitions)

    def _choose_join(self, plan: L.Join, left: P.PhysicalNode, right: P.PhysicalNode) -> str:
        """Broadcast the side that is small by its estimates, else hash-shuffle.

        A join without keys (cross, or on a condition alone) broadcasts whenever
        its type allows, since hashing on nothing sends every row to one
        partition. A null-aware anti join always broadcasts its right side: a
        NULL key must meet every right row, whatever partition it hashed to. A
        broadcast override is ignored for full outer joins, which no broadcast
        computes correctly (unmatched rows of the broadcast side would repeat)."""
        if plan.null_aware:
            return "broadcast_right"
        nested = not plan.left_on
        if plan.strategy == "broadcast" or (nested and plan.strategy == "hash"):
            if plan.how in _BROADCAST_RIGHT:
                return "broadcast_right"
            return "broadcast_left" if plan.how in _BROADCAST_LEFT else "hash"
        if plan.strategy == "hash":
            return "hash"
        _, left_bytes = estimate(plan.left)
        _, right_bytes = estimate(plan.right)
        right_small = right.npartitions == 1 or (right_bytes is not None and right_bytes <= self.broadcast_threshold)
        left_small = left.npartitions == 1 or (left_bytes is not None and left_bytes <= self.broadcast_threshold)
        if right_small and plan.how in _BROADCAST_RIGHT and (
                not left_small or (left_bytes or 0) >= (right_bytes or 0)):
            return "broadcast_right"
        if left_small and plan.how in _BROADCAST_LEFT:
            return "broadcast_left"
        if right_small and plan.how in _BROADCAST_RIGHT:
            return "broadcast_right"
        if nested and plan.how in _BROADCAST_RIGHT:
            return "broadcast_right"
        if nested and plan.how in _BROADCAST_LEFT:
            return "broadcast_left"
        return "hash"

    def _lopsided_broadcast(self, plan: L.Join) -> str | None:
        """The side to broadcast when it is up to :data:`LOPSIDED_BROADCAST_FACTOR`
        times the broadcast threshold and the other side is that many times
        larger still, or None.

        Broadcasting costs one table built for all the tasks that share it
        (``kyudo.engine.operators.shared_work``); hashing costs splitting both
        sides. When one side dwarfs the other, splitting it is the larger cost:
        TPC-H Q14 joins a month of lineitem (estimated at half of it, 960 MB)
        with two columns of part (33 MB), and took 1.3 s hashed, 1.15 s
        broadcast. A range-aligned join, which moves neither side, is chosen
        before this."""
        if not plan.left_on:
            return None
        _, left_bytes = estimate(plan.left)
        _, right_bytes = estimate(plan.right)
        if left_bytes is None or right_bytes is None:
            return None
        bound = self.broadcast_threshold * LOPSIDED_BROADCAST_FACTOR
        if plan.how in _BROADCAST_RIGHT and right_bytes <= bound and left_bytes >= right_bytes * LOPSIDED_BROADCAST_FACTOR:
            return "right"
        if plan.how in _BROADCAST_LEFT and left_bytes <= bound and right_bytes >= left_bytes * LOPSIDED_BROADCAST_FACTOR:
            return "left"
        return None

    def _range_aligned(self, plan: L.Join, left: P.PhysicalNode, right: P.PhysicalNode) -> dict | None:
        """How to join without shuffling one side, or None: when a side's partitions
        hold ascending ranges of a key (by source statistics: TPC-H's lineitem and
        orders are both stored in order key order), it stays where it is and the
        other side alone is cut at its range starts (:class:`PP.RangeAlignedJoin`).

        The larger side (by estimate) is preferred as the one that stays, and a
        side stays only if it has at least half the other's partitions, so the
        join is not squeezed into fewer tasks than a hash join would use, unless
        the other side was just shuffled (``_just_shuffled``). When two
        kept partitions share a boundary key, the moving rows with that key go to
        both, so the moving side's unmatched rows must not be output."""
        if plan.null_aware or not plan.left_on or (plan.null_equal and _nullable_keys(plan)):
            return None
        _, left_bytes = estimate(plan.left)
        _, right_bytes = estimate(plan.right)
        order = ("left", "right") if (left_bytes or 0) >= (right_bytes or 0) else ("right", "left")
        for kept in order:
            node, other = (left, right) if kept == "left" else (right, left)
            if 2 * node.npartitions < other.npartitions and not _just_shuffled(other):
                continue
            keys, other_keys = (plan.left_on, plan.right_on) if kept == "left" else (plan.right_on, plan.left_on)
            for i, (key, other_key) in enumerate(zip(keys, other_keys)):
                if not _range_splittable(node.schema.field(key).type, other.schema.field(other_key).type):
                    continue
                ranges = PP.partition_key_ranges(node, key)
                if ranges is None or len(ranges) < 2 or any(not a[0] < b[0] for a, b in zip(ranges, ranges[1:])):
                    continue
                shared = tuple(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
                if any(shared) and plan.how not in _UNMATCHED_DROPPED[kept]:
                    continue
                cuts = tuple(low for low, _ in ranges[1:])
                moving_ranges = PP.partition_key_ranges(other, other_key)
                moving_parts = None if moving_ranges is None else PP.overlapping_parts(cuts, moving_ranges)
                return {"kept": kept, "key": i, "cuts": cuts, "shared": shared, "moving_parts": moving_parts}
        return None

    def _lower_window(self, plan: L.Window):
        child = self.lower(plan.input)
        stage = ((plan.order_by, plan.functions),)
        if isinstance(child, P.WindowShuffle) and child.partition_by == plan.partition_by:
            # Stacked windows on the same keys (one per OVER clause) move the data once.
            return P.WindowShuffle(child.input, plan.partition_by, child.stages + stage, plan.schema,
                                   child.input_schema)
        return P.WindowShuffle(child, plan.partition_by, stage, plan.schema, plan.input.schema)


def _check_condition_names(plan: L.Join) -> None:
    """A semi or anti join's inputs may share column names (only the left ones are
    output), but its condition is evaluated over both sides: a shared name there
    would be ambiguous."""
    if plan.condition is None or plan.how not in ("semi", "anti"):
        return
    shared = set(plan.left.schema.names) & set(plan.right.schema.names) & plan.condition.columns()
    if shared:
        raise PlanError(f"the {plan.how} join condition reads {sorted(shared)}, which both inputs have; "
                        "rename one side")

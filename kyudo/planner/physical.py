"""Physical plan nodes: how to compute, partition by partition.

Each node states its partition count and schema, and ``build`` adds one task per
output partition to a task graph. Physical choices are explicit node types
(broadcast vs hash join, tree vs shuffle aggregation, range-partitioned sort), so
``explain()`` shows what will run. Row-wise work (filters, projections, user
functions) is fused into one :class:`Pipeline` task per partition, and a pipeline
over a scan runs inside the scan's task: a partition is read and reduced in one go.
"""
from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from kyudo.engine.graph import Ref, Task
from kyudo.planner import task_functions as tf

_names = itertools.count()


class GraphBuilder:
    """Accumulates tasks; builds each physical node once even if it is shared."""

    def __init__(self):
        self.graph: dict = {}
        self._built: dict[int, list] = {}

    def keys_of(self, node: "PhysicalNode") -> list:
        keys = self._built.get(id(node))
        if keys is None:
            keys = node.build(self)
            self._built[id(node)] = keys
        return keys

    def add(self, name: str, index: int, task: Task):
        key = (name, index)
        self.graph[key] = task
        return key

    @staticmethod
    def new_name(kind: str) -> str:
        return f"{kind}-{next(_names)}"


class PhysicalNode:
    schema: pa.Schema
    npartitions: int

    @property
    def children(self) -> tuple["PhysicalNode", ...]:
        return ()

    def build(self, builder: GraphBuilder) -> list:  # pragma: no cover - overridden
        raise NotImplementedError

    def describe(self) -> str:
        return f"{type(self).__name__}[{self.npartitions}]"


class UnaryPhysical(PhysicalNode):
    """A node with one input, held in its ``input`` field."""

    input: PhysicalNode

    @property
    def children(self):
        return (self.input,)


class PartitionwisePhysical(UnaryPhysical):
    """A node whose output partition ``i`` comes from input partition ``i``."""

    @property
    def npartitions(self):
        return self.input.npartitions


def _refs(keys) -> list[Ref]:
    return [Ref(k) for k in keys]


@dataclass(eq=False)
class ScanPartitions(PhysicalNode):
    """Read each partition of a (pruned) source with its pushed-down predicate."""

    source: Any
    read_columns: list[str] | None
    arrow_predicate: Any
    ops: tuple = ()
    schema: pa.Schema = None
    estimated_rows: float | None = None
    estimated_bytes: float | None = None
    keep_dictionaries: frozenset = frozenset()  # see task_functions.scan
    nan_as_null: frozenset = frozenset()  # see task_functions.scan
    # The planner's form of ``arrow_predicate`` (an Expr), for passes that move
    # the filter out of the read (kyudo.planner.shared_scans).
    row_predicate: Any = None

    @property
    def npartitions(self) -> int:
        return max(self.source.npartitions, 1)

    def build(self, builder):
        name = builder.new_name("scan")
        if self.source.npartitions == 0:
            # An empty source still produces one (empty) partition of the right schema.
            return [builder.add(name, 0, Task(tf.concat, [], self.schema))]
        return [builder.add(name, i, Task(tf.scan, self.source, i, self.read_columns,
                                          self.arrow_predicate, self.ops, self.keep_dictionaries,
                                          self.nan_as_null))
                for i in range(self.source.npartitions)]

    def describe(self):
        pred = f", filter={self.arrow_predicate}" if self.arrow_predicate is not None else ""
        cols = "*" if self.read_columns is None else ",".join(self.read_columns)
        ops = f", then {_describe_ops(self.ops)}" if self.ops else ""
        est = f" ~{int(self.estimated_rows)} rows" if self.estimated_rows is not None else ""
        kept = f", dictionaries=[{','.join(sorted(self.keep_dictionaries))}]" if self.keep_dictionaries else ""
        nan = f", nan_as_null=[{','.join(sorted(self.nan_as_null))}]" if self.nan_as_null else ""
        return f"ScanPartitions[{self.npartitions}]({self.source!r}, columns=[{cols}]{kept}{nan}{pred}{ops}){est}"


def _describe_ops(ops) -> str:
    return " -> ".join(op[0] for op in ops)


@dataclass(eq=False)
class Pipeline(PartitionwisePhysical):
    """Row-wise operations fused into one task per partition of the input."""

    input: PhysicalNode
    ops: tuple
    schema: pa.Schema

    def build(self, builder):
        name = builder.new_name("pipeline")
        return [builder.add(name, i, Task(tf.run_pipeline, Ref(k), self.ops))
                for i, k in enumerate(builder.keys_of(self.input))]

    def describe(self):
        return f"Pipeline[{self.npartitions}]({_describe_ops(self.ops)})"


@dataclass(eq=False)
class Gather(UnaryPhysical):
    """Concatenate every partition into one, optionally keeping a row range."""

    input: PhysicalNode
    schema: pa.Schema
    n: int | None = None
    offset: int = 0
    npartitions: int = 1

    def build(self, builder):
        refs = _refs(builder.keys_of(self.input))
        name = builder.new_name("gather")
        if self.n is None and not self.offset:
            return [builder.add(name, 0, Task(tf.concat, refs, self.schema))]
        return [builder.add(name, 0, Task(tf.limit, refs, self.schema, self.n, self.offset))]

    def describe(self):
        rng = f"(offset={self.offset}, n={self.n})" if self.n is not None or self.offset else ""
        return f"Gather{rng}"


@dataclass(eq=False)
class TreeAggregate(UnaryPhysical):
    """Partial aggregate per partition, combined ``split_every`` at a time, then
    finalized: the reduction never holds every partial at once."""

    input: PhysicalNode
    keys: tuple
    aggs: tuple
    split_every: int
    schema: pa.Schema
    input_schema: pa.Schema
    npartitions: int = 1

    def build(self, builder):
        name = builder.new_name("aggregate")
        level = [builder.add(f"{name}-partial", i, Task(tf.partial_aggregate, Ref(k), self.keys, self.aggs, self.input_schema))
                 for i, k in enumerate(builder.keys_of(self.input))]
        depth = 0
        while len(level) > self.split_every:
            depth += 1
            level = [builder.add(f"{name}-combine{depth}", j,
                                 Task(tf.combine, _refs(level[i:i + self.split_every]), self.keys, self.aggs))
                     for j, i in enumerate(range(0, len(level), self.split_every))]
        return [builder.add(name, 0, Task(tf.finalize, _refs(level), self.keys, self.aggs,
                                          self.input_schema, self.schema))]

    def describe(self):
        return f"TreeAggregate(keys=[{', '.join(self.keys)}], split_every={self.split_every})"


def _shuffle(builder, name: str, input_keys: list, keys, npartitions: int, schema) -> list:
    """Hash-partition every input partition on ``keys``; return one key per output."""
    splits = [builder.add(f"{name}-split", i, Task(tf.hash_split, Ref(k), keys, npartitions))
              for i, k in enumerate(input_keys)]
    refs = _refs(splits)
    return [builder.add(f"{name}-take", j, Task(tf.take_split, refs, j, schema))
            for j in range(npartitions)]


@dataclass(eq=False)
class ShuffleAggregate(UnaryPhysical):
    """Partial aggregates hash-partitioned on the keys into ``npartitions``, each
    combined and finalized on its own: for many groups, the output stays spread."""

    input: PhysicalNode
    keys: tuple
    aggs: tuple
    npartitions: int
    schema: pa.Schema
    input_schema: pa.Schema

    def build(self, builder):
        name = builder.new_name("shuffle-aggregate")
        partials = [builder.add(f"{name}-partial", i, Task(tf.partial_aggregate, Ref(k), self.keys, self.aggs, self.input_schema))
                    for i, k in enumerate(builder.keys_of(self.input))]
        splits = _refs([builder.add(f"{name}-split", i, Task(tf.hash_split, Ref(k), self.keys, self.npartitions))
                        for i, k in enumerate(partials)])
        # Output j merges the states every input partition holds for its keys.
        combined = [builder.add(f"{name}-combine", j, Task(tf.combine_split, splits, j, self.keys, self.aggs))
                    for j in range(self.npartitions)]
        return [builder.add(name, j, Task(tf.finalize, [Ref(k)], self.keys, self.aggs,
                                          self.input_schema, self.schema))
                for j, k in enumerate(combined)]

    def describe(self):
        return f"ShuffleAggregate[{self.npartitions}](keys=[{', '.join(self.keys)}])"


@dataclass(eq=False)
class JoinPhysical(PhysicalNode):
    """What every physical join states: its two inputs, the join type, the key
    columns of each side, whether NULL keys match, the output schema, a condition
    over the joined row (or None) and NULL-awareness (``NOT IN``). The kinds of join
    add their own fields, keyword-only."""

    left: PhysicalNode
    right: PhysicalNode
    how: str
    left_on: tuple
    right_on: tuple
    null_equal: bool
    schema: pa.Schema
    condition: Any = None  # planner expression over the joined row, or None
    null_aware: bool = False

    @property
    def children(self):
        return (self.left, self.right)

    def join_pairs(self, builder, name: str, pairs) -> list:
        """One task per ``(left key, right key)`` pair joining those partitions."""
        return [builder.add(name, j, Task(tf.join, Ref(lk), Ref(rk), self.how, self.left_on,
                                          self.right_on, self.null_equal, self.schema,
                                          condition=self.condition, null_aware=self.null_aware))
                for j, (lk, rk) in enumerate(pairs)]


@dataclass(eq=False)
class BroadcastJoin(JoinPhysical):
    """Join every partition of the large side with the whole small side."""

    broadcast: str = field(kw_only=True)  # "left" or "right": the side gathered whole

    @property
    def npartitions(self):
        return (self.right if self.broadcast == "left" else self.left).npartitions

    def build(self, builder):
        name = builder.new_name("broadcast-join")
        lkeys, rkeys = builder.keys_of(self.left), builder.keys_of(self.right)
        args = (self.how, self.left_on, self.right_on, self.null_equal, self.schema)
        extra = {"condition": self.condition, "null_aware": self.null_aware}
        if self.broadcast == "right":
            small = _refs(rkeys)
            return [builder.add(name, i, Task(tf.join_broadcast_right, Ref(k), small, self.right.schema,
                                              *args, **extra))
                    for i, k in enumerate(lkeys)]
        small = _refs(lkeys)
        return [builder.add(name, i, Task(tf.join_broadcast_left, small, Ref(k), self.left.schema, *args, **extra))
                for i, k in enumerate(rkeys)]

    def describe(self):
        return (f"BroadcastJoin[{self.npartitions}]({self.how}, broadcast={self.broadcast}"
                f"{_describe_join(self)})")


def _describe_join(node) -> str:
    """Keys, condition and NULL-awareness of a join node, for ``explain()``."""
    on = ", ".join(f"{a}={b}" for a, b in zip(node.left_on, node.right_on))
    text = f", on=[{on}]" if on else ""
    if node.condition is not None:
        text += f", condition={node.condition!r}"
    return text + (", null_aware" if node.null_aware else "")


@dataclass(eq=False)
class HashJoin(JoinPhysical):
    """Shuffle both sides on the join keys into ``npartitions``, join pairwise."""

    npartitions: int = field(kw_only=True)

    def build(self, builder):
        name = builder.new_name("hash-join")
        left = _shuffle(builder, f"{name}-left", builder.keys_of(self.left), self.left_on,
                        self.npartitions, self.left.schema)
        right = _shuffle(builder, f"{name}-right", builder.keys_of(self.right), self.right_on,
                         self.npartitions, self.right.schema)
        return self.join_pairs(builder, name, zip(left, right))

    def describe(self):
        return f"HashJoin[{self.npartitions}]({self.how}{_describe_join(self)})"


@dataclass(eq=False)
class WindowShuffle(UnaryPhysical):
    """Window functions, keeping every input row where it was (the logical
    Window's contract: input rows, input order).

    With PARTITION BY keys and several input partitions: each row is tagged with
    its input partition and position, the input is hash-shuffled on the keys so
    every window group sits in one bucket, the window kernel runs per bucket, and
    the rows are sent back to their input partition and put in their original
    order (one more shuffle, but partitions, order and divisions survive, which
    pandas-style transforms rely on). Otherwise everything is gathered into one
    partition, in input order.

    ``stages`` are (order_by, functions) pairs run one after another on the same
    buckets: stacked windows over the same keys (one per OVER clause) move the
    data only once, and a later stage may read an earlier one's columns."""

    input: PhysicalNode
    partition_by: tuple
    stages: tuple
    schema: pa.Schema
    input_schema: pa.Schema

    @property
    def npartitions(self):
        return self.input.npartitions if self._shuffles else 1

    @property
    def _shuffles(self) -> bool:
        return bool(self.partition_by) and self.input.npartitions > 1

    def build(self, builder):
        name = builder.new_name("window")
        inputs = builder.keys_of(self.input)
        if not self._shuffles:
            return [builder.add(name, 0, Task(tf.window, _refs(inputs), self.partition_by, self.stages,
                                              self.input_schema, self.schema))]
        n = len(inputs)
        tagged = tf.with_origin(self.input_schema)
        splits = _refs([builder.add(f"{name}-split", i, Task(tf.window_split, Ref(k), i, self.partition_by, n))
                        for i, k in enumerate(inputs)])
        buckets = [builder.add(f"{name}-take", j, Task(tf.take_split, splits, j, tagged)) for j in range(n)]
        computed = _refs([builder.add(f"{name}-compute", j, Task(tf.window_bucket, Ref(k), self.partition_by,
                                                                 self.stages, n))
                          for j, k in enumerate(buckets)])
        return [builder.add(name, i, Task(tf.window_restore, computed, i, tf.with_origin(self.schema), self.schema))
                for i in range(n)]

    def describe(self):
        stages = []
        for order_by, functions in self.stages:
            order = ", ".join(f"{k.column} {'asc' if k.ascending else 'desc'}"
                              f"{' nulls first' if k.nulls_first else ''}" for k in order_by)
            stages.append(f"order_by=[{order}], " + ", ".join(f"{f.output}={f.func}({f.column or ''})"
                                                            for f in functions))
        return (f"WindowShuffle[{self.npartitions}](partition_by=[{', '.join(self.partition_by)}], "
                f"{'; '.join(stages)})")


@dataclass(eq=False)
class RangeSort(UnaryPhysical):
    """Sort on all keys: sample every partition, pick boundaries (an explicit stage
    of the graph, never run while planning), split each partition by them, and sort
    each output range on its own."""

    input: PhysicalNode
    keys: tuple
    npartitions: int
    schema: pa.Schema
    samples_per_partition: int = 256

    def build(self, builder):
        name = builder.new_name("sort")
        inputs = builder.keys_of(self.input)
        if self.npartitions == 1:
            return [builder.add(name, 0, Task(tf.sort, _refs(inputs), self.keys, self.schema))]
        samples = [builder.add(f"{name}-sample", i, Task(tf.sample, Ref(k), self.keys, self.samples_per_partition))
                   for i, k in enumerate(inputs)]
        bounds = builder.add(f"{name}-boundaries", 0, Task(tf.boundaries, _refs(samples), self.keys, self.npartitions))
        splits = [builder.add(f"{name}-split", i, Task(tf.range_split, Ref(k), self.keys, Ref(bounds)))
                  for i, k in enumerate(inputs)]
        refs = _refs(splits)
        ranges = [builder.add(f"{name}-take", j, Task(tf.take_split, refs, j, self.schema))
                  for j in range(self.npartitions)]
        return [builder.add(name, j, Task(tf.sort, [Ref(k)], self.keys, self.schema))
                for j, k in enumerate(ranges)]

    def describe(self):
        keys = ", ".join(f"{k.column} {'asc' if k.ascending else 'desc'}" for k in self.keys)
        return f"RangeSort[{self.npartitions}]({keys})"


@dataclass(eq=False)
class TopK(UnaryPhysical):
    """The first ``k`` rows in sort order: top-k per partition, then of those."""

    input: PhysicalNode
    keys: tuple
    k: int
    schema: pa.Schema
    npartitions: int = 1

    def build(self, builder):
        name = builder.new_name("topk")
        level = [builder.add(f"{name}-partial", i, Task(tf.top_k, [Ref(k)], self.keys, self.k, self.schema))
                 for i, k in enumerate(builder.keys_of(self.input))]
        return [builder.add(name, 0, Task(tf.top_k, _refs(level), self.keys, self.k, self.schema))]

    def describe(self):
        return f"TopK(k={self.k})"


@dataclass(eq=False)
class Concatenate(PhysicalNode):
    """UNION ALL: the partitions of every input, one after another (no data moves)."""

    inputs: tuple
    schema: pa.Schema

    @property
    def npartitions(self):
        return sum(i.npartitions for i in self.inputs)

    @property
    def children(self):
        return tuple(self.inputs)

    def build(self, builder):
        keys: list = []
        for child in self.inputs:
            keys.extend(builder.keys_of(child))
        return keys


def nodes_and_parents(root: PhysicalNode) -> tuple[list[PhysicalNode], dict[int, list[PhysicalNode]]]:
    """Every node of the plan once (a shared subplan is one node), and the
    nodes reading each one, by ``id``: what the physical passes need to know
    who else reads a node before they change it."""
    parents: dict[int, list[PhysicalNode]] = defaultdict(list)
    nodes, stack, seen = [], [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        nodes.append(node)
        for child in node.children:
            parents[id(child)].append(node)
            stack.append(child)
    return nodes, parents


def format_physical(node: PhysicalNode, indent: int = 0) -> str:
    lines = ["  " * indent + node.describe()]
    for child in node.children:
        lines.append(format_physical(child, indent + 1))
    return "\n".join(lines)


def to_graph(node: PhysicalNode) -> tuple[dict, list]:
    """The task graph of a physical plan and the keys of its output partitions."""
    builder = GraphBuilder()
    keys = builder.keys_of(node)
    return builder.graph, keys

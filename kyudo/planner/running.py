"""A running total (cumsum, cumprod, cummin, cummax) over all rows in partition
order, as a logical node that lowers itself: every partition reports its own
total, one small task turns those into the carry into each partition, and each
partition then scans from its carry (``kyudo.engine.operators.scan``). Rows stay
where they are: no shuffle, no single partition holding everything.

The node keeps its input's rows, their order and columns and appends
``output``; filters never move below it (they would change the totals), and
column pruning keeps every input column, as for any node it does not know.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pyarrow as pa

from kyudo.engine.graph import Ref, Task
from kyudo.engine.operators.scan import apply_scan_from, prefix_carries, scan_carry
from kyudo.planner import logical as L
from kyudo.planner.errors import PlanError, check_columns
from kyudo.planner.physical import PartitionwisePhysical, PhysicalNode, _refs

FUNCS = ("sum", "prod", "min", "max")


@dataclass(frozen=True, eq=True)
class RunningTotal(L.UnaryPlan):
    input: L.LogicalPlan
    column: str
    func: str
    output: str

    def __post_init__(self):
        check_columns({self.column}, self.input.schema)
        if self.func not in FUNCS:
            raise PlanError(f"running total must be one of {FUNCS}, not {self.func!r}")

    @cached_property
    def schema(self) -> pa.Schema:
        dtype = self.input.schema.field(self.column).type
        if pa.types.is_dictionary(dtype):
            dtype = dtype.value_type
        return self.input.schema.append(pa.field(self.output, dtype))

    def describe(self) -> str:
        return f"RunningTotal({self.output}={self.func}({self.column}))"

    def lower_with(self, lowering):
        child = lowering.lower(self.input)
        return RunningTotalPartitions(child, self.column, self.func, self.output, self.schema)


@dataclass(eq=False)
class RunningTotalPartitions(PartitionwisePhysical):
    """Each partition's own running totals, shifted by the totals of every
    partition before it (one small carry task per partition and one prefix task)."""

    input: PhysicalNode
    column: str
    func: str
    output: str
    schema: pa.Schema

    def build(self, builder):
        name = builder.new_name("running")
        inputs = builder.keys_of(self.input)
        carries = [builder.add(f"{name}-carry", i, Task(scan_carry, Ref(k), self.column, self.func))
                   for i, k in enumerate(inputs)]
        prefix = builder.add(f"{name}-prefix", 0, Task(prefix_carries, _refs(carries), self.func))
        return [builder.add(name, i, Task(apply_scan_from, Ref(k), self.column, self.func, self.output,
                                          Ref(prefix), i))
                for i, k in enumerate(inputs)]

    def describe(self):
        return f"RunningTotalPartitions[{self.npartitions}]({self.output}={self.func}({self.column}))"

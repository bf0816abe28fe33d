"""Grouped aggregation in three phases so it can run as a tree reduction.

``partial_aggregate`` turns one partition into per-group *states* (for ``mean`` a
sum and a count; for ``var`` a count, mean and M2), ``combine_partials`` merges
states of several partitions (any number of times: that is ``split_every``), and
``finalize_aggregate`` turns states into the answer. Input order is preserved so
``first``/``last`` mean the first/last non-null value in partition order.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa


@dataclass(frozen=True, slots=True)
class AggSpec:
    """One output column of an aggregation.

    output:  name of the result column
    func:    one of sum, mean, count (non-null values), size (rows), min, max,
             std, var, first, last, count_distinct, any, all
    column:  input column (None only for ``size``)
    options: (name, value) pairs: ``ddof`` (std/var, default 1), ``min_count``
             (sum: fewer non-null values than this gives NULL; pandas uses 0 so an
             all-null group sums to 0, SQL uses 1)
    """

    output: str
    func: str
    column: str | None
    options: tuple[tuple[str, Any], ...] = ()

    def option(self, name: str, default: Any = None) -> Any:
        for key, value in self.options:
            if key == name:
                return value
        return default


def partial_aggregate(table: pa.Table, keys: list[str], specs: list[AggSpec]) -> pa.Table:
    raise NotImplementedError


def combine_partials(tables: list[pa.Table], keys: list[str], specs: list[AggSpec]) -> pa.Table:
    raise NotImplementedError


def finalize_aggregate(table: pa.Table, keys: list[str], specs: list[AggSpec], input_schema: pa.Schema) -> pa.Table:
    raise NotImplementedError

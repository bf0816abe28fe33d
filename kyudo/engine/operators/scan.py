"""Running totals (cumsum, cumprod, cummin, cummax) across ordered partitions
without moving rows: three phases, like a parallel prefix sum.

1. ``scan_carry(table, column, func)`` per partition: a one-row table holding
   the partition's own total (NULL when it has no values).
2. ``prefix_carries(carries, func)`` once, over all partitions' rows in
   partition order: the carry *into* each partition (the total of all earlier
   partitions), as a list of one-row tables.
3. ``apply_scan(table, column, func, output, carry)`` per partition: the
   partition's running total started from its carry, appended as ``output``.

Numbers only (Arrow has no running min/max of strings). Missing values stay
missing in the output and are skipped by the total, as pandas does. Integers
keep their type; floats stay floats.
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

_RUNNING = {"sum": pc.cumulative_sum, "prod": pc.cumulative_prod,
            "min": pc.cumulative_min, "max": pc.cumulative_max}
_TOTAL = {"sum": "sum", "prod": "product", "min": "min", "max": "max"}
CARRY = "carry"


def _values(table: pa.Table, column: str) -> pa.Array:
    array = table[column].combine_chunks()
    return array.dictionary_decode() if pa.types.is_dictionary(array.type) else array


def _total(values: pa.Array, func: str) -> pa.Scalar:
    if func in ("min", "max"):
        return getattr(pc, func)(values)
    return getattr(pc, _TOTAL[func])(values, min_count=1)


def scan_carry(table: pa.Table, column: str, func: str) -> pa.Table:
    """Phase 1: this partition's total of ``column`` as one row."""
    values = _values(table, column)
    total = _total(values, func)
    return pa.table({CARRY: pa.array([total.as_py()], total.type)})


def _combine(a: pa.Scalar, b: pa.Scalar, func: str) -> pa.Scalar:
    if not a.is_valid:
        return b
    if not b.is_valid:
        return a
    return _total(pa.array([a.as_py(), b.as_py()], a.type), func)


def prefix_carries(carries: list[pa.Table], func: str) -> list[pa.Table]:
    """Phase 2: the exclusive running total of the partition totals."""
    if not carries:
        return []
    dtype = carries[0].schema.field(CARRY).type
    running = pa.scalar(None, dtype)
    out = []
    for carry in carries:
        out.append(pa.table({CARRY: pa.array([running.as_py()], dtype)}))
        running = _combine(running, carry[CARRY][0].cast(dtype), func)
    return out


def apply_scan(table: pa.Table, column: str, func: str, output: str, carry: pa.Table) -> pa.Table:
    """Phase 3: ``table`` plus the running ``func`` of ``column`` from ``carry``."""
    values = _values(table, column)
    start = carry[CARRY][0]
    options = {"skip_nulls": True}
    if start.is_valid:
        options["start"] = start.cast(values.type)
    running = _RUNNING[func](values, **options) if len(values) else values
    return table.append_column(output, running)


def apply_scan_from(table: pa.Table, column: str, func: str, output: str, carries: list[pa.Table],
                    index: int) -> pa.Table:
    """Phase 3 for partition ``index``, given phase 2's whole list (one task output)."""
    return apply_scan(table, column, func, output, carries[index])

"""Task functions of the partitioning nodes (repartition, map_overlap).

Module-level functions, like :mod:`kyudo.planner.task_functions`, so graphs stay
picklable for the process and cluster executors.
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from kyudo.engine.operators import overlap, rebalance
from kyudo.planner.task_functions import conform


def sizes(table: pa.Table) -> tuple[int, int]:
    return rebalance.size_of(table)


def rebalance_plan(all_sizes: list, noutputs: int, target_bytes: int | None) -> tuple[list[int], list[int]]:
    """Global first row of every input, and the output row boundaries."""
    starts, row = [], 0
    for rows, _ in all_sizes:
        starts.append(row)
        row += rows
    return starts, rebalance.row_boundaries(list(all_sizes), noutputs, target_bytes)


def rebalance_cut(table: pa.Table, plan, index: int) -> list[pa.Table]:
    starts, boundaries = plan
    return rebalance.cut(table, starts[index], boundaries)


def carry_forward(carry, table: pa.Table, before, column) -> pa.Table:
    return overlap.carry_forward(carry, table, before, column)


def carry_backward(table: pa.Table, carry, after, column) -> pa.Table:
    return overlap.carry_backward(table, carry, after, column)


def apply_with_overlap(before_rows, table: pa.Table, after_rows, before, after, column,
                       func, schema: pa.Schema) -> pa.Table:
    """Run ``func`` on the partition extended by its neighbours' rows, then keep
    the output rows that belong to the partition itself (by position)."""
    extended, start = overlap.with_neighbours(before_rows, table, after_rows, before, after, column)
    result = func(extended)
    if result.num_rows != extended.num_rows:
        raise ValueError(f"a map_overlap function must return one row per input row; got "
                         f"{result.num_rows} rows for {extended.num_rows}")
    return conform(result.slice(start, table.num_rows), schema)


def fill_gaps(previous, table: pa.Table, column: str, step: int, zero_columns: tuple, schema) -> pa.Table:
    filled = overlap.fill_gaps(previous, table, column, step)
    for name in zero_columns:  # counts and sums of empty bins are 0, as in pandas
        field = filled.schema.field(name)
        zero = pa.scalar(0, field.type)
        filled = filled.set_column(filled.schema.get_field_index(name), field, pc.fill_null(filled[name], zero))
    return conform(filled, schema)

"""Rows a partition borrows from its neighbours, for windows that cross partition
boundaries (``map_overlap``, rolling windows).

A window reaching ``before`` rows (or values of a sorted column) back may need
rows from many earlier partitions when partitions are small. Instead of wiring
every partition to all of its predecessors, the rows are carried along a chain:
the carry out of partition ``i`` is the end of (carry into ``i``) + partition
``i``, cut to what any later partition could still need. Each link is bounded by
the window, so the chain costs one small task per partition however far the
window reaches. The same runs backwards for ``after``.

:func:`fill_gaps` uses the same chain (the last row before each partition) to
add the empty bins of a resample, including those between partitions.

``column`` selects the measure: ``None`` counts rows, a column name measures
distances in that column's values (sorted ascending; timestamps as integers in
their own unit, so callers convert timedeltas to that unit).
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def _values(table: pa.Table, column: str) -> np.ndarray:
    data = table[column]
    if pa.types.is_temporal(data.type):
        data = data.cast(pa.int64())
    return np.asarray(pc.fill_null(data, 0).to_numpy(zero_copy_only=False))


def _join(first: pa.Table | None, second: pa.Table | None) -> pa.Table:
    parts = [t for t in (first, second) if t is not None]
    return parts[0] if len(parts) == 1 else pa.concat_tables(parts, promote_options="permissive")


def carry_forward(carry: pa.Table | None, table: pa.Table, before, column: str | None) -> pa.Table:
    """What a later partition may need from ``carry`` + ``table``: the last
    ``before`` rows, or the rows within ``before`` of the last value (a later
    partition's values are at least that large, so this is a superset)."""
    rows = _join(carry, table)
    if column is None:
        return rows.slice(max(rows.num_rows - before, 0))
    if rows.num_rows == 0:
        return rows
    values = _values(rows, column)
    return rows.slice(int(np.searchsorted(values, values[-1] - before, side="left")))


def carry_backward(table: pa.Table, carry: pa.Table | None, after, column: str | None) -> pa.Table:
    """The mirror of :func:`carry_forward`: the first ``after`` rows of ``table`` +
    ``carry``, or the rows within ``after`` of the first value."""
    rows = _join(table, carry)
    if column is None:
        return rows.slice(0, after)
    if rows.num_rows == 0:
        return rows
    values = _values(rows, column)
    return rows.slice(0, int(np.searchsorted(values, values[0] + after, side="right")))


def with_neighbours(before_rows: pa.Table | None, table: pa.Table, after_rows: pa.Table | None,
                    before, after, column: str | None) -> tuple[pa.Table, int]:
    """``table`` extended by the neighbouring rows its windows reach, and the
    position where ``table``'s own rows start in it. With a column measure the
    carried rows are cut to within ``before``/``after`` of ``table``'s own first
    and last values (nothing is borrowed for an empty partition)."""
    if column is not None and before_rows is not None:
        if table.num_rows == 0:
            before_rows = before_rows.slice(0, 0)
        else:
            first = _values(table.slice(0, 1), column)[0]
            before_rows = before_rows.slice(int(np.searchsorted(_values(before_rows, column),
                                                                first - before, side="left")))
    if column is not None and after_rows is not None:
        if table.num_rows == 0:
            after_rows = after_rows.slice(0, 0)
        else:
            last = _values(table.slice(table.num_rows - 1, 1), column)[0]
            after_rows = after_rows.slice(0, int(np.searchsorted(_values(after_rows, column),
                                                                 last + after, side="right")))
    start = before_rows.num_rows if before_rows is not None else 0
    return _join(_join(before_rows, table), after_rows), start


def fill_gaps(previous: pa.Table | None, table: pa.Table, column: str, step: int) -> pa.Table:
    """``table`` (sorted on ``column``, whose values are multiples of ``step``) with a
    row of NULLs for every missing multiple between the last value of
    ``previous`` (the rows before this partition; else this partition's first
    value) and this partition's last value: the empty bins of a resample."""
    if table.num_rows == 0:
        return table
    values = _values(table, column)
    start = values[0]
    if previous is not None and previous.num_rows:
        start = _values(previous, column)[-1] + step
    missing = np.setdiff1d(np.arange(start, values[-1] + 1, step, dtype=np.int64), values)
    if not len(missing):
        return table
    kind = table.schema.field(column).type
    extra = pa.table({f.name: pa.array(missing, pa.int64()).cast(kind) if f.name == column
                      else pa.nulls(len(missing), f.type) for f in table.schema}, schema=table.schema)
    both = pa.concat_tables([table, extra])
    return both.take(pa.array(np.argsort(np.concatenate([values, missing]), kind="stable")))

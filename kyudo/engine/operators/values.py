"""Making equal values look equal before hashing or encoding them.

Arrow's hash kernels compare bits: ``-0.0`` and ``0.0`` differ, NaNs with
different payloads differ, and a dictionary-encoded column cannot be combined
with a plain one. Joins and distinct counts need value equality instead (as in
DuckDB and pandas), so they pass their inputs through :func:`comparable`.
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc


def comparable(values: pa.ChunkedArray | pa.Array):
    """``values`` decoded from a dictionary, with one zero and one NaN for floats."""
    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)
    if pa.types.is_floating(values.type):
        zero = pa.scalar(0.0, values.type)
        values = pc.add(values, zero)  # -0.0 + 0.0 == 0.0
        values = pc.if_else(pc.is_nan(values), pa.scalar(float("nan"), values.type), values)
    return values

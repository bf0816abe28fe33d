"""Balanced repartitioning: contiguous row ranges of equal size, whatever the
input partition sizes were (a selective filter leaves many nearly empty ones).

The work is split so that no task sees more than it needs: every input partition
reports its row and byte count, one small task turns the counts into global row
boundaries, each input partition is cut at those boundaries (zero-copy slices),
and each output collects its slices. Row order is kept, so sorted data stays
sorted.
"""
from __future__ import annotations

import math

import numpy as np
import pyarrow as pa


def size_of(table: pa.Table) -> tuple[int, int]:
    return table.num_rows, table.nbytes


def row_boundaries(sizes: list[tuple[int, int]], noutputs: int, target_bytes: int | None) -> list[int]:
    """``noutputs + 1`` global row positions; output ``j`` holds rows
    ``[b[j], b[j+1])``. With ``target_bytes`` only as many outputs as that size
    needs are filled (at most ``noutputs``; the rest stay empty), else all
    ``noutputs`` get an equal share of rows."""
    rows = sum(r for r, _ in sizes)
    used = noutputs
    if target_bytes is not None:
        total_bytes = sum(b for _, b in sizes)
        used = min(noutputs, max(1, math.ceil(total_bytes / target_bytes)))
    cuts = [j * rows // used for j in range(used + 1)]
    return cuts + [rows] * (noutputs - used)


def cut(table: pa.Table, start: int, boundaries: list[int]) -> list[pa.Table]:
    """Slices of ``table`` (whose first row is global row ``start``) for each output."""
    positions = np.clip(np.asarray(boundaries, dtype=np.int64) - start, 0, table.num_rows)
    return [table.slice(int(a), int(b - a)) for a, b in zip(positions[:-1], positions[1:])]

"""Window functions over one partition that already holds whole window groups
(the planner shuffles on the PARTITION BY keys first).

Contract (kernel to be implemented with the Window node):
``compute_window(table, partition_by, order_by, functions) -> pa.Table`` returns
``table`` with one extra column per :class:`WindowFunction`, in order, rows in the
input order.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class WindowFrame:
    """ROWS or RANGE frame; ``start``/``end`` are offsets relative to the current
    row (negative = preceding), ``None`` = unbounded on that side."""

    kind: str = "range"  # "rows" or "range"
    start: int | None = None
    end: int | None = 0


@dataclass(frozen=True, slots=True)
class WindowFunction:
    """One output column of a window.

    func:    row_number, rank, dense_rank, percent_rank, cume_dist, ntile, lag,
             lead, first_value, last_value, nth_value, or an aggregate (sum, mean,
             count, size, min, max, std, var) evaluated over ``frame``
    column:  input column (None for row_number/rank/... and count(*))
    options: (name, value) pairs, e.g. offset and default for lag/lead
    frame:   the frame for aggregates and first/last/nth_value; SQL's default is
             RANGE UNBOUNDED PRECEDING to CURRENT ROW with an ORDER BY, the whole
             partition without one
    """

    output: str
    func: str
    column: str | None = None
    options: tuple[tuple[str, Any], ...] = ()
    frame: WindowFrame | None = None

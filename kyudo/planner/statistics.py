"""Size estimates from metadata, used to choose physical strategies.

The estimates are deliberately simple: sources report bytes and rows from their
footers; a projection scales bytes by the share of columns kept; a filter keeps a
fixed fraction. They only need to tell a small table from a large one.
"""
from __future__ import annotations

from kyudo.planner import logical as L
from kyudo.planner.sources import source_nbytes, source_num_rows

FILTER_SELECTIVITY = 0.5
AGGREGATE_REDUCTION = 0.1


def _column_share(plan: L.Scan) -> float:
    total = len(plan.source.schema) or 1
    kept = len(plan.columns) if plan.columns is not None else total
    return kept / total


def estimate(plan: L.LogicalPlan) -> tuple[float | None, float | None]:
    """Return ``(rows, bytes)`` estimates; ``None`` where nothing is known."""
    if isinstance(plan, L.Scan):
        rows, nbytes = source_num_rows(plan.source), source_nbytes(plan.source)
        if nbytes is not None:
            nbytes *= _column_share(plan)
        if plan.predicate is not None:
            rows = rows * FILTER_SELECTIVITY if rows is not None else None
            nbytes = nbytes * FILTER_SELECTIVITY if nbytes is not None else None
        return rows, nbytes
    if isinstance(plan, L.Filter):
        return _scale(estimate(plan.input), FILTER_SELECTIVITY)
    if isinstance(plan, L.Aggregate):
        if not plan.keys:
            return 1, 64 * max(len(plan.aggs), 1)
        return _scale(estimate(plan.input), AGGREGATE_REDUCTION)
    if isinstance(plan, L.Limit) and plan.n is not None:
        rows, nbytes = estimate(plan.input)
        if rows and nbytes:
            return min(rows, plan.n), nbytes * min(1.0, plan.n / rows)
        return plan.n, None
    if isinstance(plan, (L.Join, L.Union)):
        parts = [estimate(c) for c in plan.children]
        if any(r is None for r, _ in parts) or any(b is None for _, b in parts):
            return None, None
        return sum(r for r, _ in parts), sum(b for _, b in parts)
    if plan.children:
        return estimate(plan.children[0])
    return None, None


def _scale(est, factor):
    rows, nbytes = est
    return (rows * factor if rows is not None else None,
            nbytes * factor if nbytes is not None else None)

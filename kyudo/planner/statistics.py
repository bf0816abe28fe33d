"""Size estimates from metadata, used to choose physical strategies.

The estimates are deliberately simple: sources report bytes and rows from their
footers; the columns a scan keeps count their width per row, or a share of the
rest for strings; a filter keeps a fixed fraction. They only need to tell a
small table from a large one.
"""
from __future__ import annotations

import datetime
import decimal

import pyarrow as pa

from kyudo.planner import logical as L
from kyudo.planner.expr import Col
from kyudo.planner.sources import source_nbytes, source_num_rows

FILTER_SELECTIVITY = 0.5
# The fewest bytes a variable-width value is taken to hold (see _kept_bytes).
MIN_STRING_BYTES = 8
AGGREGATE_REDUCTION = 0.1


def _kept_bytes(plan: L.Scan, rows: float | None, nbytes: float) -> float:
    """The bytes of the columns a scan keeps. A fixed-width column takes its
    width per row; the variable-width columns share what is left of the
    source's bytes. A share by column count made two integer columns of
    TPC-H's customer (24 MB) look like 65 MB, a quarter of a table that is
    mostly strings, and too large to broadcast."""
    fields = list(plan.source.schema)
    if plan.columns is None or not fields:
        return nbytes
    kept = set(plan.columns)
    widths = {f.name: f.type.bit_width / 8 for f in fields if _fixed_width(f.type)}
    variable = [f.name for f in fields if f.name not in widths]
    if rows is None:
        return nbytes * len(kept) / len(fields)
    fixed = sum(width for name, width in widths.items() if name in kept) * rows
    if not variable:
        return fixed
    # Footers give encoded sizes, which dictionaries and run lengths can bring
    # below the decoded width of the fixed columns alone (lineitem's): a string
    # is then still taken at least an offset and a few characters a row.
    rest = max(nbytes - sum(widths.values()) * rows, MIN_STRING_BYTES * rows * len(variable))
    return fixed + rest * sum(name in kept for name in variable) / len(variable)


def _fixed_width(dtype: pa.DataType) -> bool:
    if pa.types.is_dictionary(dtype):  # its indices are fixed, its values are not
        return False
    try:
        return dtype.bit_width > 0
    except ValueError:  # variable width (strings, lists): no bit width
        return False


# Estimates of recently asked plans, by identity (the plan is kept with its
# estimate, so an id is never reused while its entry lives). Lowering and the
# rules ask for the same subtrees again and again, and an estimate recurses down
# the whole subtree: without this, planning time grew with the square of the
# plan's size.
_ESTIMATES: dict[int, tuple] = {}
_ESTIMATES_KEPT = 4096


def estimate(plan: L.LogicalPlan) -> tuple[float | None, float | None]:
    """Return ``(rows, bytes)`` estimates; ``None`` where nothing is known."""
    known = _ESTIMATES.get(id(plan))
    if known is not None and known[0] is plan:
        return known[1]
    result = _estimate(plan)
    if len(_ESTIMATES) >= _ESTIMATES_KEPT:
        _ESTIMATES.clear()
    _ESTIMATES[id(plan)] = (plan, result)
    return result


def _estimate(plan: L.LogicalPlan) -> tuple[float | None, float | None]:
    if isinstance(plan, L.Scan):
        rows, nbytes = source_num_rows(plan.source), source_nbytes(plan.source)
        if nbytes is not None:
            nbytes = _kept_bytes(plan, rows, nbytes)
        if plan.predicate is not None:
            rows = rows * FILTER_SELECTIVITY if rows is not None else None
            nbytes = nbytes * FILTER_SELECTIVITY if nbytes is not None else None
        return rows, nbytes
    if isinstance(plan, L.Filter):
        return _scale(estimate(plan.input), FILTER_SELECTIVITY)
    if isinstance(plan, L.Aggregate):
        if not plan.keys:
            return 1, 64 * max(len(plan.aggs), 1)
        if isinstance(plan.input, L.Distinct):
            # Counting distinct (key, value) rows per key (what distinct_aggregates
            # makes of nunique): the distinct rows are the only bound known, and
            # guessing a tenth of them again sent TPC-H Q21's 15M orders through
            # a one-partition tree into a broadcast join.
            return estimate(plan.input)
        return _scale(estimate(plan.input), _group_share(plan))
    if isinstance(plan, L.Limit) and plan.n is not None:
        rows, nbytes = estimate(plan.input)
        if rows and nbytes:
            return min(rows, plan.n), nbytes * min(1.0, plan.n / rows)
        return plan.n, None
    if isinstance(plan, L.Join) and plan.how in ("semi", "anti"):
        return _scale(estimate(plan.left), _kept_by_semi_join(plan))
    if isinstance(plan, (L.Join, L.Union)):
        parts = [estimate(c) for c in plan.children]
        if any(r is None for r, _ in parts) or any(b is None for _, b in parts):
            return None, None
        return sum(r for r, _ in parts), sum(b for _, b in parts)
    if plan.children:
        return estimate(plan.children[0])
    return None, None


def _group_share(plan: L.Aggregate) -> float:
    """Groups per input row: bounded by the product of the keys' distinct-value
    bounds when every key has one (a group-by on the order key of lineitem keeps
    a quarter of the rows, which a flat tenth took for small enough to gather
    into one partition), else :data:`AGGREGATE_REDUCTION`."""
    rows, _ = estimate(plan.input)
    bound = 1.0
    for key in plan.keys:
        keys = distinct_bound(plan.input, key)
        if keys is None or not rows:
            return AGGREGATE_REDUCTION
        bound *= keys
    return min(1.0, max(AGGREGATE_REDUCTION, bound / rows))


def _kept_by_semi_join(plan: L.Join) -> float:
    """The share of the left rows a semi (or anti) join keeps. When the right side
    is a filtered scan, its keys are taken to be unique in the source (a foreign
    key), so a semi join keeps the share of the source its filters keep: semi
    joins made by ``semi_join_reduction`` from a few parts must read as small.
    Otherwise, and for anti joins, it keeps :data:`FILTER_SELECTIVITY`."""
    share = _source_share(plan.right) if plan.how == "semi" else None
    return FILTER_SELECTIVITY if share is None else share


def _source_share(plan: L.LogicalPlan) -> float | None:
    """Estimated rows of a chain of Filter and Project nodes over a Scan, as a
    share of the source's rows; None for anything else."""
    node = plan
    while isinstance(node, (L.Filter, L.Project)):
        node = node.input
    if not isinstance(node, L.Scan) or node.predicate is None and node is plan:
        return None
    total, rows = source_num_rows(node.source), filtered_rows(plan)
    if not total or rows is None:
        return None
    return min(1.0, rows / total)


def _scale(est, factor):
    rows, nbytes = est
    return (rows * factor if rows is not None else None,
            nbytes * factor if nbytes is not None else None)


def _source_column(plan: L.LogicalPlan, column: str):
    """``(scan, name)``: the Scan ``column`` is read from (through row filters and
    renaming projections) and its name there; ``(None, None)`` if it is computed."""
    node, name = plan, column
    while not isinstance(node, L.Scan):
        if isinstance(node, (L.Filter, L.Sort, L.Limit)):
            node = node.input
        elif isinstance(node, L.Project):
            expr = dict(node.exprs).get(name)
            if not isinstance(expr, Col):
                return None, None
            node, name = node.input, expr.name
        else:
            return None, None
    if name not in node.source.schema.names:
        return None, None
    return node, name


def _as_number(value) -> float | None:
    """Ints, floats, decimals, dates and timestamps on one numeric axis (seconds for
    the temporal ones), so ranges and literals can be compared."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, decimal.Decimal)):
        return float(value)
    if isinstance(value, datetime.datetime):
        return (value.replace(tzinfo=None) - datetime.datetime(1970, 1, 1)).total_seconds()
    if isinstance(value, datetime.date):
        return (value - datetime.date(1970, 1, 1)).days * 86400.0
    return None


def column_range(plan: L.LogicalPlan, column: str) -> tuple | None:
    """``(min, max)`` of ``column`` over the whole source it is read from, from the
    source's per-partition statistics (Parquet footers); ``None`` when unknown."""
    scan, name = _source_column(plan, column)
    statistics = getattr(scan.source, "column_statistics", None) if scan is not None else None
    if statistics is None:
        return None
    parts = statistics(name)
    if not parts or any(p is None for p in parts):
        return None
    lows = [p[0] for p in parts if p[0] is not None]
    highs = [p[1] for p in parts if p[1] is not None]
    if not lows or not highs:
        return None
    try:
        return min(lows), max(highs)
    except TypeError:
        return None


def distinct_bound(plan: L.LogicalPlan, column: str) -> float | None:
    """An upper bound of the number of distinct values of ``column`` in ``plan``,
    from metadata: for an integer or date column read (renamed or not) from a Scan
    whose source reports per-partition ``(min, max, null_count)``, the size of the
    range ``max - min + 1``, capped by the source's rows. ``None`` when unknown.

    A join key whose bound is below its table's rows cannot be unique there
    (TPC-H's ``s_nationkey`` ranges over 25 values): join ordering uses that to
    tell a foreign-key join from a many-to-many one."""
    scan, name = _source_column(plan, column)
    if scan is None:
        return None
    dtype = scan.source.schema.field(name).type
    if not (pa.types.is_integer(dtype) or pa.types.is_date(dtype)):
        return None
    bounds = column_range(plan, column)
    if bounds is None:
        return None
    low, high = _as_number(bounds[0]), _as_number(bounds[1])
    if low is None or high is None:
        return None
    span = (high - low) / 86400.0 if pa.types.is_date(dtype) else high - low
    rows = source_num_rows(scan.source)
    bound = float(span) + 1.0
    return min(bound, float(rows)) if rows is not None else bound


# Selectivities of predicates whose statistics say nothing better (System R style).
EQUAL_SELECTIVITY = 0.1
RANGE_SELECTIVITY = 1 / 3
LIKE_SELECTIVITY = 0.1


def selectivity(predicate, plan: L.LogicalPlan) -> float:
    """The fraction of ``plan``'s rows estimated to satisfy ``predicate`` (over
    ``plan``'s columns), from metadata: ``col = literal`` keeps 1/distinct values
    (bounded from min/max) or 10%, a range on a column keeps its share of the
    column's min..max or a third, LIKE 10%, IN a multiple of equality; AND
    multiplies, OR adds (as for independent events), NOT complements.

    Finer than the flat :data:`FILTER_SELECTIVITY` of :func:`estimate`, which the
    physical choices use; join ordering needs to tell ``n_name = 'X'`` (1 of 25)
    from ``o_orderdate < '1995-03-15'`` (about half)."""
    from kyudo.planner.expr import Call, Lit

    def column_and_literal(call):
        a, b = call.args
        if isinstance(a, Col) and isinstance(b, Lit):
            return a.name, b.value, False
        if isinstance(b, Col) and isinstance(a, Lit):
            return b.name, a.value, True
        return None, None, False

    def equal(name):
        bound = distinct_bound(plan, name)
        return 1.0 / bound if bound else EQUAL_SELECTIVITY

    def share(name, low_value, high_value):
        """The fraction of the column's range between two literals (None: open)."""
        bounds = column_range(plan, name)
        if bounds is None:
            return None
        low, high = _as_number(bounds[0]), _as_number(bounds[1])
        lo = low if low_value is None else _as_number(low_value)
        hi = high if high_value is None else _as_number(high_value)
        if low is None or high is None or lo is None or hi is None:
            return None
        if high <= low:
            return 1.0 if lo <= low <= hi else 0.0
        return min(1.0, max(0.0, (min(hi, high) - max(lo, low)) / (high - low)))

    def sel(expr) -> float:
        if not isinstance(expr, Call):
            return 0.5
        op = expr.op
        if op == "and":
            out = 1.0
            for arg in expr.args:
                out *= sel(arg)
            return out
        if op == "or":
            keep = 1.0
            for arg in expr.args:
                keep *= 1.0 - sel(arg)
            return 1.0 - keep
        if op == "not":
            return 1.0 - sel(expr.args[0])
        if op in ("equal", "not_equal") and len(expr.args) == 2:
            name, _, _ = column_and_literal(expr)
            s = equal(name) if name is not None else EQUAL_SELECTIVITY
            return s if op == "equal" else 1.0 - s
        if op == "is_in" and expr.args and isinstance(expr.args[0], Col):
            values = dict(expr.options).get("values") or ()
            return min(1.0, max(len(values), 1) * equal(expr.args[0].name))
        if op in ("less", "less_equal", "greater", "greater_equal") and len(expr.args) == 2:
            name, value, flipped = column_and_literal(expr)
            if name is None:
                return 0.5
            below = (op in ("less", "less_equal")) != flipped
            s = share(name, None, value) if below else share(name, value, None)
            return RANGE_SELECTIVITY if s is None else s
        if op == "between" and len(expr.args) == 3 and isinstance(expr.args[0], Col):
            bounds = expr.args[1:]
            if all(isinstance(b, Lit) for b in bounds):
                s = share(expr.args[0].name, bounds[0].value, bounds[1].value)
                if s is not None:
                    return s
            return RANGE_SELECTIVITY * RANGE_SELECTIVITY * 2
        if op in ("like", "ilike", "contains", "starts_with", "ends_with"):
            return LIKE_SELECTIVITY
        if op == "is_null":
            return 0.1
        if op == "is_not_null":
            return 0.9
        return 0.5

    return min(1.0, max(0.0, sel(predicate)))


def filtered_rows(plan: L.LogicalPlan) -> float | None:
    """Rows of ``plan`` estimated with :func:`selectivity` for the predicates of a
    chain of Filter and Project nodes down to a Scan; :func:`estimate` otherwise."""
    factor = 1.0
    node = plan
    while isinstance(node, (L.Filter, L.Project)):
        if isinstance(node, L.Filter):
            factor *= selectivity(node.predicate, node.input)
        node = node.input
    if not isinstance(node, L.Scan):
        rows = estimate(plan)[0]
        return float(rows) if rows is not None else None
    rows = source_num_rows(node.source)
    if rows is None:
        return None
    if node.predicate is not None:
        factor *= selectivity(node.predicate, L.Scan(node.source))
    return max(float(rows) * factor, 1.0)

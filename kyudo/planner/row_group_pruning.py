"""Pruning a scan's row groups by their min/max statistics, in the planner.

pyarrow can prune row groups with a filter, but it simplifies the filter
against every row group's statistics one by one (about 15 us per row group and
term): the first plan of TPC-H Q19 at scale 10 spent 190 ms there.  The terms
a scan filter is made of are mostly a column against literals (``=``, ``<``,
``BETWEEN``, ``IN``, ``IS NULL``, and AND/OR of them), which the planner can
decide from the statistics folded once per column: a row group is dropped when
no row in it can satisfy a term.  Terms of any other shape are left to the
source's own ``prune``.

A term's answer for a row group is ``False`` (no row can match), ``True`` (some
row may), ``EVERY`` (every row does) or ``None`` (the statistics or the shape
cannot tell). A conjunct that every row of every kept row group satisfies is
dropped from the scan's filter: a pandas group-by's ``is_valid(key)`` on a key
without NULLs cost a third of TPC-H Q4's lineitem read in pyarrow. ``EVERY`` is
never the answer for a floating-point column, whose NaN rows the statistics
leave out. Literals are converted to the column's type before comparing,
exactly (a lossy conversion makes the answer ``None``), as the pushed filter
compares them.
"""
from __future__ import annotations

import operator
from typing import Any, Callable, Sequence

import pyarrow as pa

from kyudo.planner.expr import Call, Col, Expr, Lit

_ORDERED = (pa.types.is_integer, pa.types.is_floating, pa.types.is_decimal, pa.types.is_date,
            pa.types.is_timestamp, pa.types.is_string, pa.types.is_large_string)
Verdict = Callable[[tuple | None], "bool | None"]


class _Every:
    """The verdict that every row of a row group satisfies a term (truthy: some
    row does)."""

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "EVERY"


EVERY = _Every()


def prune_scan_source(source, pushed: Sequence[tuple[Expr, Any]]):
    """``(source, pushed)``: ``source`` without the row groups that ``pushed``
    conjuncts rule out, and the conjuncts still to apply to its rows.

    ``pushed`` pairs each conjunct with its Arrow form; the conjuncts the
    statistics can decide are applied here, the others go to ``source.prune``.
    """
    statistics = getattr(source, "row_group_statistics", None)
    undecided = []
    decided = []
    keep: list[bool] | None = None
    for term in pushed:
        conjunct, arrow = term
        verdicts = _row_group_verdicts(conjunct, source) if statistics is not None else None
        if verdicts is None:
            undecided.append(arrow)
            continue
        decided.append((term, verdicts))
        flags = [v is not False for v in verdicts]
        keep = flags if keep is None else [a and b for a, b in zip(keep, flags)]
    satisfied = {id(term) for term, verdicts in decided
                 if all(v is EVERY for v, kept in zip(verdicts, keep) if kept)}
    if keep is not None and not all(keep):
        source = source.keep_row_groups(keep)
    if undecided:
        source = source.prune(_and(undecided))
    return source, [term for term in pushed if id(term) not in satisfied]


def _row_group_verdicts(conjunct: Expr, source) -> list[bool | None] | None:
    """One verdict per row group, or None when the shape is not understood."""
    test = _compile(conjunct, source.schema)
    if test is None:
        return None
    columns = sorted(conjunct.columns())
    per_column = {name: source.row_group_statistics(name) for name in columns}
    rows = [dict(zip(columns, stats)) for stats in zip(*(per_column[c] for c in columns))]
    return [test(row) for row in rows]


def _compile(expr: Expr, schema: pa.Schema) -> Callable[[dict], bool | None] | None:
    """``expr`` as a function of a row group's ``{column: (min, max, nulls)}``."""
    if not isinstance(expr, Call):
        return None
    if expr.op == "not" and isinstance(expr.args[0], Call) and expr.args[0].op == "is_null":
        expr = Call("is_not_null", expr.args[0].args, expr.args[0].options)  # SQL's IS NOT NULL
    if expr.op in ("and", "or"):
        parts = [_compile(a, schema) for a in expr.args]
        if any(p is None for p in parts):
            return None
        return _any(parts) if expr.op == "or" else _all(parts)
    columns = [_column(a, schema) for a in expr.args]
    if len(columns) == 2 and all(columns) and expr.op in _COLUMN_PAIR:
        return _column_pair(expr.op, columns[0], columns[1], schema)
    name = columns[0] if columns else None
    if name is None:
        return None
    verdict = _column_verdict(expr, schema.field(name).type)
    if verdict is None:
        return None
    return lambda stats_of: verdict(stats_of[name])


def _column(expr: Expr, schema: pa.Schema) -> str | None:
    """The column an argument reads, if it is one of an ordered type.  NaN has
    no place in min/max statistics and never satisfies a comparison, so
    ``nan_to_null(col)`` compares as ``col`` does."""
    if isinstance(expr, Call) and expr.op == "nan_to_null" and len(expr.args) == 1:
        expr = expr.args[0]
    if not isinstance(expr, Col) or expr.name not in schema.names:
        return None
    type_ = schema.field(expr.name).type
    return expr.name if any(is_(type_) for is_ in _ORDERED) else None


# column op column: whether some row may satisfy it, and whether every row
# does, given each column's range
_COLUMN_PAIR = {
    "less": (lambda a, b: a[0] < b[1], lambda a, b: a[1] < b[0]),
    "less_equal": (lambda a, b: a[0] <= b[1], lambda a, b: a[1] <= b[0]),
    "greater": (lambda a, b: a[1] > b[0], lambda a, b: a[0] > b[1]),
    "greater_equal": (lambda a, b: a[1] >= b[0], lambda a, b: a[0] >= b[1]),
    "equal": (lambda a, b: a[0] <= b[1] and b[0] <= a[1], lambda a, b: a[0] == a[1] == b[0] == b[1]),
}


def _column_pair(op: str, left: str, right: str, schema: pa.Schema):
    type_ = schema.field(left).type
    if type_ != schema.field(right).type:
        return None
    some, every = _COLUMN_PAIR[op]
    exact = not pa.types.is_floating(type_)

    def verdict(stats_of):
        a, b = stats_of[left], stats_of[right]
        if a is None or b is None:
            return None
        if a[0] is None or b[0] is None:  # one side all NULL
            return False
        try:
            if not some(a, b):
                return False
            return EVERY if exact and a[2] == 0 and b[2] == 0 and every(a, b) else True
        except TypeError:
            return None
    return verdict


def _column_verdict(expr: Call, type_: pa.DataType) -> Verdict | None:
    op, args = expr.op, expr.args
    exact = not pa.types.is_floating(type_)
    if op == "is_null" and len(args) == 1 and not expr.options and exact:
        return lambda s: None if s is None else (EVERY if s[0] is None else s[2] > 0)
    if op == "is_not_null" and len(args) == 1 and not expr.options:
        return lambda s: None if s is None else (s[0] is not None and (EVERY if exact and s[2] == 0 else True))
    if op == "not_equal" and len(args) == 2:
        value = _literal(args[1], type_)
        if value is _UNKNOWN:
            return None
        if not exact:  # NaN rows (outside min/max) are not equal
            return lambda s: True
        return _ranged(lambda lo, hi: not (lo == hi == value), lambda lo, hi: value < lo or hi < value)
    if op in _COMPARISONS and len(args) == 2:
        value = _literal(args[1], type_)
        if value is _UNKNOWN:
            return None
        some, every = _COMPARISONS[op]
        return _ranged(lambda lo, hi: some(lo, hi, value), exact and (lambda lo, hi: every(lo, hi, value)))
    if op == "between" and len(args) == 3:
        low, high = _literal(args[1], type_), _literal(args[2], type_)
        if low is _UNKNOWN or high is _UNKNOWN:
            return None
        inclusive = expr.option("inclusive", "both")
        above = operator.le if inclusive in ("both", "left") else operator.lt
        below = operator.le if inclusive in ("both", "right") else operator.lt
        # "may match" keeps the closed interval: wider than any, so never wrong
        return _ranged(lambda lo, hi: low <= hi and lo <= high,
                       exact and (lambda lo, hi: above(low, lo) and below(hi, high)))
    if op == "is_in" and len(args) == 1:
        raw = dict(expr.options).get("values") or ()
        if any(isinstance(v, float) and v != v for v in raw):
            # NaN matches NaN rows, which min/max statistics leave out: every row
            # group may match (pyarrow's pruning, asked instead, ruled them out)
            return lambda s: None
        values = [_literal(Lit(v), type_) for v in raw]
        if any(v is _UNKNOWN for v in values):
            return None  # a NULL among them may match NULLs
        return _ranged(lambda lo, hi: any(lo <= v <= hi for v in values),
                       exact and (lambda lo, hi: lo == hi and lo in values))
    return None


# column op literal: whether some row in [lo, hi] may satisfy it, and whether every row does
_COMPARISONS = {
    "equal": (lambda lo, hi, v: lo <= v <= hi, lambda lo, hi, v: lo == hi == v),
    "less": (lambda lo, hi, v: lo < v, lambda lo, hi, v: hi < v),
    "less_equal": (lambda lo, hi, v: lo <= v, lambda lo, hi, v: hi <= v),
    "greater": (lambda lo, hi, v: hi > v, lambda lo, hi, v: lo > v),
    "greater_equal": (lambda lo, hi, v: hi >= v, lambda lo, hi, v: lo >= v),
}


def _ranged(some: Callable[[Any, Any], bool], every: Callable[[Any, Any], bool] | bool = False) -> Verdict:
    """A comparison's verdict: a NULL never matches, so an all-NULL row group
    (no min/max) has none, and only a row group without NULLs can have every
    row match; unknown statistics or incomparable values tell nothing."""
    def verdict(stats):
        if stats is None:
            return None
        low, high, nulls = stats
        if low is None or high is None:
            return False
        try:
            if not some(low, high):
                return False
            return EVERY if every and nulls == 0 and every(low, high) else True
        except TypeError:
            return None
    return verdict


# Verdicts from "no row" to "every row": AND is the least of its parts', OR the
# greatest (an unknown part leaves AND unknown unless another part is False, and
# OR unknown unless another part may match).
_RANK = {False: 0, None: 1, True: 2, EVERY: 3}
_BY_RANK = tuple(_RANK)


def _all(parts):
    return lambda stats_of: _BY_RANK[min(_RANK[p(stats_of)] for p in parts)]


def _any(parts):
    return lambda stats_of: _BY_RANK[max(_RANK[p(stats_of)] for p in parts)]


_UNKNOWN = object()


def _literal(expr: Expr, type_: pa.DataType):
    """The literal as a Python value of the column's type, or _UNKNOWN when it
    is not a literal or does not convert exactly."""
    if not isinstance(expr, Lit) or expr.value is None:
        return _UNKNOWN
    try:
        scalar = pa.scalar(expr.value, expr.dtype) if expr.dtype is not None else pa.scalar(expr.value)
        converted = scalar.cast(type_, safe=True)
        if not converted.cast(scalar.type, safe=True).equals(scalar):
            return _UNKNOWN
        return converted.as_py()
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError):
        return _UNKNOWN


def _and(expressions: list):
    combined = expressions[0]
    for other in expressions[1:]:
        combined = combined & other
    return combined


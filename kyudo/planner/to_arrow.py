"""Conversion of expressions to ``pyarrow.compute.Expression`` for pushdown.

A filter pushed into a Parquet read (``pyarrow.dataset`` ``filter=``) prunes row
groups by their statistics and skips rows while decoding. The catalog's kernels are
written with pyarrow.compute calls, which build a ``pc.Expression`` when given one,
so conversion runs the very kernels evaluation runs; arguments are cast to the
types the catalog's coercion rules pick for ``schema``, so both paths agree on
types too (``date_col > '1998-09-02'`` casts the literal in both).
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from kyudo.planner.evaluate import literal_scalar
from kyudo.planner.expr import Call, Col, Expr, Lit
from kyudo.planner.functions import FUNCTIONS, exactly_castable
from kyudo.planner.nan_filters import rewrite_nan_false_comparisons
from kyudo.planner.types import infer_type, unknown_column


def to_arrow_expression(expr: Expr, schema: pa.Schema) -> pc.Expression | None:
    """``expr`` as a pc.Expression over ``schema``, or ``None`` when some part has
    no Arrow equivalent (a numpy-backed function, an op outside the catalog).
    Callers pushing a filter should convert each conjunct separately and keep the
    ones that convert. Unknown columns and type errors raise, as in evaluation."""
    converted = _convert(_filter_nan_as_is(expr), schema)
    if isinstance(converted, pa.Scalar):
        return pc.scalar(converted)
    return converted


def _convert(expr: Expr, schema: pa.Schema):
    """Like :func:`to_arrow_expression`, but literals stay pa.Scalar so that the
    kernels' casts apply to them at once and the pushed filter compares a column
    with a constant of its own type, which Parquet statistics can prune with."""
    if isinstance(expr, Col):
        if expr.name not in schema.names:
            raise unknown_column(expr.name, schema.names)
        return pc.field(expr.name)
    if isinstance(expr, Lit):
        return literal_scalar(expr)
    if isinstance(expr, Call):
        fn = FUNCTIONS.get(expr.op)
        if fn is None or not fn.pushdown:
            return None
        expr = _narrow_literals(expr, schema)
        args = [_convert(a, schema) for a in expr.args]
        if any(a is None for a in args):
            return None
        arg_types = tuple(infer_type(a, schema) for a in expr.args)
        return fn.apply(args, arg_types, expr)
    return None


_COMPARISONS = frozenset({"equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "between"})


def _narrow_literals(expr: Call, schema: pa.Schema) -> Call:
    """Compare a column with literals in the column's own type when they convert
    exactly (``int32_col > 5``, ``decimal_col < 0.07``): the answers are the same,
    but a filter on the bare column, not on a cast of it, is one Parquet
    statistics can prune row groups with."""
    columns = [a for a in expr.args if isinstance(a, Col)]
    if expr.op not in _COMPARISONS or len(columns) != 1 or \
            not all(isinstance(a, (Col, Lit)) for a in expr.args):
        return expr
    target = infer_type(columns[0], schema)
    args = []
    for arg in expr.args:
        if isinstance(arg, Lit) and arg.value is not None:
            value = literal_scalar(arg)
            if value.type != target and exactly_castable(value, target):
                arg = Lit(value.cast(target).as_py(), target)
        args.append(arg)
    return Call(expr.op, tuple(args), expr.options)


def _filter_nan_as_is(expr: Expr) -> Expr:
    """A filter comparing ``nan_to_null(x)`` (how the DataFrame API reads floats
    that may store NaN), rewritten to compare ``x`` itself, which Parquet
    statistics can prune row groups with, where that keeps the same rows
    (:mod:`kyudo.planner.nan_filters`).

    Only there: Parquet's min/max leave NaN out, so a predicate true for NaN
    (``x != 3``, anything under ``not``) must keep its nan_to_null, which no
    statistics can see through, or pruning would lose the NaN rows."""
    return rewrite_nan_false_comparisons(expr, _without_nan_to_null)


def _without_nan_to_null(expr: Call) -> Call:
    args = tuple(a.args[0] if isinstance(a, Call) and a.op == "nan_to_null" else a for a in expr.args)
    return Call(expr.op, args, expr.options)

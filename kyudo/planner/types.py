"""Typing of expressions: promotion rules and :func:`infer_type`.

The planner must know every column's type without reading data, so each function
in :mod:`kyudo.planner.functions` states how its argument types are coerced and
what it returns. This module holds the promotion rules they share (the pandas/numpy
"common type" of two operands, plus the SQL convenience of comparing a date column
with a string literal) and the recursive :func:`infer_type` that walks a tree.
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.types as pat

from kyudo.planner.errors import ColumnNotFoundError, PlanError
from kyudo.planner.expr import Call, Col, Expr, Lit


class ExpressionError(PlanError):
    """An expression cannot be typed or evaluated: an unknown function, argument
    types it does not accept, a bad option."""


def unknown_column(name: str, names: list[str]) -> ColumnNotFoundError:
    """The error for a missing column, naming the closest existing one."""
    return ColumnNotFoundError.missing(name, names)


def is_string(t: pa.DataType) -> bool:
    return pat.is_string(t) or pat.is_large_string(t)


def is_numeric(t: pa.DataType) -> bool:
    return pat.is_integer(t) or pat.is_floating(t) or pat.is_decimal(t)


def is_temporal(t: pa.DataType) -> bool:
    return pat.is_date(t) or pat.is_timestamp(t)


_UNITS = ("s", "ms", "us", "ns")


def integer_as_decimal(t: pa.DataType) -> pa.DataType:
    """The narrowest decimal that holds every value of integer type ``t``."""
    largest = 2 ** (t.bit_width - pat.is_signed_integer(t)) - 1
    return pa.decimal128(len(str(largest)), 0)


def _decimal(precision: int, scale: int) -> pa.DataType:
    if precision <= 38:
        return pa.decimal128(precision, scale)
    return pa.decimal256(min(precision, 76), scale)


def _common_integer(a: pa.DataType, b: pa.DataType) -> pa.DataType:
    if pat.is_signed_integer(a) == pat.is_signed_integer(b):
        return a if a.bit_width >= b.bit_width else b
    signed, unsigned = (a, b) if pat.is_signed_integer(a) else (b, a)
    for candidate in (pa.int16(), pa.int32(), pa.int64()):
        if candidate.bit_width > unsigned.bit_width and candidate.bit_width >= signed.bit_width:
            return candidate
    return pa.float64()  # uint64 with a signed type: numpy's choice


def _common_numeric(a: pa.DataType, b: pa.DataType) -> pa.DataType:
    if pat.is_integer(a) and pat.is_integer(b):
        return _common_integer(a, b)
    if pat.is_floating(a) or pat.is_floating(b):
        if pat.is_floating(a) and pat.is_floating(b):
            return a if a.bit_width >= b.bit_width else b
        flt, other = (a, b) if pat.is_floating(a) else (b, a)
        # numpy: float32 absorbs int8/int16, anything wider (or a decimal) needs float64
        if flt == pa.float32() and pat.is_integer(other) and other.bit_width <= 16:
            return flt
        return pa.float64()
    a = integer_as_decimal(a) if pat.is_integer(a) else a
    b = integer_as_decimal(b) if pat.is_integer(b) else b
    scale = max(a.scale, b.scale)
    return _decimal(max(a.precision - a.scale, b.precision - b.scale) + scale, scale)


def _common_temporal(a: pa.DataType, b: pa.DataType) -> pa.DataType | None:
    if pat.is_date(a) and pat.is_date(b):
        return pa.date32()
    if pat.is_date(a) or pat.is_date(b):
        return b if pat.is_date(a) else a  # a date is midnight of that day
    if (a.tz is None) != (b.tz is None):
        return None  # pandas refuses to compare naive and aware timestamps too
    unit = max(a.unit, b.unit, key=_UNITS.index)
    return pa.timestamp(unit, a.tz)


def common_type(a: pa.DataType, b: pa.DataType) -> pa.DataType | None:
    """The type both operands are cast to before a comparison or a choice between
    them (``coalesce``, ``if_else``); ``None`` when there is none.

    Numbers follow numpy (int32 with int64 is int64, int with float is float64),
    integers with decimals become decimals, strings meet temporal types as the
    temporal type (``date_col > '1998-09-02'``), a date meets a timestamp as a
    timestamp, and timestamps take the finer unit.
    """
    if a == b:
        return a
    if pat.is_null(a) or pat.is_null(b):
        return b if pat.is_null(a) else a
    if is_numeric(a) and is_numeric(b):
        return _common_numeric(a, b)
    if is_string(a) and is_string(b):
        return pa.large_string()
    if is_temporal(a) and is_temporal(b):
        return _common_temporal(a, b)
    if is_string(a) and is_temporal(b):
        return b
    if is_temporal(a) and is_string(b):
        return a
    if pat.is_duration(a) and pat.is_duration(b):
        return pa.duration(max(a.unit, b.unit, key=_UNITS.index))
    return None


def common_type_of(op: str, types: list[pa.DataType]) -> pa.DataType:
    """:func:`common_type` folded over several operands; raises naming ``op``."""
    result = pa.null()
    for t in types:
        merged = common_type(result, t)
        if merged is None:
            raise ExpressionError(f"{op}: no common type for argument types {format_types(types)}")
        result = merged
    return result


def format_types(types) -> str:
    return "(" + ", ".join(str(t) for t in types) + ")"


def literal_type(node: Lit) -> pa.DataType:
    """The Arrow type of a literal: its pinned ``dtype`` or what Arrow infers."""
    if node.dtype is not None:
        return node.dtype
    if isinstance(node.value, pa.Scalar):
        return node.value.type
    return pa.scalar(node.value).type


def infer_type(expr: Expr, schema: pa.Schema) -> pa.DataType:
    """The Arrow type ``expr`` evaluates to over rows of ``schema``.

    Raises :class:`~kyudo.planner.errors.ColumnNotFoundError` (naming the
    closest column) or
    :class:`ExpressionError` (naming the op and argument types).
    """
    # functions depends on the promotion rules above, so it is imported here
    from kyudo.planner.functions import lookup

    if isinstance(expr, Col):
        index = schema.get_field_index(expr.name)
        if index < 0:
            raise unknown_column(expr.name, schema.names)
        return schema.field(index).type
    if isinstance(expr, Lit):
        return literal_type(expr)
    if isinstance(expr, Call):
        arg_types = tuple(infer_type(a, schema) for a in expr.args)
        return lookup(expr.op).bind(arg_types, expr).result
    raise ExpressionError(f"cannot type expression node {expr!r}")

"""The function catalog: every op a :class:`~kyudo.planner.expr.Call` may name.

Each :class:`Function` couples three things that must agree: how argument types
are coerced (``coerce``), the kernel that computes the values, and the arity.
The result type is not written down a second time: :meth:`Function.bind` runs the
kernel once on empty arrays of the coerced types and caches the type it returns,
so :func:`~kyudo.planner.types.infer_type` can never disagree with evaluation.

Kernels are written only with ``pyarrow.compute`` calls where possible. Those
calls accept ``pc.Expression`` arguments as well as arrays, so the same kernel
builds the filter pushed into Parquet reads (see :mod:`kyudo.planner.to_arrow`);
kernels that need numpy or Python control flow set ``pushdown=False``.

Semantics worth knowing (pandas for arithmetic, SQL for NULLs and predicates):

* ``divide`` is true division: integers give float64 and ``x / 0`` is ±inf or NaN
  as in pandas; a decimal divided by zero is NULL (Arrow would raise).
* ``floordiv`` and ``mod`` follow Python/pandas signs (the remainder takes the
  sign of the divisor). Integer or decimal division by zero gives NULL (pandas'
  numpy ints turn float, its nullable Int64 gives 0; NULL is the honest answer a
  static integer type allows); for floats it gives ±inf/NaN like pandas.
* Comparisons with NaN are false (IEEE, pandas); DuckDB would order NaN last.
* Decimal arithmetic follows Arrow's precision/scale rules, capped at 38 digits
  as DuckDB does; a value that then does not fit raises at run time.
* ``power`` always returns float64 (as SQL does; it avoids integer overflow and
  negative integer exponents).
* ``pandas_power`` and ``pandas_floordiv`` are the DataFrame API's ``**`` and
  ``//``, with pandas' types where SQL's differ: ``int ** int`` stays an integer
  (wrapping on overflow and refusing negative exponents, as numpy does), and
  ``x ** 0`` and ``1 ** x`` are 1 even for a missing ``x``. pandas turns an
  integer floor division by zero into float64 (±inf, NaN for ``0 // 0``); the
  type depends on the data, so the front end says when the divisor is a known
  zero (option ``zero_divisor=True``) and the result is then float64 like
  pandas'; a zero inside an integer column still gives NULL.
* ``subtract`` of two timestamps is a duration; of two dates it is the int64
  number of days between them (SQL's answer: a date has no time of day).
* ``is_in`` uses SQL NULL semantics: a NULL input, or no match when ``values``
  contains ``None``, gives NULL.
* ``if_else`` and ``case_when`` treat a NULL condition as false (SQL ``CASE``).
* ``and``/``or``/``not`` are Kleene (three-valued) logic.
"""
from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.types as pat

from kyudo.engine.operators.substrings import like_parts, match_in_order, regex_parts
from kyudo.io.floats import nan_to_null
from kyudo.planner.expr import Call
from kyudo.planner.types import (
    ExpressionError,
    common_type_of,
    format_types,
    integer_as_decimal,
    is_numeric,
    is_string,
    is_temporal,
)

Types = tuple[pa.DataType, ...]
Kernel = Callable[[list, Types, Call], Any]
Coerce = Callable[[str, Types, Call], Types]


@dataclass(frozen=True)
class Signature:
    """Argument types after coercion and the result type of one call."""

    inputs: Types
    result: pa.DataType


@dataclass(frozen=True, eq=False)
class Function:
    """One catalog entry. ``coerce(op, arg_types, call)`` returns the types the
    arguments are cast to (or raises ExpressionError); ``kernel(args, types, call)``
    computes on arguments already of those types, reading options from ``call``.
    ``pushdown`` is False when the kernel cannot build a pc.Expression."""

    name: str
    kernel: Kernel
    coerce: Coerce
    min_args: int
    max_args: int | None  # None: any number from min_args up
    pushdown: bool = True

    def bind(self, arg_types: Types, call: Call) -> Signature:
        """Coerce ``arg_types`` and find the result type; raises ExpressionError."""
        n = len(arg_types)
        if n < self.min_args or (self.max_args is not None and n > self.max_args):
            expected = self.min_args if self.max_args == self.min_args else (
                f"at least {self.min_args}" if self.max_args is None
                else f"{self.min_args} to {self.max_args}")
            raise ExpressionError(f"{self.name} takes {expected} arguments, got {n}")
        # dictionary-encoded columns (categoricals) compute as their values
        decoded = tuple(t.value_type if pat.is_dictionary(t) else t for t in arg_types)
        return _bind(self, decoded, call.options)

    def apply(self, args: list, arg_types: Types, call: Call) -> Any:
        """Cast ``args`` (arrays, scalars or pc.Expressions) to the bound input
        types and run the kernel."""
        sig = self.bind(arg_types, call)
        cast_args = [a if t == target else coerce_value(a, t, target)
                     for a, t, target in zip(args, arg_types, sig.inputs)]
        if any(isinstance(a, pc.Expression) for a in cast_args):
            # pc dispatches on the first argument: a Scalar there rejects Expressions
            cast_args = [pc.scalar(a) if isinstance(a, pa.Scalar) else a for a in cast_args]
        return self.kernel(cast_args, sig.inputs, call)


@functools.lru_cache(maxsize=4096)
def _bind(fn: Function, arg_types: Types, options: tuple) -> Signature:
    probe_call = Call(fn.name, (), options)
    inputs = fn.coerce(fn.name, arg_types, probe_call)
    try:
        empty = [pa.array([], type=t) for t in inputs]
        result = fn.kernel(empty, inputs, probe_call).type
    except (pa.ArrowNotImplementedError, pa.ArrowTypeError, pa.ArrowInvalid) as exc:
        raise ExpressionError(
            f"{fn.name} does not accept argument types {format_types(arg_types)}: {exc}"
        ) from None
    return Signature(inputs, result)


def cast(value, to: pa.DataType, safe: bool = True):
    """Cast an array, scalar or pc.Expression (pc.cast rejects Expressions)."""
    if isinstance(value, pc.Expression):
        return value.cast(to, safe=safe)
    return pc.cast(value, to, safe=safe)


def coerce_value(value, source: pa.DataType, to: pa.DataType):
    """Cast for type coercion. A string meeting a zoned timestamp is wall time in
    that zone, as pandas reads ``zoned > '2020-01-01'`` (Arrow alone would demand
    an offset in the string). An integer meeting a float becomes the nearest
    float, as numpy makes it: Arrow's safe cast refuses integers beyond 2**53."""
    if pat.is_integer(source) and pat.is_floating(to):
        return cast(value, to, safe=False)
    if is_string(source) and pat.is_timestamp(to) and to.tz is not None:
        return pc.assume_timezone(cast(value, pa.timestamp(to.unit)), to.tz)
    if pat.is_boolean(source) and pat.is_decimal(to):  # Arrow has no bool->decimal cast
        return cast(cast(value, pa.int8()), to)
    if pat.is_integer(source) and pat.is_decimal(to) and to.precision < integer_as_decimal(source).precision:
        # _fit_decimal128 may narrow an integer operand below the digits of its
        # type; Arrow refuses that cast outright, so go through the full width
        # and let the decimal cast check each value
        return cast(cast(value, integer_as_decimal(source)), to)
    return cast(value, to)


def _null_of(t: pa.DataType) -> pa.Scalar:
    return pa.scalar(None, type=t)


# ---------------------------------------------------------------- coercion rules


def _fail(op: str, types: Types, why: str) -> ExpressionError:
    return ExpressionError(f"{op}: {why}, got argument types {format_types(types)}")


def _keep(op: str, types: Types, call: Call) -> Types:
    return types


def _common(op: str, types: Types, call: Call) -> Types:
    target = common_type_of(op, list(types))
    return tuple(target for _ in types)


def _numeric(op: str, types: Types, call: Call | None = None) -> Types:
    """Numbers (NULL literals included) cast to what the arithmetic needs: floats
    to a common float, integers with decimals to decimals (Arrow's decimal rules
    then give the result scale), integers to a common integer. Booleans next to a
    number count as 0/1, as in pandas (``flag * 2``); on their own they are not
    numbers (pandas' ``True + True`` is a logical or)."""
    if any(is_numeric(t) for t in types):
        types = tuple(pa.int8() if pat.is_boolean(t) else t for t in types)
    if not all(is_numeric(t) or pat.is_null(t) for t in types):
        raise _fail(op, types, "expected numeric arguments")
    known = [t for t in types if not pat.is_null(t)] or [pa.int64()]
    if any(pat.is_floating(t) for t in known):
        target = common_type_of(op, known)
        return tuple(target for _ in types)
    if any(pat.is_decimal(t) for t in known):
        fallback = next(t for t in known if pat.is_decimal(t))
        return tuple(fallback if pat.is_null(t) else
                     integer_as_decimal(t) if pat.is_integer(t) else t for t in types)
    target = common_type_of(op, known)
    return tuple(target for _ in types)


MAX_DECIMAL128_DIGITS = 38


def _decimal_result_precision(op: str, a: pa.DataType, b: pa.DataType) -> int:
    """The precision Arrow gives the result of ``a op b`` on decimal128s."""
    if op == "multiply":
        return a.precision + b.precision + 1
    if op == "divide":
        scale = max(4, a.scale + b.precision - b.scale + 1)
        return a.precision - a.scale + b.scale + scale
    return max(a.precision - a.scale, b.precision - b.scale) + max(a.scale, b.scale) + 1


def _fit_decimal128(op: str, types: Types) -> Types:
    """Arrow rejects decimal128 results wider than 38 digits, which chained
    arithmetic such as TPC-H's ``price * (1 - discount) * (1 + tax)`` reaches.
    Like DuckDB, cap the result at 38 digits and check overflow at run time:
    the operand with more integer digits is declared one digit narrower until
    the result fits, and the safe cast to it raises if a value does not fit."""
    if not all(pat.is_decimal128(t) for t in types):
        return types
    a, b = types
    while _decimal_result_precision(op, a, b) > MAX_DECIMAL128_DIGITS:
        wider_a = a.precision - a.scale >= b.precision - b.scale
        t = a if wider_a else b
        if t.precision - t.scale <= 1:
            break  # nothing left to give: the probe reports Arrow's error
        narrowed = pa.decimal128(t.precision - 1, t.scale)
        a, b = (narrowed, b) if wider_a else (a, narrowed)
    return a, b


def _arithmetic(op: str, types: Types, call: Call) -> Types:
    if all(is_numeric(t) or pat.is_null(t) or pat.is_boolean(t) for t in types) and \
            not all(pat.is_boolean(t) for t in types):
        return _fit_decimal128(op, _numeric(op, types))
    if all(is_temporal(t) for t in types):
        return _common(op, types, call)
    return types  # timestamp +/- duration and friends: Arrow's kernels decide


def _true_division(op: str, types: Types, call: Call) -> Types:
    types = _numeric(op, types)
    if all(pat.is_integer(t) for t in types):
        return (pa.float64(), pa.float64())
    return _fit_decimal128(op, types)


def _to_float(op: str, types: Types, call: Call) -> Types:
    if not all(is_numeric(t) or pat.is_null(t) for t in types):
        raise _fail(op, types, "expected numeric arguments")
    return tuple(t if pat.is_floating(t) else pa.float64() for t in types)


def _float64(op: str, types: Types, call: Call) -> Types:
    _numeric(op, types)
    return tuple(pa.float64() for _ in types)


def _boolean(op: str, types: Types, call: Call) -> Types:
    if not all(pat.is_boolean(t) or pat.is_null(t) for t in types):
        raise _fail(op, types, "expected boolean arguments")
    return tuple(pa.bool_() for _ in types)


def _strings(op: str, types: Types, call: Call) -> Types:
    if not all(is_string(t) or pat.is_null(t) for t in types):
        raise _fail(op, types, "expected string arguments")
    return tuple(pa.string() if pat.is_null(t) else t for t in types)


def _to_string(op: str, types: Types, call: Call) -> Types:
    target = pa.large_string() if any(pat.is_large_string(t) for t in types) else pa.string()
    return tuple(target for _ in types)


def _timestamp(op: str, types: Types, call: Call) -> Types:
    if not all(pat.is_timestamp(t) for t in types):
        raise _fail(op, types, "expected a timestamp argument")
    return types


def _integer_count(op: str, types: Types, call: Call) -> Types:
    if not all(pat.is_integer(t) or pat.is_null(t) for t in types):
        raise _fail(op, types, "expected an integer argument")
    return tuple(pa.int64() for _ in types)


def _temporal(op: str, types: Types, call: Call) -> Types:
    if not all(is_temporal(t) for t in types):
        raise _fail(op, types, "expected a date or timestamp argument")
    return types


def _condition_then_common(op: str, types: Types, call: Call) -> Types:
    """if_else(cond, a, b): a boolean condition, then values of a common type."""
    _boolean(op, types[:1], call)
    target = common_type_of(op, list(types[1:]))
    return (pa.bool_(),) + tuple(target for _ in types[1:])


def _case_when_types(op: str, types: Types, call: Call) -> Types:
    """case_when(c1, v1, c2, v2, ..., [else]): boolean conditions, values of a
    common type."""
    conditions, values = types[0:len(types) - 1:2], types[1::2]
    if len(types) % 2:
        values = values + (types[-1],)
    _boolean(op, conditions, call)
    target = common_type_of(op, list(values))
    return tuple(pa.bool_() if i % 2 == 0 and i < len(types) - len(types) % 2 else target
                 for i in range(len(types)))


def _is_in_operand(op: str, types: Types, call: Call) -> Types:
    """The input keeps its type when every value converts to it exactly (an int32
    column stays int32 for ``IN (1, 2)``, a date column for ``IN ('2020-01-31')``);
    otherwise both meet at their common type."""
    values = [v for v in call.option("values", ()) if v is not None]
    value_set = pa.array(values)
    if values and exactly_castable(value_set, types[0]):
        return (types[0],)
    return (common_type_of(op, [types[0], value_set.type]),)


def exactly_castable(values: pa.Array | pa.Scalar, to: pa.DataType) -> bool:
    """Whether ``values`` cast to ``to`` and back unchanged, so that comparing in
    ``to`` gives the same answers as comparing in the common type."""
    if values.type == to:
        return True
    try:
        return pc.cast(pc.cast(values, to), values.type).equals(values)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return False


# ---------------------------------------------------------------- kernels


def _elementwise(name: str, **fixed) -> Kernel:
    """A kernel that calls one pc function on all arguments."""
    fn = getattr(pc, name)
    return lambda args, types, call: fn(*args, **fixed)


def _with_options(name: str, *option_names: str, **fixed) -> Kernel:
    """A kernel that passes the listed Call options on to a pc function."""
    fn = getattr(pc, name)

    def kernel(args, types, call):
        given = {k: call.option(k) for k in option_names if call.option(k) is not None}
        return fn(*args, **fixed, **given)
    return kernel


def _nullify_zero(value, t: pa.DataType):
    """NULL where ``value`` (of type ``t``) is zero: integer and decimal division
    by zero is NULL. Constants are typed so no implicit cast widens ``t``."""
    return pc.if_else(pc.not_equal(value, pa.scalar(0, t)), value, _null_of(t))


def _subtract(args, types, call):
    a, b = args
    if pat.is_date(types[0]) and pat.is_date(types[1]):
        days = [cast(cast(x, pa.int32()), pa.int64()) for x in (a, b)]
        return pc.subtract(*days)
    return pc.subtract(a, b)


def _divide(args, types, call):
    a, b = args
    if pat.is_decimal(types[1]):
        b = _nullify_zero(b, types[1])
    return pc.divide(a, b)


def _floordiv(args, types, call):
    a, b = args
    if pat.is_floating(types[0]):  # CPython's float_floor_div, vectorised
        rem = pc.remainder(a, b)  # fmod: the sign of the dividend
        div = pc.divide(pc.subtract(a, rem), b)
        wrong_sign = pc.and_kleene(pc.not_equal(rem, 0), pc.not_equal(pc.less(b, 0), pc.less(rem, 0)))
        div = pc.subtract(div, cast(wrong_sign, types[0]))
        whole = pc.round(div, round_mode="half_down")
        return pc.if_else(pc.equal(b, 0), pc.divide(a, b), whole)
    b = _nullify_zero(b, types[1])
    if pat.is_decimal(types[0]) or pat.is_decimal(types[1]):
        return pc.floor(pc.divide(a, b))
    truncated = pc.divide(a, b)
    inexact_negative = pc.and_kleene(pc.not_equal(pc.modulo(a, b), 0),
                               pc.not_equal(pc.less(a, 0), pc.less(b, 0)))
    return pc.subtract(truncated, cast(inexact_negative, types[0]))


def _pandas_floordiv_types(op: str, types: Types, call: Call) -> Types:
    types = _numeric(op, types)
    if call.option("zero_divisor", False) and all(pat.is_integer(t) for t in types):
        return (pa.float64(), pa.float64())  # pandas: int64 // 0 is float64 (±inf, NaN)
    return types


def _pandas_power_types(op: str, types: Types, call: Call) -> Types:
    """Integers stay a common integer (numpy's int ** int), floats a common
    float; decimals go through float64, as SQL's power does."""
    types = _numeric(op, types)
    if any(pat.is_decimal(t) for t in types):
        return tuple(pa.float64() for _ in types)
    return types


def _pandas_power(args, types, call):
    a, b = args
    one = pa.scalar(1, types[0])
    trivial = pc.or_kleene(pc.coalesce(pc.equal(b, pa.scalar(0, types[1])), False),
                           pc.coalesce(pc.equal(a, one), False))
    return pc.if_else(trivial, one, pc.power(a, b))


def _mod(args, types, call):
    a, b = args
    return pc.modulo(a, b if pat.is_floating(types[1]) else _nullify_zero(b, types[1]))


def _round(args, types, call):
    """Half to even like pandas; option ``round_mode="half_towards_infinity"``
    rounds halves away from zero as SQL does. Floats of magnitude 2**52 and above
    are already whole; they bypass the kernel, which would overflow scaling them
    by 10**ndigits (numpy returns inf there, a bug this does not copy)."""
    x, ndigits = args[0], call.option("ndigits", 0)
    mode = call.option("round_mode", "half_to_even")
    if not pat.is_floating(types[0]) or ndigits < 0:
        return pc.round(x, ndigits=ndigits, round_mode=mode)
    whole = pc.greater_equal(pc.abs(x), pa.scalar(2.0 ** 52, types[0]))
    rounded = pc.round(pc.if_else(whole, pa.scalar(0.0, types[0]), x),
                       ndigits=ndigits, round_mode=mode)
    return pc.if_else(whole, x, rounded)


def _between(args, types, call):
    x, low, high = args
    inclusive = call.option("inclusive", "both")
    if inclusive not in ("both", "neither", "left", "right"):
        raise ExpressionError(f"between: inclusive must be both/neither/left/right, got {inclusive!r}")
    above = (pc.greater_equal if inclusive in ("both", "left") else pc.greater)(x, low)
    below = (pc.less_equal if inclusive in ("both", "right") else pc.less)(x, high)
    return pc.and_kleene(above, below)


def _is_in(args, types, call):
    (x,) = args
    values = call.option("values", ())
    present = [v for v in values if v is not None]
    value_set = pc.cast(pa.array(present), types[0]) if present else pa.array([], types[0])
    found = pc.is_in(x, value_set=value_set)
    if len(present) < len(values):  # x IN (.., NULL): no match is unknown, not false
        found = pc.if_else(found, True, None)
    return pc.if_else(pc.is_null(x), _null_of(pa.bool_()), found)


def _is_nan(args, types, call):
    return pc.is_nan(args[0])


def _nan_to_null(args, types, call):
    """NaN becomes NULL: pandas has one missing value for floats where Arrow has
    two. One kernel, so the argument is evaluated once; a column without NaN
    comes back untouched (:mod:`kyudo.io.floats`)."""
    x = args[0]
    if not pat.is_floating(types[0]):
        return x
    if isinstance(x, pa.Scalar):
        return pc.if_else(pc.is_nan(x), _null_of(types[0]), x)
    return nan_to_null(x)


def _kleene(name: str) -> Kernel:
    fn = getattr(pc, name)
    return lambda args, types, call: functools.reduce(fn, args)


def _if_else(args, types, call):
    cond, a, b = args
    return pc.if_else(pc.coalesce(cond, False), a, b)


def _case_when(args, types, call):
    pairs = len(args) // 2
    conditions = [pc.coalesce(c, False) for c in args[0:2 * pairs:2]]
    values = list(args[1:2 * pairs:2]) + list(args[2 * pairs:])
    struct = pc.make_struct(*conditions, field_names=[f"c{i}" for i in range(pairs)])
    return pc.case_when(struct, *values)


def _nullif(args, types, call):
    a, b = args
    return pc.if_else(pc.coalesce(pc.equal(a, b), False), _null_of(types[0]), a)


def _cast(args, types, call):
    return cast(args[0], _target(call), safe=call.option("safe", True))


def _target(call: Call) -> pa.DataType:
    to = call.option("to")
    if not isinstance(to, pa.DataType):
        raise ExpressionError(f"{call.op}: option to= must be a pyarrow DataType, got {to!r}")
    return to


def _array_only(fn: Callable[[pa.Array, Types, Call], pa.Array]) -> Kernel:
    """Adapt a kernel that needs a whole pa.Array (numpy, Python loops) to the
    scalars and chunked arrays that evaluation may hand it."""

    def kernel(args, types, call):
        (x,) = args
        if isinstance(x, pa.Scalar):
            return fn(pa.array([x.as_py()], type=x.type), types, call)[0]
        if isinstance(x, pa.ChunkedArray):
            return fn(x.combine_chunks(), types, call)
        return fn(x, types, call)
    return kernel


def _try_cast_array(x: pa.Array, types, call) -> pa.Array:
    """Cast, turning the values that fail into NULL: on failure the array is split
    in halves, so k bad values cost O(k log n) casts rather than n."""
    to = _target(call)
    try:
        return pc.cast(x, to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        if len(x) == 0 or isinstance(exc, pa.ArrowNotImplementedError):
            raise ExpressionError(f"try_cast: cannot cast {x.type} to {to}") from None
        if len(x) == 1:
            return pa.nulls(1, to)
        half = len(x) // 2
        return pa.concat_arrays([_try_cast_array(x[:half], types, call),
                                 _try_cast_array(x[half:], types, call)])


def _strip(side: str) -> Kernel:
    def kernel(args, types, call):
        chars = call.option("chars")
        if chars is None:
            return getattr(pc, f"utf8_{side}_whitespace")(args[0])
        return getattr(pc, f"utf8_{side}")(args[0], characters=chars)
    return kernel


def _contains(args, types, call):
    pattern, regex = call.option("pattern"), call.option("regex", True)
    ignore_case = not call.option("case", True)
    match = pc.match_substring_regex if regex else pc.match_substring
    parts = None if ignore_case or not pattern else regex_parts(pattern) if regex else (pattern,)
    return match_in_order(args[0], parts, lambda values: match(values, pattern=pattern, ignore_case=ignore_case))


def like_to_arrow(pattern: str, escape: str | None) -> str:
    """Rewrite a SQL LIKE pattern with an optional ESCAPE character into Arrow's
    match_like syntax, where backslash is always the escape."""
    out, chars = [], iter(pattern)
    for ch in chars:
        if escape is not None and ch == escape:
            nxt = next(chars, None)
            if nxt is None:
                raise ExpressionError(f"like: pattern {pattern!r} ends with its escape character")
            out.append("\\" + nxt)
        elif ch == "\\":
            out.append("\\\\")
        else:
            out.append(ch)
    return "".join(out)


def _like(ignore_case: bool) -> Kernel:
    def kernel(args, types, call):
        pattern = like_to_arrow(call.option("pattern"), call.option("escape"))
        parts = None if ignore_case else like_parts(pattern)
        return match_in_order(args[0], parts,
                              lambda values: pc.match_like(values, pattern=pattern, ignore_case=ignore_case))
    return kernel


def _replace(args, types, call):
    replace = pc.replace_substring_regex if call.option("regex", False) else pc.replace_substring
    return replace(args[0], pattern=call.option("pattern"), replacement=call.option("replacement"))


def _substring(args, types, call):
    start, length = call.option("start", 0), call.option("length")
    stop = None if length is None or (start < 0 <= start + length) else start + length
    return pc.utf8_slice_codeunits(args[0], start=start, stop=stop)


def _concat(args, types, call):
    separator = pa.scalar("", types[0])  # of the arguments' string type
    return pc.binary_join_element_wise(*args, separator, null_handling="emit_null")


def _repeat(args, types, call):
    return pc.binary_repeat(args[0], call.option("n"))


def _split_part(args, types, call):
    """SQL split_part: the 1-based ``index``-th field, '' when there are fewer."""
    delimiter, index = call.option("delimiter"), call.option("index")
    if not delimiter or not isinstance(index, int) or index < 1:
        raise ExpressionError("split_part needs a non-empty delimiter and index >= 1")
    d = re.escape(delimiter)
    pattern = f"(?s)^(?:.*?{d}){{{index - 1}}}(?P<part>.*?)(?:{d}|$)"
    part = pc.struct_field(pc.extract_regex(args[0], pattern=pattern), [0])
    return pc.if_else(pc.is_null(args[0]), _null_of(types[0]), pc.coalesce(part, ""))


def _pad(args, types, call):
    """pandas str.pad. For side="both" it matches Python's str.center, which puts
    an odd padding character on the left exactly when the width is odd."""
    side, width = call.option("side", "left"), call.option("width")
    padding = call.option("fillchar", " ")
    if side == "both":
        return pc.utf8_center(args[0], width=width, padding=padding,
                              lean_left_on_odd_padding=width % 2 == 0)
    fn = {"left": pc.utf8_lpad, "right": pc.utf8_rpad}.get(side)
    if fn is None:
        raise ExpressionError(f"pad: side must be left/right/both, got {side!r}")
    return fn(args[0], width=width, padding=padding)


def _microsecond(args, types, call):
    """pandas' microsecond (0..999999), not Arrow's (microseconds within the ms)."""
    return pc.add(pc.multiply(pc.millisecond(args[0]), 1000), pc.microsecond(args[0]))


def _date_trunc(args, types, call):
    unit = call.option("unit")
    if unit not in ("year", "quarter", "month", "week", "day", "hour", "minute", "second"):
        raise ExpressionError(f"date_trunc: unknown unit {unit!r}")
    return pc.floor_temporal(args[0], unit=unit, week_starts_monday=True)


_TICKS_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}


def _shift_days(days: np.ndarray, months: int, extra_days: int) -> np.ndarray:
    """Add calendar months (clamping to the month's last day, like pandas
    DateOffset and SQL) then days to day numbers since the epoch."""
    as_date = days.astype("datetime64[D]")
    month = as_date.astype("datetime64[M]")
    day_in_month = (as_date - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.timedelta64(months, "M")
    last_day = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64) - 1
    shifted = target.astype("datetime64[D]").astype(np.int64) + np.minimum(day_in_month, last_day)
    return shifted + extra_days


def _add_interval_array(x: pa.Array, types, call) -> pa.Array:
    months, days = call.option("months", 0), call.option("days", 0)
    nanoseconds = call.option("nanoseconds", 0)
    mask = x.is_null().to_numpy(zero_copy_only=False)
    if pat.is_date(x.type):
        if nanoseconds:
            raise ExpressionError("add_interval: a date cannot take nanoseconds; cast it to a timestamp")
        raw = pc.fill_null(x.cast(pa.date32()).cast(pa.int32()), 0).to_numpy().astype(np.int64)
        out = _shift_days(raw, months, days)
        return pa.array(out.astype(np.int32), mask=mask).cast(x.type)
    unit, tz = x.type.unit, x.type.tz
    wall = pc.local_timestamp(x) if tz else x  # months and days move the wall clock
    ticks = pc.fill_null(wall.cast(pa.int64()), 0).to_numpy()
    per_day = _TICKS_PER_DAY[unit]
    day, time_of_day = np.divmod(ticks, per_day)
    out = _shift_days(day, months, days) * per_day + time_of_day
    out += nanoseconds // (_TICKS_PER_DAY["ns"] // per_day)  # truncated to the unit
    result = pa.array(out, mask=mask).cast(pa.timestamp(unit))
    if tz:
        result = pc.assume_timezone(result, tz, ambiguous="earliest", nonexistent="earliest")
    return result


def _time_measure(args, types, call):
    """A timestamp as an int64 count on one of resample's scales (option
    ``kind``): "tick", its own ticks since the epoch (absolute time); "day",
    days since 1970-01-01 of its wall-clock date (in its time zone); "month",
    months since 1970-01 of that date; "bday", business days (Monday to Friday)
    since 1970-01-01 of the business day at or before that date (option
    ``roll="forward"``: at or after it); "bmonth", the month of that business
    day. Bins are then arithmetic on counts."""
    (t,), kind = args, call.option("kind")
    if kind == "tick":
        return cast(t, pa.int64())
    wall = pc.local_timestamp(t) if types[0].tz else t
    if kind == "day":
        ticks = cast(cast(wall, pa.timestamp(types[0].unit)), pa.int64())
        per_day = pa.scalar(_TICKS_PER_DAY[types[0].unit], pa.int64())
        return _floordiv([ticks, per_day], (pa.int64(), pa.int64()), call)
    if kind == "month":
        year = pc.subtract(cast(pc.year(wall), pa.int64()), pa.scalar(1970, pa.int64()))
        return pc.add(pc.multiply(year, pa.scalar(12, pa.int64())),
                      pc.subtract(cast(pc.month(wall), pa.int64()), pa.scalar(1, pa.int64())))
    if kind in ("bday", "bmonth"):
        return _business_measure(_local_day_numbers(wall, types[0].unit, call), kind,
                                 call.option("roll", "backward"))
    raise ExpressionError(f"time_measure: kind must be tick, day, month, bday or bmonth, got {kind!r}")


def _local_day_numbers(wall, unit: str, call):
    """Days since 1970-01-01 of wall-clock timestamps (already local)."""
    ticks = cast(cast(wall, pa.timestamp(unit)), pa.int64())
    per_day = pa.scalar(_TICKS_PER_DAY[unit], pa.int64())
    return _floordiv([ticks, per_day], (pa.int64(), pa.int64()), call)


def _int64(value: int) -> pa.Scalar:
    return pa.scalar(value, pa.int64())


def _business_day_numbers(days, roll: str):
    """Day numbers since 1970-01-01 to business-day numbers (Monday to Friday;
    1970-01-01, a Thursday, is business day 0): of the business day at or
    before each day (``roll="backward"``) or at or after it ("forward"). Whole
    weeks are five business days, so this is arithmetic on the week and the
    weekday: vectorised, and valid on arrays, scalars and compute expressions."""
    if roll == "forward":  # the business day after the one at or before the day before
        return pc.add(_business_day_numbers(pc.subtract(days, _int64(1)), "backward"), _int64(1))
    if roll != "backward":
        raise ExpressionError(f"business days: roll must be backward or forward, got {roll!r}")
    from_monday = pc.add(days, _int64(3))  # 1969-12-29, a Monday, is day -3
    weeks = _floordiv([from_monday, _int64(7)], (pa.int64(), pa.int64()), None)
    weekday = pc.subtract(from_monday, pc.multiply(weeks, _int64(7)))  # 5 and 6 are the weekend
    return pc.subtract(pc.add(pc.multiply(weeks, _int64(5)), pc.min_element_wise(weekday, _int64(4))), _int64(3))


def _day_numbers_of_business_days(business):
    """The inverse of _business_day_numbers on business days."""
    from_monday = pc.add(business, _int64(3))
    weeks = _floordiv([from_monday, _int64(5)], (pa.int64(), pa.int64()), None)
    weekday = pc.subtract(from_monday, pc.multiply(weeks, _int64(5)))
    return pc.subtract(pc.add(pc.multiply(weeks, _int64(7)), weekday), _int64(3))


def _business_measure(days, kind: str, roll: str):
    """time_measure's business scales from local day numbers: the business day
    (rolled ``roll``), or for "bmonth" the month (since 1970-01) it falls in."""
    business = _business_day_numbers(days, roll)
    if kind == "bday":
        return business
    dates = cast(cast(_day_numbers_of_business_days(business), pa.int32()), pa.date32())
    year = pc.subtract(cast(pc.year(dates), pa.int64()), _int64(1970))
    return pc.add(pc.multiply(year, _int64(12)), pc.subtract(cast(pc.month(dates), pa.int64()), _int64(1)))


def _time_label_array(x: pa.Array, types, call) -> pa.Array:
    """The inverse of time_measure for bin labels: a count on the ``kind`` scale
    to the timestamp (options ``unit``, ``tz``) where that tick, day or month
    starts (a day or month starts at local midnight), or with ``end=True``, for
    months, the midnight of the month's last day. For "bday", the midnight of
    that business day; for "bmonth", of the month's first business day, or with
    ``end=True`` of its last."""
    kind, unit, tz = call.option("kind"), call.option("unit", "ns"), call.option("tz")
    target = pa.timestamp(unit, tz)
    if kind == "tick":
        return cast(x, target)
    mask = x.is_null().to_numpy(zero_copy_only=False)
    counts = pc.fill_null(x, 0).to_numpy(zero_copy_only=False).astype(np.int64)
    if kind == "month":
        months = counts + (1 if call.option("end", False) else 0)
        days = (np.datetime64("1970-01", "M") + months.astype("timedelta64[M]")).astype("datetime64[D]")
        counts = days.astype(np.int64) - (1 if call.option("end", False) else 0)
    elif kind == "bday":
        counts = _day_numbers_of_business_days(pa.array(counts)).to_numpy()
    elif kind == "bmonth":  # a month's first business day, or with end=True its last
        end = call.option("end", False)
        months = counts + (1 if end else 0)
        days = (np.datetime64("1970-01", "M") + months.astype("timedelta64[M]")).astype("datetime64[D]")
        edge = pa.array(days.astype(np.int64) - (1 if end else 0))
        business = _business_day_numbers(edge, "backward" if end else "forward")
        counts = _day_numbers_of_business_days(business).to_numpy()
    elif kind != "day":
        raise ExpressionError(f"time_label: kind must be tick, day, month, bday or bmonth, got {kind!r}")
    wall = pa.array(counts * _TICKS_PER_DAY[unit], mask=mask if mask.any() else None).cast(pa.timestamp(unit))
    if tz is None:
        return wall
    # a midnight that a clock change skips or repeats is taken at its first instant
    return pc.assume_timezone(wall, tz, ambiguous="earliest", nonexistent="latest")


def _strftime(args, types, call):
    return pc.strftime(args[0], format=call.option("format", "%Y-%m-%dT%H:%M:%S"))


def _python_udf(args, types, call):
    """A user's vectorised scalar function (SQL ``register_function``). Options:
    ``func``; ``result_type``; ``input``: "arrow" (pyarrow arrays), "pandas"
    (Series) or "numpy" (arrays, NULL in any argument gives NULL; what numba
    compiled functions take). Constant arguments are repeated to the batch length."""
    func, result_type = call.option("func"), call.option("result_type")
    lengths = [len(a) for a in args if not isinstance(a, pa.Scalar)]
    if lengths and lengths[0] == 0:
        return pa.array([], result_type)
    n = lengths[0] if lengths else 1
    arrays = [pa.repeat(a, n) if isinstance(a, pa.Scalar) else
              a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in args]
    kind = call.option("input", "arrow")
    if kind == "pandas":
        out = func(*[a.to_pandas() for a in arrays])
    elif kind == "numpy":
        null = np.zeros(n, dtype=bool)
        for a in arrays:
            null |= a.is_null().to_numpy(zero_copy_only=False)
        values = [pc.fill_null(a, pa.scalar(0, a.type) if not pat.is_string(a.type) else "")
                  .to_numpy(zero_copy_only=False) for a in arrays]
        out = pa.array(func(*values), mask=null if null.any() else None)
    else:
        out = func(*arrays)
    result = pc.cast(pa.array(out) if not isinstance(out, (pa.Array, pa.ChunkedArray)) else out,
                     result_type)
    return result if lengths else result[0]


def _declared_arguments(op: str, types: Types, call: Call) -> Types:
    declared = tuple(call.option("arg_types", ()))
    if len(declared) != len(types):
        raise ExpressionError(f"{call.option('name', op)} takes {len(declared)} arguments, got {len(types)}")
    return declared


# ---------------------------------------------------------------- the catalog


def _entries() -> list[Function]:
    F = Function
    unary_float = [F(n, _elementwise(n), _to_float, 1, 1) for n in ("sqrt", "exp", "ln", "log10")]
    compare = [F(n, _elementwise(n), _common, 2, 2)
               for n in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal")]
    strings = [F(n, _elementwise(k), _strings, 1, 1) for n, k in
               (("lower", "utf8_lower"), ("upper", "utf8_upper"), ("length", "utf8_length"),
                ("capitalize", "utf8_capitalize"), ("title", "utf8_title"), ("swapcase", "utf8_swapcase"),
                ("is_alpha", "utf8_is_alpha"), ("is_digit", "utf8_is_digit"), ("is_alnum", "utf8_is_alnum"),
                ("is_numeric", "utf8_is_numeric"), ("is_decimal", "utf8_is_decimal"),
                ("is_space", "utf8_is_space"), ("is_lower", "utf8_is_lower"), ("is_upper", "utf8_is_upper"),
                ("is_title", "utf8_is_title"))]
    parts = [F(n, _elementwise(k), _temporal, 1, 1) for n, k in (
        ("year", "year"), ("month", "month"), ("day", "day"), ("hour", "hour"),
        ("minute", "minute"), ("second", "second"), ("day_of_week", "day_of_week"),
        ("day_of_year", "day_of_year"), ("quarter", "quarter"), ("week", "iso_week"))]
    return [
        F("add", _elementwise("add"), _arithmetic, 2, 2),
        F("subtract", _subtract, _arithmetic, 2, 2),
        F("multiply", _elementwise("multiply"), _arithmetic, 2, 2),
        F("divide", _divide, _true_division, 2, 2),
        F("floordiv", _floordiv, _numeric, 2, 2),
        F("mod", _mod, _numeric, 2, 2),
        F("negate", _elementwise("negate"), _numeric, 1, 1),
        F("abs", _elementwise("abs"), _numeric, 1, 1),
        F("sign", _elementwise("sign"), _numeric, 1, 1),
        F("power", _elementwise("power"), _float64, 2, 2),
        F("pandas_floordiv", _floordiv, _pandas_floordiv_types, 2, 2),
        F("pandas_power", _pandas_power, _pandas_power_types, 2, 2),
        F("round", _round, _numeric, 1, 1),
        F("floor", _elementwise("floor"), _numeric, 1, 1),
        F("ceil", _elementwise("ceil"), _numeric, 1, 1),
        *unary_float,
        *compare,
        F("between", _between, _common, 3, 3),
        F("is_in", _is_in, _is_in_operand, 1, 1),
        F("is_null", _elementwise("is_null"), _keep, 1, 1),
        F("is_not_null", _elementwise("is_valid"), _keep, 1, 1),
        F("is_nan", _is_nan, _to_float, 1, 1),
        # not pushed into Parquet reads: their min/max leave NaN out, and pyarrow
        # prunes a row group whose min == max by putting that value in place of
        # the column, so a filter true for NaN (isna) would lose the NaN rows;
        # to_arrow rewrites the comparisons that are false for NaN to the bare column
        F("nan_to_null", _nan_to_null, _keep, 1, 1, pushdown=False),
        F("and", _kleene("and_kleene"), _boolean, 2, None),
        F("or", _kleene("or_kleene"), _boolean, 2, None),
        F("not", _elementwise("invert"), _boolean, 1, 1),
        F("if_else", _if_else, _condition_then_common, 3, 3),
        F("case_when", _case_when, _case_when_types, 2, None),
        F("coalesce", _elementwise("coalesce"), _common, 1, None),
        F("fill_null", _elementwise("coalesce"), _common, 2, 2),
        F("nullif", _nullif, _common, 2, 2),
        F("cast", _cast, _keep, 1, 1),
        F("try_cast", _array_only(_try_cast_array), _keep, 1, 1, pushdown=False),
        *strings,
        F("strip", _strip("trim"), _strings, 1, 1),
        F("lstrip", _strip("ltrim"), _strings, 1, 1),
        F("rstrip", _strip("rtrim"), _strings, 1, 1),
        F("starts_with", _with_options("starts_with", "pattern"), _strings, 1, 1),
        F("ends_with", _with_options("ends_with", "pattern"), _strings, 1, 1),
        F("contains", _contains, _strings, 1, 1),
        F("find", _with_options("find_substring", "pattern"), _strings, 1, 1),
        F("count_matches", _with_options("count_substring_regex", "pattern"), _strings, 1, 1),
        F("repeat", _repeat, _strings, 1, 1),
        F("like", _like(False), _strings, 1, 1),
        F("ilike", _like(True), _strings, 1, 1),
        F("replace", _replace, _strings, 1, 1),
        F("substring", _substring, _strings, 1, 1),
        F("concat", _concat, _to_string, 1, None),
        F("split_part", _split_part, _strings, 1, 1),
        F("pad", _pad, _strings, 1, 1),
        F("strftime", _strftime, _temporal, 1, 1),
        *parts,
        F("microsecond", _microsecond, _temporal, 1, 1),
        F("date", lambda args, types, call: cast(args[0], pa.date32()), _temporal, 1, 1),
        F("date_trunc", _date_trunc, _temporal, 1, 1),
        F("add_interval", _array_only(_add_interval_array), _temporal, 1, 1, pushdown=False),
        F("time_measure", _time_measure, _timestamp, 1, 1),
        F("time_label", _array_only(_time_label_array), _integer_count, 1, 1, pushdown=False),
        F("python_udf", _python_udf, _declared_arguments, 0, None, pushdown=False),
    ]


FUNCTIONS: Mapping[str, Function] = {f.name: f for f in _entries()}


def lookup(op: str) -> Function:
    """The catalog entry for ``op``; an unknown op names the closest known one."""
    try:
        return FUNCTIONS[op]
    except KeyError:
        close = difflib.get_close_matches(op, list(FUNCTIONS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ExpressionError(f"unknown function {op!r}{hint}") from None


def is_deterministic(expr_or_op) -> bool:
    """Whether an op (by name) or a whole expression always gives the same result
    for the same input. Every catalog function is; ops outside the catalog (user
    functions the planner only sees as opaque nodes) are assumed not to be."""
    if isinstance(expr_or_op, str):
        return expr_or_op in FUNCTIONS
    stack = [expr_or_op]
    while stack:
        node = stack.pop()
        if isinstance(node, Call) and not is_deterministic(node.op):
            return False
        stack.extend(node.children)
    return True

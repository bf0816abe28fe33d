"""``Series``: one expression over a frame's plan, and lazy scalars.

A Series does not own a plan of its own: it is an expression (``Expr``) over the
plan of the frame it came from. ``df.a + df.b > 3`` therefore stays one expression
tree, and ``df[mask]`` becomes a Filter with that tree as its predicate, which the
optimizer can push into the Parquet reader.
"""
from __future__ import annotations

import functools
import operator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from kyudo.dataframe.dtypes import pandas_dtypes, to_arrow_type
from kyudo.dataframe.extensions import join_scalar
from kyudo.dataframe.series_ops import SeriesOps, is_string, retyped
from kyudo.planner.specs import AggSpec
from kyudo.planner import logical as L
from kyudo.planner.compile import compute_table, explain
from kyudo.planner.expr import Call, Col, Expr, Lit
from kyudo.planner.types import infer_type

if TYPE_CHECKING:
    from kyudo.dataframe.frame import DataFrame


def to_expr(value: Any) -> Expr:
    """A literal for a Python value; a Series's expression for a Series."""
    if isinstance(value, Series):
        return value.expr
    if isinstance(value, Expr):
        return value
    if isinstance(value, Scalar):
        raise TypeError(f"a lazy {value!r} can only be combined with a Series or another scalar")
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if value is pd.NA:
        value = None
    return Lit(value)


def cast_expr(expr: Expr, have: pa.DataType, to: pa.DataType) -> Expr:
    """``astype``: floats cast to integers truncate toward zero, as numpy's astype
    does (Arrow's safe cast raises on 1.5)."""
    if pa.types.is_floating(have) and pa.types.is_integer(to):
        return Call("cast", (expr,), (("safe", False), ("to", to)))
    return Call("cast", (expr,), (("to", to),))


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # not a scalar
        return False


def _result_name(self: "Series", other) -> Any:
    """pandas names the result of two Series after them only when they share a name."""
    if isinstance(other, Series) and other.name != self.name:
        return None
    return self.name


_ARITHMETIC = ("add", "subtract", "multiply", "divide", "floordiv", "mod", "power",
               "pandas_floordiv", "pandas_power")


def _pandas_options(op: str, right: Expr) -> tuple:
    """``//`` by a literal integer zero is float64 in pandas (±inf, NaN); the
    catalog's pandas_floordiv needs to be told, as types alone do not show it."""
    if op == "pandas_floordiv" and isinstance(right, Lit) and type(right.value) is int and right.value == 0:
        return (("zero_divisor", True),)
    return ()


def _nan_as_null(expr: Expr, schema: pa.Schema) -> Expr:
    """pandas has one missing value for floats, where Arrow has NULL and NaN:
    a NaN made by arithmetic (``0 / 0``, ``inf - inf``) becomes NULL, so that
    ``isna``, ``count``, ``mean``, groupby keys and sorts treat it as missing.

    NaN and NULL both carry through ``+ - * /``, so the check of their result
    covers their operands too: ``(a - b) * c`` is checked once, not three
    times (each check is a pass over the column)."""
    dtype = infer_type(expr, schema)
    if not pa.types.is_floating(dtype):
        return expr
    if isinstance(expr, Call) and expr.op in _NAN_PROPAGATING:
        expr = Call(expr.op, tuple(_unchecked(a) for a in expr.args), expr.options)
    return Call("nan_to_null", (expr,))


_NAN_PROPAGATING = ("add", "subtract", "multiply", "divide")


def _unchecked(expr: Expr) -> Expr:
    return expr.args[0] if isinstance(expr, Call) and expr.op == "nan_to_null" else expr


def _empty_like(value: Any) -> Any:
    """What pandas is asked about in place of ``value``: an empty Series of a
    Series' dtype, any other value as it is."""
    return pd.Series([], dtype=value.dtype) if isinstance(value, Series) else value


def _pandas_result_dtype(op, dtype):
    """``op(empty Series of dtype).dtype``, or None when pandas refuses."""
    try:
        return op(pd.Series([], dtype=dtype)).dtype
    except (TypeError, ValueError, NotImplementedError, pa.ArrowException):
        return None


@functools.lru_cache(maxsize=1024)
def _operator_result_dtype(op, dtype, theirs: tuple):
    """``_pandas_result_dtype`` of ``op`` with ``theirs`` (``("series", dtype)``
    or ``("value", type, value)``), remembered: plans repeat the same few."""
    other = pd.Series([], dtype=theirs[1]) if theirs[0] == "series" else theirs[2]
    return _pandas_result_dtype(lambda mine: op(mine, other), dtype)


def _quantile_func(method: str) -> str:
    if method in ("approx", "tdigest"):
        return "approx_quantile"
    if method in ("exact", "default", "linear"):
        return "quantile"
    raise ValueError(f"quantile method must be 'exact' or 'approx', not {method!r}")


def _is_text(series: "Series") -> bool:
    return is_string(series.arrow_type)


# the pandas operator of each arithmetic function (and of its reflection), to ask
# pandas the result dtype; module-level functions, so the asking is cached
_ARITHMETIC_OPERATORS = {"add": operator.add, "subtract": operator.sub, "multiply": operator.mul,
                         "divide": operator.truediv, "pandas_floordiv": operator.floordiv,
                         "mod": operator.mod, "pandas_power": operator.pow}
_REFLECTED_OPERATORS = {op: (lambda f: lambda mine, theirs: f(theirs, mine))(f)
                        for op, f in _ARITHMETIC_OPERATORS.items()}


def _masked_arrow_type(dtype) -> pa.DataType | None:
    """The Arrow type of pandas' masked numeric or ``boolean`` dtype ``dtype``
    (``Int32``: int32), None for any other dtype (numpy, ``string``, ArrowDtype)."""
    from kyudo.dataframe.convert import _MASKED
    if dtype is None or isinstance(dtype, np.dtype) or str(dtype) not in _MASKED:
        return None
    return pa.bool_() if str(dtype) == "boolean" else pa.from_numpy_dtype(dtype.numpy_dtype)


def _binary(op: str, reflected: bool = False):
    def method(self: "Series", other):
        name = _result_name(self, other)
        self, other = self._aligned(other)
        left, right = (to_expr(other), self.expr) if reflected else (self.expr, to_expr(other))
        if op == "add" and (_is_text(self) or isinstance(other, str)):
            # pandas concatenates strings with +
            return self._derive(Call("concat", (left, right)), name)
        if op not in _ARITHMETIC_OPERATORS:
            return self._derive(_nan_as_null(Call(op, (left, right), _pandas_options(op, right)),
                                             self.frame.plan.schema), name)
        operators = _REFLECTED_OPERATORS if reflected else _ARITHMETIC_OPERATORS
        dtype = self._result_dtype(operators[op], other)
        return self._arithmetic(op, left, right, _masked_arrow_type(dtype), dtype, name, reflected)
    method.__name__ = f"__{'r' if reflected else ''}{op.removeprefix('pandas_')}__"
    return method


# the pandas operator of each comparison and logical function, to ask pandas the result dtype
_PANDAS_OPERATORS = {"equal": operator.eq, "not_equal": operator.ne, "less": operator.lt,
                     "less_equal": operator.le, "greater": operator.gt, "greater_equal": operator.ge,
                     "and": operator.and_, "or": operator.or_, "xor": operator.xor}


def _comparison(op: str, when_null: bool):
    """pandas comparisons of numpy-typed data never return NA: a missing value
    compares False (True for ``!=``), so SQL's NULL result is filled accordingly.
    Where pandas gives a masked result (``boolean`` for Int64, Float64, boolean
    and ``string[python]``, ``bool[pyarrow]`` for Arrow strings) a missing input
    gives a missing result, as SQL's NULL already is: nothing is filled."""
    def method(self: "Series", other):
        name = _result_name(self, other)
        self, other = self._aligned(other)
        dtype = self._result_dtype(_PANDAS_OPERATORS[op], other)
        operands = self._comparable_operands(other)
        if (op in ("equal", "not_equal") and (operands is None or self._never_equals(other))
                or self._never_equals(other) and isinstance(other, float)):
            # pandas: a present value never equals a value of another kind (1 == "1"
            # is False), nor None or NaN in a masked numeric column (nor is it
            # ordered with NaN there); a missing one is unknown
            expr: Expr = Call("if_else", (Call("is_null", (self.expr,)), Lit(None, pa.bool_()),
                                          Lit(op == "not_equal")))
        else:
            expr = Call(op, operands or (self.expr, to_expr(other)))
        return self._masked_or_filled(expr, dtype, when_null, name)
    method.__name__ = f"__{op}__"
    return method


def _logical(op: str, reflected: bool = False):
    """``&``, ``|`` and ``^``: Kleene logic (``NA & False`` is False, ``NA | True``
    True, ``NA ^ x`` NA) on masks, as both Arrow's and pandas' masked booleans
    do; the result is ``boolean`` when pandas says so (an operand is)."""
    def method(self: "Series", other):
        from kyudo.dataframe.frame_ops import _kind
        name = _result_name(self, other)
        self, other = self._aligned(other)
        left, right = (to_expr(other), self.expr) if reflected else (self.expr, to_expr(other))
        if op == "xor":
            if {_kind(self.arrow_type), _kind(infer_type(to_expr(other), self.frame.plan.schema))} != {"bool"}:
                raise TypeError("^ is supported between boolean Series and values only")
            # of two booleans, xor is inequality, which is NULL where either is: Kleene
            expr = Call("not_equal", (left, right))
        else:
            expr = Call(op, (left, right))
        return self._typed_as(self._derive(expr, name), self._result_dtype(_PANDAS_OPERATORS[op], other))
    method.__name__ = f"__{'r' if reflected else ''}{op}__"
    return method


def _masked(dtype) -> bool:
    """Whether pandas' result dtype ``dtype`` holds missing values of its own
    (``boolean``, ``bool[pyarrow]``), where a numpy ``bool`` cannot."""
    return dtype is not None and not isinstance(dtype, np.dtype)


def _flex(op: str):
    """``Series.eq``, ``.lt``, ...: the operator's method (``level`` and
    ``fill_value`` are not supported)."""
    def method(self: "Series", other, level=None, fill_value=None, axis=0):
        if level is not None or fill_value is not None:
            raise NotImplementedError(f"Series.{op}: level and fill_value are not supported")
        return getattr(self, f"__{op}__")(other)
    method.__name__ = op
    return method


class Series(SeriesOps):
    """A lazy column: an expression over ``frame``'s plan, named ``name``."""

    def __init__(self, frame: "DataFrame", expr: Expr, name: str | None, pandas_dtype: str | None = None):
        from kyudo.dataframe.frame import DataFrame
        # the frame as it is now: ``df[col] = ...`` replaces ``df.plan`` in place,
        # and a Series made before must keep meaning the columns it was made from
        self.frame = DataFrame(frame.plan, frame.index, frame._column_labels)
        self.expr = expr
        self.name = name
        # The pandas dtype of the values where the plan cannot tell it: a computed
        # column's field records a dtype only when every column it reads records
        # the same one, so ``isin`` of an Int64 column (``boolean`` in pandas)
        # keeps it here. It is written on the field where the Series becomes a
        # column of a result (``_frame_plan``, ``DataFrame._map_columns``), not
        # in the frame's plan, so a mask still filters in the Parquet reader.
        self.pandas_dtype = pandas_dtype

    # ---- construction -----------------------------------------------------------

    def _derive(self, expr: Expr, name: Any = ...) -> "Series":
        return Series(self.frame, expr, self.name if name is ... else name)

    def _keeping_dtype(self, result: "Series") -> "Series":
        """``result`` (``fillna``, ``where``, ``dropna`` of this Series) with this
        Series' pandas dtype when it has one its plan cannot record and the
        values keep their Arrow type (a ``boolean`` mask filled stays ``boolean``)."""
        if self.pandas_dtype is None or result.arrow_type != self.arrow_type:
            return result
        return Series(result.frame, result.expr, result.name, self.pandas_dtype)

    def _aligned(self, other) -> tuple["Series", Any]:
        """``self`` and ``other`` over one plan. A lazy Scalar becomes a column
        joined onto this frame; of two Series, the one whose plan is the other's
        widened by scalar joins lends its plan to both."""
        if isinstance(other, Scalar):
            from kyudo.dataframe.frame import DataFrame
            plan, value = join_scalar(self.frame.plan, other)
            frame = DataFrame(plan, self.frame.index, self.frame._column_labels)
            return Series(frame, self.expr, self.name, self.pandas_dtype), Series(frame, value, None)
        if not isinstance(other, Series) or other.frame.plan is self.frame.plan:
            return self, other
        rebased = self.frame._rebase(other)
        if rebased is not None and rebased.frame.plan is self.frame.plan:
            return self, rebased
        mine = other.frame._rebase(self)
        if mine is not None and mine.frame.plan is other.frame.plan:
            return mine, other
        if rebased is not None:  # both read scalars: put other's onto self's plan
            return Series(rebased.frame, self.expr, self.name, self.pandas_dtype), rebased
        raise ValueError("cannot combine Series from different frames; kyudo does not align "
                         "on the index yet, so build both from the same DataFrame")

    @property
    def dtype(self):
        if self.pandas_dtype is not None:
            return pd.api.types.pandas_dtype(self.pandas_dtype)
        return pandas_dtypes(self._frame_plan().schema).iloc[-1]

    @property
    def arrow_type(self) -> pa.DataType:
        return infer_type(self.expr, self.frame.plan.schema)

    # ---- arithmetic and logic -----------------------------------------------------

    __add__ = _binary("add")
    __radd__ = _binary("add", reflected=True)
    __sub__ = _binary("subtract")
    __rsub__ = _binary("subtract", reflected=True)
    __mul__ = _binary("multiply")
    __rmul__ = _binary("multiply", reflected=True)
    __truediv__ = _binary("divide")
    __rtruediv__ = _binary("divide", reflected=True)
    __floordiv__ = _binary("pandas_floordiv")  # pandas types, not SQL's
    __rfloordiv__ = _binary("pandas_floordiv", reflected=True)
    __mod__ = _binary("mod")
    __rmod__ = _binary("mod", reflected=True)
    __pow__ = _binary("pandas_power")  # int ** int stays int
    __rpow__ = _binary("pandas_power", reflected=True)
    __and__ = _logical("and")
    __rand__ = _logical("and", reflected=True)
    __or__ = _logical("or")
    __ror__ = _logical("or", reflected=True)
    __xor__ = _logical("xor")
    __rxor__ = _logical("xor", reflected=True)

    __eq__ = _comparison("equal", False)  # type: ignore[assignment]
    __ne__ = _comparison("not_equal", True)  # type: ignore[assignment]
    __lt__ = _comparison("less", False)
    __le__ = _comparison("less_equal", False)
    __gt__ = _comparison("greater", False)
    __ge__ = _comparison("greater_equal", False)
    __hash__ = None  # type: ignore[assignment]
    eq, ne, lt, le, gt, ge = (_flex(op) for op in ("eq", "ne", "lt", "le", "gt", "ge"))

    def __neg__(self):
        if pa.types.is_boolean(self.arrow_type):  # pandas: -True is False, as ~
            return self._keeping_dtype(self._derive(Call("not", (self.expr,))))
        return self._keeping_dtype(self._derive(Call("negate", (self.expr,))))

    def __invert__(self):
        # ``~`` of a ``boolean`` Series is ``boolean`` in pandas (and ``~NA`` is NA)
        try:
            dtype = (~pd.Series([], dtype=self.dtype)).dtype
        except (TypeError, ValueError):
            dtype = None
        return self._typed_as(self._derive(Call("not", (self.expr,))), dtype)

    def _arithmetic(self, op: str, left: Expr, right: Expr, arrow_type, dtype, name,
                    reflected: bool) -> "Series":
        """``op(left, right)``, typed ``dtype`` when pandas gives a masked dtype
        (``Float64`` for ``Int64 / 2`` or ``Int64 + 1.5``, ``Int32`` for ``Int32 + 1``)
        that the planner's Arrow result would not keep by itself; the values are
        cast to that dtype's Arrow type. A NaN made by the arithmetic is missing
        (NULL), as pandas' masked arithmetic makes it NA. Missing inputs stay
        NULL, which becomes NA, not NaN, once the dtype is restored."""
        schema = self.frame.plan.schema
        kinds = {str(infer_type(e, schema)) for e in (left, right)}
        if kinds == {"bool"} and op in ("add", "multiply"):
            # bool + bool is "or", * is "and" (numpy's), each missing where an input
            # is (no Kleene logic in pandas' arithmetic); ``boolean`` if one is
            total = Call(op, tuple(Call("cast", (e,), (("to", pa.int8()),)) for e in (left, right)))
            return self._typed_as(self._derive(Call("not_equal", (total, Lit(0))), name), dtype)
        bool_mod = kinds == {"bool"} and op == "mod"
        if bool_mod:  # bool % bool: int8 (0 everywhere, x % 0 included)
            left, right = (Call("cast", (e,), (("to", pa.int8()),)) for e in (left, right))
        if arrow_type is None and not bool_mod:  # numpy's rules (or pandas refuses): as before
            return self._derive(_nan_as_null(Call(op, (left, right), _pandas_options(op, right)), schema), name)
        dividend_masked_int = bool_mod or (not reflected and op in ("pandas_floordiv", "mod")
                                           and pa.types.is_integer(arrow_type)
                                           and str(self.dtype).startswith(("Int", "UInt")))
        expr: Expr = Call(op, (left, right), () if dividend_masked_int else _pandas_options(op, right))
        if dividend_masked_int:
            # a masked integer divided by zero: pandas' // and % give 0 (the
            # dividend's missing values stay missing), not SQL's NULL
            divisor = Call("cast", (right,), (("to", pa.int64()),))
            expr = Call("if_else", (Call("equal", (divisor, Lit(0))), Call("multiply", (left, Lit(0))), expr))
        expr = _nan_as_null(expr, schema)
        if arrow_type is None:
            return self._derive(expr, name)
        if pa.types.is_integer(arrow_type) and pa.types.is_floating(infer_type(expr, schema)):
            # ``boolean // 0``: pandas says Int64 for no rows, but any row divided
            # by zero makes it Float64 (±inf), as the Arrow result already is
            dtype, arrow_type = pd.Float64Dtype(), pa.float64()
        return self._derive(expr, name)._as_masked(dtype, arrow_type)

    def _as_masked(self, dtype, arrow_type) -> "Series":
        """This Series typed ``dtype`` (a masked pandas dtype), its values cast to
        ``arrow_type`` where the Arrow type differs (wrapping as numpy does)."""
        if self.arrow_type != arrow_type:
            self = self._derive(Call("cast", (self.expr,), (("safe", False), ("to", arrow_type))))
        return self._typed_as(self, dtype)

    def _result_dtype(self, op, other):
        """The dtype pandas gives ``op(self, other)``, asked of pandas on an empty
        Series of this dtype and ``other`` (an empty Series of its dtype, or the
        value itself); None when pandas refuses."""
        theirs = ("series", other.dtype) if isinstance(other, Series) else ("value", type(other), other)
        try:
            return _operator_result_dtype(op, self.dtype, theirs)
        except TypeError:  # an unhashable value: asked without the cache
            return _pandas_result_dtype(lambda mine: op(mine, _empty_like(other)), self.dtype)

    def _comparable_operands(self, other) -> tuple[Expr, Expr] | None:
        """This Series and ``other`` as operands Arrow can compare, or None when
        pandas compares them as objects of different kinds (never equal). A
        bool and a number compare as numbers (True is 1), and a missing value
        of another kind than this column's (NaN for strings) as NULL."""
        from kyudo.dataframe.frame_ops import _kind
        mine, value = self.expr, to_expr(other)
        if other is None or other is pd.NA or (_is_missing(other) and not pa.types.is_floating(self.arrow_type)):
            return mine, Lit(None)
        kinds = (_kind(self.arrow_type), _kind(infer_type(value, self.frame.plan.schema)))
        if kinds == ("number", "bool"):
            value = Call("cast", (value,), (("to", pa.int64()),))
        elif kinds == ("bool", "number"):
            mine = Call("cast", (mine,), (("to", pa.int64()),))
        elif kinds[0] != kinds[1]:
            return None
        return mine, value

    def _never_equals(self, other) -> bool:
        """``other`` is None or NaN and this a masked numeric or boolean column:
        pandas finds no present value equal to it (and ``pd.NA`` unknown)."""
        from kyudo.dataframe.convert import _MASKED
        return other is not pd.NA and _is_missing(other) and str(self.dtype) in _MASKED

    def _masked_or_filled(self, expr: Expr, dtype, when_null: bool, name) -> "Series":
        """A comparison's result: kept with its NULLs and typed ``dtype`` when that
        is a masked pandas dtype, else NULL filled by ``when_null`` (numpy ``bool``)."""
        if _masked(dtype):
            return self._typed_as(self._derive(expr, name), dtype)
        return self._derive(Call("fill_null", (expr, Lit(when_null))), name)

    def __abs__(self):
        return self.abs()

    def abs(self) -> "Series":
        if pa.types.is_boolean(self.arrow_type):  # pandas: booleans are their own abs
            return self
        return self._keeping_dtype(self._derive(Call("abs", (self.expr,))))

    def round(self, decimals: int = 0) -> "Series":
        if pa.types.is_boolean(self.arrow_type):  # and round to themselves
            return self
        return self._keeping_dtype(self._derive(Call("round", (self.expr,), (("ndigits", decimals),))))

    def isin(self, values) -> "Series":
        if isinstance(values, Series):  # lazy: a join, see SeriesOps._isin_series
            return self._isin_series(values)
        values = tuple(values.tolist() if hasattr(values, "tolist") else values)
        # SQL's IN never matches NULL; in pandas a missing value matches one of
        # ``values`` depending on both (NaN, None or NA) and on the dtype (an
        # Int64 NA only matches pd.NA): asked of pandas itself
        missing = [v for v in values if _is_missing(v)]
        present = self._comparable(values)
        expr = Call("fill_null", (Call("is_in", (self.expr,), (("values", present),)), Lit(False))) \
            if present else Lit(False)
        if missing and self._missing_matches(values):
            expr = Call("or", (expr, self.isna().expr))
        return self._typed_as(self._derive(expr), self._isin_dtype())

    def _isin_dtype(self):
        """The dtype of pandas' ``isin`` result for this Series' dtype (``boolean``
        for masked dtypes such as Int64 and Float64, ``bool`` for numpy ones),
        asked of pandas on an empty Series."""
        try:
            return pd.Series([], dtype=self.dtype).isin([]).dtype
        except (TypeError, ValueError):
            return None

    @staticmethod
    def _typed_as(series: "Series", dtype) -> "Series":
        """``series`` with pandas dtype ``dtype`` when its plan's field would
        give another one (numpy dtypes are Arrow's own: nothing to record)."""
        if dtype is None or isinstance(dtype, np.dtype) or series.dtype == dtype:
            return series
        return Series(series.frame, series.expr, series.name, str(dtype))

    def _comparable(self, values: tuple) -> tuple:
        """The values that are not missing and can equal one of this Series, as
        values of its kind. pandas compares objects: a str is never in an int
        column (Arrow cannot compare them), and True is 1 (a bool is 0 or 1 for a
        number column, 0 and 1 are bools for a bool column: Arrow wants one type)."""
        from kyudo.dataframe.frame_ops import _kind
        mine, kept = _kind(self.arrow_type), []
        for value in values:
            theirs = None if _is_missing(value) else _kind(infer_type(Lit(value), self.frame.plan.schema))
            if theirs == mine:
                kept.append(value)
            elif {mine, theirs} == {"bool", "number"} and mine == "number":
                kept.append(int(value))
            elif {mine, theirs} == {"bool", "number"} and value in (0, 1):
                kept.append(bool(value))
        return tuple(kept)

    def _missing_matches(self, values: tuple) -> bool:
        """Whether pandas finds a missing value of this dtype in ``values`` (which
        it converts as a whole: [Timestamp, None] holds NaT, [None] does not)."""
        try:
            return bool(pd.Series([None], dtype=self.dtype).isin(list(values)).iloc[0])
        except (TypeError, ValueError):  # a dtype without missing values
            return True

    def between(self, left, right, inclusive: str = "both") -> "Series":
        expr = Call("between", (self.expr, to_expr(left), to_expr(right)), (("inclusive", inclusive),))
        dtype = _pandas_result_dtype(
            lambda mine: mine.between(_empty_like(left), _empty_like(right), inclusive), self.dtype)
        return self._masked_or_filled(expr, dtype, False, self.name)

    def isna(self) -> "Series":
        # a NaN stored in the data (from Arrow or Parquet) is missing too, as in pandas
        expr = Call("is_null", (self.expr,))
        if pa.types.is_floating(self.arrow_type):
            expr = Call("or", (expr, Call("fill_null", (Call("is_nan", (self.expr,)), Lit(False)))))
        return self._derive(expr)

    isnull = isna

    def notna(self) -> "Series":
        if pa.types.is_floating(self.arrow_type):
            return self._derive(Call("not", (self.isna().expr,)))
        return self._derive(Call("is_not_null", (self.expr,)))

    notnull = notna

    def astype(self, dtype) -> "Series":
        result = self._derive(cast_expr(self.expr, self.arrow_type, to_arrow_type(dtype)))
        try:  # a masked target (``astype("Float64")``) is kept on the Series
            target = pd.api.types.pandas_dtype(dtype)
        except (TypeError, ValueError):
            return result
        return result if _masked_arrow_type(target) is None else self._typed_as(result, target)

    def rename(self, name) -> "Series":
        return Series(self.frame, self.expr, name, self.pandas_dtype)

    @property
    def str(self):
        from kyudo.dataframe.accessors import StringAccessor
        return StringAccessor(self)

    @property
    def dt(self):
        from kyudo.dataframe.accessors import DatetimeAccessor
        return DatetimeAccessor(self)

    # ---- reductions -------------------------------------------------------------------

    def _reduce(self, func: str, **options) -> "Scalar":
        """One value over all rows, typed as pandas types it (the sum of a
        float32 column is a float32, see ``aggregate_dtypes``)."""
        from kyudo.dataframe.aggregate_dtypes import typed_like_pandas
        value = Scalar._COLUMN
        projected = L.Project(self.frame.plan, ((value, self.expr),))
        spec = AggSpec(value, func, None if func == "size" else value, tuple(sorted(options.items())))
        return Scalar(typed_like_pandas(L.Aggregate(projected, (), (spec,))), func)

    def sum(self) -> "Scalar":
        return self._reduce("sum", min_count=0)

    def mean(self) -> "Scalar":
        return self._reduce("mean")

    def min(self) -> "Scalar":
        return self._reduce("min")

    def max(self) -> "Scalar":
        return self._reduce("max")

    def count(self) -> "Scalar":
        return self._reduce("count")

    def std(self, ddof: int = 1) -> "Scalar":
        return self._reduce("std", ddof=ddof)

    def var(self, ddof: int = 1) -> "Scalar":
        return self._reduce("var", ddof=ddof)

    def nunique(self) -> "Scalar":
        return self._reduce("count_distinct")

    def median(self) -> "Scalar":
        return self._reduce("quantile", q=0.5)

    def quantile(self, q: float = 0.5, method: str = "exact") -> "Scalar":
        """Exact, interpolating linearly between the nearest ranks as pandas does;
        ``method="approx"`` (or Dask's "tdigest") uses a bounded-memory sketch
        that is exact up to 1000 values per partition and close beyond."""
        return self._reduce(_quantile_func(method), q=float(q))

    def prod(self) -> "Scalar":
        return self._reduce("prod")

    def any(self) -> "Scalar":
        return self._reduce("any")

    def all(self) -> "Scalar":
        return self._reduce("all")

    # ---- windows ------------------------------------------------------------------------

    def rolling(self, window, min_periods: int | None = None, center: bool = False, closed: str | None = None):
        """See ``kyudo.dataframe.windows``: the series's frame with one column."""
        from kyudo.dataframe.windows import Rolling
        return Rolling(self.to_frame(), window, min_periods=min_periods, center=center, series=self,
                       closed=closed)

    def resample(self, rule, closed: str | None = None, label: str | None = None, origin="start_day",
                 offset=None):
        from kyudo.dataframe.resample import Resampler
        return Resampler(self.to_frame(), rule, series=self, closed=closed, label=label, origin=origin,
                         offset=offset)

    # ---- results ------------------------------------------------------------------------

    def _frame_plan(self) -> L.LogicalPlan:
        index = self.frame.index
        column = self.name if isinstance(self.name, str) and self.name not in index else "__series__"
        exprs = tuple((n, Col(n)) for n in index) + ((column, self.expr),)
        plan: L.LogicalPlan = L.Project(self.frame.plan, exprs)
        return plan if self.pandas_dtype is None else retyped(plan, {column: self.pandas_dtype})

    def to_frame(self) -> "DataFrame":
        from kyudo.dataframe.frame import DataFrame
        return DataFrame(self._frame_plan(), self.frame.index)

    def compute(self, scheduler=None) -> pd.Series:
        df = self.to_frame().compute(scheduler=scheduler)
        series = df.iloc[:, 0]
        series.name = self.name
        return series

    def to_arrow(self, scheduler=None) -> pa.ChunkedArray:
        return compute_table(self._frame_plan(), scheduler).column(len(self.frame.index))

    def head(self, n: int = 5) -> pd.Series:
        series = self.to_frame().head(n).iloc[:, 0]
        series.name = self.name
        return series

    def explain(self) -> None:
        print(explain(self._frame_plan()))

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        return f"<kyudo.Series name={self.name!r} expr={self.expr!r}>"

    def __bool__(self):
        raise ValueError("the truth value of a lazy Series is ambiguous; use & | ~ for masks "
                         "and .compute() for values")


def _scalar_binary(op: str, reflected: bool = False):
    def method(self: "Scalar", other):
        return self._combine(op, other, reflected)
    method.__name__ = f"__{'r' if reflected else ''}{op}__"
    return method


class Scalar:
    """A lazy single value, such as ``df.x.sum()``; ``compute()`` returns it.

    Its plan yields one row with one column. Arithmetic with numbers or other
    scalars stays lazy: two scalars are put side by side with a one-row cross
    join, so ``a.sum() / b.sum()`` is still one graph.
    """

    _COLUMN = "__value__"

    def __init__(self, plan: L.LogicalPlan, func: str):
        self.plan = plan
        self.func = func

    def _combine(self, op: str, other, reflected: bool) -> "Scalar":
        if isinstance(other, Series):
            return NotImplemented  # Series' reflected operator joins this scalar in
        if isinstance(other, Scalar):
            left = L.Project(self.plan, (("__left__", Col(self.plan.schema.names[0])),))
            right = L.Project(other.plan, (("__right__", Col(other.plan.schema.names[0])),))
            plan: L.LogicalPlan = L.Join(left, right, "cross", (), ())
            mine, theirs = Col("__left__"), Col("__right__")
        else:
            plan, mine, theirs = self.plan, Col(self.plan.schema.names[0]), to_expr(other)
        args = (theirs, mine) if reflected else (mine, theirs)
        return Scalar(L.Project(plan, ((self._COLUMN, Call(op, args)),)), "derived")

    __add__ = _scalar_binary("add")
    __radd__ = _scalar_binary("add", reflected=True)
    __sub__ = _scalar_binary("subtract")
    __rsub__ = _scalar_binary("subtract", reflected=True)
    __mul__ = _scalar_binary("multiply")
    __rmul__ = _scalar_binary("multiply", reflected=True)
    __truediv__ = _scalar_binary("divide")
    __rtruediv__ = _scalar_binary("divide", reflected=True)

    def compute(self, scheduler=None):
        table = compute_table(self.plan, scheduler)
        value = table.column(0)[0].as_py()
        if pa.types.is_float32(table.schema.field(0).type):  # as pandas: np.float32(0.1), not 0.10000000149
            return np.float32("nan" if value is None else value)
        if value is None and pa.types.is_floating(table.schema.field(0).type):
            return float("nan")
        if value is None and self.func in ("mean", "std", "var", "min", "max", "quantile", "approx_quantile"):
            return float("nan")
        return value

    def explain(self) -> None:
        print(explain(self.plan))

    def __repr__(self) -> str:
        return f"<kyudo.Scalar {self.func}>"

    def __float__(self) -> float:
        return float(self.compute())

    def __int__(self) -> int:
        return int(self.compute())

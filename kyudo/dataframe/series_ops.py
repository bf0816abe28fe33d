"""Series operations beyond arithmetic: missing values, conditional replacement,
and the small reshaping reductions pandas users reach for (``value_counts``,
``unique``, ``nlargest``).

Element-wise methods stay one expression over the frame's plan; the others
build a new plan (a group-by, a distinct, a top-k) whose result is again a
lazy Series. Kept as a mixin of :class:`~kyudo.dataframe.series.Series` so that
module stays about the expression core.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from kyudo.dataframe.convert import UNNAMED_INDEX_PREFIX
from kyudo.planner.specs import AggSpec
from kyudo.planner.specs import SortKey
from kyudo.planner.specs import WindowFrame, WindowFunction
from kyudo.planner import logical as L
from kyudo.planner.expr import Call, Col, Lit
from kyudo.planner.running import RunningTotal


class SeriesOps:
    """Mixed into Series; uses its ``expr``, ``frame``, ``name``, ``_derive``,
    ``_aligned``, ``isna`` and ``notna``."""

    # ---- missing values and conditional replacement ---------------------------

    def _value_expr(self, value: Any):
        """``self`` and ``value`` over one plan, and ``value`` as an expression
        (a Series, a lazy Scalar or a constant)."""
        from kyudo.dataframe.series import to_expr
        me, other = self._aligned(value)
        return me, to_expr(other)

    def fillna(self, value) -> Any:
        """Replace NULL (and NaN, which pandas also treats as missing) by ``value``."""
        if pa.types.is_integer(self.arrow_type) and isinstance(value, float) and value.is_integer():
            value = int(value)  # an int column stays int, as in pandas (it had no NaN to fill)
        me, fill = self._value_expr(value)
        return me._keeping_dtype(me._derive(Call("if_else", (me.isna().expr, fill, me.expr))))

    def dropna(self) -> Any:
        from kyudo.dataframe.series import Series
        frame = self.frame[self.notna()]
        return Series(frame, self.expr, self.name, self.pandas_dtype)

    def where(self, cond, other=None) -> Any:
        """Keep values where ``cond`` is true, else ``other`` (missing by default)."""
        me, cond_expr = self._value_expr(cond)
        me, other_expr = me._value_expr(other) if other is not None else (me, Lit(None))
        return me._keeping_dtype(
            me._derive(Call("if_else", (Call("fill_null", (cond_expr, Lit(False))), me.expr, other_expr))))

    def mask(self, cond, other=None) -> Any:
        return self.where(~cond, other)

    def clip(self, lower=None, upper=None) -> Any:
        """Bound values to [lower, upper]; missing values stay missing. A masked
        dtype stays as pandas keeps it (``Int32`` clipped by ints is ``Int32``)."""
        from kyudo.dataframe.series import _masked_arrow_type, _pandas_result_dtype
        result = self
        for bound, op in ((lower, "less"), (upper, "greater")):
            if bound is not None:
                result, limit = result._value_expr(bound)
                beyond = Call("fill_null", (Call(op, (result.expr, limit)), Lit(False)))
                result = result._derive(Call("if_else", (beyond, limit, result.expr)))
        if result is self or not all(np.isscalar(b) or b is None for b in (lower, upper)):
            return result
        dtype = _pandas_result_dtype(lambda mine: mine.clip(lower, upper), self.dtype)
        arrow_type = _masked_arrow_type(dtype)
        return result if arrow_type is None else result._as_masked(dtype, arrow_type)

    # ---- membership in a lazy Series ----------------------------------------------

    def _isin_series(self, other: Any) -> Any:
        """``self.isin(other)`` for a lazy Series ``other``, as a plan: the
        distinct values of ``other`` (never computed here) with a TRUE marker,
        left-joined onto this Series' frame on its values (broadcast, so rows
        keep their partitions and order). A row is in ``other`` when the marker
        is there. Whether a missing value matches a missing one in ``other``, and
        whether the result is ``bool`` or ``boolean``, depend in pandas on both
        dtypes; pandas is asked on empty and one-missing-value Series of them."""
        from kyudo.dataframe.extensions import extend, fresh_names, mark_join
        from kyudo.dataframe.frame import DataFrame
        from kyudo.dataframe.frame_ops import _kind
        from kyudo.dataframe.series import Series
        mine, theirs = self.dtype, other.dtype
        try:
            missing_matches = bool(pd.Series([None], dtype=mine).isin(pd.Series([None], dtype=theirs)).iloc[0])
        except (TypeError, ValueError):  # this dtype holds no missing values
            missing_matches = True
        result_dtype = pd.Series([], dtype=mine).isin(pd.Series([], dtype=theirs)).dtype
        kinds = {_kind(self.arrow_type), _kind(other.arrow_type)}
        if len(kinds) > 1 and kinds != {"bool", "number"}:
            return self._derive(Lit(False))  # pandas compares objects: 1 never equals "1"
        numbers = kinds == {"bool", "number"}  # True equals 1 in pandas
        plan, key = extend(self.frame.plan, _as_key(self.expr, self.arrow_type, numbers))
        values, marker = fresh_names(plan, 2)
        right: L.LogicalPlan = L.Project(other.frame.plan,
                                         ((values, _as_key(other.expr, other.arrow_type, numbers)),))
        if not missing_matches:
            right = L.Filter(right, Call("is_not_null", (Col(values),)))
        right = L.Project(L.Distinct(right), ((values, Col(values)), (marker, Lit(True, pa.bool_()))))
        if not isinstance(result_dtype, np.dtype):  # "boolean": recorded on the marker
            right = retyped(right, {marker: str(result_dtype)})
        joined = mark_join(plan, key.name, right, values)
        frame = DataFrame(joined, self.frame.index, self.frame._column_labels)
        return Series(frame, Call("fill_null", (Col(marker), Lit(False))), self.name)

    # ---- results with a new plan ---------------------------------------------------

    def _key_name(self) -> str:
        return self.name if isinstance(self.name, str) else f"{UNNAMED_INDEX_PREFIX}0__"

    def _alone(self) -> tuple[L.LogicalPlan, str]:
        """A plan of this Series' values only, in one column, and that column's name."""
        key = self._key_name()
        return L.Project(self.frame.plan, ((key, self.expr),)), key

    def value_counts(self, sort: bool = True, ascending: bool = False, normalize: bool = False,
                     dropna: bool = True) -> Any:
        """Counts (or shares) of each distinct value, indexed by the values, most
        frequent first; pandas names the result ``count`` (``proportion``)."""
        from kyudo.dataframe.frame import DataFrame
        from kyudo.dataframe.series import Series
        plan, key = self._alone()
        if dropna:
            plan = L.Filter(plan, Call("not", (Series(DataFrame(plan), Col(key), key).isna().expr,)))
        plan = L.Aggregate(plan, (key,), (AggSpec("count", "size", None),))
        plan = _with_unseen_categories(plan, key)
        counts = Series(DataFrame(plan, (key,)), Col("count"), "count")
        if normalize:
            counts = (counts / counts.sum()).rename("proportion")
            plan = L.Project(counts.frame.plan, ((key, Col(key)), ("proportion", counts.expr)))
            counts = Series(DataFrame(plan, (key,)), Col("proportion"), "proportion")
        if sort:
            plan = L.Sort(counts.frame.plan, (SortKey(counts.name, ascending, False),))
            counts = Series(DataFrame(plan, (key,)), Col(counts.name), counts.name)
        return _counts_typed_as_pandas(counts, key, normalize)

    def drop_duplicates(self, keep="first") -> Any:
        """The first (last, or only unrepeated with ``keep=False``) occurrence of
        each value, NULL included, in the frame's order and with its index."""
        from kyudo.dataframe.series import Series
        frame = self.to_frame()
        column = frame._data_columns[0]
        return Series(frame.drop_duplicates(keep=keep), Col(column), self.name)

    def unique(self) -> Any:
        """The distinct values (NULL once) in order of appearance, as a Series
        (pandas gives an array, Dask a Series)."""
        return self.drop_duplicates().reset_index(drop=True)

    def _top(self, n: int, ascending: bool) -> Any:
        from kyudo.dataframe.series import Series
        frame, key = self.frame, self._key_name()
        exprs = tuple((i, Col(i)) for i in frame.index) + ((key, self.expr),)
        plan = L.Limit(L.Sort(L.Project(frame.plan, exprs), (SortKey(key, ascending, False),)), n)
        return Series(frame._with(plan), Col(key), self.name)

    def nlargest(self, n: int = 5) -> Any:
        """The ``n`` largest values, largest first, missing values last (a top-k,
        not a full sort)."""
        return self._top(n, ascending=False)

    def nsmallest(self, n: int = 5) -> Any:
        return self._top(n, ascending=True)

    def reset_index(self, drop: bool = False, name: Any = None) -> Any:
        """The index as leading columns and the values as a column named
        ``name`` (else the Series' name, else "0": pandas' 0, as a string since
        plan columns have string names); with ``drop``, the values with the
        default positional index."""
        from kyudo.dataframe.frame import DataFrame
        from kyudo.dataframe.series import Series
        if drop:
            return Series(DataFrame(self.frame.plan), self.expr, self.name)
        from kyudo.dataframe.indexing import index_label
        label = name if name is not None else (self.name if self.name is not None else 0)
        labels = [index_label(n) for n in self.frame.index]
        if str(label) in labels:  # an index kept as data by set_index(col, drop=False)
            raise ValueError(f"cannot insert {label}, already exists")
        exprs = tuple((n, Col(i)) for n, i in zip(labels, self.frame.index)) + ((str(label), self.expr),)
        frame = DataFrame(L.Project(self.frame.plan, exprs))
        return frame.reset_index(drop=False)

    def explode(self) -> Any:
        """One value per list element (see ``reshape.explode``)."""
        from kyudo.dataframe.series import Series
        frame = self.to_frame()
        column = frame._data_columns[0]
        return Series(frame.explode(column), Col(column), self.name)

    def describe(self) -> Any:
        """count, mean, std, min, quartiles and max (numeric Series)."""
        from kyudo.dataframe.series import Series
        from kyudo.dataframe.summaries import describe
        frame = self.to_frame()
        column = frame._data_columns[0]
        return Series(describe(frame), Col(column), self.name)

    # ---- running totals ---------------------------------------------------------------

    def _cumulative(self, func: str, partition_by: tuple[str, ...] = ()) -> Any:
        """A running ``func`` in frame order (per group of ``partition_by``) over
        the frame extended by this Series' values, so the result stays aligned
        with the frame's rows. A missing value stays missing and is skipped, as
        pandas does."""
        from kyudo.dataframe.extensions import extend, fresh_name
        from kyudo.dataframe.frame import DataFrame
        from kyudo.dataframe.series import Series
        plan, value = extend(self.frame.plan, self.expr)
        out = fresh_name(plan)
        if partition_by:  # per group: a window, after a shuffle on the keys
            running = WindowFunction(out, func, value.name, frame=WindowFrame("rows", None, 0))
            plan = L.Window(plan, tuple(partition_by), (), (running,))
        else:  # whole frame: each partition scans from the total of those before it
            plan = RunningTotal(plan, value.name, func, out)
        frame = DataFrame(plan, self.frame.index, self.frame._column_labels)
        missing = Series(frame, value, None).isna().expr
        return Series(frame, Call("if_else", (missing, Lit(None), Col(out))), self.name)

    def cumsum(self) -> Any:
        return self._cumulative("sum")

    def cumprod(self) -> Any:
        return self._cumulative("prod")

    def cummin(self) -> Any:
        return self._cumulative("min")

    def cummax(self) -> Any:
        return self._cumulative("max")


@dataclass(frozen=True)
class _Retype:
    """The partition as it is, under a schema whose fields record pandas dtypes."""

    schema: pa.Schema

    def __call__(self, table: pa.Table) -> pa.Table:
        return table.cast(self.schema)


def _as_key(expr, dtype: pa.DataType, numbers: bool = False):
    """Join key of a value: a float NaN is missing, as NULL is (pandas has one
    missing value); with ``numbers`` a boolean is the number 0 or 1."""
    if numbers and pa.types.is_boolean(dtype):
        return Call("cast", (expr,), (("to", pa.int64()),))
    return Call("nan_to_null", (expr,)) if pa.types.is_floating(dtype) else expr


def retyped(plan: L.LogicalPlan, dtypes: dict[str, str]) -> L.LogicalPlan:
    """``plan`` with pandas dtype names ``dtypes[column]`` recorded on those columns' fields
    (``plan`` itself when its fields already record them: no opaque node for nothing)."""
    from kyudo.dataframe.convert import PANDAS_DTYPE
    schema = plan.schema
    dtypes = {c: d for c, d in dtypes.items() if (schema.field(c).metadata or {}).get(PANDAS_DTYPE) != d.encode()}
    if not dtypes:
        return plan
    for column, dtype_name in dtypes.items():
        field = schema.field(column)
        schema = schema.set(schema.get_field_index(column),
                            field.with_metadata({**(field.metadata or {}), PANDAS_DTYPE: dtype_name.encode()}))
    token = ",".join(f"{column}:{dtype_name}" for column, dtype_name in dtypes.items())
    return L.MapPartitions(plan, _Retype(schema), schema, "pandas_dtype", token)


def is_retype(plan: L.LogicalPlan) -> bool:
    """Whether ``plan`` is :func:`retyped`'s node: its rows and values are its
    input's, only fields' metadata differ."""
    return isinstance(plan, L.MapPartitions) and isinstance(plan.func, _Retype)


def _counts_typed_as_pandas(counts: Any, key: str, normalize: bool) -> Any:
    """pandas types the counts after the values' dtype: ``Int64`` (``Float64``
    shares) for masked dtypes and ``string[python]``, ``int64[pyarrow]``
    (``double[pyarrow]``) for Arrow-backed ones, numpy otherwise. Asked of pandas
    itself on an empty Series of the values' dtype, and recorded on the field."""
    from kyudo.dataframe.dtypes import pandas_dtypes
    from kyudo.dataframe.frame import DataFrame
    from kyudo.dataframe.series import Series
    plan = counts.frame.plan
    values_dtype = pandas_dtypes(pa.schema([plan.schema.field(key)])).iloc[0]
    wanted = pd.Series([], dtype=values_dtype).value_counts(normalize=normalize).dtype
    if isinstance(wanted, np.dtype):
        return counts
    return Series(DataFrame(retyped(plan, {counts.name: str(wanted)}), (key,)), Col(counts.name), counts.name)


def _with_unseen_categories(counts: L.LogicalPlan, key: str) -> L.LogicalPlan:
    """pandas counts every category of a categorical, 0 for those not present:
    the known categories (field metadata) are a small in-memory plan, joined
    with the counts."""
    from kyudo.dataframe.reshape import categories_of
    from kyudo.planner.sources import InMemorySource
    field = counts.schema.field(key)
    categories = categories_of(field)
    if categories is None:
        return counts
    other, values = f"{key}__category", field.type.value_type
    known = L.Scan(InMemorySource([pa.table({other: pa.array(categories).cast(values)})]))
    # joined on the plain values: the engine's join does not take dictionary keys
    plain = L.Project(counts, ((key, Call("cast", (Col(key),), (("to", values),))), ("count", Col("count"))))
    joined = L.Join(plain, known, "outer", (key,), (other,))
    key_expr = Call("cast", (Call("coalesce", (Col(key), Col(other))),), (("to", field.type),))
    return L.Project(joined, ((key, key_expr), ("count", Call("fill_null", (Col("count"), Lit(0))))))


def is_string(dtype: pa.DataType) -> bool:
    return pa.types.is_string(dtype) or pa.types.is_large_string(dtype)

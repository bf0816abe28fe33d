"""``groupby(...).apply(func)`` and ``.transform(func)`` with arbitrary pandas code.

A user function needs each group whole, so the frame is hash-shuffled on the
group keys first (``DataFrame.shuffle``): every group then lies in one
partition, and pandas' own groupby runs per partition. The output's row order
follows the shuffle, not the input (as in Dask); ``apply`` results are indexed
by the keys as in pandas.

The output schema comes from ``meta`` or from running the function on a made-up
one-row partition: pandas gives an empty group-by another shape than a real
one (a frame where a scalar per group gives a Series), so an empty partition
would mislead (Dask's ``meta_nonempty`` does the same).
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Callable

import pandas as pd
import pyarrow as pa

from kyudo.dataframe.convert import UNNAMED_INDEX_PREFIX, pandas_to_table, table_to_pandas
from kyudo.planner import logical as L
from kyudo.planner.expr import Col

if TYPE_CHECKING:
    from kyudo.dataframe.groupby import GroupBy

RESULT = "__result__"


class _PerPartition:
    """pandas groupby-apply/transform over one partition (picklable)."""

    def __init__(self, func: Callable, how: str, keys: tuple[str, ...], index: tuple[str, ...],
                 selection: Any, dropna: bool, sort: bool, kwargs: dict):
        self.func, self.how, self.keys, self.index = func, how, keys, index
        self.selection, self.dropna, self.sort, self.kwargs = selection, dropna, sort, kwargs
        self.schema: pa.Schema | None = None  # the output's, once known

    def __call__(self, table: pa.Table) -> pa.Table:
        if table.num_rows == 0 and self.schema is not None:
            return self.schema.empty_table()  # pandas shapes empty group-bys differently
        pdf = table_to_pandas(table, self.index)
        grouped = pdf.groupby(list(self.keys), dropna=self.dropna, sort=self.sort, group_keys=True)
        if self.selection is not None:
            grouped = grouped[self.selection]
        if self.how == "transform":
            out = grouped.transform(self.func, **self.kwargs)
            if len(out) != len(pdf):  # pandas drops rows of missing keys when no group is left
                out = out.reindex(pdf.index)
            return _to_table(out, keep_index=bool(self.index))
        if grouped.ngroups == 0 and self.schema is not None:  # e.g. only missing keys here
            return self.schema.empty_table()
        out = grouped.apply(self.func, **self.kwargs)
        if not self.index and isinstance(out.index, pd.MultiIndex) and out.index.nlevels > len(self.keys):
            # the partition's positional labels under each group mean nothing globally
            out = out.droplevel(list(range(len(self.keys), out.index.nlevels)))
        return _to_table(out, keep_index=True)


def _to_table(out, keep_index: bool) -> pa.Table:
    if isinstance(out, pd.Series):
        out = out.to_frame(RESULT)
    if not keep_index:
        out = out.reset_index(drop=True)
    else:
        out = out.rename_axis([n if n is not None else f"{UNNAMED_INDEX_PREFIX}{i}__"
                               for i, n in enumerate(out.index.names)])
        out = out.reset_index()
    table, _ = pandas_to_table(out)
    return table


def run(groupby: "GroupBy", func: Callable, how: str, meta=None, **kwargs):
    """The lazy result of ``groupby.apply``/``transform``: a frame, or a Series
    when pandas gives one."""
    from kyudo.dataframe.frame import DataFrame
    from kyudo.dataframe.series import Series

    frame = groupby._keyed.shuffle(list(groupby.keys))
    wrapped = _PerPartition(func, how, groupby.keys, frame.index, groupby.selection, groupby.dropna,
                            groupby.sort, kwargs)
    if meta is not None:
        schema = _meta_schema(meta, groupby, how, frame)
    else:
        try:
            schema = wrapped(_sample(frame.plan.schema)).schema
        except Exception as exc:
            raise ValueError(f"could not infer the output of {getattr(func, '__name__', func)!r} on a "
                             f"made-up one-row partition ({type(exc).__name__}: {exc}); pass meta=") from exc
    wrapped.schema = schema
    plan = L.MapPartitions(frame.plan, wrapped, schema, f"groupby-{how}")
    if how == "transform":
        index = frame.index
    else:
        index = tuple(n for n in schema.names
                      if n in groupby.keys or n.startswith(UNNAMED_INDEX_PREFIX) or n in frame.index)
    result = DataFrame(plan, index)
    if RESULT in schema.names:
        name = groupby.selection if how == "transform" and isinstance(groupby.selection, str) else None
        if isinstance(meta, tuple) or isinstance(meta, pd.Series):
            name = meta[0] if isinstance(meta, tuple) else meta.name
        return Series(result, Col(RESULT), name)
    return result


_SAMPLES = ((pa.types.is_boolean, True), (pa.types.is_integer, 1), (pa.types.is_floating, 1.0),
            (pa.types.is_decimal, 1), (pa.types.is_date, dt.date(2000, 1, 1)),
            (pa.types.is_timestamp, dt.datetime(2000, 1, 1)), (pa.types.is_duration, dt.timedelta(1)),
            (lambda t: pa.types.is_string(t) or pa.types.is_large_string(t), "a"))


def _sample_value(dtype: pa.DataType) -> pa.Array:
    if pa.types.is_dictionary(dtype):
        return _sample_value(dtype.value_type).dictionary_encode().cast(dtype)
    for test, value in _SAMPLES:
        if test(dtype):
            return pa.array([value], dtype)
    return pa.nulls(1, dtype)


def _sample(schema: pa.Schema) -> pa.Table:
    """One made-up row of ``schema`` (1, 1.0, "a", 2000-01-01, ...)."""
    return pa.Table.from_arrays([_sample_value(f.type) for f in schema], schema=schema)


def _meta_schema(meta, groupby: "GroupBy", how: str, frame) -> pa.Schema:
    """The output schema for a user's ``meta`` (an empty pandas object or a dtype)."""
    if isinstance(meta, pa.Schema):
        return meta
    if isinstance(meta, tuple):  # Dask's (name, dtype)
        meta = pd.Series([], dtype=meta[1], name=meta[0])
    elif not isinstance(meta, (pd.Series, pd.DataFrame)):
        meta = pd.Series([], dtype=meta)
    if how == "apply":
        keys = frame.plan.schema.empty_table().select(list(groupby.keys)).to_pandas()
        meta = meta.set_axis(pd.MultiIndex.from_frame(keys) if len(groupby.keys) > 1
                             else pd.Index(keys.iloc[:, 0]))
    return _to_table(meta, keep_index=how == "apply" or bool(frame.index)).schema

"""The pandas dtypes of aggregation results over nullable and float32 columns.

pandas keeps its nullable dtypes through a group-by: a sum of an ``Int64`` column
is ``Int64``, its mean ``Float64``, its count ``Int64``, a ``boolean`` column's max
``boolean``. Arrow has no such types, so the planner's results are plain int64,
float64 or bool; the dtype pandas would give is written on each result field
(as :mod:`kyudo.dataframe.convert` does for inputs), and ``compute()`` restores it.

pandas also keeps float32: the sum, mean, std, var and median of a float32
column are float32, where the planner computes (and types) them in float64.
Those results are cast to float32 after the final aggregate, so the values are
pandas' up to float32 rounding (computed more exactly, then rounded once).
(pandas 3.1 itself gives a float64 mean when the rows are already in key order
without NaN, a shortcut that depends on the data; a lazy plan cannot know that,
and keeps to the rule pandas gives an empty frame, float32.)

pandas itself is asked, on an empty frame, so the rule is its own, not a copy.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from kyudo.dataframe.convert import PANDAS_DTYPE, _declared_dtype
from kyudo.planner import logical as L

# kyudo aggregate -> the pandas method of the same meaning
_PANDAS_NAMES = {"sum": "sum", "mean": "mean", "min": "min", "max": "max", "std": "std", "var": "var",
                 "median": "median", "prod": "prod", "first": "first", "last": "last", "count": "count",
                 "count_distinct": "nunique"}

# pandas extension dtype kind -> the Arrow types it can be restored from exactly
_RESTORABLE = {"i": pa.types.is_integer, "u": pa.types.is_integer, "f": pa.types.is_floating,
               "b": pa.types.is_boolean, "O": pa.types.is_string}


@functools.lru_cache(maxsize=256)
def _pandas_result_dtype(input_dtype: str, method: str):
    """The dtype pandas gives ``groupby(...)[x].agg(method)`` for an ``x`` of
    ``input_dtype``; None when pandas refuses (e.g. the mean of strings)."""
    empty = pd.DataFrame({"k": pd.Series([], dtype="int64"), "x": pd.Series([], dtype=input_dtype)})
    try:
        if method == "quantile":  # quantile(q) is float64 for float32, where median is float32
            return empty.groupby("k")["x"].quantile(0.25).dtype
        return empty.groupby("k")["x"].agg(method).dtype
    except (TypeError, ValueError, NotImplementedError):
        return None


def _pandas_method(spec) -> str | None:
    """The pandas method that means ``spec``: ``median`` is planned as the
    quantile at 0.5 (so ``quantile(0.5)`` reads as a median here too)."""
    if spec.func == "quantile":
        return "median" if spec.option("q", 0.5) == 0.5 else "quantile"
    return _PANDAS_NAMES.get(spec.func)


def _input_dtype(field: pa.Field):
    """The pandas dtype of an aggregated column, when pandas might type the
    result differently from the planner: a nullable extension dtype, or a float
    narrower than the float64 the planner computes in."""
    declared = _declared_dtype(field)
    if declared is not None:
        return declared
    return np.dtype("float32") if pa.types.is_float32(field.type) else None


def _typed(field: pa.Field, wanted) -> pa.Field:
    """``field`` as pandas types it: a nullable dtype recorded in its metadata
    (when restorable from its Arrow type exactly), float32 as float32."""
    if isinstance(wanted, np.dtype):
        narrower = wanted == np.float32 and pa.types.is_float64(field.type)
        return field.with_type(pa.float32()) if narrower else field
    restorable = _RESTORABLE.get(getattr(wanted, "kind", None))
    if restorable is None or not restorable(field.type):
        return field
    return field.with_metadata({**(field.metadata or {}), PANDAS_DTYPE: str(wanted).encode()})


@dataclass(frozen=True)
class _Retype:
    """The partition under a schema whose fields record pandas dtypes (and
    whose float32 results are cast from float64)."""

    schema: pa.Schema

    def __call__(self, table: pa.Table) -> pa.Table:
        return table.cast(self.schema)


def typed_like_pandas(plan: L.Aggregate) -> L.LogicalPlan:
    """``plan``, with each result over a nullable extension column or a float32
    column typed as pandas types it (a no-op when nothing differs)."""
    in_schema, fields = plan.input.schema, list(plan.schema)
    for spec in plan.aggs:
        method = _pandas_method(spec)
        dtype = _input_dtype(in_schema.field(spec.column)) if spec.column is not None else None
        if method is None or dtype is None:
            continue
        wanted = _pandas_result_dtype(str(dtype), method)
        if wanted is not None:
            i = plan.schema.get_field_index(spec.output)
            fields[i] = _typed(fields[i], wanted)
    schema = pa.schema(fields, metadata=plan.schema.metadata)
    if schema.equals(plan.schema, check_metadata=True):
        return plan
    token = ",".join(f"{f.name}:{f.type}:{(f.metadata or {}).get(PANDAS_DTYPE, b'').decode()}" for f in fields)
    return L.MapPartitions(plan, _Retype(schema), schema, "pandas_dtype", token)

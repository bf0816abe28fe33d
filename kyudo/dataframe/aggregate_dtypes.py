"""The pandas dtypes of aggregation results over nullable extension columns.

pandas keeps its nullable dtypes through a group-by: a sum of an ``Int64`` column
is ``Int64``, its mean ``Float64``, its count ``Int64``, a ``boolean`` column's max
``boolean``. Arrow has no such types, so the planner's results are plain int64,
float64 or bool; the dtype pandas would give is written on each result field
(as :mod:`kyudo.dataframe.convert` does for inputs), and ``compute()`` restores it.
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
        return empty.groupby("k")["x"].agg(method).dtype
    except (TypeError, ValueError, NotImplementedError):
        return None


@dataclass(frozen=True)
class _Retype:
    """The partition as it is, under a schema whose fields record pandas dtypes."""

    schema: pa.Schema

    def __call__(self, table: pa.Table) -> pa.Table:
        return table.cast(self.schema)


def typed_like_pandas(plan: L.Aggregate) -> L.LogicalPlan:
    """``plan``, with the pandas dtype of each result over a nullable extension
    column recorded on its field (a no-op when there is none to record)."""
    in_schema, fields = plan.input.schema, list(plan.schema)
    for spec in plan.aggs:
        method = _PANDAS_NAMES.get(spec.func)
        declared = _declared_dtype(in_schema.field(spec.column)) if spec.column is not None else None
        if method is None or declared is None:
            continue
        wanted = _pandas_result_dtype(str(declared), method)
        i = plan.schema.get_field_index(spec.output)
        restorable = _RESTORABLE.get(getattr(wanted, "kind", None))
        if wanted is None or isinstance(wanted, np.dtype) or restorable is None or not restorable(fields[i].type):
            continue
        fields[i] = fields[i].with_metadata({**(fields[i].metadata or {}), PANDAS_DTYPE: str(wanted).encode()})
    schema = pa.schema(fields, metadata=plan.schema.metadata)
    if schema.equals(plan.schema, check_metadata=True):
        return plan
    token = ",".join(f"{f.name}:{(f.metadata or {}).get(PANDAS_DTYPE, b'').decode()}" for f in fields)
    return L.MapPartitions(plan, _Retype(schema), schema, "pandas_dtype", token)

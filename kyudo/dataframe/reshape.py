"""Reshaping: ``explode`` (one row per list element) and ``pivot_table`` over
categories known from the schema.

``explode`` is row-wise, so it runs per partition; its kernel works on Arrow
lists directly. ``pivot_table`` needs the output columns before any data is
read (the planner is compute-free), so like Dask it requires the ``columns``
column to be a categorical with known categories: ``from_pandas`` records them
in the field's metadata. It is then one grouped aggregation of one masked
value column per category.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kyudo.dataframe.convert import CATEGORIES
from kyudo.planner.specs import AggSpec
from kyudo.planner import logical as L
from kyudo.planner.expr import Call, Col, Lit

if TYPE_CHECKING:
    from kyudo.dataframe.frame import DataFrame


def explode_table(table: pa.Table, column: str) -> pa.Table:
    """One row per element of the list column ``column``; a missing or empty
    list gives one row with a missing value, as pandas does."""
    lists = table[column].combine_chunks()
    lengths = pc.fill_null(pc.list_value_length(lists), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    counts = np.maximum(lengths, 1)
    out = table.take(pa.array(np.repeat(np.arange(table.num_rows), counts)))
    flat = pc.list_flatten(lists)
    starts = np.cumsum(counts) - counts
    has = lengths > 0
    offsets = np.cumsum(lengths) - lengths
    positions = np.repeat(starts[has] - offsets[has], lengths[has]) + np.arange(len(flat))
    index = np.full(int(counts.sum()), -1, dtype=np.int64)
    index[positions] = np.arange(len(flat))
    values = flat.take(pa.array(index, mask=index < 0))
    return out.set_column(out.schema.get_field_index(column), column, values)


@dataclass(frozen=True)
class _Explode:
    column: str

    def __call__(self, table: pa.Table) -> pa.Table:
        return explode_table(table, self.column)


def explode(frame: "DataFrame", column: str) -> "DataFrame":
    field = frame.plan.schema.field(frame._column(column).name)
    if not (pa.types.is_list(field.type) or pa.types.is_large_list(field.type)):
        raise TypeError(f"explode needs a list column; {column!r} is {field.type}")
    schema = frame.plan.schema.set(frame.plan.schema.get_field_index(column),
                                   pa.field(column, field.type.value_type))
    return frame._with(L.MapPartitions(frame.plan, _Explode(column), schema, "explode"))


def categories_of(field: pa.Field) -> list | None:
    raw = (field.metadata or {}).get(CATEGORIES)
    return json.loads(raw) if raw else None


def pivot_table(frame: "DataFrame", index: str, columns: str, values: str, aggfunc: str = "mean") -> "DataFrame":
    """pandas' pivot_table for one index, columns and values column."""
    from kyudo.dataframe.frame import DataFrame
    from kyudo.dataframe.groupby import _spec
    from kyudo.planner.specs import SortKey

    for name in (index, columns, values):
        frame._column(name)
    categories = categories_of(frame.plan.schema.field(columns))
    if categories is None:
        raise ValueError(f"pivot_table needs {columns!r} to be a categorical with known categories "
                         "(from_pandas a pandas Categorical, or astype a pd.CategoricalDtype)")
    masked = tuple((str(c), Call("if_else", (Call("fill_null", (Call("equal", (Col(columns), Lit(c))), Lit(False))),
                                             Col(values), Lit(None))))
                   for c in categories)
    plan = L.Project(L.Filter(frame.plan, Call("is_not_null", (Col(index),))), ((index, Col(index)),) + masked)
    aggs = tuple(_spec(name, aggfunc, name) for name, _ in masked)
    if aggfunc == "sum":  # a cell without values is missing in a pivot table, not 0
        aggs = tuple(AggSpec(a.output, a.func, a.column, (("min_count", 1),)) for a in aggs)
    plan = L.Sort(L.Aggregate(plan, (index,), aggs), (SortKey(index, True, False),))
    if aggfunc in ("count", "size"):
        return DataFrame(plan, (index,))
    # pandas leaves out the index values whose every cell is missing
    present = Call("or", tuple(Call("is_not_null", (Col(name),)) for name, _ in masked)) if len(masked) > 1 \
        else Call("is_not_null", (Col(masked[0][0]),))
    return DataFrame(L.Filter(plan, present), (index,))

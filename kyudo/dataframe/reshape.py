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
import pandas as pd
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


def _column_labels(field: pa.Field, categories: list, columns: str, values: list[str] | None) -> pd.Index:
    """pandas' column labels: the categories as a CategoricalIndex named after
    ``columns``, under the value column names (sorted, as pandas orders them)
    when ``values`` is a list."""
    kind = pd.CategoricalDtype(pd.Index(categories), ordered=bool(getattr(field.type, "ordered", False)))
    labels = pd.CategoricalIndex(categories, dtype=kind, name=columns)
    if values is None:
        return labels
    return pd.MultiIndex.from_arrays([[v for v in values for _ in categories],
                                      pd.CategoricalIndex(list(categories) * len(values), dtype=kind)],
                                     names=[None, columns])


def pivot_table(frame: "DataFrame", index: str, columns: str, values, aggfunc: str = "mean") -> "DataFrame":
    """pandas' pivot_table for one index and columns column and one or several
    value columns (a list gives (value, category) labels).

    A cell aggregates the rows of its (index, category) pair, as pandas' group-by
    does (a sum of only missing values is 0, a count 0); a pair without rows is
    missing, and an index value whose cells are all missing is left out. Every
    known category is a column: the plan's columns are fixed before data is
    read, where pandas also leaves out categories that no row has."""
    from kyudo.dataframe.frame import DataFrame
    from kyudo.dataframe.groupby import _spec
    from kyudo.planner.specs import SortKey

    if not isinstance(aggfunc, str):
        raise TypeError("pivot_table takes aggfunc as a name, such as 'mean' or 'sum'")
    value_list = sorted(values) if isinstance(values, (list, tuple)) else None
    names = value_list if value_list is not None else [values]
    for name in (index, columns, *names):
        frame._column(name)
    field = frame.plan.schema.field(columns)
    categories = categories_of(field)
    if categories is None:
        raise ValueError(f"pivot_table needs {columns!r} to be a categorical with known categories "
                         "(from_pandas a pandas Categorical, or astype a pd.CategoricalDtype)")
    cells = [(f"{v}__{c}" if value_list is not None else str(c), v, c) for v in names for c in categories]
    present = [f"__rows_{j}__" for j in range(len(categories))]
    exprs = [(index, Col(index))]
    for j, c in enumerate(categories):
        exprs.append((present[j], Call("if_else", (_is(columns, c), Lit(1), Lit(None)))))
    for name, v, c in cells:
        exprs.append((name, Call("if_else", (_is(columns, c), Col(v), Lit(None)))))
    plan = L.Project(L.Filter(frame.plan, Call("is_not_null", (Col(index),))), tuple(exprs))
    aggs = tuple(AggSpec(p, "count", p) for p in present) + tuple(_spec(name, aggfunc, name) for name, _, _ in cells)
    plan = L.Aggregate(plan, (index,), aggs)
    row_count = {c: Col(p) for p, c in zip(present, categories)}

    def cell(name: str, c) -> Call:  # missing where the pair has no rows
        return Call("if_else", (Call("greater", (row_count[c], Lit(0))), Col(name), Lit(None)))
    plan = L.Project(plan, ((index, Col(index)),) + tuple((name, cell(name, c)) for name, _, c in cells))
    # pandas leaves out the index values whose every cell is missing
    kept = [Call("is_not_null", (Col(name),)) for name, _, _ in cells]
    plan = L.Filter(plan, Call("or", tuple(kept)) if len(kept) > 1 else kept[0])
    plan = L.Sort(plan, (SortKey(index, True, False),))
    return DataFrame(plan, (index,), _column_labels(field, categories, columns, value_list))


def _is(column: str, category) -> Call:
    return Call("fill_null", (Call("equal", (Col(column), Lit(category))), Lit(False)))

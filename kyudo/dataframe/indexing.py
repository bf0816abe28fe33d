"""A sorted index: ``set_index``, ``divisions``, ``.loc`` and merges on the index.

``set_index(col, sorted=True)`` promises the data is already sorted across
partitions: nothing moves, and divisions are the ones given or those the
source's min/max statistics show (Parquet footers), so ``.loc`` reads only the
partitions that can hold the labels asked for. ``set_index(col)`` sorts: when
the statistics show the partitions already in key order (data sorted on disk)
each partition is sorted alone and divisions are known as above; otherwise the
planner's range sort picks split points from samples in a stage of the task
graph, the divisions are only known when it runs, and ``.loc`` is a filter.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from kyudo.planner import logical as L
from kyudo.planner.expr import Call, Col, Expr
from kyudo.planner.partitioning import AlignedJoin, Repartition, SortedOn
from kyudo.planner.specs import SortKey
from kyudo.planner.compile import physical_plan
from kyudo.planner.physical import Pipeline, RangeSort
from kyudo.planner.physical_partitioning import (RangeRepartition, SortedPartitions, divisions_of,
                                                 keeps_column, physical_ranges)

if TYPE_CHECKING:
    from kyudo.dataframe.frame import DataFrame


def _literal(value) -> Expr:
    from kyudo.dataframe.series import to_expr
    return to_expr(value)


def _label(value, kind: pa.DataType, end: bool = False):
    """A label as a value of the index type: strings and Timestamps on a time
    index become datetimes (in the index's time zone), so they compare with
    division bounds as well as with the column. A string names a period, as in
    pandas ("2024-03" is all of March): its first instant, or its last with ``end``."""
    if value is None or not pa.types.is_timestamp(kind):
        return value
    if isinstance(value, str):
        period = pd.Period(value)
        stamp = period.end_time if end else period.start_time
    else:
        stamp = pd.Timestamp(value)
    if kind.tz is not None:
        stamp = stamp.tz_localize(kind.tz) if stamp.tzinfo is None else stamp.tz_convert(kind.tz)
    return stamp.to_pydatetime()


KEPT_INDEX_PREFIX = "__kd_index__"


def index_label(name: str) -> str:
    """The pandas name of index column ``name``: ``set_index(col, drop=False)``
    keeps ``col`` as data and indexes by a copy under a private name."""
    return name[len(KEPT_INDEX_PREFIX):] if name.startswith(KEPT_INDEX_PREFIX) else name


def _key_candidates(frame: "DataFrame") -> tuple[str, ...]:
    """Columns whose sort order is the index's: the index column and, for a kept
    copy, the data column it copies (where sorts, statistics and divisions are
    tracked) while that column still passes through unchanged."""
    (name,) = frame.index
    label = index_label(name)
    return (name, label) if label != name and label in frame.plan.schema.names else (name,)


def set_index(frame: "DataFrame", column: str, sorted: bool = False, divisions=None,
              drop: bool = True) -> "DataFrame":
    """Index by ``column`` (see the module docstring). With ``drop=False`` the
    column stays data too, as in pandas: the plan sorts on the column itself (so
    statistics and divisions are found as for ``drop=True``) and the index is a
    copy of it under a private name that ``index_label`` turns back into ``column``."""
    from kyudo.dataframe.frame import DataFrame

    if not isinstance(column, str):
        raise TypeError("set_index takes one column name")
    if column in frame.index:
        raise ValueError(f"{column!r} is already the index")
    frame._column(column)
    data = [n for n in frame._data_columns if n != column]
    names = [column] + data
    plan: L.LogicalPlan = L.Project(frame.plan, tuple((n, Col(n)) for n in names))
    divisions = None if divisions is None else tuple(divisions)
    if divisions is not None and not sorted:
        plan = Repartition(plan, divisions=divisions, column=column, sort=True)
    else:
        plan = SortedOn(plan, column, divisions, sort=not sorted)
    if drop:
        return DataFrame(plan, (column,))
    kept = KEPT_INDEX_PREFIX + column
    columns = list(frame._data_columns)  # pandas keeps the column where it was
    plan = L.Project(plan, ((kept, Col(column)),) + tuple((n, Col(n)) for n in columns))
    return DataFrame(plan, (kept,))


def divisions(frame: "DataFrame") -> tuple:
    """The index bounds of the partitions (``npartitions + 1`` values), all ``None``
    when they are not known before running (Dask's convention)."""
    node = physical_plan(frame.plan)
    known = None
    if len(frame.index) == 1:
        for column in _key_candidates(frame):
            known = divisions_of(physical_ranges(node, column))
            if known is not None:
                break
    return known if known is not None else (None,) * (node.npartitions + 1)


def keep_sorted_index(frame: "DataFrame", plan: L.LogicalPlan) -> L.LogicalPlan:
    """``plan`` (the persisted partitions of ``frame``) marked as sorted on the
    index when ``frame``'s partitions come out sorted on it, so divisions, found
    from the data in memory, survive ``persist`` (also after a range sort)."""
    if len(frame.index) != 1:
        return plan
    for column in _key_candidates(frame):
        node = physical_plan(frame.plan)
        while isinstance(node, Pipeline) and keeps_column(node.ops, column):
            node = node.input
        ascending = (SortKey(column),)
        if (isinstance(node, SortedPartitions) and node.column == column
                or isinstance(node, RangeSort) and tuple(node.keys[:1]) == ascending
                or isinstance(node, RangeRepartition) and node.sort and node.column == column):
            return SortedOn(plan, column)
    return plan


def _sorted_on(plan: L.LogicalPlan, column: str) -> SortedOn | None:
    """The SortedOn node on ``column`` below row-wise nodes that keep ``column``."""
    while True:
        if isinstance(plan, SortedOn) and plan.column == column:
            return plan
        if isinstance(plan, L.Filter):
            plan = plan.input
        elif isinstance(plan, L.Project) and (column, Col(column)) in plan.exprs:
            plan = plan.input
        else:
            return None


def _key_predicate(column: str, kind: pa.DataType, key) -> tuple[Expr, tuple]:
    """A filter on the index for a ``.loc`` key, and the key intervals it keeps."""
    col = Col(column)
    if isinstance(key, slice):
        if key.step is not None:
            raise ValueError(".loc slices take no step")
        start, stop = _label(key.start, kind), _label(key.stop, kind, end=True)
        parts = []
        if start is not None:
            parts.append(Call("greater_equal", (col, _literal(start))))
        if stop is not None:
            parts.append(Call("less_equal", (col, _literal(stop))))
        predicate = parts[0] if len(parts) == 1 else Call("and", tuple(parts)) if parts else None
        return predicate, ((start, stop),)
    if isinstance(key, (list, tuple, pd.Index)):
        values = tuple(_label(v, kind) for v in key)
        return Call("is_in", (col,), (("values", values),)), tuple((v, v) for v in values)
    if isinstance(key, str) and pa.types.is_timestamp(kind):
        return _key_predicate(column, kind, slice(key, key))
    key = _label(key, kind)
    return Call("equal", (col, _literal(key))), ((key, key),)


def loc(frame: "DataFrame", key) -> "DataFrame":
    """Rows by index label, list of labels or inclusive label slice (always a frame)."""
    columns = None
    if isinstance(key, tuple) and len(key) == 2 and not isinstance(key[0], tuple):
        key, columns = key
    if len(frame.index) != 1:
        raise ValueError(".loc needs a frame indexed by one column; use set_index first")
    column = frame.index[0]
    predicate, intervals = _key_predicate(column, frame.plan.schema.field(column).type, key)
    plan = frame.plan
    sorted_node = next((node for node in (_sorted_on(plan, c) for c in _key_candidates(frame))
                        if node is not None), None)
    if sorted_node is not None:
        narrowed = replace(sorted_node, select=intervals)
        plan = L.transform_up(plan, lambda node: narrowed if node is sorted_node else node)
    result = frame._with(L.Filter(plan, predicate) if predicate is not None else plan)
    if columns is None:
        return result
    return result[[columns] if isinstance(columns, str) else list(columns)]


class LocIndexer:
    def __init__(self, frame: "DataFrame"):
        self.frame = frame

    def __getitem__(self, key) -> "DataFrame":
        return loc(self.frame, key)


def merge_on_index(left: "DataFrame", right: "DataFrame", how: str = "inner",
                   suffixes=("_x", "_y")) -> "DataFrame":
    """``merge(left_index=True, right_index=True)``: both indexes are one column;
    the right one takes the left's name, the merge runs on it, and the result is
    indexed by it. Sides with known divisions join partition by partition."""
    from kyudo.dataframe.frame import DataFrame
    from kyudo.dataframe.merge import merge

    if len(left.index) != 1 or len(right.index) != 1:
        raise ValueError("merging on the index needs both frames indexed by one column")
    name, right_name = left.index[0], right.index[0]
    if name in right._data_columns:
        raise ValueError(f"the right frame has a column {name!r}, the name of the left index")
    right_plan = L.Project(right.plan, tuple((name if n == right_name else n, Col(n))
                                             for n in right.plan.schema.names))
    merged = merge(DataFrame(left.plan), DataFrame(right_plan), how=how, on=name, suffixes=suffixes)
    joined = merged.plan.input
    plan = L.Project(AlignedJoin.of(joined), merged.plan.exprs)
    return DataFrame(plan, (name,))


def join(left: "DataFrame", right: "DataFrame", how: str = "left", lsuffix: str = "",
         rsuffix: str = "") -> "DataFrame":
    """``DataFrame.join``: a merge on both indexes; overlapping columns need a suffix."""
    overlap = set(left._data_columns) & set(right._data_columns)
    if overlap and not (lsuffix or rsuffix):
        raise ValueError(f"columns overlap but no suffix specified: {sorted(overlap)}")
    return merge_on_index(left, right, how=how, suffixes=(lsuffix, rsuffix))

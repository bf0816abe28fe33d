"""``kd.Aggregation(name, chunk, agg, finalize)``: user-defined group-by
reductions with Dask's signature.

``chunk`` gets a pandas SeriesGroupBy of one partition and returns one Series
(or a tuple of them) indexed by the group keys: the partial states. ``agg``
gets SeriesGroupBy objects over all partial states of the groups in one output
partition (one per state) and returns the merged state(s); ``finalize`` (when
given) turns those into the answer. In the plan that is a MapPartitions for the
chunks, a hash shuffle of the states on the keys, and a MapPartitions for
agg/finalize, so every group's states meet in one partition.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import pandas as pd
import pyarrow as pa

from kyudo.dataframe.aggregate_dtypes import typed_like_pandas
from kyudo.dataframe.convert import pandas_to_table, table_to_pandas
from kyudo.planner.specs import SortKey
from kyudo.planner import logical as L
from kyudo.planner.expr import Col

if TYPE_CHECKING:
    from kyudo.dataframe.groupby import GroupBy


@dataclass(frozen=True)
class Aggregation:
    """A custom reduction: see the module docstring for the three functions."""

    name: str
    chunk: Callable
    agg: Callable
    finalize: Callable | None = None


def _tuple(result) -> tuple:
    return result if isinstance(result, tuple) else (result,)


def _state(column: str, j: int) -> str:
    return f"{column}__state{j}"


@dataclass
class _Stage:
    """One phase over a partition (picklable): ``chunk`` per value column, or
    ``agg`` + ``finalize`` over the state columns."""

    aggregation: Aggregation
    keys: tuple[str, ...]
    columns: tuple[str, ...]
    phase: str
    schema: pa.Schema | None = None
    nstates: int = 0

    def __call__(self, table: pa.Table) -> pa.Table:
        if table.num_rows == 0 and self.schema is not None:
            return self.schema.empty_table()
        grouped = table_to_pandas(table, ()).groupby(list(self.keys), dropna=False, sort=False)
        out = {}
        for column in self.columns:
            if self.phase == "chunk":
                for j, part in enumerate(_tuple(self.aggregation.chunk(grouped[column]))):
                    out[_state(column, j)] = part
            else:
                states = [grouped[_state(column, j)] for j in range(self.nstates)]
                merged = _tuple(self.aggregation.agg(*states))
                final = self.aggregation.finalize
                out[column] = final(*merged) if final is not None else merged[0]
        frame = pd.DataFrame(out)
        frame.index.names = list(self.keys)
        table, _ = pandas_to_table(frame.reset_index())
        return table


def custom_plan(groupby: "GroupBy", aggregation: Aggregation, columns: dict[str, str]) -> L.LogicalPlan:
    """Keys plus one column per ``output: input column`` of ``columns``: each
    group's ``aggregation`` of that input, one row per group, in no order."""
    from kyudo.dataframe.frame import DataFrame
    from kyudo.dataframe.group_apply import _sample

    keys, outputs = groupby.keys, tuple(columns)
    plan = groupby._keyed.plan
    if groupby.dropna:
        plan = L.Filter(plan, _no_null_keys(keys))
    plan = L.Project(plan, tuple((n, Col(n)) for n in keys) + tuple((o, Col(c)) for o, c in columns.items()))
    chunk = _Stage(aggregation, keys, outputs, "chunk")
    chunk.schema = chunk(_sample(plan.schema)).schema
    states = DataFrame(L.MapPartitions(plan, chunk, chunk.schema, f"{aggregation.name}-chunk"))
    shuffled = states.shuffle(list(keys))
    nstates = sum(1 for n in chunk.schema.names if n.startswith(f"{outputs[0]}__state"))
    final = _Stage(aggregation, keys, outputs, "agg", nstates=nstates)
    final.schema = final(_sample(chunk.schema)).schema
    return L.MapPartitions(shuffled.plan, final, final.schema, f"{aggregation.name}-agg")


def _sorted(groupby: "GroupBy", plan: L.LogicalPlan) -> L.LogicalPlan:
    if groupby.sort:
        return L.Sort(plan, tuple(SortKey(k, True, False) for k in groupby.keys))
    return plan


def aggregate(groupby: "GroupBy", aggregation: Aggregation):
    """The lazy result of ``groupby.agg(aggregation)``."""
    from kyudo.dataframe.frame import DataFrame
    from kyudo.dataframe.series import Series

    keys, columns = groupby.keys, tuple(groupby._value_columns())
    result = _sorted(groupby, custom_plan(groupby, aggregation, {c: c for c in columns}))
    out = DataFrame(result, keys if groupby.as_index else ())
    if isinstance(groupby.selection, str) and groupby.as_index:
        return Series(out, Col(groupby.selection), groupby.selection)
    return out


def aggregate_mixed(groupby: "GroupBy", items: list[tuple[str, object, str]], labels=None):
    """``agg`` of a dict, list or named aggregations where some functions are
    ``Aggregation``s: ``items`` are (output, function, input column). The
    built-in ones are one Aggregate, each custom Aggregation its own
    chunk/shuffle/agg plan over its columns; the pieces, one row per group
    each, are joined on the keys (NULL keys equal, for ``dropna=False``) and
    the outputs put back in the order asked for."""
    from kyudo.dataframe.extensions import fresh_names
    from kyudo.dataframe.frame import DataFrame
    from kyudo.dataframe.groupby import _spec

    keys = groupby.keys
    pieces: list[L.LogicalPlan] = []
    builtin = [_spec(output, func, column) for output, func, column in items if not isinstance(func, Aggregation)]
    if builtin:
        plan = groupby._keyed.plan
        if groupby.dropna and keys:
            plan = L.Filter(plan, _no_null_keys(keys))
        pieces.append(typed_like_pandas(
            L.Aggregate(plan, keys, tuple(builtin), groupby.split_every, groupby.split_out)))
    customs: dict[int, tuple[Aggregation, dict[str, str]]] = {}
    for output, func, column in items:
        if isinstance(func, Aggregation):
            customs.setdefault(id(func), (func, {}))[1][output] = column
    for aggregation, columns in customs.values():
        pieces.append(custom_plan(groupby, aggregation, columns))
    plan = pieces[0]
    for piece in pieces[1:]:
        private = fresh_names(plan, len(keys))
        renamed = L.Project(piece, tuple((p, Col(k)) for p, k in zip(private, keys))
                            + tuple((n, Col(n)) for n in piece.schema.names if n not in keys))
        plan = L.Join(plan, renamed, "inner", keys, tuple(private), null_equal=True)
    outputs = tuple(output for output, _, _ in items)
    plan = _sorted(groupby, L.Project(plan, tuple((n, Col(n)) for n in keys + outputs)))
    if labels is not None and not groupby.as_index:
        labels = tuple((k, "") for k in keys) + tuple(labels)
    return DataFrame(plan, keys if groupby.as_index else (), labels)


def _no_null_keys(keys):
    from kyudo.planner.expr import Call, conjoin
    return conjoin([Call("is_not_null", (Col(k),)) for k in keys])

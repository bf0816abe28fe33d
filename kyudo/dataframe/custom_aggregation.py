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


def aggregate(groupby: "GroupBy", aggregation: Aggregation):
    """The lazy result of ``groupby.agg(aggregation)``."""
    from kyudo.dataframe.frame import DataFrame
    from kyudo.dataframe.group_apply import _sample
    from kyudo.dataframe.series import Series

    keys, columns = groupby.keys, tuple(groupby._value_columns())
    frame = groupby._keyed
    plan = frame.plan
    if groupby.dropna:
        plan = L.Filter(plan, _no_null_keys(keys))
    plan = L.Project(plan, tuple((n, Col(n)) for n in keys + columns))
    chunk = _Stage(aggregation, keys, columns, "chunk")
    chunk.schema = chunk(_sample(plan.schema)).schema
    states = DataFrame(L.MapPartitions(plan, chunk, chunk.schema, f"{aggregation.name}-chunk"))
    shuffled = states.shuffle(list(keys))
    nstates = sum(1 for n in chunk.schema.names if n.startswith(f"{columns[0]}__state"))
    final = _Stage(aggregation, keys, columns, "agg", nstates=nstates)
    final.schema = final(_sample(chunk.schema)).schema
    result: L.LogicalPlan = L.MapPartitions(shuffled.plan, final, final.schema, f"{aggregation.name}-agg")
    if groupby.sort:
        result = L.Sort(result, tuple(SortKey(k, True, False) for k in keys))
    out = DataFrame(result, keys if groupby.as_index else ())
    if isinstance(groupby.selection, str) and groupby.as_index:
        return Series(out, Col(groupby.selection), groupby.selection)
    return out


def _no_null_keys(keys):
    from kyudo.planner.expr import Call, conjoin
    return conjoin([Call("is_not_null", (Col(k),)) for k in keys])

"""Opaque user functions applied per partition.

The planner cannot look inside a user function, so its output schema must be
known up front: from ``meta`` when given, otherwise by running the function on an
empty partition of the input (which must not fail; if it does the error says to
pass ``meta``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import pandas as pd
import pyarrow as pa

from kyudo.dataframe.convert import pandas_to_table, table_to_pandas
from kyudo.planner import logical as L

if TYPE_CHECKING:
    from kyudo.dataframe.frame import DataFrame


class _PandasPartitionFunction:
    """Wrap a pandas function as an Arrow one (picklable, so tasks can travel)."""

    def __init__(self, func: Callable, index: tuple[str, ...], output_index: tuple[str, ...]):
        self.func, self.index, self.output_index = func, index, output_index

    def __call__(self, table: pa.Table) -> pa.Table:
        result = self.func(table_to_pandas(table, self.index))
        if isinstance(result, pd.Series):
            result = result.to_frame()
        if not self.output_index:
            # no declared index: the result gets kyudo's positional default index
            result = result.reset_index(drop=True)
        out, _ = pandas_to_table(result)
        return out


def _schema_of(meta) -> tuple[pa.Schema, tuple[str, ...]]:
    if isinstance(meta, pa.Schema):
        return meta, ()
    if isinstance(meta, pd.Series):
        meta = meta.to_frame()
    table, index = pandas_to_table(meta)
    return table.schema, index


def wrap_partition_function(frame: "DataFrame", func: Callable, meta=None, arrow: bool = False,
                            output_index: tuple[str, ...] = ()):
    """``func`` as an Arrow-to-Arrow function, its output schema and index columns.

    Without ``meta`` the schema comes from running the function on an empty
    partition, and the output is indexed by ``output_index``."""
    if meta is not None:
        schema, output_index = _schema_of(meta)
    wrapped = func if arrow else _PandasPartitionFunction(func, frame.index, output_index)
    if meta is None:
        try:
            schema = wrapped(frame.plan.schema.empty_table()).schema
        except Exception as exc:
            raise ValueError(f"could not infer the output of {getattr(func, '__name__', func)!r} "
                             f"by running it on an empty partition ({type(exc).__name__}: {exc}); "
                             "pass meta= with an empty DataFrame or Arrow schema of the output") from exc
    return wrapped, schema, output_index


def map_partitions(frame: "DataFrame", func: Callable, meta=None, arrow: bool = False) -> "DataFrame":
    from kyudo.dataframe.frame import DataFrame

    wrapped, schema, output_index = wrap_partition_function(frame, func, meta, arrow)
    name = getattr(func, "__name__", "map_partitions")
    return DataFrame(L.MapPartitions(frame.plan, wrapped, schema, name), output_index)

"""Entry points that make frames: from Parquet, pandas and Arrow, and ``concat``."""
from __future__ import annotations

from typing import Sequence

import pandas as pd
import pyarrow as pa

from kyudo import config
from kyudo.dataframe.convert import pandas_to_table
from kyudo.dataframe.frame import DataFrame
from kyudo.io.floats import nan_to_null_columns
from kyudo.planner import logical as L
from kyudo.planner.errors import PlanError
from kyudo.planner.expr import Call, Col, Lit
from kyudo.planner.sources import InMemorySource


def read_parquet(path, columns: Sequence[str] | None = None, filters=None,
                 storage_options: dict | None = None, partition_size=None,
                 partitioning: str | None = "hive", nan_as_null: bool = True) -> DataFrame:
    """A lazy frame over Parquet files: a file, a directory, a glob or a list.

    Only footers are read here. ``columns`` and ``filters`` (pyarrow's DNF list
    of tuples) are pushed into the reader, and so is any later selection or
    boolean mask the optimizer can push down. Partitions are row groups, grouped
    up to ``partition_size`` bytes in memory (default ``config partition_size``).

    A NaN stored in a float column is read as missing (NULL), as pandas treats
    it; ``nan_as_null=False`` keeps it a value (SQL's semantics, which
    ``kyudo.sql`` uses).
    """
    from kyudo.io.parquet import discover_parquet

    target = config.parse_bytes(partition_size or config.get("partition_size", "128MB"))
    source = discover_parquet(path, storage_options=storage_options, partitioning=partitioning,
                              target_partition_bytes=target, filters=filters)
    frame = DataFrame(L.Scan(source))
    if nan_as_null:
        frame = nan_as_missing(frame)
    return frame[list(columns)] if columns is not None else frame


def nan_as_missing(frame: DataFrame) -> DataFrame:
    """``frame`` with every NaN in its float columns turned into NULL, for data
    read from files that store NaN (Parquet, ORC): pandas has one missing value
    for floats, and the aggregate kernels (sum, mean, count, min/max), group
    keys and sorts then skip it as pandas does. A projection, not a pass over
    the data: it fuses into each scan task, and the filters pushed through it
    still prune row groups (see :mod:`kyudo.planner.to_arrow`)."""
    schema = frame.plan.schema
    if not any(pa.types.is_floating(f.type) for f in schema):
        return frame
    exprs = tuple((f.name, Call("nan_to_null", (Col(f.name),)) if pa.types.is_floating(f.type) else Col(f.name))
                  for f in schema)
    return DataFrame(L.Project(frame.plan, exprs), frame.index)


def from_arrow(table: pa.Table, npartitions: int = 1) -> DataFrame:
    """A frame over an in-memory Arrow table, split into ``npartitions`` slices
    (zero-copy unless a float column holds NaN, which becomes NULL: pandas has
    one missing value, and ``from_pandas`` gets NULLs from pyarrow the same way)."""
    return DataFrame(L.Scan(InMemorySource.from_table(nan_to_null_columns(table, table.schema.names), npartitions)))


def from_pandas(df: pd.DataFrame | pd.Series, npartitions: int = 1) -> DataFrame:
    """A frame over a pandas object; a non-default index is kept as the frame's index."""
    if isinstance(df, pd.Series):
        df = df.to_frame()
    table, index = pandas_to_table(df)
    return DataFrame(L.Scan(InMemorySource.from_table(table, npartitions)), index)


def concat(frames: Sequence[DataFrame]) -> DataFrame:
    """Stack frames vertically (``pd.concat`` along rows). Columns are matched by
    name; a column missing from some frames is NULL there."""
    frames = list(frames)
    if not frames:
        raise ValueError("concat needs at least one frame")
    index = frames[0].index
    if any(f.index != index for f in frames):
        raise PlanError("cannot concat frames with different indexes")
    names: list[str] = []
    types: dict[str, pa.DataType] = {}
    for f in frames:
        for field in f.plan.schema:
            if field.name not in types:
                names.append(field.name)
                types[field.name] = field.type
    for n in names:
        # pandas fills a column missing from some frame with NaN, so ints become float64
        if pa.types.is_integer(types[n]) and any(n not in f.plan.schema.names for f in frames):
            types[n] = pa.float64()
    plans = []
    for f in frames:
        have = f.plan.schema
        plans.append(L.Project(f.plan, tuple((n, _as_type(Col(n), have.field(n).type, types[n]) if n in have.names
                                              else Lit(None, types[n])) for n in names)))
    return DataFrame(L.Union(tuple(plans)), index)


def _as_type(expr, have: pa.DataType, want: pa.DataType):
    return expr if have == want else Call("cast", (expr,), (("to", want),))

"""Converting results at the edges: Arrow partitions out to pandas, pandas in to Arrow.

A kyudo frame keeps its pandas index as ordinary columns named in ``index``;
here they become the pandas index again. An unnamed pandas index travels as
``__index_level_N__``, the name pyarrow itself gives it.
"""
from __future__ import annotations

import pandas as pd
import pyarrow as pa

UNNAMED_INDEX_PREFIX = "__index_level_"


def table_to_pandas(table: pa.Table, index: tuple[str, ...]) -> pd.DataFrame:
    df = table.to_pandas()
    if index:
        df = df.set_index(list(index))
        df.index.names = [None if str(n).startswith(UNNAMED_INDEX_PREFIX) else n
                          for n in df.index.names]
    return df


def pandas_to_table(df: pd.DataFrame) -> tuple[pa.Table, tuple[str, ...]]:
    """Arrow table and index column names; a default RangeIndex is dropped."""
    if not all(isinstance(c, str) for c in df.columns):
        df = df.rename(columns=str)
    if isinstance(df.index, pd.RangeIndex) and df.index.name is None:
        return pa.Table.from_pandas(df, preserve_index=False), ()
    names = [n if n is not None else f"{UNNAMED_INDEX_PREFIX}{i}__" for i, n in enumerate(df.index.names)]
    df = df.copy(deep=False)
    df.index.names = names
    table = pa.Table.from_pandas(df.reset_index(), preserve_index=False)
    return table, tuple(names)

"""Converting results at the edges: Arrow partitions out to pandas, pandas in to Arrow.

A kyudo frame keeps its pandas index as ordinary columns named in ``index``;
here they become the pandas index again. An unnamed pandas index travels as
``__index_level_N__``, the name pyarrow itself gives it.

pandas extension dtypes (nullable ``Int64``, ``boolean``, ``string``, ``Float64``)
have no Arrow type of their own: an int64 column with NULLs comes back as float64.
So the dtype is written into the Arrow *field's* metadata on the way in; plan
nodes that pass a column through keep its field, so results of selections,
filters, sorts, joins and group-by keys convert back to the same dtype.
"""
from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa

UNNAMED_INDEX_PREFIX = "__index_level_"


PANDAS_DTYPE = b"kyudo.pandas_dtype"
CATEGORIES = b"kyudo.categories"


def _declared_dtype(field: pa.Field):
    """The pandas extension dtype recorded on ``field``, if any."""
    name = (field.metadata or {}).get(PANDAS_DTYPE)
    return pd.api.types.pandas_dtype(name.decode()) if name else None


def restore_dtypes(df: pd.DataFrame, table: pa.Table, schema: pa.Schema) -> pd.DataFrame:
    """Convert the columns whose field in ``schema`` records an extension dtype
    from the Arrow data itself (no float64 detour, so large ints stay exact)."""
    for field in schema:
        dtype = _declared_dtype(field)
        if dtype is None or field.name not in df.columns or df[field.name].dtype == dtype:
            continue
        column = table.column(field.name)
        try:
            values = dtype.__from_arrow__(column)
        except (TypeError, ValueError, AttributeError, pa.ArrowException):
            values = df[field.name].astype(dtype)
        df[field.name] = pd.Series(values, index=df.index, name=field.name)
    return df


def table_to_pandas(table: pa.Table, index: tuple[str, ...], schema: pa.Schema | None = None) -> pd.DataFrame:
    """``schema``: the plan's schema, whose fields may record extension dtypes."""
    df = table.to_pandas()
    if schema is not None:
        df = restore_dtypes(df, table, schema)
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
        return _record_dtypes(pa.Table.from_pandas(df, preserve_index=False), df), ()
    names = [n if n is not None else f"{UNNAMED_INDEX_PREFIX}{i}__" for i, n in enumerate(df.index.names)]
    df = df.copy(deep=False)
    df.index.names = names
    flat = df.reset_index()
    table = pa.Table.from_pandas(flat, preserve_index=False)
    return _record_dtypes(table, flat), tuple(names)


_MASKED = {"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64",
           "Float32", "Float64", "boolean"}


def _recorded_name(dtype) -> str | None:
    if isinstance(dtype, pd.StringDtype) and dtype.na_value is pd.NA:
        return f"string[{dtype.storage}]"  # pandas 3's default "str" maps back by itself
    return dtype.name if str(dtype) in _MASKED else None


def _record_dtypes(table: pa.Table, df: pd.DataFrame) -> pa.Table:
    """Write each nullable extension dtype into its column's field metadata,
    and a categorical's categories (known before any data is read). Zoned
    timestamps and ``pd.ArrowDtype`` map back from Arrow by themselves."""
    fields = []
    for field, dtype in zip(table.schema, df.dtypes):
        name = _recorded_name(dtype)
        if name is not None:
            field = field.with_metadata({**(field.metadata or {}), PANDAS_DTYPE: name.encode()})
        if isinstance(dtype, pd.CategoricalDtype):  # known categories, for pivot_table
            categories = json.dumps(dtype.categories.tolist(), default=str).encode()
            field = field.with_metadata({**(field.metadata or {}), CATEGORIES: categories})
        fields.append(field)
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))

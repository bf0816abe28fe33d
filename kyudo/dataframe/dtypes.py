"""Translating between pandas dtypes (what users write) and Arrow types (what the
plan carries)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

_NAMED = {
    "str": pa.string(), "string": pa.string(), "object": pa.string(),
    "bool": pa.bool_(), "boolean": pa.bool_(),
    "category": pa.dictionary(pa.int32(), pa.string()),
    "date": pa.date32(),
    "Int8": pa.int8(), "Int16": pa.int16(), "Int32": pa.int32(), "Int64": pa.int64(),
    "UInt8": pa.uint8(), "UInt16": pa.uint16(), "UInt32": pa.uint32(), "UInt64": pa.uint64(),
    "Float32": pa.float32(), "Float64": pa.float64(),
}


def to_arrow_type(dtype) -> pa.DataType:
    """The Arrow type for a pandas/numpy dtype, a Python type, or an Arrow type."""
    if isinstance(dtype, pa.DataType):
        return dtype
    if isinstance(dtype, pd.ArrowDtype):
        return dtype.pyarrow_dtype
    if dtype is str:
        return pa.string()
    if dtype is int:
        return pa.int64()
    if dtype is float:
        return pa.float64()
    if dtype is bool:
        return pa.bool_()
    if isinstance(dtype, pd.StringDtype):
        return pa.string()
    if isinstance(dtype, pd.CategoricalDtype):
        return pa.dictionary(pa.int32(), pa.string())
    if isinstance(dtype, pd.DatetimeTZDtype):
        return pa.timestamp(dtype.unit, tz=str(dtype.tz))
    if isinstance(dtype, str) and dtype in _NAMED:
        return _NAMED[dtype]
    try:
        return pa.from_numpy_dtype(np.dtype(dtype))
    except TypeError as exc:
        raise TypeError(f"cannot convert dtype {dtype!r} to an Arrow type") from exc


def pandas_dtypes(schema: pa.Schema) -> pd.Series:
    """The dtypes pandas would give a table of this schema (as ``df.dtypes``)."""
    from kyudo.dataframe.convert import table_to_pandas
    return table_to_pandas(schema.empty_table(), (), schema).dtypes

"""SQL type names as Arrow types (for CAST and DDL), and back (for DESCRIBE)."""
from __future__ import annotations

import pyarrow as pa
from sqlglot import exp

from kyudo.sql.errors import UnsupportedSQLError

T = exp.DataType.Type

_SIMPLE = {
    T.BOOLEAN: pa.bool_(), T.TINYINT: pa.int8(), T.SMALLINT: pa.int16(), T.INT: pa.int32(),
    T.BIGINT: pa.int64(), T.UTINYINT: pa.uint8(), T.USMALLINT: pa.uint16(), T.UINT: pa.uint32(),
    T.UBIGINT: pa.uint64(), T.FLOAT: pa.float32(), T.DOUBLE: pa.float64(),
    T.VARCHAR: pa.string(), T.CHAR: pa.string(), T.TEXT: pa.string(), T.NCHAR: pa.string(),
    T.NVARCHAR: pa.string(), T.DATE: pa.date32(), T.TIMESTAMP: pa.timestamp("us"),
    T.DATETIME: pa.timestamp("us"), T.TIMESTAMPNTZ: pa.timestamp("us"),
    T.TIMESTAMPTZ: pa.timestamp("us", "UTC"),
    T.TIME: pa.time64("us"), T.BINARY: pa.binary(), T.VARBINARY: pa.binary(),
    T.BLOB: pa.binary(),
}


def arrow_type(node: exp.DataType) -> pa.DataType:
    """The Arrow type of a SQL type; DECIMAL without parameters is DECIMAL(18, 3)
    as in DuckDB."""
    kind = node.this
    if kind in _SIMPLE:
        return _SIMPLE[kind]
    if kind == T.DECIMAL:
        params = [int(p.this.this) if isinstance(p.this, exp.Literal) else int(p.name)
                  for p in node.expressions]
        precision, scale = (params + [18, 3][len(params):])[:2] if params else (18, 3)
        if len(params) == 1:
            scale = 0
        return pa.decimal128(precision, scale)
    raise UnsupportedSQLError(f"SQL type {node.sql()} is not supported")


def sql_type_name(t: pa.DataType) -> str:
    """A SQL spelling of an Arrow type, as DESCRIBE shows it."""
    if pa.types.is_decimal(t):
        return f"DECIMAL({t.precision},{t.scale})"
    for kind, arrow in _SIMPLE.items():
        if arrow == t:
            return kind.value
    if pa.types.is_large_string(t) or pa.types.is_dictionary(t):
        return "VARCHAR"
    if pa.types.is_timestamp(t):
        return "TIMESTAMP" if t.tz is None else "TIMESTAMP WITH TIME ZONE"
    return str(t).upper()

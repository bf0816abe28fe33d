"""What a Scan reads from.

A source is anything with the small protocol below; ``kyudo.io.parquet.ParquetSource``
implements it for Parquet, and :class:`InMemorySource` for Arrow tables handed over
by ``from_pandas``/``from_arrow``. The planner only ever asks a source for metadata
(schema, partition count, row and byte estimates, pruning by statistics); data is
read by ``read_partition`` inside tasks.
"""
from __future__ import annotations

import uuid
from typing import Protocol, Sequence

import pyarrow as pa
import pyarrow.compute as pc
from kyudo.io.row_filter import Predicate, as_expression


class Source(Protocol):
    schema: pa.Schema

    @property
    def npartitions(self) -> int: ...

    def token(self) -> str: ...

    def prune(self, predicate: pc.Expression) -> "Source": ...

    def read_partition(self, index: int, columns: list[str] | None,
                       predicate: Predicate) -> pa.Table: ...


def source_num_rows(source) -> int | None:
    """Row count from metadata, or None when the source does not know it."""
    return getattr(source, "num_rows", None)


def source_nbytes(source) -> int | None:
    """In-memory size estimate from metadata, or None when unknown."""
    parts = getattr(source, "partitions", None)
    if parts is not None and all(getattr(p, "nbytes", None) is not None for p in parts):
        return sum(p.nbytes for p in parts)
    return getattr(source, "nbytes", None)


class InMemorySource:
    """Arrow tables already in memory, one per partition."""

    def __init__(self, tables: Sequence[pa.Table], schema: pa.Schema | None = None,
                 token: str | None = None):
        self.tables = tuple(tables)
        self.schema = schema if schema is not None else self.tables[0].schema
        self._token = token or uuid.uuid4().hex

    @classmethod
    def from_table(cls, table: pa.Table, npartitions: int = 1) -> "InMemorySource":
        npartitions = max(1, min(npartitions, max(table.num_rows, 1)))
        step = -(-table.num_rows // npartitions) if table.num_rows else 0
        tables = [table.slice(i * step, step) for i in range(npartitions)] if step else [table]
        return cls(tables, table.schema)

    @property
    def npartitions(self) -> int:
        return len(self.tables)

    @property
    def num_rows(self) -> int:
        return sum(t.num_rows for t in self.tables)

    @property
    def nbytes(self) -> int:
        return sum(t.nbytes for t in self.tables)

    def token(self) -> str:
        return self._token

    def column_statistics(self, name: str) -> list[tuple]:
        """``(min, max, null_count)`` per partition, as Parquet footers give them.
        The tables are already in memory, so this is as cheap as reading a footer;
        it gives sorted frames made from pandas their divisions."""
        stats = []
        for table in self.tables:
            column = table[name]
            low_high = pc.min_max(column)
            stats.append((low_high["min"].as_py(), low_high["max"].as_py(), column.null_count))
        return stats

    def prune(self, predicate: pc.Expression) -> "InMemorySource":
        return self

    def read_partition(self, index: int, columns: list[str] | None,
                       predicate: Predicate) -> pa.Table:
        table = self.tables[index]
        if predicate is not None:
            table = table.filter(as_expression(predicate))
        if columns is not None:
            table = table.select(columns)
        return table

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InMemorySource) and other._token == self._token

    def __hash__(self) -> int:
        return hash(self._token)

    def __repr__(self) -> str:
        return f"InMemory({self.npartitions} partitions)"

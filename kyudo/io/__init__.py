"""Sources and sinks over fsspec filesystems.

Discovery (files, row groups, schemas, statistics) only reads metadata; data
is read inside tasks, with columns and predicates pushed into the readers.
This package depends on pyarrow and fsspec only, never on the planner.
"""

from .footers import ParquetFileError
from .parquet import ParquetPartition, ParquetSource, discover_parquet
from .schemas import SchemaMismatchError

__all__ = [
    "ParquetFileError",
    "ParquetPartition",
    "ParquetSource",
    "SchemaMismatchError",
    "discover_parquet",
]

"""Sources and sinks over fsspec filesystems.

Discovery (files, row groups, byte-range blocks, schemas, statistics) only
reads metadata and samples; data is read inside tasks, with columns and
predicates pushed into the readers.  Writes are staged and committed whole
(``commit``), one partition per task (``writers``).
This package depends on pyarrow and fsspec only, never on the planner.
"""

from .blocks import BlockReadError
from .commit import StagedWrite
from .csv import CsvBadLineError, CsvSource, CsvValueError, discover_csv
from .footers import ParquetFileError
from .jsonl import JsonSource, discover_json
from .orc import OrcFileError, OrcSource, discover_orc
from .parquet import ParquetPartition, ParquetSource, discover_parquet
from .schemas import SchemaMismatchError
from .text import TextSource, discover_text

__all__ = [
    "BlockReadError",
    "CsvBadLineError",
    "CsvSource",
    "CsvValueError",
    "JsonSource",
    "OrcFileError",
    "OrcSource",
    "ParquetFileError",
    "ParquetPartition",
    "ParquetSource",
    "SchemaMismatchError",
    "StagedWrite",
    "TextSource",
    "discover_csv",
    "discover_json",
    "discover_orc",
    "discover_parquet",
    "discover_text",
]

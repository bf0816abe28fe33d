"""Reading Parquet footers: the only I/O that discovery and planning may do.

A footer holds the schema, the row groups with their row counts and
uncompressed sizes, and per-column min/max statistics.  Reading them (in
parallel, since on object stores each is a round trip) is enough to plan
partitions, prune them, and pick divisions without touching data pages.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Sequence

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

_FORMAT = ds.ParquetFileFormat()
_MAX_THREADS = 32


class ParquetFileError(ValueError):
    """A file could not be read as Parquet (not Parquet, truncated, corrupt)."""


@dataclass(frozen=True)
class Footer:
    """What one file's footer says, plus a fragment that already holds it.

    ``fragment`` covers the whole file with its metadata loaded, so subsets of
    it (partitions, pruned row groups) never read the footer again.
    """

    path: str
    fragment: ds.ParquetFileFragment
    schema: pa.Schema
    _dictionary_fragments: dict = field(default_factory=dict, compare=False, repr=False)
    _leaves: dict = field(default_factory=dict, compare=False, repr=False)

    def leaf(self, name: str) -> int | None:
        """``leaf_index`` of a column, remembered: planning asks it per row group."""
        if name not in self._leaves:
            self._leaves[name] = leaf_index(self.metadata, name)
        return self._leaves[name]

    def dictionary_fragment(self, columns: frozenset[str]) -> ds.ParquetFileFragment:
        """The whole file again, read with ``columns`` as dictionary arrays.

        Made once per set of columns, with the footer read once, so reads of
        its row groups (``subset``) do not parse the footer again."""
        fragment = self._dictionary_fragments.get(columns)
        if fragment is None:
            fragment = _dictionary_format(columns).make_fragment(
                self.path, filesystem=self.fragment.filesystem,
                partition_expression=self.fragment.partition_expression,
            )
            fragment.ensure_complete_metadata()
            self._dictionary_fragments[columns] = fragment
        return fragment

    @property
    def metadata(self) -> pq.FileMetaData:
        return self.fragment.metadata

    def row_group_rows(self, index: int) -> int:
        return self.metadata.row_group(index).num_rows

    def row_group_bytes(self, index: int) -> int:
        """Uncompressed size, the best cheap estimate of the decoded size."""
        return self.metadata.row_group(index).total_byte_size


@lru_cache(maxsize=64)
def _dictionary_format(columns: frozenset[str]) -> ds.ParquetFileFormat:
    return ds.ParquetFileFormat(read_options=ds.ParquetReadOptions(dictionary_columns=sorted(columns)))


def leaf_index(metadata: pq.FileMetaData, name: str) -> int | None:
    """Column-chunk index of a top-level primitive column (None if nested)."""
    for index in range(metadata.num_columns):
        if metadata.schema.column(index).path == name:
            return index
    return None


def read_footer(path: str, arrow_fs, partition_expression: ds.Expression) -> Footer:
    """Read one file's footer; errors name the file."""
    fragment = _FORMAT.make_fragment(
        path, filesystem=arrow_fs, partition_expression=partition_expression
    )
    try:
        fragment.ensure_complete_metadata()
        schema = fragment.physical_schema
    except (pa.ArrowInvalid, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise FileNotFoundError(f"file disappeared during discovery: {path!r}") from error
        raise ParquetFileError(
            f"cannot read Parquet footer of {path!r} "
            f"(not a Parquet file, or truncated/corrupt): {error}"
        ) from error
    return Footer(path=path, fragment=fragment, schema=schema)


def read_footers(
    paths: Sequence[str], arrow_fs, partition_expressions: Sequence[ds.Expression]
) -> list[Footer]:
    """Read many footers concurrently, in the order of ``paths``."""
    if len(paths) <= 1:
        return [read_footer(p, arrow_fs, e) for p, e in zip(paths, partition_expressions)]
    workers = min(_MAX_THREADS, len(paths))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kyudo-footer") as pool:
        return list(
            pool.map(lambda pe: read_footer(pe[0], arrow_fs, pe[1]), zip(paths, partition_expressions))
        )

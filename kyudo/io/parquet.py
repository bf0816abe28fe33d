"""Parquet datasets as lists of partitions, planned from footers alone.

``discover_parquet`` resolves paths, reads every footer once (in parallel) and
cuts the data into partitions: single row groups, or runs of consecutive row
groups of one file up to a byte target.  The resulting ``ParquetSource`` is
what the planner holds: it answers schema, row-count, statistics and pruning
questions without scanning, and ``read_partition`` is the task that finally
reads data, with columns and predicate pushed into pyarrow's reader.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from typing import Any, Sequence

import fsspec
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .filesystem import FileEntry, FileSource, resolve_files, to_arrow_filesystem
from .floats import nan_to_null_columns
from .footers import Footer, read_footer, read_footers
from .hive import parse_hive_values, partition_expression
from .parquet_dictionary import kept_dictionary
from .parquet_read import read_row_groups
from .row_filter import Predicate, RowFilter, as_conjuncts, as_expression
from .schemas import add_partition_columns, unify_file_schemas

__all__ = ["ParquetPartition", "ParquetSource", "discover_parquet"]

DEFAULT_PARTITION_BYTES = 128 * 2**20
_PRUNED_KEPT = 64  # pruned sources remembered per source, one per predicate
_FORMAT = ds.ParquetFileFormat()


@dataclass(frozen=True)
class ParquetPartition:
    """Consecutive row groups of one file, and what the footer says about them."""

    path: str
    row_groups: tuple[int, ...]
    num_rows: int
    nbytes: int
    partition_values: dict[str, Any]


def discover_parquet(
    path_or_paths: str | os.PathLike | Sequence[str | os.PathLike],
    storage_options: dict[str, Any] | None = None,
    filesystem: fsspec.AbstractFileSystem | None = None,
    partitioning: str | None = "hive",
    target_partition_bytes: int = DEFAULT_PARTITION_BYTES,
    filters: list | ds.Expression | None = None,
) -> ParquetSource:
    """Find the files, read their footers and plan partitions; reads no data.

    ``partitioning="hive"`` turns ``key=value`` directories into columns;
    ``None`` ignores them.  ``filters`` (a pyarrow DNF list of tuples or an
    expression) first skips files by their hive values without opening them,
    then row groups by statistics, and is kept on the source so that every
    ``read_partition`` also applies it row by row.
    """
    if partitioning not in ("hive", None):
        raise ValueError(f"partitioning must be 'hive' or None, not {partitioning!r}")
    if target_partition_bytes <= 0:
        raise ValueError("target_partition_bytes must be positive")
    resolved = resolve_files(path_or_paths, storage_options, filesystem)
    files = resolved.files
    if partitioning == "hive":
        hive_schema, values = parse_hive_values(files)
    else:
        hive_schema, values = pa.schema([]), [{} for _ in files]
    predicate = _as_expression(filters)
    arrow_fs = to_arrow_filesystem(resolved.fs)
    expressions = [partition_expression(v, hive_schema) for v in values]

    footers: dict[str, Footer] = {}
    if predicate is not None and len(hive_schema):
        # One footer gives a schema to bind the filter against; the hive values
        # then rule out files before their footers are ever fetched.
        first = read_footer(files[0].path, arrow_fs, expressions[0])
        footers[first.path] = first
        bind_schema = add_partition_columns(first.schema, hive_schema, [(first.path, first.schema)])
        try:
            keep = _files_matching(files, expressions, bind_schema, arrow_fs, predicate)
        except pa.ArrowInvalid:
            # The filter names a column the first file lacks; prune() below
            # still narrows by hive values once the full schema is known.
            keep = {f.path for f in files}
    else:
        keep = {f.path for f in files}
    chosen = [i for i, f in enumerate(files) if f.path in keep or f.path in footers]
    todo = [i for i in chosen if files[i].path not in footers]
    for footer in read_footers(
        [files[i].path for i in todo], arrow_fs, [expressions[i] for i in todo]
    ):
        footers[footer.path] = footer

    named_schemas = [(files[i].path, footers[files[i].path].schema) for i in chosen]
    schema = add_partition_columns(unify_file_schemas(named_schemas), hive_schema, named_schemas)
    kept = [i for i in chosen if files[i].path in keep]
    source = ParquetSource(
        fs=resolved.fs,
        files=tuple(files[i] for i in kept),
        file_values=tuple(values[i] for i in kept),
        hive_schema=hive_schema,
        schema=schema,
        partitions=(),
        filter=_with_columns(predicate, filters),
        target_partition_bytes=target_partition_bytes,
    )
    source._footers.update(footers)
    source = source._with_partitions(
        tuple(p for i in kept for p in source._split_file(footers[files[i].path], values[i]))
    )
    return source if predicate is None else source.prune(predicate)


class ParquetSource(FileSource):
    """A Parquet dataset cut into partitions, described from footers only.

    Immutable: ``prune`` returns a new source.  It pickles without its footer
    cache (workers re-read only the footer of the file they scan), and equality
    and hashing go through ``token()``, so plans holding it compare cheaply.
    """

    # read_partition can leave dictionary-encoded string columns encoded
    keeps_dictionaries = True
    # read_partition can read NaN as NULL (nan_as_null), cheaper than a pass after
    reads_nan_as_null = True

    def __init__(
        self,
        fs: fsspec.AbstractFileSystem,
        files: tuple[FileEntry, ...],
        file_values: tuple[dict[str, Any], ...],
        hive_schema: pa.Schema,
        schema: pa.Schema,
        partitions: tuple[ParquetPartition, ...],
        filter: ds.Expression | None,
        target_partition_bytes: int,
    ):
        self._fs = fs
        self._files = files
        self._file_values = file_values
        self._hive_schema = hive_schema
        self.schema = schema
        self.partitions = partitions
        self.filter = filter
        self.target_partition_bytes = target_partition_bytes
        self._footers: dict[str, Footer] = {}
        self._pruned: dict[bytes, ParquetSource] = {}  # see prune
        self._statistics: dict[str, list] = {}  # see column_statistics
        self._row_group_statistics: dict[str, list] = {}  # see row_group_statistics
        self._token: str | None = None

    # -- what the planner asks -------------------------------------------------

    @property
    def npartitions(self) -> int:
        return len(self.partitions)

    @property
    def num_rows(self) -> int:
        """Rows in the kept row groups, before any row-wise filter."""
        return sum(p.num_rows for p in self.partitions)

    def column_statistics(self, name: str) -> list[tuple[Any, Any, int] | None]:
        """``(min, max, null_count)`` per partition, ``None`` where unknown.

        A partition whose rows are all NULL in the column gives
        ``(None, None, num_rows)``.  Values are converted to the column's type
        in ``schema`` (so files written as int32 report int64 if unified so).

        Folded once per column (the source is immutable): the optimizer's
        estimates ask for the same columns many times per plan, and folding
        reads every row group's footer entry (SF10's lineitem: 528).
        """
        found = self._statistics.get(name)
        if found is None:
            found = self._statistics[name] = self._fold_statistics(name)
        return list(found)

    def _fold_statistics(self, name: str) -> list[tuple[Any, Any, int] | None]:
        field = self.schema.field(name)
        if name in self._hive_schema.names:
            return [_constant_statistics(p.partition_values[name], p.num_rows) for p in self.partitions]
        self._load_footers({p.path for p in self.partitions})
        return [
            _partition_statistics(self._footer(p.path), p.row_groups, name, field.type)
            for p in self.partitions
        ]

    def row_group_statistics(self, name: str) -> list[tuple[Any, Any, int] | None]:
        """``(min, max, null_count)`` of every kept row group, partition by
        partition in order, ``None`` where unknown (as ``column_statistics``).

        What the planner needs to prune row groups itself
        (``kyudo.planner.row_group_pruning``); folded once per column."""
        found = self._row_group_statistics.get(name)
        if found is None:
            self._load_footers({p.path for p in self.partitions})
            found = self._row_group_statistics[name] = _row_group_statistics(
                [(self._footer(p.path), rg, p.partition_values) for p in self.partitions for rg in p.row_groups],
                name, self.schema.field(name).type, name in self._hive_schema.names,
            )
        return list(found)

    def keep_row_groups(self, keep: Sequence[bool]) -> ParquetSource:
        """The source with only the row groups whose flag is true, in the order
        of ``row_group_statistics``; a partition left without any vanishes."""
        flags = iter(keep)
        surviving: dict[str, set[int]] = {}
        for part in self.partitions:
            kept = surviving.setdefault(part.path, set())
            kept.update(rg for rg in part.row_groups if next(flags))
        return self._restricted(self.partitions, surviving)

    def prune(self, predicate: ds.Expression) -> ParquetSource:
        """Keep only row groups whose hive values or min/max MAY satisfy ``predicate``.

        Files are first ruled out by hive values alone; the rest are narrowed
        by row-group statistics.  Partitions left without row groups vanish;
        none of this reads data pages.

        pyarrow tests every row group against every conjunct (about 15 us each:
        30 ms for a five-term filter over SF10's lineitem), so each file is
        tested once, on the fragment its footer keeps (which also keeps the
        row-group statistics it converted), and the result is remembered for
        the predicate: planning the same query again prunes nothing again.
        """
        predicate = _as_expression(predicate)
        cache_key = pickle.dumps(predicate)
        cached = self._pruned.get(cache_key)
        if cached is not None:
            return cached
        keep = (
            _files_matching(
                self._files, self._partition_expressions(), self.schema, self._arrow_fs(), predicate
            )
            if len(self._hive_schema)
            else set(self.paths)
        )
        candidates = [p for p in self.partitions if p.path in keep]
        self._load_footers({p.path for p in candidates})
        surviving = {}
        for path in dict.fromkeys(p.path for p in candidates):
            tested = self._footers[path].fragment.subset(filter=predicate, schema=self.schema)
            surviving[path] = {rg.id for rg in tested.row_groups}
        result = self._restricted(candidates, surviving)
        if len(self._pruned) >= _PRUNED_KEPT:
            self._pruned.pop(next(iter(self._pruned)))
        self._pruned[cache_key] = result
        return result

    def _restricted(self, candidates, surviving: dict[str, set[int]]) -> ParquetSource:
        """``candidates`` narrowed to the row groups in ``surviving`` (per path)."""
        values = dict(zip(self.paths, self._file_values))
        pruned = []
        for part in candidates:
            row_groups = tuple(rg for rg in part.row_groups if rg in surviving[part.path])
            if row_groups == part.row_groups:
                pruned.append(part)
            elif row_groups:
                pruned.append(_make_partition(self._footers[part.path], row_groups, values[part.path]))
        kept_files = {p.path for p in pruned}
        result = ParquetSource(
            fs=self._fs,
            files=tuple(f for f in self._files if f.path in kept_files),
            file_values=tuple(values[f.path] for f in self._files if f.path in kept_files),
            hive_schema=self._hive_schema,
            schema=self.schema,
            partitions=tuple(pruned),
            filter=self.filter,
            target_partition_bytes=self.target_partition_bytes,
        )
        result._footers = self._footers
        return result

    def read_partition(
        self,
        i: int,
        columns: Sequence[str] | None = None,
        predicate: Predicate = None,
        keep_dictionaries: frozenset = frozenset(),
        nan_as_null: frozenset = frozenset(),
    ) -> pa.Table:
        """Read partition ``i``: only ``columns`` (in that order), rows matching.

        The predicate (and the source's own ``filter``) is applied to the rows
        read (``parquet_read``); columns missing from this file come back as
        NULLs.  Dictionary-encoded string columns are read as dictionaries,
        filtered on them and decoded last (``parquet_dictionary``).  The
        result has exactly the requested columns with the types of
        ``schema``, even when no row matches, except that a string column of
        ``keep_dictionaries`` may come back as a dictionary of strings (a
        group-by key that needs no decoded rows: see ``keeps_dictionaries``).

        Float columns of ``nan_as_null`` come back with NULL where the file
        has NaN.  ``predicate`` may see them either way, so the caller asks
        only where that keeps the same rows (``kyudo.planner.reader_nan_to_null``);
        the source's own ``filter`` (pyarrow's semantics) sees the NaN.
        """
        part = self.partitions[i]
        names = list(self.schema.names if columns is None else columns)
        unknown = [c for c in names if c not in self.schema.names]
        if unknown:
            raise KeyError(f"columns not in the Parquet schema: {unknown}; have {self.schema.names}")
        footer = self._footer(part.path)
        own = as_conjuncts(self.filter)
        conjuncts = own + as_conjuncts(predicate)
        # columns the source's own filter reads are turned to NULL after it, not while decoded
        after_filter = nan_as_null.intersection(self.schema.names if any(c.columns is None for c in own)
                                                else set().union(*(c.columns for c in own)))
        table = read_row_groups(footer, part.row_groups, self.schema, names, conjuncts, keep_dictionaries,
                                nan_as_null - after_filter)
        table = nan_to_null_columns(table, after_filter)
        target = pa.schema([self._output_field(table, c, keep_dictionaries, nan_as_null) for c in names])
        return table if table.schema.equals(target) else table.select(names).cast(target)

    def _output_field(self, table: pa.Table, name: str, keep_dictionaries, nan_as_null) -> pa.Field:
        """The field ``name`` is read as: the source's, or the dictionary the
        reader kept; nullable where NaN is read as NULL (a REQUIRED float
        column may store NaN)."""
        field = self.schema.field(name)
        if name in keep_dictionaries:
            field = kept_dictionary(table.schema.field(name), field)
        return field.with_nullable(True) if name in nan_as_null else field

    def token(self) -> str:
        """A deterministic name for exactly this dataset and its partitions."""
        if self._token is None:
            self._token = "parquet-" + self._digest(
                str(self.schema),
                [(p.path, p.row_groups) for p in self.partitions],
                None if self.filter is None else pickle.dumps(as_expression(self.filter)),
            )
        return self._token

    # -- plumbing ----------------------------------------------------------------

    def __repr__(self) -> str:
        # Short on purpose: explain() prints it once per scan; the columns read
        # are shown by the scan itself.
        return (f"Parquet({self._location()}: {len(self._files)} files, {self.npartitions} partitions, "
                f"{self.num_rows} rows)")

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_footers"] = {}
        state["_pruned"] = {}
        state["_statistics"] = {}
        state["_row_group_statistics"] = {}
        return state

    def _with_partitions(self, partitions: tuple[ParquetPartition, ...]) -> ParquetSource:
        clone = ParquetSource.__new__(ParquetSource)
        clone.__dict__.update(self.__dict__, partitions=partitions, _token=None, _pruned={},
                              _statistics={}, _row_group_statistics={})
        return clone

    def _split_file(self, footer: Footer, values: dict[str, Any]) -> list[ParquetPartition]:
        """Group consecutive non-empty row groups up to the byte target."""
        groups: list[list[int]] = []
        size = 0
        for rg in range(footer.metadata.num_row_groups):
            if footer.row_group_rows(rg) == 0:
                continue
            nbytes = footer.row_group_bytes(rg)
            if groups and size + nbytes <= self.target_partition_bytes:
                groups[-1].append(rg)
                size += nbytes
            else:
                groups.append([rg])
                size = nbytes
        return [_make_partition(footer, tuple(g), values) for g in groups]

    def _arrow_fs(self):
        return to_arrow_filesystem(self._fs)

    def _partition_expressions(self) -> list[ds.Expression]:
        return [partition_expression(v, self._hive_schema) for v in self._file_values]

    def _footer(self, path: str) -> Footer:
        if path not in self._footers:
            self._load_footers({path})
        return self._footers[path]

    def _load_footers(self, paths: set[str]) -> None:
        missing = [
            (f.path, partition_expression(v, self._hive_schema))
            for f, v in zip(self._files, self._file_values)
            if f.path in paths and f.path not in self._footers
        ]
        if missing:
            loaded = read_footers([m[0] for m in missing], self._arrow_fs(), [m[1] for m in missing])
            self._footers.update((f.path, f) for f in loaded)


def _make_partition(footer: Footer, row_groups: tuple[int, ...], values: dict[str, Any]) -> ParquetPartition:
    return ParquetPartition(
        path=footer.path,
        row_groups=row_groups,
        num_rows=sum(footer.row_group_rows(rg) for rg in row_groups),
        nbytes=sum(footer.row_group_bytes(rg) for rg in row_groups),
        partition_values=dict(values),
    )


def _files_matching(files, expressions, schema, arrow_fs, predicate) -> set[str]:
    """Paths whose hive values may satisfy ``predicate``; opens no file."""
    dataset = ds.FileSystemDataset.from_paths(
        [f.path for f in files],
        schema=schema,
        format=_FORMAT,
        filesystem=arrow_fs,
        partitions=list(expressions),
    )
    return {fragment.path for fragment in dataset.get_fragments(filter=predicate)}


def _as_expression(filters) -> ds.Expression | None:
    if filters is None or isinstance(filters, (ds.Expression, RowFilter)):
        return as_expression(filters)
    return pq.filters_to_expression(filters)


def _with_columns(predicate: ds.Expression | None, filters) -> Predicate:
    """The source's own filter, with the columns it reads when ``filters`` was a
    DNF list (which names them): the reader then treats it like a pushed
    filter, without asking pyarrow to project every batch to the dataset's
    schema for columns it cannot know."""
    if predicate is None or isinstance(filters, ds.Expression):
        return predicate
    terms = [t for group in filters for t in (group if isinstance(group, list) else [group])]
    names = [t[0] for t in terms if isinstance(t, tuple) and t]
    if len(names) != len(terms) or not all(isinstance(n, str) for n in names):
        return predicate
    return RowFilter(((predicate, frozenset(names)),))


def _constant_statistics(value: Any, num_rows: int) -> tuple[Any, Any, int]:
    return (None, None, num_rows) if value is None else (value, value, 0)


def _partition_statistics(footer: Footer, row_groups, name: str, type_: pa.DataType):
    """Fold row-group statistics of one top-level column into one triple."""
    if name not in footer.schema.names:
        rows = sum(footer.row_group_rows(rg) for rg in row_groups)
        return (None, None, rows)
    column = footer.leaf(name)
    if column is None:
        return None
    lows, highs, nulls = [], [], 0
    for rg in row_groups:
        meta = footer.metadata.row_group(rg)
        stats = meta.column(column).statistics
        if stats is None or not stats.has_null_count:
            return None
        nulls += stats.null_count
        if stats.has_min_max:
            lows.append(stats.min)
            highs.append(stats.max)
        elif stats.null_count < meta.num_rows:
            return None
    if not lows:
        return (None, None, nulls)
    low, high = _to_type([min(lows), max(highs)], type_)
    return (low, high, nulls)


def _row_group_statistics(row_groups, name: str, type_: pa.DataType, hive: bool) -> list:
    """Per-row-group triples as ``_partition_statistics`` gives them, with one
    conversion of all the values to ``type_`` instead of one per row group."""
    triples: list = []
    for footer, rg, values in row_groups:
        rows = footer.row_group_rows(rg)
        if hive:
            triples.append(_constant_statistics(values[name], rows))
            continue
        if name not in footer.schema.names:  # a column this file lacks: all NULL
            triples.append((None, None, rows))
            continue
        column = footer.leaf(name)
        stats = footer.metadata.row_group(rg).column(column).statistics if column is not None else None
        if stats is None or not stats.has_null_count:
            triples.append(None)
        elif stats.has_min_max:
            triples.append([stats.min, stats.max, stats.null_count])
        else:
            triples.append((None, None, stats.null_count) if stats.null_count == rows else None)
    bounded = [t for t in triples if isinstance(t, list)]
    converted = _to_type([v for t in bounded for v in t[:2]], type_)
    for t, low, high in zip(bounded, converted[0::2], converted[1::2]):
        t[0], t[1] = low, high
    return [tuple(t) if isinstance(t, list) else t for t in triples]


def _to_type(values: list, type_: pa.DataType) -> list:
    """Statistics values as Python values of ``type_``. Built in that type when
    they fit it: inferring first turned nanosecond timestamps into
    microseconds, truncating a maximum below the rows it bounds."""
    for convert in (lambda: pa.array(values, type=type_), lambda: pa.array(values).cast(type_)):
        try:
            return convert().to_pylist()
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
            continue
    return values

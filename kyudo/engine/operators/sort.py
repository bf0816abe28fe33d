"""Sorting on several keys, each with its own direction and NULL placement, and the
pieces of a range-partitioned sort: boundaries from samples, splitting a table by
those boundaries, and merging sorted runs."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kyudo.engine.operators.partition import split_by_index


@dataclass(frozen=True, slots=True)
class SortKey:
    """One sort key: a column, its direction and where its NULLs go."""

    column: str
    ascending: bool = True
    nulls_first: bool = False


def _order(columns: list[pa.ChunkedArray], keys: list[SortKey]) -> tuple[pa.Table, list[tuple[str, str]]]:
    """Columns and pyarrow sort keys that realise ``keys`` exactly.

    pyarrow places NULLs (and NaNs) by one global option, so each key is expanded
    into a NULL indicator (which carries this key's own placement), for floats a
    NaN indicator (NaN sorts above every number, so first when descending, like
    DuckDB), then the value itself."""
    helpers: dict[str, pa.ChunkedArray] = {}
    order: list[tuple[str, str]] = []
    for i, (column, key) in enumerate(zip(columns, keys)):
        if pa.types.is_dictionary(column.type):  # pyarrow cannot sort tables by dictionary columns
            column = column.cast(column.type.value_type)
        direction = "ascending" if key.ascending else "descending"
        helpers[f"n{i}"] = pc.is_null(column)
        order.append((f"n{i}", "descending" if key.nulls_first else "ascending"))
        if pa.types.is_floating(column.type):
            helpers[f"f{i}"] = pc.fill_null(pc.is_nan(column), False)
            order.append((f"f{i}", direction))
        helpers[f"v{i}"] = column
        order.append((f"v{i}", direction))
    return pa.table(helpers), order


def _sort_indices(columns: list[pa.ChunkedArray], keys: list[SortKey]) -> pa.Array:
    """Stable permutation ordering the rows of ``columns`` by ``keys``."""
    helpers, order = _order(columns, keys)
    return pc.sort_indices(helpers, sort_keys=order)


def sort_table(table: pa.Table, keys: list[SortKey]) -> pa.Table:
    """Stable sort on several keys, each with its own direction and NULL placement."""
    if not keys:
        return table
    return table.take(_sort_indices([table[k.column] for k in keys], keys))


def _key_columns(keys: list[SortKey]) -> list[str]:
    return list(dict.fromkeys(k.column for k in keys))


def sample_for_boundaries(table: pa.Table, keys: list[SortKey], n: int) -> pa.Table:
    """Up to ``n`` rows of the key columns, evenly spread over the partition (evenly
    rather than at random so runs are reproducible and already sorted input is
    sampled across its whole range)."""
    columns = table.select(_key_columns(keys))
    if table.num_rows <= n:
        return columns
    positions = np.unique(np.linspace(0, table.num_rows - 1, n).round().astype(np.int64))
    return columns.take(pa.array(positions))


def boundaries_from_samples(samples: list[pa.Table], keys: list[SortKey], npartitions: int) -> list[tuple]:
    """Exactly ``npartitions - 1`` split points (one value per sort key) at equal
    quantiles of the pooled samples, so callers can rely on the partition count.
    Repeated points are kept: they just leave a partition empty. Without samples
    (all input empty) every point is all-NULL, which splits nothing wrongly."""
    if npartitions <= 1:
        return []
    pooled = pa.concat_tables(samples, promote_options="permissive") if samples else None
    if pooled is None or pooled.num_rows == 0:
        return [(None,) * len(keys)] * (npartitions - 1)
    ordered = sort_table(pooled, keys)
    positions = [i * pooled.num_rows // npartitions for i in range(1, npartitions)]
    picked = ordered.take(pa.array(positions, type=pa.int64()))
    return list(zip(*(picked[k.column].to_pylist() for k in keys)))


def range_partition(table: pa.Table, keys: list[SortKey], boundaries: list[tuple]) -> list[pa.Table]:
    """Split into ``len(boundaries) + 1`` tables: row r goes to partition i when
    ``boundaries[i-1] <= key(r) < boundaries[i]`` in the order ``keys`` define.

    The boundaries are sorted together with the rows by the same kernel that
    ``sort_table`` uses (boundaries first, so a stable sort puts each one before
    the rows equal to it); a row's partition is then the number of boundaries
    before it. This keeps range partitioning and sorting in exact agreement on
    NULLs, NaNs and directions."""
    if not boundaries:
        return [table]
    bound = len(boundaries)
    columns = []
    for i, key in enumerate(keys):
        data = table[key.column]
        points = pa.array([b[i] for b in boundaries], type=data.type)
        columns.append(pa.chunked_array([points, *data.chunks], type=data.type))
    perm = _sort_indices(columns, keys).to_numpy()
    is_bound = perm < bound
    before = np.cumsum(is_bound)
    index = np.empty(table.num_rows, dtype=np.int64)
    index[perm[~is_bound] - bound] = before[~is_bound]
    return split_by_index(table, index, bound + 1)


def merge_sorted(tables: list[pa.Table], keys: list[SortKey]) -> pa.Table:
    """Merge sorted runs given in order. Implemented as concatenate + stable sort:
    simple and exactly equal to a k-way merge that prefers earlier runs on ties;
    pyarrow's sort is fast enough that a Python-level heap merge would not win."""
    return sort_table(pa.concat_tables(tables, promote_options="permissive"), keys)


def top_k(table: pa.Table, keys: list[SortKey], k: int) -> pa.Table:
    """First ``k`` rows of the stable sort (head after sort_values), found with a
    partial selection instead of a full sort: the row number as last key makes all
    rows distinct, so the unstable selection picks exactly the stable answer.
    Applying it to each partition and again to the concatenation in partition
    order gives the same rows as on the whole table."""
    if k >= table.num_rows or not keys:
        return sort_table(table, keys).slice(0, k)
    helpers, order = _order([table[key.column] for key in keys], keys)
    helpers = helpers.append_column("row", pa.array(np.arange(table.num_rows, dtype=np.int64)))
    picked = pc.select_k_unstable(helpers, k=k, sort_keys=[*order, ("row", "ascending")])
    return table.take(picked)

"""Window functions over one partition that already holds whole window groups
(the planner shuffles on the PARTITION BY keys first).

``compute_window(table, partition_by, order_by, functions) -> pa.Table`` returns
``table`` with one extra column per :class:`WindowFunction`, in order, rows in the
input order.

How: one stable sort brings every window group together, ordered by
``order_by`` (ties keep input order, so ``row_number`` among peers follows the
input). In that sorted order each row gets the bounds of its group and of its
peer group (rows with equal ORDER BY values, NULLs equal to each other and NaN
to NaN, as in DuckDB) as plain numpy arrays, and every function is arithmetic
on those bounds: ranks from the bounds, lag/lead and first/last/nth_value as
source row numbers (one ``take``), and aggregates over a frame from a segment
tree compiled with numba (every frame is summed as a balanced tree, so no
prefix-sum difference loses small values next to large ones, and inf/NaN stay
where they belong). Results are scattered back to input order.

NULL handling follows SQL: aggregates skip NULLs (a frame without values gives
NULL, ``count`` gives 0); first/last/nth_value and lag/lead return NULL values
as they are; lag/lead give ``default`` only past the group's edge.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kyudo.engine.operators.sort import SortKey, sort_table


@dataclass(frozen=True, slots=True)
class WindowFrame:
    """ROWS or RANGE frame; ``start``/``end`` are offsets relative to the current
    row (negative = preceding), ``None`` = unbounded on that side.

    In a RANGE frame 0 is CURRENT ROW including its peers (the first peer for
    ``start``, the last for ``end``), and other offsets are distances in ORDER
    BY values (``RANGE 5 PRECEDING``: rows whose value is at most 5 before the
    current one, in the sort direction), which needs exactly one numeric or
    temporal ORDER BY key (for dates, times and timestamps the offset counts the
    type's stored unit: days for date32, the unit of a timestamp or time); for a
    row whose key is NULL (or NaN) such a bound stops at its peers, as in
    PostgreSQL and DuckDB."""

    kind: str = "range"  # "rows" or "range"
    start: int | None = None
    end: int | None = 0


@dataclass(frozen=True, slots=True)
class WindowFunction:
    """One output column of a window.

    func:    row_number, rank, dense_rank, percent_rank, cume_dist, ntile, lag,
             lead, first_value, last_value, nth_value, or an aggregate (sum, mean,
             count, size, min, max, std, var, prod) evaluated over ``frame``
    column:  input column (None for row_number/rank/... and count(*))
    options: (name, value) pairs: ``offset`` (lag/lead, default 1) and ``default``
             (lag/lead, the value past the group's edge, default NULL); ``n``
             (ntile: number of buckets; nth_value: 1-based position in the
             frame); ``ddof`` (std/var, default 1); ``min_count`` (sum: fewer
             non-NULL values in the frame than this give NULL; default 1 as in
             SQL, where AggSpec's default is pandas' 0); ``ignore_nulls``
             (lag/lead/first_value/last_value/nth_value: count only rows with
             a value, SQL IGNORE NULLS; default False)
    frame:   the frame for aggregates and first/last/nth_value; SQL's default is
             RANGE UNBOUNDED PRECEDING to CURRENT ROW with an ORDER BY, the whole
             partition without one (without ORDER BY every row is a peer, so the
             default frame is the same ``WindowFrame()`` in both cases)
    """

    output: str
    func: str
    column: str | None = None
    options: tuple[tuple[str, Any], ...] = ()
    frame: WindowFrame | None = None

    def option(self, name: str, default: Any = None) -> Any:
        for key, value in self.options:
            if key == name:
                return value
        return default


_ROW = "__kyudo_row"


# ---- layout: groups and peers in sorted order -------------------------------------

def _plain(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """One contiguous array with dictionaries decoded."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array


def _equality_codes(column) -> np.ndarray:
    """Equal int64 codes for values that window grouping treats as equal: NULL
    with NULL, every NaN with every NaN, -0.0 with 0.0."""
    array = _plain(column)
    if pa.types.is_floating(array.type):
        array = pc.add(array, pa.scalar(0.0, array.type))  # -0.0 + 0.0 is 0.0
        array = pc.if_else(pc.is_nan(array), pa.scalar(float("nan"), array.type), array)
    if pa.types.is_null(array.type):
        return np.zeros(len(array), np.int64)
    encoded = pc.dictionary_encode(array, null_encoding="encode")
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)


def _row_codes(table: pa.Table, columns: list[str]) -> np.ndarray:
    """One int64 code per row, equal exactly when all ``columns`` are equal."""
    if not columns:
        return np.zeros(table.num_rows, np.int64)
    codes = _equality_codes(table[columns[0]])  # dense already: a dictionary's indices
    for name in columns[1:]:
        column = _equality_codes(table[name])
        combined = codes * (int(column.max(initial=0)) + 1) + column
        codes = np.unique(combined, return_inverse=True)[1].astype(np.int64).reshape(-1)
    return codes


def _bounds(new_group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start (inclusive) and end (exclusive) of each row's run, given where runs start."""
    n = len(new_group)
    starts = np.flatnonzero(new_group)
    run = np.cumsum(new_group) - 1
    return starts[run], np.append(starts[1:], n)[run]


@dataclass(frozen=True)
class _Layout:
    """Rows in window order: ``perm[i]`` is the input row at sorted position i;
    the other arrays give, per sorted position, the bounds of its group (part)
    and of its peers (equal ORDER BY values within the group)."""

    perm: np.ndarray
    part_start: np.ndarray
    part_end: np.ndarray
    peer_start: np.ndarray
    peer_end: np.ndarray
    order_by: tuple[SortKey, ...]
    table: pa.Table

    @property
    def position(self) -> np.ndarray:
        return np.arange(len(self.perm), dtype=np.int64)


def _layout(table: pa.Table, partition_by: list[str], order_by: list[SortKey]) -> _Layout:
    n = table.num_rows
    group = _row_codes(table, partition_by)
    helper = {"g": pa.array(group), _ROW: pa.array(np.arange(n, dtype=np.int64))}
    keys = [SortKey("g")]
    for i, key in enumerate(order_by):
        helper[f"o{i}"] = table[key.column]
        keys.append(SortKey(f"o{i}", key.ascending, key.nulls_first))
    perm = sort_table(pa.table(helper), keys)[_ROW].to_numpy()
    group = group[perm]
    peers = _row_codes(table, [k.column for k in order_by])[perm]
    first = np.arange(n) == 0
    new_part = first.copy()
    new_part[1:] |= group[1:] != group[:-1]
    new_peer = new_part.copy()
    new_peer[1:] |= peers[1:] != peers[:-1]
    return _Layout(perm, *_bounds(new_part), *_bounds(new_peer), tuple(order_by), table)


def _frame(layout: _Layout, frame: WindowFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """Inclusive frame bounds per sorted position; ``start > end`` is an empty frame."""
    frame = frame or WindowFrame()
    last = layout.part_end - 1
    if frame.kind == "rows":
        pos = layout.position
        start = layout.part_start if frame.start is None else np.maximum(pos + frame.start, layout.part_start)
        end = last if frame.end is None else np.minimum(pos + frame.end, last)
        return start, end
    if frame.kind != "range":
        raise ValueError(f"unknown window frame kind {frame.kind!r}")
    if frame.start not in (None, 0) or frame.end not in (None, 0):
        return _range_offsets(layout, frame)
    start = layout.part_start if frame.start is None else layout.peer_start
    end = last if frame.end is None else layout.peer_end - 1
    return start, end


@numba.njit(cache=True, nogil=True)
def _value_bounds(key, exact, lo, hi, offset, fallback, right):  # pragma: no cover - compiled
    """Per row, the first (``right`` False) or last (True) sorted position of its
    partition's exact-key run ``key[lo:hi]`` (ascending) whose key is within
    ``key + offset``; ``fallback`` (the peer bound) where the key is not exact."""
    out = np.empty(key.shape[0], np.int64)
    for i in range(key.shape[0]):
        if not exact[i]:
            out[i] = fallback[i]
        elif right:
            out[i] = lo[i] + np.searchsorted(key[lo[i]:hi[i]], key[i] + offset, side="right") - 1
        else:
            out[i] = lo[i] + np.searchsorted(key[lo[i]:hi[i]], key[i] + offset, side="left")
    return out


def _searchable_keys(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray, int]:
    """ORDER BY keys as numbers that compare exactly, which rows have a key (not
    NULL, not NaN), and the factor that brings a frame offset to the keys' unit.

    Integers (and dates and times, already viewed as integers) stay int64 and
    decimals become their unscaled int64 values, so ``key + offset`` is exact:
    through float64, ``-1.55 - 1`` would miss ``-2.55``. Only floats, and decimals
    too wide for int64, are searched as float64.
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    if pa.types.is_integer(column.type):
        return pc.fill_null(column, 0).cast(pa.int64()).to_numpy(zero_copy_only=False), valid, 1
    if pa.types.is_decimal(column.type) and column.type.precision <= 18:
        scale = column.type.scale
        column = column.cast(pa.decimal128(18, scale))
        # a decimal128 is a little-endian 128-bit integer; at precision <= 18 its
        # low 64-bit word is the whole unscaled value
        words = np.frombuffer(column.buffers()[1], dtype=np.int64).reshape(-1, 2)
        ints = words[column.offset:column.offset + len(column), 0].copy()
        ints[~valid] = 0
        return ints, valid, 10 ** scale
    values = pc.fill_null(column.cast(pa.float64()), np.nan).to_numpy(zero_copy_only=False)
    return values, valid & ~np.isnan(values), 1


def _scaled(offset, unit: int):
    """A frame offset in the keys' unit: an int where that is exact."""
    value = offset * unit
    return int(value) if float(value).is_integer() else float(value)


def _range_offsets(layout: _Layout, frame: WindowFrame) -> tuple[np.ndarray, np.ndarray]:
    """RANGE bounds at a distance in ORDER BY values, by binary search in each
    partition's run of non-NULL, non-NaN keys (contiguous: the sort puts NULLs
    and NaNs at one end). Keys are negated for a descending order, so
    "preceding" is always "smaller" in the searched array."""
    if len(layout.order_by) != 1:
        raise ValueError("RANGE frames with offsets need exactly one ORDER BY key")
    key = layout.order_by[0]
    column = _plain(layout.table[key.column])
    if pa.types.is_temporal(column.type) and not pa.types.is_interval(column.type):
        column = column.view(pa.int32() if column.type.bit_width == 32 else pa.int64())
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
            or pa.types.is_decimal(column.type)):
        raise TypeError(f"RANGE frames with offsets need a numeric or temporal ORDER BY key, not {column.type}")
    values, exact, unit = _searchable_keys(column)
    values, exact = values[layout.perm], exact[layout.perm]
    values = values if key.ascending else -values
    pos, n = layout.position, len(values)
    starts = np.unique(layout.part_start)
    first = np.minimum.reduceat(np.where(exact, pos, n), starts) if n else starts
    after = np.maximum.reduceat(np.where(exact, pos + 1, 0), starts) if n else starts
    part = np.searchsorted(starts, layout.part_start)
    lo, hi = first[part], after[part]
    if frame.start is None:
        start = layout.part_start
    else:
        start = _value_bounds(values, exact, lo, hi, _scaled(frame.start, unit), layout.peer_start, False)
    if frame.end is None:
        end = layout.part_end - 1
    else:
        end = _value_bounds(values, exact, lo, hi, _scaled(frame.end, unit), layout.peer_end - 1, True)
    return start, end


# ---- ranking -------------------------------------------------------------------------

def _ntile(layout: _Layout, buckets: int) -> np.ndarray:
    """Bucket numbers 1..buckets; bucket sizes differ by at most one, the larger
    ones first (SQL's NTILE)."""
    if buckets is None or buckets < 1:
        raise ValueError("ntile needs a positive number of buckets (option 'n')")
    size = layout.part_end - layout.part_start
    k = layout.position - layout.part_start
    small, extra = size // buckets, size % buckets
    big_rows = extra * (small + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        later = extra + (k - big_rows) // np.maximum(small, 1)
    return np.where(k < big_rows, k // (small + 1), later) + 1


def _ranking(layout: _Layout, fn: WindowFunction) -> np.ndarray:
    pos, start = layout.position, layout.part_start
    size = layout.part_end - start
    rank = layout.peer_start - start + 1
    if fn.func == "row_number":
        values = pos - start + 1
    elif fn.func == "rank":
        values = rank
    elif fn.func == "dense_rank":
        new_peer = (layout.peer_start == pos).astype(np.int64)
        seen = np.cumsum(new_peer)
        values = seen - seen[start] + 1
    elif fn.func == "percent_rank":
        values = np.where(size > 1, (rank - 1) / np.maximum(size - 1, 1), 0.0)
    elif fn.func == "cume_dist":
        values = (layout.peer_end - start) / size
    else:
        values = _ntile(layout, fn.option("n"))
    return values


# ---- values from other rows ------------------------------------------------------------

def _source_row(layout: _Layout, fn: WindowFunction, candidate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted position whose value each row takes, and whether it exists.

    Every function picks the k-th of the ``candidate`` positions (all rows, or
    only those with a value for IGNORE NULLS) counted from a bound, so both
    cases are one computation on ``before[i]`` = candidates before position i."""
    n = len(candidate)
    before = np.concatenate([[0], np.cumsum(candidate)])
    where = np.append(np.flatnonzero(candidate), n)  # n: past the end, never valid
    pos, func, offset = layout.position, fn.func, fn.option("offset", 1)
    if func in ("lag", "lead") and offset < 0:  # lag by -k is lead by k
        func, offset = ("lead" if func == "lag" else "lag"), -offset
    if func in ("lag", "lead") and offset == 0:
        return pos, np.ones(n, bool)
    if func == "lag":
        k = before[pos] - offset
        source = where[np.maximum(k, 0)]
        return source, (k >= 0) & (source >= layout.part_start)
    if func == "lead":
        source = where[np.minimum(before[pos + 1] + offset - 1, len(where) - 1)]
        return source, source < layout.part_end
    start, end = _frame(layout, fn.frame)
    start, end = np.minimum(start, n), np.maximum(end, -1)
    if func == "last_value":
        k = before[end + 1] - 1
        source = where[np.maximum(k, 0)]
        return source, (k >= 0) & (source >= start)
    nth = 1 if func == "first_value" else fn.option("n")
    if nth is None or nth < 1:
        raise ValueError("nth_value needs a 1-based position (option 'n')")
    source = where[np.minimum(before[start] + nth - 1, len(where) - 1)]
    return source, source <= end


def _from_rows(layout: _Layout, fn: WindowFunction, column) -> pa.Array:
    """Values taken from other rows, in input order (one ``take`` of the input)."""
    array = _plain(column)
    if fn.option("ignore_nulls", False):
        candidate = pc.is_valid(array).to_numpy(zero_copy_only=False)[layout.perm]
    else:
        candidate = np.ones(len(layout.perm), bool)
    source, exists = _source_row(layout, fn, candidate)
    rows = layout.perm[np.where(exists, source, 0)] if len(source) else source
    taken = array.take(pa.array(_scatter(layout, rows), mask=~_scatter(layout, exists)))
    default = fn.option("default")
    if fn.func in ("lag", "lead") and default is not None:
        fill = default if isinstance(default, pa.Scalar) else pa.scalar(default)
        taken = pc.if_else(pa.array(_scatter(layout, exists)), taken, fill.cast(taken.type))
    return taken


# ---- aggregates over frames -------------------------------------------------------------

_SUM, _MIN, _MAX, _PROD = 0, 1, 2, 3


@numba.njit(cache=True, nogil=True)
def _frame_reduce(values, start, end, op, identity):  # pragma: no cover - compiled
    """out[i] = reduction (sum, min, max or product) of values[start[i]..end[i]] over a
    segment tree; ``identity`` for an empty frame."""
    n = values.shape[0]
    size = 1
    while size < n:
        size *= 2
    tree = np.full(2 * size, identity, dtype=values.dtype)
    tree[size:size + n] = values
    for i in range(size - 1, 0, -1):
        a, b = tree[2 * i], tree[2 * i + 1]
        tree[i] = a + b if op == 0 else (min(a, b) if op == 1 else (max(a, b) if op == 2 else a * b))
    out = np.empty(n, dtype=values.dtype)
    for i in range(n):
        acc = identity
        lo, hi = start[i] + size, end[i] + 1 + size
        while lo < hi:
            if lo & 1:
                v = tree[lo]
                acc = acc + v if op == 0 else (min(acc, v) if op == 1 else (max(acc, v) if op == 2 else acc * v))
                lo += 1
            if hi & 1:
                hi -= 1
                v = tree[hi]
                acc = acc + v if op == 0 else (min(acc, v) if op == 1 else (max(acc, v) if op == 2 else acc * v))
            lo //= 2
            hi //= 2
        out[i] = acc
    return out


@numba.njit(cache=True, nogil=True)
def _merge(n1, m1, s1, n2, m2, s2):  # pragma: no cover - compiled
    """Chan et al.: merge (count, mean, M2) of two disjoint sets."""
    n = n1 + n2
    if n == 0:
        return 0.0, 0.0, 0.0
    delta = m2 - m1
    mean = m1 + delta * n2 / n if n2 > 0 else m1
    return n, mean, s1 + s2 + (delta * delta * n1 * n2 / n if n1 > 0 and n2 > 0 else 0.0)


@numba.njit(cache=True, nogil=True)
def _frame_moments(values, valid, start, end):  # pragma: no cover - compiled
    """(count, M2) of the valid values in each frame, from a segment tree of
    (count, mean, M2) triples: variance without cancelling sums of squares."""
    n = values.shape[0]
    size = 1
    while size < n:
        size *= 2
    cnt, mean, m2 = np.zeros(2 * size), np.zeros(2 * size), np.zeros(2 * size)
    for i in range(n):
        if valid[i]:
            cnt[size + i], mean[size + i] = 1.0, values[i]
    for i in range(size - 1, 0, -1):
        cnt[i], mean[i], m2[i] = _merge(cnt[2 * i], mean[2 * i], m2[2 * i],
                                        cnt[2 * i + 1], mean[2 * i + 1], m2[2 * i + 1])
    out_n, out_m2 = np.zeros(n), np.zeros(n)
    for i in range(n):
        c, m, s = 0.0, 0.0, 0.0
        lo, hi = start[i] + size, end[i] + 1 + size
        while lo < hi:
            if lo & 1:
                c, m, s = _merge(c, m, s, cnt[lo], mean[lo], m2[lo])
                lo += 1
            if hi & 1:
                hi -= 1
                c, m, s = _merge(c, m, s, cnt[hi], mean[hi], m2[hi])
            lo //= 2
            hi //= 2
        out_n[i], out_m2[i] = c, s
    return out_n, out_m2


@numba.njit(cache=True, nogil=True, inline="always")
def _add128(alo, ahi, blo, bhi):  # pragma: no cover - compiled
    """128-bit two's complement addition on (low uint64, high int64) words."""
    lo = alo + blo
    return lo, ahi + bhi + (np.int64(1) if lo < alo else np.int64(0))


@numba.njit(cache=True, nogil=True)
def _frame_sum128(lo, hi, start, end):  # pragma: no cover - compiled
    """Exact sums of decimal128 unscaled values (as low and high words) over
    each frame, in a segment tree like :func:`_frame_reduce`."""
    n = lo.shape[0]
    size = 1
    while size < n:
        size *= 2
    tlo, thi = np.zeros(2 * size, np.uint64), np.zeros(2 * size, np.int64)
    tlo[size:size + n], thi[size:size + n] = lo, hi
    for i in range(size - 1, 0, -1):
        tlo[i], thi[i] = _add128(tlo[2 * i], thi[2 * i], tlo[2 * i + 1], thi[2 * i + 1])
    out_lo, out_hi = np.zeros(n, np.uint64), np.zeros(n, np.int64)
    for i in range(n):
        acc_lo, acc_hi = np.uint64(0), np.int64(0)
        a, b = start[i] + size, end[i] + 1 + size
        while a < b:
            if a & 1:
                acc_lo, acc_hi = _add128(acc_lo, acc_hi, tlo[a], thi[a])
                a += 1
            if b & 1:
                b -= 1
                acc_lo, acc_hi = _add128(acc_lo, acc_hi, tlo[b], thi[b])
            a //= 2
            b //= 2
        out_lo[i], out_hi[i] = acc_lo, acc_hi
    return out_lo, out_hi


def _decimal_aggregate(fn: WindowFunction, array: pa.Array, valid: np.ndarray, start, end,
                       count: np.ndarray) -> pa.Array:
    """sum (exact, decimal128(38, scale)) or mean (float64) of decimals: the
    16-byte values are summed as 128-bit integers, whatever their precision."""
    kind = array.type
    if not pa.types.is_decimal128(kind):
        array = array.cast(pa.decimal128(min(kind.precision, 38), kind.scale))
    words = np.frombuffer(array.buffers()[1], np.int64)[2 * array.offset: 2 * (array.offset + len(array))]
    lo = np.where(valid, words[0::2], 0).view(np.uint64)  # NULL slots hold anything
    hi = np.where(valid, words[1::2], 0)
    total_lo, total_hi = _frame_sum128(lo, hi, start, end)
    ok = count >= fn.option("min_count", 1) if fn.func == "sum" else count > 0
    validity = None if ok.all() else pa.array(ok).buffers()[1]
    data = pa.py_buffer(np.column_stack([total_lo.view(np.int64), total_hi]).ravel())
    sums = pa.Array.from_buffers(pa.decimal128(38, kind.scale), len(ok), [validity, data])
    if fn.func == "sum":
        return sums
    return pc.divide(sums.cast(pa.float64()), pa.array(count, pa.float64()))  # Arrow converts exactly


def _summable(array: pa.Array) -> tuple[np.ndarray, Any]:
    """Values for the sum tree (NULLs as 0) and how to turn sums back into Arrow."""
    kind = array.type
    if pa.types.is_floating(kind):
        values = pc.fill_null(array.cast(pa.float64()), 0.0).to_numpy(zero_copy_only=False)
        return values, lambda s, ok: pa.array(s, mask=~ok)
    if pa.types.is_duration(kind):
        values = pc.fill_null(array.view(pa.int64()), 0).to_numpy(zero_copy_only=False)
        return values, lambda s, ok: pa.array(s, mask=~ok).view(kind)
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        values = pc.fill_null(array.cast(pa.int64(), safe=False), 0).to_numpy(zero_copy_only=False)
        out = pa.uint64() if pa.types.is_unsigned_integer(kind) else pa.int64()
        return values, lambda s, ok: pa.array(s, mask=~ok).view(out)
    raise TypeError(f"cannot sum a column of type {kind} in a window")


def _extreme(array: pa.Array, valid: np.ndarray, start, end, op: int) -> pa.Array:
    """min/max for any orderable type: reduce dense rank codes, take the values."""
    if pa.types.is_null(array.type):
        return array
    codes = pc.rank(array, sort_keys="ascending", tiebreaker="dense").to_numpy().astype(np.int64)
    sentinel = np.iinfo(np.int64).max if op == _MIN else -1
    codes = np.where(valid, codes, sentinel)
    best = _frame_reduce(codes, start, end, op, sentinel)
    holder = np.zeros(len(codes) + 1, np.int64)  # dense ranks are 1..n
    holder[np.where(valid, codes, 0)] = np.arange(len(codes))
    found = best != sentinel
    return array.take(pa.array(holder[np.where(found, best, 0)], mask=~found))


def _aggregate(layout: _Layout, fn: WindowFunction, column) -> pa.Array:
    start, end = _frame(layout, fn.frame)
    empty = start > end
    start, end = np.where(empty, 0, start), np.where(empty, -1, end)  # keep the tree in range
    if fn.func == "size" or column is None:  # count(*) counts rows, like size
        return pa.array(end - start + 1, pa.int64())
    array = _plain(column).take(pa.array(layout.perm, pa.int64()))
    valid = pc.is_valid(array).to_numpy(zero_copy_only=False)
    count = _frame_reduce(valid.astype(np.int64), start, end, _SUM, 0)
    if fn.func == "count":
        return pa.array(count, pa.int64())
    some = count > 0
    if fn.func in ("min", "max"):
        return _extreme(array, valid, start, end, _MIN if fn.func == "min" else _MAX)
    if fn.func in ("std", "var"):
        values = pc.fill_null(array.cast(pa.float64()), 0.0).to_numpy(zero_copy_only=False)
        total, m2 = _frame_moments(values, valid, start, end)
        dof = total - float(fn.option("ddof", 1))
        with np.errstate(divide="ignore", invalid="ignore"):
            variance = np.maximum(m2 / dof, 0.0)
        result = np.sqrt(variance) if fn.func == "std" else variance
        return pa.array(result, mask=~(dof > 0))
    if fn.func == "prod":  # pandas' cumprod: missing values count as 1, ints stay int64
        integral = pa.types.is_integer(array.type) or pa.types.is_boolean(array.type)
        kind = pa.int64() if integral else pa.float64()
        values = pc.fill_null(array.cast(kind), 1).to_numpy(zero_copy_only=False)
        products = _frame_reduce(values, start, end, _PROD, values.dtype.type(1))
        return pa.array(products, kind, mask=~(count >= fn.option("min_count", 0)))
    if pa.types.is_decimal(array.type):  # what is left: sum and mean
        return _decimal_aggregate(fn, array, valid, start, end, count)
    values, to_arrow = _summable(array)
    sums = _frame_reduce(values, start, end, _SUM, values.dtype.type(0))
    if fn.func == "sum":
        return to_arrow(sums, count >= fn.option("min_count", 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return pa.array(sums.astype(np.float64) / count, mask=~some)


# ---- entry point ---------------------------------------------------------------------

_RANKING = ("row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile")
_FROM_ROWS = ("lag", "lead", "first_value", "last_value", "nth_value")
_AGGREGATES = ("sum", "mean", "count", "size", "min", "max", "std", "var", "prod")


def _scatter(layout: _Layout, values: np.ndarray) -> np.ndarray:
    """A per-sorted-position numpy result, in input row order."""
    out = np.empty_like(values)
    out[layout.perm] = values
    return out


def compute_window(table: pa.Table, partition_by: list[str], order_by: list[SortKey],
                   functions: list[WindowFunction]) -> pa.Table:
    """``table`` (rows in input order) plus one column per function, in order."""
    layout = _layout(table, list(partition_by), list(order_by))
    inverse = None
    for fn in functions:
        column = table[fn.column] if fn.column is not None else None
        if fn.func in _RANKING:
            values = pa.array(_scatter(layout, _ranking(layout, fn)))
        elif fn.func in _FROM_ROWS:
            values = _from_rows(layout, fn, column)
        elif fn.func in _AGGREGATES:
            if inverse is None:
                inverse = pa.array(_scatter(layout, layout.position))
            values = _aggregate(layout, fn, column).take(inverse)
        else:
            raise ValueError(f"unknown window function {fn.func!r}")
        table = table.append_column(fn.output, values)
    return table

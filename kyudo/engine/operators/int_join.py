"""Equi-join of integer keys by a compiled hash table, with the output order built in.

Most join keys are integers (ids, dates, timestamps). Acero's general hash join
costs several times what a table specialised for one int64 key does, and its
output order is not defined, so :mod:`kyudo.engine.operators.join` had to sort
the pairs afterwards. This module builds an open-addressing table over one side's
keys in which the rows of each key form a chain in ascending row order; probing
the other side row by row then yields the pairs already in the documented order
(probe rows ascending, ties in build-row order), and the per-row match counts
give left/semi/anti results and the unmatched rows of an outer join for free.
When the build keys span few values (a foreign key's referenced ids, a filtered
dimension), the table is an array indexed by ``key - low`` instead: no hashing,
no key compare, one load per probe row.

Keys arrive as int64 values plus a validity mask. A NULL key matches nothing,
except NULL on the other side when ``null_equal`` (pandas ``merge``).
Several integer keys are packed into one int64 when their value ranges allow
(:func:`pack_keys`); otherwise the caller uses another method.
"""
from __future__ import annotations

import numba
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_EMPTY = -1
# A hash table up to this size is kept sparse (see _build).
_SPARSE_TABLE_BYTES = 1 << 20


@numba.njit(cache=True, nogil=True)
def _slot(key, mask):  # pragma: no cover - compiled
    """Start slot of ``key``: a multiply-xorshift mix of its bits (ids are often
    consecutive, which a plain modulus would cluster)."""
    h = np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)
    h ^= h >> np.uint64(32)
    return np.int64(h & np.uint64(mask))


@numba.njit(cache=True, nogil=True)
def _build(keys, valid, low, span):  # pragma: no cover - compiled
    """Table over ``keys`` and ``chain`` (next row with the same key, ascending;
    NULL rows chain from ``null_head``). With ``span`` >= 0 the table is direct
    addressed: ``slots[key - low, 0]`` is the first row of ``key``. Otherwise it
    is a hash table, ``slots[s] = (key, first row of that key)`` (one cache line
    per probe). Either way the last column holds the first row."""
    n = keys.shape[0]
    direct = span >= 0
    # At most half full; a table small enough for the L2 cache at most an
    # eighth: a probe that misses then mostly stops at its first slot, a
    # branch the CPU predicts (Q17 probes 120M lines into 2 thousand parts).
    capacity = 16
    while capacity < 2 * n or (capacity < 8 * n and capacity * 16 < _SPARSE_TABLE_BYTES):
        capacity *= 2
    mask = capacity - 1
    slots = np.full((span, 1) if direct else (capacity, 2), _EMPTY, np.int64)
    first = slots.shape[1] - 1
    chain = np.full(n, _EMPTY, np.int64)
    null_head = _EMPTY
    # Walk backwards and push onto each chain's head, so chains ascend.
    for row in range(n - 1, -1, -1):
        if not valid[row]:
            chain[row] = null_head
            null_head = row
            continue
        key = keys[row]
        if direct:
            slot = key - low
        else:
            slot = _slot(key, mask)
            while slots[slot, 1] != _EMPTY and slots[slot, 0] != key:
                slot = (slot + 1) & mask
            slots[slot, 0] = key
        chain[row] = slots[slot, first]
        slots[slot, first] = row
    return slots, chain, null_head


# A build side whose keys span at most this many values per row, or at most
# _DIRECT_SPAN_MIN values in all, gets a direct-addressed table: one int64 per
# value in the span. Per build row that is no more memory than the hash table's
# two int64 over at least twice as many slots, and a span of _DIRECT_SPAN_MIN
# (2 MB) still fits the L2 cache.
_DIRECT_SPAN_PER_ROW = 4
_DIRECT_SPAN_MIN = 1 << 18


@numba.njit(cache=True, nogil=True)
def _key_range(keys, valid):  # pragma: no cover - compiled
    """Smallest and largest non-NULL key; (0, -1) when there is none."""
    low, high, seen = 0, -1, False
    for i in range(keys.shape[0]):
        if valid[i]:
            key = keys[i]
            if not seen:
                low, high, seen = key, key, True
            elif key < low:
                low = key
            elif key > high:
                high = key
    return low, high


def build_table(keys: tuple[np.ndarray, np.ndarray]) -> tuple:
    """``(slots, chain, null_head, low, present)`` over ``(int64 values, valid)``
    keys: a direct-addressed table from ``low`` when the keys span few values,
    else the hash table, with ``present`` a bitmap of the keys from ``low`` when
    their span allows (else empty). Built once, it can be passed as
    ``right_table`` to many joins."""
    keys, valid = keys
    low, high = _key_range(keys, valid)
    span = int(high) - int(low) + 1  # Python ints: the span of int64 keys can exceed int64
    if span <= max(_DIRECT_SPAN_PER_ROW * len(keys), _DIRECT_SPAN_MIN):
        return (*_build(keys, valid, low, span), low, _NO_BITMAP)
    fits = span <= _BITMAP_SPAN_MAX and int(low) + span + 64 <= np.iinfo(np.int64).max
    present = _key_bitmap(keys, valid, low, span) if fits else _NO_BITMAP
    return (*_build(keys, valid, 0, -1), low, present)


# The keys of a hash table spanning at most this many values also get a bitmap
# (at most 4 MB): Q9's 108 thousand green parts span 2 million keys, the table
# is 4 MB of random accesses, and 95% of lineitem's 60 million probes miss. The
# bitmap answers those from 250 KB: 1.25M probes 19 ms -> 6 ms.
_BITMAP_SPAN_MAX = 1 << 25
_NO_BITMAP = np.zeros(0, np.int64)


@numba.njit(cache=True, nogil=True)
def _key_bitmap(keys, valid, low, span):  # pragma: no cover - compiled
    bits = np.zeros((span + 63) // 64, np.int64)  # int64 words: numba mixes no signedness
    for i in range(keys.shape[0]):
        if valid[i]:
            offset = keys[i] - low
            bits[offset >> 6] |= np.int64(1) << (offset & 63)
    return bits


@numba.njit(cache=True, nogil=True)
def _lookup(key, is_valid, slots, null_head, null_equal, low):  # pragma: no cover - compiled
    """The first build row holding ``key`` (-1 for none); a NULL key finds the
    NULL rows only when ``null_equal``. A one-column ``slots`` is direct-addressed
    from ``low``."""
    if not is_valid:
        return null_head if null_equal else _EMPTY
    if slots.shape[1] == 1:
        # Compared with the largest key, not by subtracting: no int64 overflow.
        if key < low or key > low + (slots.shape[0] - 1):
            return _EMPTY
        return slots[key - low, 0]
    mask = slots.shape[0] - 1
    slot = _slot(key, mask)
    while slots[slot, 1] != _EMPTY:
        if slots[slot, 0] == key:
            return slots[slot, 1]
        slot = (slot + 1) & mask
    return _EMPTY


@numba.njit(cache=True, nogil=True)
def _absent(key, low, present):  # pragma: no cover - compiled
    """Whether the ``present`` bitmap (from ``low``; empty: none) rules a
    non-NULL ``key`` out. The probe loops check it before :func:`_lookup`:
    inside it, the branch, though never taken for a direct-addressed table,
    made numba's probes of one 8x slower."""
    if present.shape[0] == 0:
        return False
    if key < low or key > low + (present.shape[0] * 64 - 1):
        return True
    offset = key - low
    return not (present[offset >> 6] >> (offset & 63)) & 1


@numba.njit(cache=True, nogil=True)
def _probe(keys, valid, slots, chain, null_head, null_equal, low, present):  # pragma: no cover - compiled
    """Per probe row its first matching build row (-1 for none); also how many
    pairs match in all and how many probe rows match nothing, which size the
    output of :func:`_pairs` (no per-row count array to write and read back)."""
    n = keys.shape[0]
    first = np.empty(n, np.int64)
    matches = 0
    unmatched = 0
    for i in range(n):
        row = _EMPTY if valid[i] and _absent(keys[i], low, present) else _lookup(
            keys[i], valid[i], slots, null_head, null_equal, low)
        first[i] = row
        if row == _EMPTY:
            unmatched += 1
        while row != _EMPTY:
            matches += 1
            row = chain[row]
    return first, matches, unmatched


@numba.njit(cache=True, nogil=True)
def _all_empty(chain):  # pragma: no cover - compiled
    """Whether no build row chains to another: every build key is distinct."""
    for row in range(chain.shape[0]):
        if chain[row] != _EMPTY:
            return False
    return True


@numba.njit(cache=True, nogil=True)
def _unique_pairs(keys, valid, slots, null_head, null_equal, low, present, keep_unmatched, build_n):  # pragma: no cover
    """:func:`_probe` and :func:`_pairs` in one pass, when every build key is
    distinct (a primary key): a probe row has at most one pair.  Each row's pair
    is written unconditionally and kept by advancing the cursor, so a join that
    keeps a fifth of its rows does not mispredict a branch per row; 7.3 ms ->
    4.4 ms for 1.25M lineitems against 20K suppliers.  ``build_n`` > 0 also
    flags the build rows that matched (for outer joins)."""
    n = keys.shape[0]
    probe_rows = np.empty(n, np.int64)
    build_rows = np.empty(n, np.int64)
    matched = np.zeros(build_n, np.bool_)
    out = 0
    for i in range(n):
        row = _EMPTY if valid[i] and _absent(keys[i], low, present) else _lookup(
            keys[i], valid[i], slots, null_head, null_equal, low)
        probe_rows[out] = i
        build_rows[out] = row
        if row != _EMPTY:
            out += 1
            if build_n:
                matched[row] = True
        elif keep_unmatched:
            out += 1
    return probe_rows[:out], build_rows[:out], matched


@numba.njit(cache=True, nogil=True)
def _pairs(first, chain, total, keep_unmatched, build_n):  # pragma: no cover - compiled
    """The ``total`` probe and build row numbers of every match in probe order,
    ties in build order; with ``keep_unmatched`` a probe row without matches gives
    one pair whose build row is -1. Also flags which build rows matched."""
    probe_rows = np.empty(total, np.int64)
    build_rows = np.empty(total, np.int64)
    matched = np.zeros(build_n, np.bool_)
    out = 0
    for i in range(first.shape[0]):
        row = first[i]
        if row == _EMPTY:
            if keep_unmatched:
                probe_rows[out] = i
                build_rows[out] = _EMPTY
                out += 1
            continue
        while row != _EMPTY:
            probe_rows[out] = i
            build_rows[out] = row
            matched[row] = True
            out += 1
            row = chain[row]
    return probe_rows, build_rows, matched


@numba.njit(cache=True, nogil=True)
def _probe_into_left(keys, valid, slots, chain, null_head, null_equal, low, present, left_n):  # pragma: no cover
    """Probe a table built over the *left* keys with the right rows. Returns the
    matches per left row, the first match of each right row (for
    :func:`_pairs_by_left`) and whether each right row matched."""
    counts = np.zeros(left_n, np.int64)
    first = np.full(keys.shape[0], _EMPTY, np.int64)
    right_matched = np.zeros(keys.shape[0], np.bool_)
    for j in range(keys.shape[0]):
        row = _EMPTY if valid[j] and _absent(keys[j], low, present) else _lookup(
            keys[j], valid[j], slots, null_head, null_equal, low)
        first[j] = row
        right_matched[j] = row != _EMPTY
        while row != _EMPTY:
            counts[row] += 1
            row = chain[row]
    return counts, first, right_matched


@numba.njit(cache=True, nogil=True)
def _pairs_by_left(counts, first, chain, keep_unmatched):  # pragma: no cover - compiled
    """The pairs of a table built over the left keys, placed straight into left-row
    order (a counting sort: right rows are visited ascending, so ties stay in
    right order); an unmatched left row gives one pair with right row -1 when
    ``keep_unmatched``."""
    n = counts.shape[0]
    starts = np.empty(n + 1, np.int64)
    starts[0] = 0
    for i in range(n):
        width = counts[i] if counts[i] > 0 or not keep_unmatched else 1
        starts[i + 1] = starts[i] + width
    total = starts[n]
    probe_rows = np.empty(total, np.int64)
    build_rows = np.full(total, _EMPTY, np.int64)
    fill = starts[:n].copy()
    for i in range(n):
        if counts[i] == 0 and keep_unmatched:
            probe_rows[fill[i]] = i
    for j in range(first.shape[0]):
        row = first[j]
        while row != _EMPTY:
            probe_rows[fill[row]] = row
            build_rows[fill[row]] = j
            fill[row] += 1
            row = chain[row]
    return probe_rows, build_rows


@numba.njit(cache=True, nogil=True)
def _gallop(values, low, high, key):  # pragma: no cover - compiled
    """The first index in ``values[low:high]`` (ascending) holding at least
    ``key``, or ``high``: steps of 1, 2, 4, ... then a binary search, so a
    short skip costs a compare or two and a long one its logarithm."""
    if low >= high or values[low] >= key:
        return low
    below, step = low, 1
    while low + step < high and values[low + step] < key:
        below = low + step
        step *= 2
    top = min(low + step, high)
    first = below + 1
    while first < top:
        middle = (first + top) >> 1
        if values[middle] < key:
            first = middle + 1
        else:
            top = middle
    return first


@numba.njit(cache=True, nogil=True, inline="always")
def _write_matches(row, first, end, fill, lrows, rrows, right_matched, total):  # pragma: no cover
    """Pair left ``row`` with right rows ``first`` to ``end`` (written when
    ``fill``, else only counted); the new number of pairs."""
    for other in range(first, end):
        if fill:
            lrows[total] = row
            rrows[total] = other
            right_matched[other] = True
        total += 1
    return total


@numba.njit(cache=True, nogil=True)
def _merge_walk(left, right, how_code, fill, lrows, rrows, right_matched):  # pragma: no cover
    """One merge pass over two ascending key arrays; writes the pairs when
    ``fill`` (else only counts them) and returns how many there are."""
    n, m = left.shape[0], right.shape[0]
    total = 0
    i = 0
    j = 0
    while i < n:
        key = left[i]
        while j < m and right[j] < key:
            j += 1
        end = j
        while end < m and right[end] == key:
            end += 1
        run_end = i
        while run_end < n and left[run_end] == key:
            run_end += 1
        for row in range(i, run_end):
            if end > j and how_code == 3:
                continue
            if end > j and how_code != 2:
                total = _write_matches(row, j, end, fill, lrows, rrows, right_matched, total)
                continue
            matched_semi = end > j and how_code == 2
            unmatched_kept = end == j and (how_code == 1 or how_code == 3)
            if matched_semi or unmatched_kept:
                if fill:
                    lrows[total] = row
                    rrows[total] = _EMPTY
                total += 1
        i = run_end
    return total


@numba.njit(cache=True, nogil=True)
def _walk_by_right(left, right, semi, fill, lrows, rrows, right_matched):  # pragma: no cover
    """:func:`_merge_walk` of an inner or semi join whose right side has far
    fewer rows: each run of equal right keys finds its left run by
    :func:`_gallop`, so the left rows between are never looked at (a lineitem
    partition semi-joined to the few orders of a selective other side)."""
    n, m = left.shape[0], right.shape[0]
    total, i, j = 0, 0, 0
    while j < m:
        key = right[j]
        end = j + 1
        while end < m and right[end] == key:
            end += 1
        i = _gallop(left, i, n, key)
        run_end = i
        while run_end < n and left[run_end] == key:
            run_end += 1
        for row in range(i, run_end):
            if semi:
                if fill:
                    lrows[total] = row
                    rrows[total] = _EMPTY
                total += 1
                continue
            total = _write_matches(row, j, end, fill, lrows, rrows, right_matched, total)
        i = run_end
        j = end
    return total


# A left side this many times longer than the right is walked by the right's
# keys (:func:`_walk_by_right`). A dense merge (every key of one side found in
# the other: lineitem against its orders, 4 lines an order) is 10-20% slower
# with the skipping written into its loop, so the skipping walk is separate.
_SPARSE_RIGHT = 8


@numba.njit(cache=True, nogil=True)
def _merge_pairs(left, right, how_code):  # pragma: no cover - compiled
    """Pairs of two ascending key arrays without NULLs, by a merge (count, then
    fill): sequential memory access, where a hash table misses the cache on
    every row. ``how_code``: 0 inner, 1 left, 2 semi, 3 anti. Returns left
    rows, right rows (-1 where unmatched) and which right rows matched."""
    none = np.empty(0, np.int64)
    right_matched = np.zeros(right.shape[0], np.bool_)
    by_right = (how_code == 0 or how_code == 2) and left.shape[0] > _SPARSE_RIGHT * right.shape[0]
    if by_right:
        total = _walk_by_right(left, right, how_code == 2, False, none, none, right_matched)
    else:
        total = _merge_walk(left, right, how_code, False, none, none, right_matched)
    lrows = np.empty(total, np.int64)
    rrows = np.empty(total, np.int64)
    if by_right:
        _walk_by_right(left, right, how_code == 2, True, lrows, rrows, right_matched)
    else:
        _merge_walk(left, right, how_code, True, lrows, rrows, right_matched)
    return lrows, rrows, right_matched


def _ascending(values: np.ndarray, valid: np.ndarray) -> bool:
    """Whether a key column is sorted ascending with no NULLs (cheap to check; both
    sides of a shuffled join on a key the data is stored sorted by are)."""
    return bool(valid.all()) and (len(values) < 2 or bool((values[1:] >= values[:-1]).all()))


_MERGE_HOWS = {"inner": 0, "left": 1, "semi": 2, "anti": 3}


def int_keys(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """``column`` as int64 values and a validity mask, or None when its type is not
    integer-like (integers, booleans, dates, times, timestamps, durations) or a
    value does not fit int64."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        return None
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_temporal(kind):
        column = column.view(pa.int32() if kind.bit_width == 32 else pa.int64())
    elif not (pa.types.is_integer(kind) or pa.types.is_boolean(kind)):
        return None
    valid = (np.ones(len(column), np.bool_) if not column.null_count
             else pc.is_valid(column).to_numpy(zero_copy_only=False))
    if column.type != pa.int64():
        try:
            column = column.cast(pa.int64())
        except pa.ArrowInvalid:  # uint64 beyond int64
            return None
    if column.null_count:
        column = pc.fill_null(column, 0)
    return column.to_numpy(zero_copy_only=False), valid


def pack_keys(left: list, right: list, null_equal: bool) -> tuple[tuple, tuple] | None:
    """One int64 key per side from several ``(values, valid)`` keys, by mixed-radix
    packing over the value ranges both sides share; None when the ranges do not
    fit in 62 bits. A NULL is one more digit value when ``null_equal`` (so NULL
    matches NULL key by key); otherwise a row with any NULL key is NULL."""
    if len(left) == 1:
        return left[0], right[0]
    offsets, radices = [], []
    for (lv, lm), (rv, rm) in zip(left, right):
        # All-valid columns (the usual case) are scanned in place, not copied.
        present = [v if m.all() else v[m] for v, m in ((lv, lm), (rv, rm)) if len(v) and m.any()]
        low = min((int(p.min()) for p in present), default=0)
        high = max((int(p.max()) for p in present), default=0)
        offsets.append(low)
        radices.append(high - low + 1 + (1 if null_equal else 0))
    if float(np.prod([float(r) for r in radices])) >= 2.0**62:
        return None
    packed = []
    for side in (left, right):
        total = np.zeros(len(side[0][0]), np.int64)
        valid = np.ones(len(side[0][0]), np.bool_)
        for (values, mask), low, radix in zip(side, offsets, radices):
            total *= radix
            if mask.all():
                total += values
                total -= low
                continue
            total += np.where(mask, values - low, radix - 1)  # radix - 1: NULL's digit
            if not null_equal:
                valid &= mask
        packed.append((total, valid))
    return packed[0], packed[1]


def int_join_pairs(left: tuple, right: tuple, how: str, null_equal: bool,
                   right_table: tuple | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Row-number pairs of ``left`` and ``right`` (each ``(int64 values, valid)``)
    in the documented order; -1 marks the missing side of an outer row. semi and
    anti give left rows only (second item None). ``how``: inner, left, right,
    outer, semi, anti. ``right_table`` is :func:`build_table` of ``right``,
    built before (a broadcast side): the right side is then always the one
    probed into."""
    if how == "right":
        r, l = int_join_pairs(right, left, "left", null_equal)
        return l, r
    if right_table is None:
        if how in _MERGE_HOWS and _ascending(*left) and _ascending(*right):
            lrows, rrows, _ = _merge_pairs(left[0], right[0], _MERGE_HOWS[how])
            return (lrows, None) if how in ("semi", "anti") else (lrows, rrows)
        if len(left[0]) < len(right[0]) // 2:
            return _built_on_left(left, right, how, null_equal)
        right_table = build_table(right)
    slots, chain, null_head, low, present = right_table
    if how in ("inner", "left", "outer", "full") and _all_empty(chain):
        lrows, rrows, matched = _unique_pairs(*left, slots, null_head, null_equal, low, present, how != "inner",
                                              len(right[0]) if how in ("outer", "full") else 0)
        if how in ("outer", "full"):
            lrows, rrows = _append_unmatched_right(lrows, rrows, matched)
        return lrows, rrows
    first, matches, unmatched = _probe(*left, slots, chain, null_head, null_equal, low, present)
    if how == "semi":
        return np.flatnonzero(first != _EMPTY), None
    if how == "anti":
        return np.flatnonzero(first == _EMPTY), None
    keep = how in ("left", "outer", "full")
    total = matches + unmatched if keep else matches
    lrows, rrows, matched = _pairs(first, chain, total, keep, len(right[0]))
    if how in ("outer", "full"):
        lrows, rrows = _append_unmatched_right(lrows, rrows, matched)
    return lrows, rrows


def _built_on_left(left: tuple, right: tuple, how: str, null_equal: bool):
    """:func:`int_join_pairs` with the hash table over the smaller left side (a
    table of the big side costs a cache miss per row), same pairs, same order."""
    slots, chain, null_head, low, present = build_table(left)
    counts, first, right_matched = _probe_into_left(*right, slots, chain, null_head, null_equal, low, present,
                                                    len(left[0]))
    if how == "semi":
        return np.flatnonzero(counts), None
    if how == "anti":
        return np.flatnonzero(counts == 0), None
    lrows, rrows = _pairs_by_left(counts, first, chain, how in ("left", "outer", "full"))
    if how in ("outer", "full"):
        lrows, rrows = _append_unmatched_right(lrows, rrows, right_matched)
    return lrows, rrows


def _append_unmatched_right(lrows: np.ndarray, rrows: np.ndarray, matched: np.ndarray):
    """Outer join: the right rows no pair used follow, in right order."""
    only_right = np.flatnonzero(~matched)
    return (np.concatenate([lrows, np.full(len(only_right), -1, np.int64)]),
            np.concatenate([rrows, only_right]))

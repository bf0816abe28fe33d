"""Hash join of two tables on Arrow's (Acero's) hash join.

Acero reorders rows, coalesces or renames key columns depending on the join type,
and cannot make NULL keys equal. So the payload never goes through it: Acero joins
only the key columns plus row numbers, and the output is built with one ``take``
per side in a defined order. Keys go to Acero as they are (cast to one common
type, floats normalised by :func:`comparable`) whenever Acero's own equality is
the one wanted; only NULL-equal keys that hold NULLs, and key types Acero cannot
hash, are first encoded to integer codes over the union of both sides' values
(one ``dictionary_encode``, which gives NULL a code of its own). Encoding both
sides costs more than the join itself, so it is the exception. The order:

* inner, left, outer, semi, anti, cross: left row order, ties in right row order;
  outer's unmatched right rows follow, in right row order;
* right: right row order, ties in left row order; unmatched left rows never occur.

Output columns are all left columns then all right columns (semi/anti: left only),
both key columns kept; callers make the names distinct.

A residual condition is checked on the candidate pairs (inner matches on the
keys, or all pairs when there are none), a bounded number of pairs at a time;
the surviving pairs then define "matched" for the outer, semi and anti results.
A null-aware anti join (SQL ``NOT IN``) splits rows by which keys are NULL, so
NULL keys, which match anything there, still never reach Acero.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kyudo.engine.operators import shared_work
from kyudo.engine.operators.int_join import build_table, int_join_pairs, int_keys, pack_keys
from kyudo.engine.operators.values import comparable

_ACERO_TYPES = {
    "inner": "inner",
    "left": "left outer",
    "right": "right outer",
    "outer": "full outer",
    "full": "full outer",
    "semi": "left semi",
    "anti": "left anti",
}


def _common_type(a: pa.DataType, b: pa.DataType) -> pa.DataType:
    if a == b:
        return a
    schemas = [pa.schema([("k", a)]), pa.schema([("k", b)])]
    return pa.unify_schemas(schemas, promote_options="permissive").field("k").type


def _codes(left: pa.ChunkedArray, right: pa.ChunkedArray, null_equal: bool) -> tuple[pa.Array, pa.Array]:
    """Equal integer codes for equal key values on both sides (-0.0 equals 0.0 and
    NaN equals NaN, as in DuckDB; NULL gets a code only when ``null_equal``,
    otherwise it stays NULL and never matches)."""
    left, right = comparable(left), comparable(right)
    kind = _common_type(left.type, right.type)
    both = comparable(pa.chunked_array(left.cast(kind).chunks + right.cast(kind).chunks, type=kind))
    encoded = pc.dictionary_encode(both, null_encoding="encode" if null_equal else "mask")
    codes = pa.chunked_array([chunk.indices for chunk in encoded.chunks], type=pa.int32()).combine_chunks()
    return codes.slice(0, len(left)), codes.slice(len(left))


def _hashable_by_acero(kind: pa.DataType) -> bool:
    """Key types Acero's hash join compares by value, as SQL and pandas do."""
    return (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_string(kind)
            or pa.types.is_large_string(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind)
            or pa.types.is_date(kind) or pa.types.is_timestamp(kind) or pa.types.is_decimal(kind)
            or pa.types.is_boolean(kind) or pa.types.is_time(kind) or pa.types.is_duration(kind))


def _join_keys(left: pa.ChunkedArray, right: pa.ChunkedArray, null_equal: bool):
    """The two key columns as Acero should see them: the values themselves in one
    common type when Acero's equality (NULL never equal) is the one wanted, else
    integer codes from :func:`_codes`."""
    left, right = comparable(left), comparable(right)
    kind = _common_type(left.type, right.type)
    nulls_must_match = null_equal and left.null_count and right.null_count
    if nulls_must_match or not _hashable_by_acero(kind):
        return _codes(left, right, null_equal)
    if pa.types.is_floating(kind) and left.type != right.type:
        return comparable(left.cast(kind)), comparable(right.cast(kind))
    return left.cast(kind), right.cast(kind)


def _rows(n: int) -> pa.Array:
    return pa.array(np.arange(n, dtype=np.int64))


def _in_order(first: pa.ChunkedArray | pa.Array, second: pa.ChunkedArray | pa.Array | None) -> bool:
    """Whether pairs are already sorted by ``first`` then ``second``, NULLs last.
    A single-threaded Acero join usually emits pairs in this order, and this check
    is far cheaper than the sort it saves."""
    if first.null_count or (second is not None and second.null_count):
        return False
    a = first.to_numpy()
    if len(a) < 2:
        return True
    step = np.diff(a)
    if (step < 0).any():
        return False
    if second is None:
        return True
    b = second.to_numpy()
    return not ((step == 0) & (np.diff(b) < 0)).any()


def _ordered(pairs: pa.Table, how: str) -> pa.Table:
    """Pairs in the documented output order (NULL row numbers, i.e. the unmatched
    rows of the other side, sort last)."""
    if how in ("semi", "anti"):
        return pairs if _in_order(pairs["l"], None) else pairs.sort_by([("l", "ascending")])
    first, second = ("r", "l") if how == "right" else ("l", "r")
    if _in_order(pairs[first], pairs[second]):
        return pairs
    return pairs.take(pc.sort_indices(pairs, sort_keys=[(first, "ascending"), (second, "ascending")]))


def _integer_like(a: pa.DataType, b: pa.DataType) -> bool:
    """Whether two key types compare as the same int64 values: integers and booleans
    with each other, a temporal type only with itself (days never meet microseconds)."""
    numeric = (pa.types.is_integer(a) or pa.types.is_boolean(a)) and (pa.types.is_integer(b) or pa.types.is_boolean(b))
    return numeric or (a == b and pa.types.is_temporal(a))


def _integer_matches(left, right, left_keys, right_keys, how, null_equal, right_shared=False) -> pa.Table | None:
    """The pairs of :func:`_matches` from the compiled integer hash join, or None
    when some key is not integer-like or several keys cannot be packed into one.
    A shared right side with one key has its keys and table made once."""
    if not all(_integer_like(left[lk].type, right[rk].type) for lk, rk in zip(left_keys, right_keys)):
        return None
    lkeys = [int_keys(left[k]) for k in left_keys]
    reuse = right_shared and len(right_keys) == 1 and how != "right"
    rkeys = ([shared_work.derived((right,), ("int_keys", right_keys[0]), lambda: int_keys(right[right_keys[0]]))]
             if reuse else [int_keys(right[k]) for k in right_keys])
    if any(k is None for k in lkeys + rkeys):
        return None
    packed = pack_keys(lkeys, rkeys, null_equal)
    if packed is None:
        return None
    table = (shared_work.derived((right,), ("int_table", right_keys[0]), lambda: build_table(rkeys[0]))
             if reuse else None)
    lrows, rrows = int_join_pairs(packed[0], packed[1], how, null_equal, right_table=table)
    if rrows is None:
        return pa.table({"l": lrows})
    return pa.table({"l": pa.array(lrows, mask=lrows < 0), "r": pa.array(rrows, mask=rrows < 0)})


def _matches(left, right, left_keys, right_keys, how, null_equal, right_shared=False) -> pa.Table:
    """Row-number pairs ``l``/``r`` (NULL for the unmatched side) of the equi-join."""
    integer = _integer_matches(left, right, left_keys, right_keys, how, null_equal, right_shared)
    if integer is not None:
        return integer
    lcols, rcols = {"l": _rows(left.num_rows)}, {"r": _rows(right.num_rows)}
    for i, (lk, rk) in enumerate(zip(left_keys, right_keys)):
        lcols[f"lk{i}"], rcols[f"rk{i}"] = _join_keys(left[lk], right[rk], null_equal)
    lkeys, rkeys = [f"lk{i}" for i in range(len(left_keys))], [f"rk{i}" for i in range(len(right_keys))]
    joined = pa.table(lcols).join(
        pa.table(rcols), lkeys, rkeys, join_type=_ACERO_TYPES[how], coalesce_keys=False, use_threads=False
    )
    return _ordered(joined.select(["l"] if how in ("semi", "anti") else ["l", "r"]), how)


def _cross(left: pa.Table, right: pa.Table, start: int = 0, stop: int | None = None) -> pa.Table:
    """All pairs of left rows ``start:stop`` with every right row."""
    lrows, m = np.arange(start, left.num_rows if stop is None else stop, dtype=np.int64), right.num_rows
    return pa.table({"l": np.repeat(lrows, m), "r": np.tile(np.arange(m, dtype=np.int64), len(lrows))})


# Candidate pairs are checked against a condition this many at a time, so a
# nested-loop join never materialises every pair's columns at once.
_PAIRS_PER_CHUNK = 1 << 20


def _cross_chunks(left: pa.Table, right: pa.Table):
    step = max(1, _PAIRS_PER_CHUNK // max(right.num_rows, 1))
    for start in range(0, left.num_rows, step):
        yield _cross(left, right, start, min(start + step, left.num_rows))


def _chunks(pairs: pa.Table):
    for start in range(0, pairs.num_rows, _PAIRS_PER_CHUNK):
        yield pairs.slice(start, _PAIRS_PER_CHUNK)


def _assemble(left: pa.Table, right: pa.Table, pairs: pa.Table, how: str) -> pa.Table:
    """Output rows from row-number pairs: one ``take`` per side."""
    columns = _rows_of(left, pairs["l"]).columns
    names = list(left.column_names)
    if how not in ("semi", "anti"):
        columns += _rows_of(right, pairs["r"]).columns
        names += right.column_names
    return pa.Table.from_arrays(columns, names=names)


def _rows_of(table: pa.Table, rows: pa.Array | pa.ChunkedArray) -> pa.Table:
    """``table.take(rows)``, except when ``rows`` is every row in order, as on the
    probe side of a foreign-key join where each row finds its one match: a
    quarter of the rows the TPC-H joins assemble, copied for nothing."""
    if len(rows) == table.num_rows and not rows.null_count:
        numbers = rows.to_numpy()
        if len(numbers) == 0 or (numbers[0] == 0 and bool((numbers[1:] > numbers[:-1]).all())):
            return table
    return table.take(rows)


def _flags(n: int, rows: np.ndarray) -> np.ndarray:
    """A boolean per row of ``n``, true for the rows listed (with repeats) in ``rows``:
    linear time, where sorting the list (``np.unique``) is not."""
    flags = np.zeros(n, dtype=bool)
    flags[rows] = True
    return flags


def _unmatched(n: int, matched: np.ndarray) -> np.ndarray:
    return np.flatnonzero(~_flags(n, matched))


def _satisfying(left, right, candidates, condition) -> tuple[np.ndarray, np.ndarray]:
    """Left and right row numbers of the candidate pairs (an iterable of pair
    tables) that satisfy ``condition`` (NULL counts as false)."""
    found = [(np.zeros(0, np.int64), np.zeros(0, np.int64))]
    for pairs in candidates:
        joined = _assemble(left, right, pairs, "inner")
        if isinstance(condition, pc.Expression):
            numbered = joined.append_column("__kyudo_pair", _rows(joined.num_rows))
            kept = numbered.filter(condition)["__kyudo_pair"].to_numpy()
        else:
            kept = np.flatnonzero(pc.fill_null(condition(joined), False).to_numpy(zero_copy_only=False))
        found.append((pairs["l"].to_numpy()[kept], pairs["r"].to_numpy()[kept]))
    return np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])


def _needed(table: pa.Table, columns) -> pa.Table:
    """Only the ``columns`` of ``table`` that it has (all when ``columns`` is None):
    candidate pairs need no more than the condition reads."""
    if columns is None:
        return table
    return table.select([name for name in table.column_names if name in columns])


def _residual(left, right, candidates, how: str, condition) -> pa.Table:
    """Keep the candidate pairs (inner matches on the keys) that satisfy
    ``condition``, then derive the outer, semi or anti result from them: the
    condition decides what "matched" means."""
    lrows, rrows = _satisfying(left, right, candidates, condition)
    if how == "semi":
        return pa.table({"l": np.flatnonzero(_flags(left.num_rows, lrows))})
    if how == "anti":
        return pa.table({"l": _unmatched(left.num_rows, lrows)})
    only_left = _unmatched(left.num_rows, lrows) if how in ("left", "outer", "full") else np.zeros(0, np.int64)
    only_right = _unmatched(right.num_rows, rrows) if how in ("right", "outer", "full") else np.zeros(0, np.int64)
    pad_left, pad_right = np.zeros(len(only_right), np.int64), np.zeros(len(only_left), np.int64)
    l = np.concatenate([lrows, only_left, pad_left])
    r = np.concatenate([rrows, pad_right, only_right])
    missing_l = np.arange(len(l)) >= len(lrows) + len(only_left)
    missing_r = (np.arange(len(r)) >= len(rrows)) & (np.arange(len(r)) < len(rrows) + len(only_left))
    pairs = pa.table({"l": pa.array(l, mask=missing_l), "r": pa.array(r, mask=missing_r)})
    return _ordered(pairs, how)


def _null_patterns(table: pa.Table, keys: list[str]) -> np.ndarray:
    """Per row, a bit mask of which of ``keys`` are NULL."""
    pattern = np.zeros(table.num_rows, np.int64)
    for i, key in enumerate(keys):
        pattern |= pc.is_null(table[key]).to_numpy(zero_copy_only=False).astype(np.int64) << i
    return pattern


def _null_aware_anti(left, right, left_keys, right_keys, condition, condition_columns=None) -> pa.Table:
    """``NOT IN``: a left row is dropped when some right row satisfies the
    condition and has no key that compares FALSE with the left row's (each key
    equal, or NULL on either side: SQL's ``x = y`` is then UNKNOWN, and NOT IN
    keeps only rows where the whole test is TRUE). Rows are grouped by which keys
    are NULL; each pair of groups is an equi-join on the keys non-NULL in both
    (an all-pairs join when there are none), so no NULL ever reaches Acero."""
    lpattern, rpattern = _null_patterns(left, left_keys), _null_patterns(right, right_keys)
    matched = [np.zeros(0, np.int64)]
    for lp in np.unique(lpattern):
        lrows = np.flatnonzero(lpattern == lp)
        for rp in np.unique(rpattern):
            rrows = np.flatnonzero(rpattern == rp)
            on = [i for i in range(len(left_keys)) if not (lp | rp) >> i & 1]
            if not on and condition is None:  # every pair matches and there are some
                matched.append(lrows)
                continue
            lsub, rsub = left.take(pa.array(lrows)), right.take(pa.array(rrows))
            lon, ron = [left_keys[i] for i in on], [right_keys[i] for i in on]
            if condition is None:
                matched.append(lrows[_matches(lsub, rsub, lon, ron, "semi", False)["l"].to_numpy()])
                continue
            pairs = _cross_chunks(lsub, rsub) if not on else _chunks(_matches(lsub, rsub, lon, ron, "inner", False))
            narrow = _needed(lsub, condition_columns), _needed(rsub, condition_columns)
            matched.append(lrows[_satisfying(*narrow, pairs, condition)[0]])
    return pa.table({"l": _unmatched(left.num_rows, np.concatenate(matched))})


def hash_join(
    left: pa.Table,
    right: pa.Table,
    left_keys: list[str],
    right_keys: list[str],
    how: str,
    null_equal: bool = False,
    condition: pc.Expression | Callable[[pa.Table], Any] | None = None,
    null_aware: bool = False,
    condition_columns=None,
    right_shared: bool = False,
) -> pa.Table:
    """Join ``left`` and ``right`` where all key pairs are equal.

    how: inner, left, right, outer (or full), semi, anti, cross (keys ignored).
    null_equal: False is SQL (a NULL key matches nothing; anti keeps such left
    rows), True is pandas ``merge`` (NULL keys match each other).
    condition: an extra predicate over the left and right columns (by name) that a
    pair must also satisfy (SQL ``ON a.k = b.k AND a.x < b.y``); for outer, semi
    and anti joins it decides matching. It is a pyarrow Expression or a function
    from the joined candidate pairs (a table of all left then all right columns,
    whose names must then differ) to a boolean mask. With a condition,
    ``left_keys`` may be empty (a nested-loop join over all pairs).
    null_aware: anti joins only, SQL ``NOT IN (subquery)``: a NULL key on either
    side matches any value (see :func:`_null_aware_anti`), so a right side with
    a NULL key leaves no row, and a left row with a NULL key survives only
    when no right row (satisfying the condition) exists.
    condition_columns: the column names ``condition`` reads, when known; the
    candidate pairs it is evaluated on then carry only those columns.
    right_shared: the same ``right`` table object is joined by many calls (a
    broadcast side); what is built over its keys is kept for them while it lives
    (:mod:`~kyudo.engine.operators.shared_work`)."""
    if how != "cross" and how not in _ACERO_TYPES:
        raise ValueError(f"unknown join type {how!r}")
    if len(left_keys) != len(right_keys):
        raise ValueError("left_keys and right_keys must have the same length")
    if null_aware:
        if how != "anti":
            raise ValueError("null_aware applies to anti joins only")
        pairs = _null_aware_anti(left, right, left_keys, right_keys, condition, condition_columns)
        return _assemble(left, right, pairs, how)
    if condition is None:
        pairs = (_cross(left, right) if how == "cross"
                 else _matches(left, right, left_keys, right_keys, how, null_equal, right_shared))
        return _assemble(left, right, pairs, how)
    all_pairs = how == "cross" or not left_keys
    candidates = (_cross_chunks(left, right) if all_pairs
                  else _chunks(_matches(left, right, left_keys, right_keys, "inner", null_equal)))
    narrow_left, narrow_right = _needed(left, condition_columns), _needed(right, condition_columns)
    return _assemble(left, right, _residual(narrow_left, narrow_right, candidates, how, condition), how)

"""``merge`` with pandas semantics over the planner's Join node.

The Join node keeps every column of both sides and needs distinct names, so the
inputs are renamed first (suffixes on overlapping columns, a private name for the
right copy of a shared key), then a projection shapes the pandas result: a key
named the same on both sides appears once, filled from whichever side has it.
NULL keys match each other, as NaN keys do in pandas.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kyudo.planner import logical as L
from kyudo.planner.errors import PlanError
from kyudo.planner.expr import Call, Col

if TYPE_CHECKING:
    from kyudo.dataframe.frame import DataFrame

_HOWS = ("inner", "left", "right", "outer", "cross")


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def merge(left: "DataFrame", right: "DataFrame", how="inner", on=None, left_on=None,
          right_on=None, suffixes=("_x", "_y"), broadcast=None) -> "DataFrame":
    from kyudo.dataframe.frame import DataFrame

    if how not in _HOWS:
        raise ValueError(f"how must be one of {_HOWS}, not {how!r}")
    lcols, rcols = left._data_columns, right._data_columns
    if how == "cross":
        lkeys, rkeys = [], []
    elif on is not None:
        lkeys = rkeys = _as_list(on)
    elif left_on is not None or right_on is not None:
        lkeys, rkeys = _as_list(left_on), _as_list(right_on)
        if len(lkeys) != len(rkeys):
            raise ValueError("len(right_on) must equal len(left_on)")
    else:
        lkeys = rkeys = [c for c in lcols if c in rcols]
        if not lkeys:
            raise PlanError("no common columns to merge on; pass on=, or left_on= and right_on=")
    for k in lkeys:
        left._column(k)
    for k in rkeys:
        right._column(k)

    shared_keys = {lk for lk, rk in zip(lkeys, rkeys) if lk == rk}
    overlap = (set(lcols) & set(rcols)) - shared_keys
    left_names = {c: (c + suffixes[0] if c in overlap else c) for c in lcols}
    right_names = {c: (c + suffixes[1] if c in overlap else c) for c in rcols}
    for k in shared_keys:
        right_names[k] = f"__right_key_{k}"

    left_plan = L.Project(left.plan, tuple((left_names[c], Col(c)) for c in lcols))
    right_plan = L.Project(right.plan, tuple((right_names[c], Col(c)) for c in rcols))
    strategy = None if broadcast is None else ("broadcast" if broadcast else "hash")
    joined = L.Join(left_plan, right_plan, "cross" if how == "cross" else how,
                    tuple(left_names[k] for k in lkeys), tuple(right_names[k] for k in rkeys),
                    null_equal=True, strategy=strategy)

    out = []
    for c in lcols:
        name = left_names[c]
        if c in shared_keys and how in ("right", "outer"):
            out.append((name, Call("coalesce", (Col(name), Col(right_names[c])))))
        else:
            out.append((name, Col(name)))
    out += [(right_names[c], Col(right_names[c])) for c in rcols if c not in shared_keys]
    return DataFrame(L.Project(joined, tuple(out)))


def merge_index_with_columns(left: "DataFrame", right: "DataFrame", how="inner", left_on=None,
                             right_on=None, left_index=False, right_index=False,
                             suffixes=("_x", "_y"), broadcast=None) -> "DataFrame":
    """``merge`` of one side's index with the other side's columns.

    kyudo keeps index levels as plan columns, so this is a column merge: the
    index side's levels are exposed under private names, joined on, and dropped.
    As in pandas, a key column of the column side takes the index value in rows
    that only the index side has; the result has the default index.
    """
    from kyudo.dataframe.frame import DataFrame

    index_side, column_side = (left, right) if left_index else (right, left)
    keys = _as_list(right_on if left_index else left_on)
    if not index_side.index:
        raise PlanError("left_index/right_index needs a frame with an index (see set_index)")
    if len(keys) != len(index_side.index):
        raise ValueError(f"{len(keys)} key column(s) cannot match an index of {len(index_side.index)} level(s)")
    private = [f"__index_key_{i}__" for i in range(len(keys))]
    exposed = DataFrame(L.Project(index_side.plan,
                                  tuple((c, Col(c)) for c in index_side._data_columns)
                                  + tuple((p, Col(n)) for p, n in zip(private, index_side.index))))
    if left_index:
        merged = merge(exposed, right, how, left_on=private, right_on=keys, suffixes=suffixes, broadcast=broadcast)
        fill_from_index = how in ("left", "outer")
        overlapping = set(left._data_columns)
    else:
        merged = merge(left, exposed, how, left_on=keys, right_on=private, suffixes=suffixes, broadcast=broadcast)
        fill_from_index = how in ("right", "outer")
        overlapping = set(right._data_columns)
    # pandas fills the index value into a key column that kept its name; a key
    # renamed with a suffix stays missing there (pandas puts the index value in an
    # extra column under the bare name, which kyudo does not add)
    filled = {k: p for k, p in zip(keys, private) if k not in overlapping} if fill_from_index else {}
    out = tuple((n, Call("coalesce", (Col(n), Col(filled[n]))) if n in filled else Col(n))
                for n in merged.plan.schema.names if n not in private)
    return DataFrame(L.Project(merged.plan, out))

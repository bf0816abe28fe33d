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

"""FROM and JOIN: instantiating FROM items and building the join tree.

Comma-separated FROM items (TPC-H's style) carry their join conditions in WHERE.
They are joined greedily in FROM order: each step picks the first remaining item
that some WHERE equality connects to what is joined so far and makes those
equalities the join keys; only items connected by nothing are cross-joined.
Explicit ``JOIN ... ON`` splits its condition into equi-keys and a residual
``condition`` (needed for outer joins, where it decides matching).
"""
from __future__ import annotations

from kyudo.planner import logical as L
from kyudo.planner.expr import Call, Col, Expr, conjoin
from kyudo.planner.types import common_type, infer_type
from kyudo.sql.errors import UnsupportedSQLError
from kyudo.sql.translate.relation import with_columns

_HOW = {"LEFT": "left", "RIGHT": "right", "FULL": "outer"}


def join_kind(node) -> str:
    """The logical join type of a sqlglot Join node; modifiers this module does
    not translate (ASOF, POSITIONAL, LATERAL ...) are refused by name."""
    extra = sorted(k for k, v in node.args.items() if v and k not in ("this", "on", "side", "kind",
                                                                     "using", "method"))
    if extra:
        raise UnsupportedSQLError(f"{node.sql()}: join with {', '.join(extra)} is not supported")
    if node.args.get("method") or (node.args.get("kind") or "").upper() in ("NATURAL", "ASOF"):
        raise UnsupportedSQLError(f"{node.sql()}: this join type is not supported")
    side = (node.args.get("side") or "").upper()
    if side:
        return _HOW[side]
    kind = (node.args.get("kind") or "").upper()
    if kind in ("SEMI", "ANTI"):
        return kind.lower()
    if kind == "CROSS" or (node.args.get("on") is None and not node.args.get("using")):
        return "cross"
    return "inner"


def split_keys(predicates: list[Expr], left: set[str], right: set[str]):
    """Equalities with one side over ``left`` and the other over ``right``
    become key pairs; everything else is returned as the residual."""
    keys, rest = [], []
    for p in predicates:
        if isinstance(p, Call) and p.op == "equal":
            a, b = p.args
            ca, cb = a.columns(), b.columns()
            if ca and cb and ca <= left and cb <= right:
                keys.append((a, b))
                continue
            if ca and cb and ca <= right and cb <= left:
                keys.append((b, a))
                continue
        rest.append(p)
    return keys, rest


def join(left: L.LogicalPlan, right: L.LogicalPlan, how: str, keys, residual: list[Expr],
         namer) -> L.LogicalPlan:
    """Join on key expression pairs (computed into columns and cast to a common
    type when they differ) with ``residual`` as the join condition."""
    left_new, right_new, left_on, right_on = [], [], [], []
    for a, b in keys:
        ta, tb = infer_type(a, left.schema), infer_type(b, right.schema)
        target = common_type(ta, tb) if ta != tb else ta
        if target is None:
            from kyudo.sql.errors import SQLTypeError
            raise SQLTypeError(f"cannot join {a!r} ({ta}) with {b!r} ({tb}): no common type")
        a = a if ta == target else Call("cast", (a,), (("to", target),))
        b = b if tb == target else Call("cast", (b,), (("to", target),))
        left_on.append(_key_column(a, left_new, namer))
        right_on.append(_key_column(b, right_new, namer))
    left, right = with_columns(left, left_new), with_columns(right, right_new)
    if how == "cross" and keys:
        how = "inner"
    # SQL leaves row order unspecified: inner, semi and anti joins may be reordered.
    return L.Join(left, right, how, tuple(left_on), tuple(right_on), condition=conjoin(residual),
                  reorderable=how in ("inner", "semi", "anti"))


def _key_column(expr: Expr, new: list, namer) -> str:
    if isinstance(expr, Col):
        return expr.name
    name = namer.fresh("__key")
    new.append((name, expr))
    return name


def join_graph(items: list[L.LogicalPlan], predicates: list[Expr], namer):
    """Inner-join ``items`` using the equalities among ``predicates`` as keys,
    greedily in FROM order; returns the plan and the predicates not used."""
    current, remaining, predicates = items[0], list(items[1:]), list(predicates)
    while remaining:
        have = set(current.schema.names)
        chosen, chosen_keys = 0, []
        for i, candidate in enumerate(remaining):
            keys, _ = split_keys(predicates, have, set(candidate.schema.names))
            if keys:
                chosen, chosen_keys = i, keys
                break
        candidate = remaining.pop(chosen)
        used = {Call("equal", k) for k in chosen_keys} | {Call("equal", (b, a)) for a, b in chosen_keys}
        predicates = [p for p in predicates if p not in used]
        current = join(current, candidate, "cross", chosen_keys, [], namer)
    return current, predicates

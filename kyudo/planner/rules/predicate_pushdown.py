"""Move filter conjuncts as close to the scans as the semantics allow."""
from __future__ import annotations

from dataclasses import replace

from kyudo.planner.expr import Call, Expr, conjoin, conjuncts, disjoin, disjuncts
from kyudo.planner.functions import is_deterministic
from kyudo.planner.logical import (Aggregate, Distinct, Filter, Join, LogicalPlan, Project, Scan,
                                   Sort, Union, Window)
from kyudo.planner.rules._util import filter_on, substitute

# Which join inputs a conjunct that reads only one input's columns may move to,
# when it comes from a Filter above the join ...
_FILTER_SIDES = {
    "inner": ("left", "right"),
    "cross": ("left", "right"),
    "left": ("left",),
    "right": ("right",),
    "semi": ("left",),
    "anti": ("left",),
    "outer": (),
}
# ... and when it is part of the join's own condition, which decides matching: a
# row of the preserved side of an outer join (or of an anti join's left side) is
# output whether or not it satisfies the condition, so it cannot be filtered.
_CONDITION_SIDES = {
    "inner": ("left", "right"),
    "cross": ("left", "right"),
    "left": ("right",),
    "right": ("left",),
    "semi": ("left", "right"),
    "anti": ("right",),
    "outer": (),
}


def apply(plan: LogicalPlan) -> LogicalPlan:
    """Split each Filter into conjuncts and move every conjunct down on its own:

    * through a Project, rewritten in terms of the Project's input (column references
      replaced by the expressions that computed them), unless the rewritten conjunct
      would call a non-deterministic function;
    * through Sort, Distinct and into every input of a Union (inputs are matched by
      name, so the conjunct needs no renaming);
    * through an Aggregate (or a Window) only when it reads group keys (partition
      keys) alone, and there are keys: a global aggregate returns one row even for
      an empty input;
    * through a Join to the side whose columns it reads, where the join type allows:
      inner and cross joins to either side, left joins only to the left, right joins
      only to the right, semi and anti joins to the left, full outer joins not at all;
    * the join's own condition is split the same way: a conjunct reading one side
      only moves into that input unless that side's rows are output regardless of
      the condition (the preserved side of a left/right join, an anti join's left
      side, either side of a full outer join);
    * into a Scan, where it is ANDed with the Scan's own predicate;
    * a conjunct that must stay above a join but is an OR of branches each of
      which constrains one side (``(n1 = 'FRANCE' AND n2 = 'GERMANY') OR (n1 =
      'GERMANY' AND n2 = 'FRANCE')``) also implies a weaker filter on that side
      alone (``n1 = 'FRANCE' OR n1 = 'GERMANY'``), which goes down that side while
      the original stays where it is (see :func:`implied_on`).

    Never through a Limit (it would change which rows are kept) or a MapPartitions
    (an opaque function). Non-deterministic conjuncts stay where they are. Whatever
    cannot go further stays in a Filter directly above the node that stopped it.

    Before::

        Filter(b > 1 AND v < 5 AND b = v)
          Join(inner, on=[k=k2])
            Project(k, b=x)
              Scan(t)
            Scan(u)

    After::

        Filter(b = v)
          Join(inner, on=[k=k2])
            Project(k, b=x)
              Scan(t, predicate=x > 1)
            Scan(u, predicate=v < 5)
    """
    return _push(plan, [])


def _push(plan: LogicalPlan, predicates: list[Expr]) -> LogicalPlan:
    """``plan`` filtered by ``predicates`` (over its output), each applied as low as allowed."""
    if isinstance(plan, Filter):
        return _push(plan.input, _unique(conjuncts(plan.predicate) + predicates))
    movable = [p for p in predicates if is_deterministic(p)]
    if isinstance(plan, Scan):
        plan, stuck = _into_scan(plan, movable), []
    elif isinstance(plan, Project):
        plan, stuck = _through_project(plan, movable)
    elif isinstance(plan, (Sort, Distinct, Union)) or getattr(plan, "filters_commute", False):
        plan, stuck = plan.with_children(tuple(_push(c, movable) for c in plan.children)), []
    elif isinstance(plan, Aggregate):
        plan, stuck = _through_groups(plan, movable, plan.keys)
    elif isinstance(plan, Window):
        plan, stuck = _through_groups(plan, movable, plan.partition_by)
    elif isinstance(plan, Join):
        plan, stuck = _through_join(plan, movable)
    else:  # Limit, MapPartitions and anything unknown: nothing passes
        plan, stuck = plan.with_children(tuple(_push(c, []) for c in plan.children)), movable
    return filter_on(plan, [p for p in predicates if p in stuck or p not in movable])


def _into_scan(plan: Scan, predicates: list[Expr]) -> Scan:
    if not predicates:
        return plan
    existing = conjuncts(plan.predicate) if plan.predicate is not None else []
    combined = _unique(existing + predicates)
    return plan if combined == existing else replace(plan, predicate=conjoin(combined))


def _unique(predicates: list[Expr]) -> list[Expr]:
    """``predicates`` without repeats, in order: implied filters are derived again
    on every pass, and must not pile up where an earlier pass already put them."""
    out: list[Expr] = []
    for predicate in predicates:
        if predicate not in out:
            out.append(predicate)
    return out


def _through_project(plan: Project, predicates: list[Expr]) -> tuple[LogicalPlan, list[Expr]]:
    mapping = dict(plan.exprs)
    down, stuck = [], []
    for predicate in predicates:
        rewritten = substitute(predicate, mapping)
        if is_deterministic(rewritten):
            down.append(rewritten)
        else:
            stuck.append(predicate)
    return plan.with_children((_push(plan.input, down),)), stuck


def _through_groups(plan: LogicalPlan, predicates: list[Expr],
                    keys: tuple[str, ...]) -> tuple[LogicalPlan, list[Expr]]:
    """Through a node that works on groups of rows: a conjunct on the grouping keys
    alone keeps or drops whole groups, so it can go first. Without keys nothing
    passes (a global aggregate gives one row even for no input)."""
    down = [p for p in predicates if keys and p.columns() <= set(keys)]
    stuck = [p for p in predicates if p not in down]
    return plan.with_children((_push(plan.input, down),)), stuck


def _through_join(plan: Join, predicates: list[Expr]) -> tuple[LogicalPlan, list[Expr]]:
    left_names, right_names = set(plan.left.schema.names), set(plan.right.schema.names)
    left, right, stuck = _by_side(predicates, _FILTER_SIDES[plan.how], left_names, right_names)
    condition = conjuncts(plan.condition) if plan.condition is not None else []
    # Semi and anti join inputs may share names; such a name in the condition is
    # not clearly one side's, so only names unique to a side count for it.
    cond_left, cond_right, _ = _by_side([c for c in condition if is_deterministic(c)],
                                        _CONDITION_SIDES[plan.how],
                                        left_names - right_names, right_names - left_names)
    if cond_left or cond_right:
        moved = cond_left + cond_right
        plan = replace(plan, condition=conjoin([c for c in condition if c not in moved]))
    kept_condition = conjuncts(plan.condition) if plan.condition is not None else []
    for predicates_left, sides in ((stuck, _FILTER_SIDES[plan.how]), (kept_condition, _CONDITION_SIDES[plan.how])):
        for predicate in predicates_left:
            if "left" in sides:
                left = left + _as_list(implied_on(predicate, left_names))
            if "right" in sides:
                right = right + _as_list(implied_on(predicate, right_names))
    children = (_push(plan.left, cond_left + left), _push(plan.right, cond_right + right))
    return plan.with_children(children), stuck


def _as_list(predicate: Expr | None) -> list[Expr]:
    return [] if predicate is None else [predicate]


def implied_on(predicate: Expr, names: set[str]) -> Expr | None:
    """A predicate over ``names`` alone that is true wherever ``predicate`` is, or
    None when there is none to derive.

    For an OR, each branch is reduced to its conjuncts over ``names`` (an inner OR
    reduced the same way); if every branch keeps one, their OR is implied. A branch
    with nothing over ``names`` lets any row through, so nothing is implied. Only a
    row where ``predicate`` is TRUE survives a filter or an inner join condition,
    and such a row makes some branch, so each of its conjuncts, TRUE.
    """
    if not (isinstance(predicate, Call) and predicate.op == "or") or not is_deterministic(predicate):
        return None
    branches: list[Expr] = []
    for branch in disjuncts(predicate):
        kept = []
        for conjunct in conjuncts(branch):
            if conjunct.columns() and conjunct.columns() <= names:
                kept.append(conjunct)
            else:
                inner = implied_on(conjunct, names)
                if inner is not None:
                    kept.append(inner)
        if not kept:
            return None
        reduced = conjoin(kept)
        if reduced not in branches:
            branches.append(reduced)
    return disjoin(branches)


def _by_side(predicates: list[Expr], sides: tuple[str, ...], left_names: set[str],
             right_names: set[str]) -> tuple[list[Expr], list[Expr], list[Expr]]:
    """Split into (to the left, to the right, neither) by the columns each reads."""
    left, right, neither = [], [], []
    for predicate in predicates:
        used = predicate.columns()
        if "left" in sides and used <= left_names:
            left.append(predicate)
        elif "right" in sides and used <= right_names:
            right.append(predicate)
        else:
            neither.append(predicate)
    return left, right, neither

"""Move filter conjuncts as close to the scans as the semantics allow."""
from __future__ import annotations

from dataclasses import replace

from kyudo.planner.expr import Expr, conjoin, conjuncts
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
    * into a Scan, where it is ANDed with the Scan's own predicate.

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
        return _push(plan.input, conjuncts(plan.predicate) + predicates)
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
    return replace(plan, predicate=conjoin(existing + predicates))


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
    children = (_push(plan.left, cond_left + left), _push(plan.right, cond_right + right))
    return plan.with_children(children), stuck


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

"""Move filter conjuncts as close to the scans as the semantics allow."""
from __future__ import annotations

from dataclasses import replace

from kyudo.planner.expr import Expr, conjoin, conjuncts
from kyudo.planner.functions import is_deterministic
from kyudo.planner.logical import (Aggregate, Distinct, Filter, Join, LogicalPlan, Project, Scan,
                                   Sort, Union)
from kyudo.planner.rules._util import filter_on, substitute

# Which join inputs a conjunct reading only that input's columns may move to.
_JOIN_SIDES = {
    "inner": ("left", "right"),
    "cross": ("left", "right"),
    "left": ("left",),
    "right": ("right",),
    "semi": ("left",),
    "anti": ("left",),
    "outer": (),
}


def apply(plan: LogicalPlan) -> LogicalPlan:
    """Split each Filter into conjuncts and move every conjunct down on its own:

    * through a Project, rewritten in terms of the Project's input (column references
      replaced by the expressions that computed them), unless the rewritten conjunct
      would call a non-deterministic function;
    * through Sort, Distinct and into every input of a Union (inputs are matched by
      name, so the conjunct needs no renaming);
    * through an Aggregate only when it reads group keys alone (and the aggregate has
      keys: a global aggregate returns one row even for an empty input);
    * through a Join to the side whose columns it reads, where the join type allows:
      inner and cross joins to either side, left joins only to the left, right joins
      only to the right, semi and anti joins to the left, full outer joins not at all;
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
    elif isinstance(plan, (Sort, Distinct, Union)):
        plan, stuck = plan.with_children(tuple(_push(c, movable) for c in plan.children)), []
    elif isinstance(plan, Aggregate):
        keys = set(plan.keys)
        down = [p for p in movable if keys and p.columns() <= keys]
        stuck = [p for p in movable if p not in down]
        plan = plan.with_children((_push(plan.input, down),))
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


def _through_join(plan: Join, predicates: list[Expr]) -> tuple[LogicalPlan, list[Expr]]:
    sides = _JOIN_SIDES[plan.how]
    left_names, right_names = set(plan.left.schema.names), set(plan.right.schema.names)
    left, right, stuck = [], [], []
    for predicate in predicates:
        used = predicate.columns()
        if "left" in sides and used <= left_names:
            left.append(predicate)
        elif "right" in sides and used <= right_names:
            right.append(predicate)
        else:
            stuck.append(predicate)
    return plan.with_children((_push(plan.left, left), _push(plan.right, right))), stuck

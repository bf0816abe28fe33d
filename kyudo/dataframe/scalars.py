"""Lazy scalars inside column expressions: ``df[df.x > df.x.mean()]``.

A reduction is a one-row plan, so a Series combined with it reads the value
from a column added by a cross join with that one row (broadcast to every
partition by the lowering; no data is computed while planning). Such a
"widened" frame is the original frame plus private ``__scalar<N>__`` columns;
filters and assignments over it project those columns away again, so users
never see them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kyudo.planner import logical as L
from kyudo.planner.expr import Col, Expr, transform

if TYPE_CHECKING:
    from kyudo.dataframe.series import Scalar

SCALAR_PREFIX = "__scalar"


def is_scalar_join(plan: L.LogicalPlan) -> bool:
    """True for a cross join that only adds one lazy scalar's column on the right."""
    return (isinstance(plan, L.Join) and plan.how == "cross" and isinstance(plan.right, L.Project)
            and len(plan.right.exprs) == 1 and plan.right.exprs[0][0].startswith(SCALAR_PREFIX))


def _fresh_name(plan: L.LogicalPlan) -> str:
    taken = set(plan.schema.names)
    n = 0
    while f"{SCALAR_PREFIX}{n}__" in taken:
        n += 1
    return f"{SCALAR_PREFIX}{n}__"


def join_value(plan: L.LogicalPlan, value_plan: L.LogicalPlan, column: str) -> tuple[L.LogicalPlan, Col]:
    """``plan`` with the one value of ``value_plan[column]`` as a new column."""
    name = _fresh_name(plan)
    right = L.Project(value_plan, ((name, Col(column)),))
    return L.Join(plan, right, "cross", (), ()), Col(name)


def join_scalar(plan: L.LogicalPlan, scalar: "Scalar") -> tuple[L.LogicalPlan, Col]:
    return join_value(plan, scalar.plan, scalar.plan.schema.names[0])


def peel(plan: L.LogicalPlan) -> tuple[L.LogicalPlan, list[L.Project]]:
    """The plan under any scalar joins, and their one-column right sides (innermost first)."""
    rights: list[L.Project] = []
    while is_scalar_join(plan):
        rights.append(plan.right)
        plan = plan.left
    return plan, rights[::-1]


def rejoin(plan: L.LogicalPlan, rights: list[L.Project], expr: Expr) -> tuple[L.LogicalPlan, Expr]:
    """Join ``rights`` onto ``plan`` again under fresh names, renaming them in ``expr``."""
    renames = {}
    for right in rights:
        (old, value), = right.exprs
        plan, new = join_value(plan, right.input, value.name)
        renames[old] = new
    if renames:
        expr = transform(expr, lambda e: renames.get(e.name, e) if isinstance(e, Col) else e)
    return plan, expr

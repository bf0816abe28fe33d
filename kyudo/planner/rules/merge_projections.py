"""Merge a Project over a Project into one, and a Filter over a Filter into one."""
from __future__ import annotations

from kyudo.planner.expr import Call, conjoin, conjuncts
from kyudo.planner.logical import Filter, LogicalPlan, Project, transform_up
from kyudo.planner.rules._util import column_ref_counts, substitute


def apply(plan: LogicalPlan) -> LogicalPlan:
    """Merge Project over Project by replacing the outer projection's column
    references with the inner projection's expressions. That is always safe for a
    column reference or a literal; a computed inner column (a Call) referenced more
    than once by the outer projection would be computed several times after merging
    (and give different values each time if it is non-deterministic), so in that
    case both projections are kept.

    Consecutive filters become one filter on the AND of their conjuncts, inner first.

    Before::

        Project(z=y * 2)                   Filter(b < 9)
          Project(y=x + 1)                   Filter(a > 1)
            Scan(t)                            Scan(t)

    After::

        Project(z=(x + 1) * 2)             Filter(a > 1 AND b < 9)
          Scan(t)                            Scan(t)

    Not merged (``y`` is a computed column used twice)::

        Project(z=y * y)
          Project(y=x + 1)
            Scan(t)
    """
    return transform_up(plan, _merge)


def _merge(node: LogicalPlan) -> LogicalPlan:
    if isinstance(node, Filter) and isinstance(node.input, Filter):
        inner = node.input
        return Filter(inner.input, conjoin(conjuncts(inner.predicate) + conjuncts(node.predicate)))
    if isinstance(node, Project) and isinstance(node.input, Project):
        inner = node.input
        uses = column_ref_counts(expr for _, expr in node.exprs)
        if any(isinstance(expr, Call) and uses[name] > 1 for name, expr in inner.exprs):
            return node
        mapping = dict(inner.exprs)
        exprs = tuple((name, substitute(expr, mapping)) for name, expr in node.exprs)
        return Project(inner.input, exprs)
    return node

"""Remove nodes that do nothing."""
from __future__ import annotations

from kyudo.planner.logical import Filter, Limit, LogicalPlan, Project, transform_up
from kyudo.planner.rules._util import is_true


def apply(plan: LogicalPlan) -> LogicalPlan:
    """Remove these nodes, which change nothing:

    * a Project that outputs exactly its input's columns, unrenamed and in order;
    * a Filter on the literal TRUE;
    * a Limit with no bound and no offset.

    Before::

        Limit(None)
          Filter(TRUE)
            Project(a, b)
              Scan(t: a, b)

    After::

        Scan(t: a, b)
    """
    return transform_up(plan, _drop)


def _drop(node: LogicalPlan) -> LogicalPlan:
    if isinstance(node, Project) and node.is_identity():
        return node.input
    if isinstance(node, Filter) and is_true(node.predicate):
        return node.input
    if isinstance(node, Limit) and node.n is None and node.offset == 0:
        return node.input
    return node

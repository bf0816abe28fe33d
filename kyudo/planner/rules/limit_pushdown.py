"""Move limits below the operators they commute with."""
from __future__ import annotations

from dataclasses import replace

from kyudo.planner.logical import Limit, LogicalPlan, Project, Union, transform_up


def apply(plan: LogicalPlan) -> LogicalPlan:
    """Push limits down:

    * Limit over Project becomes Project over Limit (a projection is row-wise, so it
      computes the same rows for fewer inputs);
    * Limit over Limit becomes one Limit (offsets add up, counts shrink);
    * Limit(n, offset) over Union keeps the Limit on top and bounds each input by
      ``n + offset`` rows, enough for any input to supply the whole answer;
    * Limit over Sort stays as it is: the lowering turns the pair into a top-k.

    A limit never moves past a Filter, Aggregate, Join or Distinct: which rows those
    produce depends on every input row.

    Before::

        Limit(5)
          Project(a, b=x + 1)
            Union
              Scan(t)
              Scan(u)

    After::

        Project(a, b=x + 1)
          Limit(5)
            Union
              Limit(5)
                Scan(t)
              Limit(5)
                Scan(u)
    """
    return transform_up(plan, _push)


def _push(node: LogicalPlan) -> LogicalPlan:
    if not isinstance(node, Limit):
        return node
    child = node.input
    if isinstance(child, Limit):
        return _push(_merge(node, child))
    if isinstance(child, Project):
        return child.with_children((_push(replace(node, input=child.input)),))
    if isinstance(child, Union) and node.n is not None:
        bound = node.n + node.offset
        inputs = tuple(_push(Limit(i, bound)) for i in child.inputs)
        return node.with_children((child.with_children(inputs),))
    return node


def _merge(outer: Limit, inner: Limit) -> Limit:
    """One Limit equivalent to ``outer`` applied to the output of ``inner``."""
    if inner.n is None:
        n = outer.n
    else:
        left = max(inner.n - outer.offset, 0)
        n = left if outer.n is None else min(outer.n, left)
    return Limit(inner.input, n, inner.offset + outer.offset)

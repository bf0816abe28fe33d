"""Compute several whole-input aggregates of the same rows in one pass."""
from __future__ import annotations

from dataclasses import replace

from kyudo.planner.expr import Col
from kyudo.planner.logical import Aggregate, Join, LogicalPlan, Project, transform_up
from kyudo.planner.rules._util import substitute


def apply(plan: LogicalPlan) -> LogicalPlan:
    """Turn a cross join of two global (key-less) aggregations over the same input
    into one aggregation computing both.

    ``100 * (revenue * promo).sum() / revenue.sum()`` in the DataFrame API (TPC-H
    Q14) is two lazy scalars put side by side with a one-row cross join; each
    aggregates its own copy of the same joined rows, so the join ran twice. Both
    sides here are projections over ``Aggregate(keys=[])`` over a projection of
    one equal input; the merged plan projects both sides' columns from that
    input once (renamed apart), aggregates them together, and projects the
    cross join's columns back, so the output schema is unchanged.

    Runs first, while the two inputs are still equal: pushdown and pruning would
    make each side's copy read different columns.

    Before::

        Join(cross)
          Project(a=s)
            Aggregate(keys=[], s=sum(x))
              Project(x=revenue * promo)
                <rows>
          Project(b=s)
            Aggregate(keys=[], s=sum(x))
              Project(x=revenue)
                <rows>

    After::

        Project(a=__left_s, b=__right_s)
          Aggregate(keys=[], __left_s=sum(__left_x), __right_s=sum(__right_x))
            Project(__left_x=revenue * promo, __right_x=revenue)
              <rows>
    """
    return transform_up(plan, _merge)


def _merge(node: LogicalPlan) -> LogicalPlan:
    if not (isinstance(node, Join) and node.how == "cross" and node.condition is None):
        return node
    left, right = _global_aggregate(node.left), _global_aggregate(node.right)
    if left is None or right is None or left[1].input.input != right[1].input.input:
        return node
    exprs, aggs, outputs = [], [], []
    for prefix, (chain, aggregate) in (("__left_", left), ("__right_", right)):
        inputs = {name: Col(prefix + name) for name, _ in aggregate.input.exprs}
        exprs += [(prefix + name, expr) for name, expr in aggregate.input.exprs]
        aggs += [replace(spec, output=prefix + spec.output,
                         column=None if spec.column is None else inputs[spec.column].name)
                 for spec in aggregate.aggs]
        results = {spec.output: Col(prefix + spec.output) for spec in aggregate.aggs}
        outputs += [(name, substitute(expr, results)) for name, expr in _compose(chain, aggregate)]
    merged = Aggregate(Project(left[1].input.input, tuple(exprs)), (), tuple(aggs))
    return Project(merged, tuple(outputs))


def _global_aggregate(plan: LogicalPlan):
    """``(projections, aggregate)`` when ``plan`` is projections over a key-less
    Aggregate over a Project (whose input the other side must share), else None."""
    chain = []
    while isinstance(plan, Project):
        chain.append(plan)
        plan = plan.input
    if not (isinstance(plan, Aggregate) and not plan.keys and isinstance(plan.input, Project)
            and plan.split_every is None and plan.split_out is None):
        return None
    return chain, plan


def _compose(chain: list[Project], aggregate: Aggregate) -> list[tuple]:
    """The top projection's columns as expressions over the aggregate's outputs."""
    mapping = {spec.output: Col(spec.output) for spec in aggregate.aggs}
    for project in reversed(chain):
        mapping = {name: substitute(expr, mapping) for name, expr in project.exprs}
    return list(mapping.items())

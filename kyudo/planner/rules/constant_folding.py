"""Fold constant sub-expressions and drop filters that became always-true."""
from __future__ import annotations

from dataclasses import replace

from kyudo.planner.evaluate import constant_fold
from kyudo.planner.logical import Filter, Join, LogicalPlan, Project, Scan, transform_up
from kyudo.planner.rules._util import is_true


def apply(plan: LogicalPlan) -> LogicalPlan:
    """Fold constants: every expression a node holds (Project outputs, Filter and
    Scan predicates, Join conditions) goes through
    :func:`kyudo.planner.evaluate.constant_fold`, which evaluates the parts that
    read no column. A Filter whose predicate folds to the literal TRUE is removed,
    and a Scan predicate or Join condition that folds to TRUE becomes None. A
    predicate that folds to FALSE or NULL is kept: it is a correct (empty) result
    and needs no special case.

    Before::

        Filter(x > 1 + 2)                  Filter(1 < 2)
          Scan(t)                            Scan(t)

    After::

        Filter(x > 3)                      Scan(t)
          Scan(t)
    """
    return transform_up(plan, _fold_node)


def _fold_node(node: LogicalPlan) -> LogicalPlan:
    if isinstance(node, Project):
        exprs = tuple((name, constant_fold(expr)) for name, expr in node.exprs)
        return node if exprs == node.exprs else replace(node, exprs=exprs)
    if isinstance(node, Filter):
        predicate = constant_fold(node.predicate)
        if is_true(predicate):
            return node.input
        return node if predicate == node.predicate else replace(node, predicate=predicate)
    if isinstance(node, Scan):
        return _fold_optional(node, "predicate")
    if isinstance(node, Join):
        return _fold_optional(node, "condition")
    return node


def _fold_optional(node: LogicalPlan, field: str) -> LogicalPlan:
    """Fold the optional predicate ``field`` of ``node``; TRUE means no predicate."""
    before = getattr(node, field)
    if before is None:
        return node
    after = constant_fold(before)
    if is_true(after):
        after = None
    return node if after == before else replace(node, **{field: after})

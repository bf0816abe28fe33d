"""Small helpers shared by several optimizer rules."""
from __future__ import annotations

from collections import Counter
from typing import Iterable, Mapping

from kyudo.planner.expr import Col, Expr, Lit, conjoin, transform
from kyudo.planner.logical import Filter, LogicalPlan


def is_true(expr: Expr | None) -> bool:
    """True for the literal TRUE (a predicate that keeps every row)."""
    return isinstance(expr, Lit) and expr.value is True


def substitute(expr: Expr, mapping: Mapping[str, Expr]) -> Expr:
    """Replace each column reference named in ``mapping`` by its expression."""
    def swap(node: Expr) -> Expr:
        return mapping.get(node.name, node) if isinstance(node, Col) else node

    return transform(expr, swap)


def column_ref_counts(exprs: Iterable[Expr]) -> Counter:
    """How many times each column is referenced across ``exprs`` (not just whether)."""
    counts: Counter = Counter()
    stack = list(exprs)
    while stack:
        node = stack.pop()
        if isinstance(node, Col):
            counts[node.name] += 1
        stack.extend(node.children)
    return counts


def filter_on(plan: LogicalPlan, predicates: list[Expr]) -> LogicalPlan:
    """``plan`` filtered by the AND of ``predicates``, or ``plan`` itself when there are none."""
    predicate = conjoin(predicates)
    return plan if predicate is None else Filter(plan, predicate)

"""What translating a query produces: a plan and its SQL column names."""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from kyudo.planner import logical as L
from kyudo.planner.expr import Col, Expr
from kyudo.planner.sources import InMemorySource


@dataclass
class Relation:
    """``plan`` computes the query; ``columns[i]`` is the plan column holding SQL
    output column ``names[i]`` (plan columns may be more, and names may repeat)."""

    plan: L.LogicalPlan
    names: list[str]
    columns: list[str]


def output_plan(rel: Relation, spelling: dict[str, str] | None = None) -> L.LogicalPlan:
    """``rel`` with its SQL output names as plan column names (a repeated name
    gets a numeric suffix, as in DuckDB): what a query's DataFrame shows.
    ``spelling`` maps lower-case names back to how the user or the table wrote
    them, undoing the qualifier's case folding."""
    names, seen = [], set()
    for n in rel.names:
        n = (spelling or {}).get(n, n)
        name, i = n, 0
        while name in seen:
            i += 1
            name = f"{n}_{i}"
        seen.add(name)
        names.append(name)
    return L.Project(rel.plan, tuple((n, Col(c)) for n, c in zip(names, rel.columns)))


def project(plan: L.LogicalPlan, exprs: list[tuple[str, Expr]]) -> L.LogicalPlan:
    """A Project, or ``plan`` itself when it would keep every column unchanged."""
    if [n for n, _ in exprs] == plan.schema.names and all(e == Col(n) for n, e in exprs):
        return plan
    return L.Project(plan, tuple(exprs))


def with_columns(plan: L.LogicalPlan, new: list[tuple[str, Expr]]) -> L.LogicalPlan:
    """``plan`` plus computed columns."""
    if not new:
        return plan
    return L.Project(plan, tuple((n, Col(n)) for n in plan.schema.names) + tuple(new))


def one_row() -> L.LogicalPlan:
    """The input of a SELECT without FROM: one row, no useful column."""
    return L.Scan(InMemorySource([pa.table({"__one_row": pa.array([0], pa.int8())})]))

"""The tables, views and functions a :class:`~kyudo.sql.Context` knows.

Names are case-insensitive (SQL folds unquoted names; sqlglot folds them to
lower case), so entries are keyed by their lower-case name.
"""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from kyudo.planner import logical as L
from kyudo.sql.errors import table_not_found
from kyudo.sql.translate.types import sql_type_name


@dataclass
class Entry:
    name: str  # as the user spelt it
    kind: str  # "table" or "view"
    frame: object  # a kyudo DataFrame


class Catalog:
    def __init__(self):
        self.entries: dict[str, Entry] = {}
        self.functions: dict = {}
        self.aggregations: dict = {}

    def add(self, name: str, kind: str, frame, replace: bool = True) -> None:
        if not replace and name.lower() in self.entries:
            from kyudo.sql.errors import SQLError
            raise SQLError(f"{self.entries[name.lower()].kind} {name!r} already exists")
        self.entries[name.lower()] = Entry(name, kind, frame)

    def drop(self, name: str, kind: str | None = None, missing_ok: bool = False) -> None:
        entry = self.entries.get(name.lower())
        if entry is None or (kind is not None and entry.kind != kind):
            if missing_ok:
                return
            raise table_not_found(name, self.names())
        del self.entries[name.lower()]

    def plan_of(self, name: str) -> L.LogicalPlan | None:
        entry = self.entries.get(name.lower())
        return None if entry is None else entry.frame.plan

    def names(self) -> list[str]:
        return [e.name for e in self.entries.values()]

    def schema(self, name: str) -> pa.Schema:
        plan = self.plan_of(name)
        if plan is None:
            raise table_not_found(name, self.names())
        return plan.schema

    def sqlglot_schema(self) -> dict:
        """Table -> column -> SQL type, what sqlglot's qualifier reads."""
        return {e.name.lower(): {f.name: sql_type_name(f.type) for f in e.frame.plan.schema}
                for e in self.entries.values()}

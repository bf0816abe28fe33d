"""The tables, views and functions a :class:`~kyudo.sql.Context` knows.

Names are case-insensitive (SQL folds unquoted names; sqlglot folds them to
lower case), so entries are keyed by their lower-case name.

A table holds a DataFrame. A view holds its query and is translated where it is
used (late binding, as in DuckDB): replacing a table a view reads changes the
view. Translated views are cached until the catalog changes.
"""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
from sqlglot import exp

from kyudo.planner import logical as L
from kyudo.sql.errors import SQLError, table_not_found
from kyudo.sql.parse import TableSchema
from kyudo.sql.translate.types import sql_type_name


@dataclass
class Entry:
    name: str  # as the user spelt it
    kind: str  # "table" or "view"
    frame: object = None  # a kyudo DataFrame (tables)
    query: exp.Expression | None = None  # the unqualified query (views)
    dialect: str | None = None


class Catalog:
    def __init__(self):
        self.entries: dict[str, Entry] = {}
        self.functions: dict = {}
        self.aggregations: dict = {}
        self._views: dict[str, L.LogicalPlan] = {}
        self._schemas: dict[str | None, TableSchema] = {}  # by dialect, see sqlglot_schema
        self._expanding: set[str] = set()

    def add(self, entry: Entry, replace: bool = True) -> None:
        key = entry.name.lower()
        previous = self.entries.get(key)
        if previous is not None and not replace:
            raise SQLError(f"{previous.kind} {entry.name!r} already exists")
        self.entries[key] = entry
        self._changed()
        if entry.kind == "view":
            try:
                self.plan_of(entry.name)  # fails now, not at first use, if it cannot bind
            except Exception:
                if previous is None:
                    del self.entries[key]
                else:
                    self.entries[key] = previous
                self._changed()
                raise

    def _changed(self) -> None:
        self._views.clear()
        self._schemas.clear()

    def drop(self, name: str, kind: str | None = None, missing_ok: bool = False) -> None:
        entry = self.entries.get(name.lower())
        if entry is None or (kind is not None and entry.kind != kind):
            if missing_ok:
                return
            raise table_not_found(name, self.names())
        del self.entries[name.lower()]
        self._changed()

    def plan_of(self, name: str) -> L.LogicalPlan | None:
        key = name.lower()
        entry = self.entries.get(key)
        if entry is None:
            return None
        if entry.kind == "table":
            return entry.frame.plan
        if key not in self._views:
            self._views[key] = self._expand(entry)
        return self._views[key]

    def _expand(self, entry: Entry) -> L.LogicalPlan:
        from kyudo.sql.parse import qualify_query, spelling
        from kyudo.sql.sources import files_as_tables
        from kyudo.sql.translate.query import Translator
        from kyudo.sql.translate.relation import output_plan

        key = entry.name.lower()
        if key in self._expanding:
            raise SQLError(f"view {entry.name!r} refers to itself")
        self._expanding.add(key)
        try:
            with files_as_tables(self, entry.query) as query:
                qualified = qualify_query(query.copy(), self.sqlglot_schema(entry.dialect, exclude=key),
                                          entry.dialect)
                names = spelling(query, self.schemas_read_by(query))
                return output_plan(Translator(self).query(qualified), names)
        finally:
            self._expanding.discard(key)

    def schemas_read_by(self, query: exp.Expression) -> list[pa.Schema]:
        """The schemas of the catalog tables and views ``query`` names."""
        names = {t.name.lower() for t in query.find_all(exp.Table)}
        return [self.plan_of(n).schema for n in sorted(names)
                if n in self.entries and n not in self._expanding]

    def names(self) -> list[str]:
        return [e.name for e in self.entries.values()]

    def schema(self, name: str) -> pa.Schema:
        plan = self.plan_of(name)
        if plan is None:
            raise table_not_found(name, self.names())
        return plan.schema

    def sqlglot_schema(self, dialect: str | None = None, exclude: str | None = None) -> TableSchema:
        """Table -> column -> SQL type, what sqlglot's qualifier reads; views
        being expanded are left out (a view that reads itself is an error).

        Built once per dialect until the catalog changes: sqlglot normalizes
        every table's names when it builds one, which costs milliseconds per
        query in a catalog of a few wide tables."""
        cacheable = exclude is None and not self._expanding
        if cacheable and dialect in self._schemas:
            return self._schemas[dialect]
        schema = TableSchema(
            {key: {f.name: sql_type_name(f.type) for f in self.plan_of(key).schema}
             for key in list(self.entries) if key != exclude and key not in self._expanding},
            dialect)
        if cacheable:
            self._schemas[dialect] = schema
        return schema

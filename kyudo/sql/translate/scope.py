"""Name resolution: which plan column a SQL column reference means.

Every FROM item (table, view, CTE, derived table) becomes a :class:`Source`: an
alias and its SQL column names mapped to *plan* column names. Plan names are
made unique across the whole query by :class:`Namer` (``alias.column``, with a
numeric suffix on reuse), because a logical Join refuses inputs that share
column names and a self-join or a CTE used twice would otherwise clash.

A :class:`Scope` is the FROM clause of one SELECT with a link to the enclosing
query's scope; a reference that resolves there is a correlated (outer) one.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from kyudo.sql.errors import SQLError, column_not_found


class Namer:
    """Fresh, readable plan column names, unique within one translation."""

    def __init__(self):
        self._used: set[str] = set()

    def fresh(self, base: str) -> str:
        name, n = base, 1
        while name in self._used:
            n += 1
            name = f"{base}#{n}"
        self._used.add(name)
        return name


@dataclass
class Source:
    """One FROM item: its alias and SQL column name -> plan column name."""

    alias: str
    columns: dict[str, str]

    def lookup(self, name: str) -> str | None:
        if name in self.columns:
            return self.columns[name]
        folded = [plan for sql, plan in self.columns.items() if sql.lower() == name.lower()]
        return folded[0] if len(folded) == 1 else None


@dataclass
class Resolved:
    """A resolved reference: the plan column and whether it is an outer one."""

    column: str
    outer: bool


@dataclass
class Scope:
    """The FROM items visible in one SELECT, and the enclosing scope."""

    sources: list[Source] = field(default_factory=list)
    parent: "Scope | None" = None

    def resolve(self, name: str, table: str | None) -> Resolved:
        scope, outer = self, False
        while scope is not None:
            found = scope._find(name, table)
            if found is not None:
                return Resolved(found, outer)
            scope, outer = scope.parent, True
        label = f"{table}.{name}" if table else name
        raise column_not_found(label, self.visible_names(table))

    def _find(self, name: str, table: str | None) -> str | None:
        matches = []
        for source in self.sources:
            if table is not None and source.alias.lower() != table.lower():
                continue
            column = source.lookup(name)
            if column is not None:
                matches.append(column)
        if len(matches) > 1:
            raise SQLError(f"column reference {name!r} is ambiguous: it could be any of "
                           f"{', '.join(sorted(matches))}")
        return matches[0] if matches else None

    def visible_names(self, table: str | None = None) -> list[str]:
        names, scope = [], self
        while scope is not None:
            for source in scope.sources:
                if table is None or source.alias.lower() == table.lower():
                    names.extend(source.columns)
            scope = scope.parent
        return names

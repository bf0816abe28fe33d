"""Queries: CTEs, SELECT blocks, set operations, FROM items, ORDER BY and LIMIT.

A :class:`Translator` lives for one statement. It owns the :class:`Namer` that
keeps plan column names unique and the stack of CTEs in scope.
"""
from __future__ import annotations

import pyarrow as pa
from sqlglot import exp

from kyudo.planner.specs import SortKey
from kyudo.planner import logical as L
from kyudo.planner.expr import Col, Lit
from kyudo.planner.sources import InMemorySource
from kyudo.sql.errors import SQLError, UnsupportedSQLError, table_not_found
from kyudo.sql.translate.expressions import ExpressionTranslator, key
from kyudo.sql.translate.relation import Relation
from kyudo.sql.translate.scope import Namer, Scope, Source


class Translator:
    def __init__(self, catalog):
        self.catalog = catalog
        self.namer = Namer()
        self.ctes: list[dict[str, Relation]] = []

    # ---- queries --------------------------------------------------------------------------

    def query(self, node: exp.Expression, parent: Scope | None = None) -> Relation:
        with_ = node.args.get("with_") or node.args.get("with")
        if with_ is not None:
            if with_.args.get("recursive"):
                raise UnsupportedSQLError("WITH RECURSIVE is not supported")
            frame: dict[str, Relation] = {}
            self.ctes.append(frame)
            try:
                for cte in with_.expressions:
                    frame[cte.alias_or_name.lower()] = self.query(cte.this, None)
                return self._query(node, parent)
            finally:
                self.ctes.pop()
        return self._query(node, parent)

    def _query(self, node, parent) -> Relation:
        from kyudo.sql.translate.select import SelectBlock
        if isinstance(node, exp.Subquery):
            rel = self.query(node.this, parent)
            return self._order_limit(rel, node)
        if isinstance(node, exp.Select):
            block = SelectBlock(self, node, parent)
            block.from_where()
            if block.correlated:
                raise UnsupportedSQLError("a correlated subquery in this position (only WHERE "
                                          "conditions and scalar subqueries are decorrelated)")
            return block.finish()
        if isinstance(node, exp.SetOperation):
            return self._set_operation(node, parent)
        if isinstance(node, exp.Values):
            return self._values(node)
        raise UnsupportedSQLError(f"{type(node).__name__} is not supported as a query: {node.sql()}")

    def finish_select(self, block, selects, extra_keys) -> Relation:
        """The select list, DISTINCT, ORDER BY and LIMIT of a SELECT block."""
        node = block.node
        names, columns, exprs = [], [], []
        for c in extra_keys:
            exprs.append((c, Col(c)))
            columns.append(c)
            names.append(c)
        by_key: dict[str, str] = {}
        for s in selects:
            name = s.alias_or_name or "?column?"
            e = block.expr(s.this if isinstance(s, exp.Alias) else s, "SELECT")
            column = self.namer.fresh(name)
            exprs.append((column, e))
            names.append(name)
            columns.append(column)
            by_key[key(s.this if isinstance(s, exp.Alias) else s)] = column
        distinct = node.args.get("distinct")
        if distinct is not None and distinct.args.get("on"):
            raise UnsupportedSQLError("DISTINCT ON is not supported")
        hidden = []
        sort_keys = []
        order = _order_of(node)
        for o in (order.expressions if order else []):
            column = self._order_column(o.this, names, columns, by_key)
            if column is None:
                if distinct is not None:
                    raise SQLError(f"for SELECT DISTINCT, ORDER BY expression {o.this.sql()} "
                                   "must appear in the select list")
                e = block.expr(o.this, "ORDER BY")
                column = self.namer.fresh("__order")
                hidden.append((column, e))
            sort_keys.append(SortKey(column, not o.args.get("desc"), bool(o.args.get("nulls_first"))))
        plan = L.Project(block.plan, tuple(exprs + hidden))
        if distinct is not None:
            plan = L.Distinct(plan)
        if sort_keys:
            plan = L.Sort(plan, tuple(sort_keys))
        plan = self._limit(plan, node)
        if hidden:
            plan = L.Project(plan, tuple((c, Col(c)) for c, _ in exprs))
        return Relation(plan, names, columns)

    @staticmethod
    def _order_column(node, names, columns, by_key) -> str | None:
        if isinstance(node, exp.Literal) and not node.is_string:
            position = int(node.this)
            if not 1 <= position <= len(columns):
                raise SQLError(f"ORDER BY position {position} is not in the select list")
            return columns[position - 1]
        if isinstance(node, exp.Column) and not node.table:
            matches = [c for n, c in zip(names, columns) if n.lower() == node.name.lower()]
            if len(matches) == 1:
                return matches[0]
        return by_key.get(key(node))

    def _limit(self, plan, node) -> L.LogicalPlan:
        limit, offset = node.args.get("limit"), node.args.get("offset")
        if limit is None and offset is None:
            return plan
        options = limit.args.get("limit_options") if limit is not None else None
        if options is not None and (options.args.get("percent") or options.args.get("with_ties")):
            raise UnsupportedSQLError(f"{limit.sql()}: PERCENT and WITH TIES are not supported")
        if isinstance(limit, exp.Fetch):
            n = _integer(limit.args.get("count"), "FETCH") if limit.args.get("count") else 1
        else:
            n = _integer(limit.expression if limit is not None else None, "LIMIT")
        skip = _integer(offset.expression if offset is not None else None, "OFFSET") or 0
        return L.Limit(plan, n, skip)

    def _order_limit(self, rel: Relation, node) -> Relation:
        """ORDER BY and LIMIT on a set operation or parenthesised query: they can
        only name output columns (by name or position)."""
        order = _order_of(node)
        plan = rel.plan
        if order is not None:
            keys = []
            for o in order.expressions:
                column = self._order_column(o.this, rel.names, rel.columns, {})
                if column is None:
                    raise SQLError(f"ORDER BY {o.this.sql()}: only output columns may be used here")
                keys.append(SortKey(column, not o.args.get("desc"), bool(o.args.get("nulls_first"))))
            plan = L.Sort(plan, tuple(keys))
        plan = self._limit(plan, node)
        return Relation(plan, rel.names, rel.columns)

    def _set_operation(self, node, parent) -> Relation:
        left = self.query(node.this, parent)
        right = self.query(node.expression, parent)
        if len(left.columns) != len(right.columns):
            raise SQLError(f"{type(node).__name__.upper()} inputs have {len(left.columns)} and "
                           f"{len(right.columns)} columns")
        extra = sorted(k for k, v in node.args.items()
                       if v and k not in ("this", "expression", "distinct", "order", "limit",
                                          "offset", "with_"))
        if extra:
            raise UnsupportedSQLError(f"{type(node).__name__.upper()} with {', '.join(extra)} "
                                      "is not supported")
        columns = [self.namer.fresh(n) for n in left.names]
        lp = L.Project(left.plan, tuple((c, Col(o)) for c, o in zip(columns, left.columns)))
        rp = L.Project(right.plan, tuple((c, Col(o)) for c, o in zip(columns, right.columns)))
        distinct = node.args.get("distinct", True) is not False
        if isinstance(node, exp.Union):
            plan = L.Union((lp, rp))
            if distinct:
                plan = L.Distinct(plan)
        else:
            if not distinct:
                raise UnsupportedSQLError(f"{type(node).__name__.upper()} ALL is not supported")
            how = "semi" if isinstance(node, exp.Intersect) else "anti"
            on = tuple(columns)
            plan = L.Join(L.Distinct(lp), L.Distinct(rp), how, on, on, null_equal=True)
        return self._order_limit(Relation(plan, list(left.names), columns), node)

    def _values(self, node: exp.Values) -> Relation:
        rows = []
        for row in node.expressions:
            tr = ExpressionTranslator(Scope(), pa.schema([]))
            values = [tr(v) for v in row.expressions]
            if not all(isinstance(v, Lit) for v in values):
                raise UnsupportedSQLError("VALUES rows must be constants")
            rows.append(values)
        alias = node.args.get("alias")
        width = len(rows[0])
        names = ([c.name for c in alias.columns] if alias is not None and alias.columns
                 else [f"col{i}" for i in range(width)])
        arrays = {}
        for i, name in enumerate(names):
            lits = [r[i] for r in rows]
            dtype = next((v.dtype for v in lits if v.dtype is not None), None)
            arrays[name] = pa.array([v.value for v in lits], type=dtype)
        table = pa.table(arrays)
        return Relation(L.Scan(InMemorySource([table])), names, names)

    # ---- FROM items -----------------------------------------------------------------------

    def from_item(self, node: exp.Expression, scope: Scope) -> L.LogicalPlan:
        """The plan of one FROM item, under fresh column names, registered in ``scope``."""
        if isinstance(node, exp.Table):
            extra = sorted(k for k, v in node.args.items() if v and k not in ("this", "alias", "db", "catalog"))
            if extra:
                raise UnsupportedSQLError(f"{node.sql()}: {', '.join(extra)} is not supported on a table")
            if node.args.get("db") or node.args.get("catalog"):
                raise UnsupportedSQLError(f"qualified table names are not supported: {node.sql()}")
            if isinstance(node.this, exp.Anonymous) or not isinstance(node.this, exp.Identifier):
                raise UnsupportedSQLError(f"table functions are not supported: {node.sql()}")
            rel = self._table(node.name)
            alias = node.alias_or_name
        elif isinstance(node, exp.Subquery):
            rel = self.query(node.this, None)
            rel = self._order_limit(rel, node)
            alias = node.alias or self.namer.fresh("subquery")
        elif isinstance(node, exp.Values):
            rel = self._values(node)
            alias = node.alias or "values"
        else:
            raise UnsupportedSQLError(f"{type(node).__name__} is not supported in FROM: {node.sql()}")
        names = list(rel.names)
        alias_node = node.args.get("alias")
        if alias_node is not None and alias_node.columns:
            renamed = [c.name for c in alias_node.columns]
            if len(renamed) > len(names):
                raise SQLError(f"{alias} has {len(names)} columns but {len(renamed)} names were given")
            names[:len(renamed)] = renamed
        fresh = [self.namer.fresh(f"{alias}.{n}") for n in names]
        plan = L.Project(rel.plan, tuple((f, Col(c)) for f, c in zip(fresh, rel.columns)))
        scope.sources.append(Source(alias, dict(zip(names, fresh))))
        return plan

    def _table(self, name: str) -> Relation:
        lowered = name.lower()
        for frame in reversed(self.ctes):
            if lowered in frame:
                return frame[lowered]
        plan = self.catalog.plan_of(name)
        if plan is None:
            raise table_not_found(name, self.catalog.names())
        return Relation(plan, list(plan.schema.names), list(plan.schema.names))


def _order_of(node) -> exp.Order | None:
    """The ORDER BY of ``node``; WITH FILL is refused by name."""
    order = node.args.get("order")
    for o in (order.expressions if order is not None else []):
        if o.args.get("with_fill"):
            raise UnsupportedSQLError(f"ORDER BY ... WITH FILL is not supported: {o.sql()}")
    return order


def _integer(node, clause: str) -> int | None:
    if node is None:
        return None
    if not isinstance(node, exp.Literal) or node.is_string:
        raise UnsupportedSQLError(f"{clause} must be a whole number constant, not {node.sql()}")
    return int(node.this)


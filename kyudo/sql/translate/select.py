"""One SELECT block: FROM, WHERE, GROUP BY, HAVING, windows, the select list.

``SelectBlock`` is built in two steps so subqueries can stop half way:
:meth:`from_where` builds the joined and filtered input, setting aside the WHERE
conjuncts that read an enclosing query's columns (``correlated``), and
:meth:`finish` adds grouping, windows and the select list. A correlated scalar
subquery calls ``finish(extra_keys=...)`` to group by its correlation columns.
"""
from __future__ import annotations

import pyarrow as pa
from sqlglot import exp

from kyudo.planner.specs import AggSpec
from kyudo.planner import logical as L
from kyudo.planner.expr import Call, Col, Expr, Lit, conjoin, conjuncts
from kyudo.planner.types import infer_type
from kyudo.sql.errors import SQLError, UnsupportedSQLError
from kyudo.sql.translate import aggregates as agg
from kyudo.sql.translate import subqueries, windows
from kyudo.sql.translate.expressions import ExpressionTranslator, key, typed
from kyudo.sql.translate.joins import join, join_graph, join_kind, split_keys
from kyudo.sql.translate.relation import Relation, one_row, with_columns
from kyudo.sql.translate.scope import Scope


def _and_terms(node: exp.Expression | None) -> list[exp.Expression]:
    if node is None:
        return []
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return _and_terms(node.this) + _and_terms(node.expression)
    return [node]


# SELECT clauses this module translates; any other one present is refused by
# name rather than silently ignored (it would change the answer)
_CLAUSES = {"expressions", "from_", "joins", "where", "group", "having", "qualify", "order",
            "limit", "offset", "distinct", "with_", "hint"}


class SelectBlock:
    def __init__(self, translator, node: exp.Select, parent: Scope | None):
        unknown = sorted(k for k, v in node.args.items() if v and k not in _CLAUSES)
        if unknown:
            names = ", ".join("named WINDOW" if k == "windows" else k.upper().rstrip("_")
                              for k in unknown)
            raise UnsupportedSQLError(f"SELECT clause {names} is not supported")
        self.t, self.node = translator, node
        self.scope = Scope(parent=parent)
        self.plan: L.LogicalPlan | None = None
        self.correlated: list[Expr] = []
        self.replacements: dict[str, str] = {}
        self.grouped: set[str] | None = None  # after GROUP BY: the columns still visible
        self.key_columns: list[str] = []  # the GROUP BY expressions' columns
        self.last_outer: set[str] = set()  # outer columns the last expression read

    # ---- helpers -------------------------------------------------------------------------

    def expr(self, node: exp.Expression, clause: str, allow_outer: bool = False) -> Expr:
        """Translate ``node`` over the current plan; scalar subqueries in it are
        joined onto the plan first."""
        for sub in _scalar_subqueries(node):
            if key(sub) not in self.replacements:
                self.plan, column = subqueries.join_scalar(self, sub)
                self._replace(sub, column)
        for sub in _predicate_subqueries(node):
            if key(sub) not in self.replacements:
                self.plan, value = subqueries.join_mark(self, sub)
                column = self.t.namer.fresh("__subquery")
                self.plan = with_columns(self.plan, [(column, value)])
                self._replace(sub, column)
        tr = ExpressionTranslator(self.scope, self.plan.schema, self.replacements,
                                  self.t.catalog.functions, clause)
        result = tr(node)
        if self.grouped is not None and not tr.outer and not result.columns() <= self.grouped:
            raise SQLError(f"{node.sql()} must appear in the GROUP BY clause or be used in an "
                           "aggregate function")
        if tr.outer and not allow_outer:
            raise UnsupportedSQLError(f"a correlated reference is only supported in the WHERE "
                                      f"clause of a subquery: {node.sql()}")
        self.last_outer = tr.outer
        if not tr.outer:
            typed(result, node, self.plan.schema)
        return result

    def _replace(self, node: exp.Expression, column: str) -> None:
        """From now on ``node`` means ``column`` (which counts as grouped)."""
        self.replacements[key(node)] = column
        if self.grouped is not None:
            self.grouped.add(column)

    def column_for(self, node: exp.Expression, clause: str) -> str:
        """A plan column holding ``node``'s value (computed by a Project if needed)."""
        e = self.expr(node, clause)
        if pa.types.is_null(infer_type(e, self.plan.schema)):
            e = Call("cast", (e,), (("to", pa.int64()),))  # an untyped NULL: SQL's INTEGER
        if isinstance(e, Col):
            return e.name
        name = self.t.namer.fresh(f"__{clause.replace(' ', '_')}")
        self.plan = with_columns(self.plan, [(name, e)])
        return name

    # ---- FROM and WHERE ------------------------------------------------------------------

    def from_where(self) -> None:
        node = self.node
        where = _and_terms(node.args["where"].this) if node.args.get("where") else []
        plain = [w for w in where if not _scalar_subqueries(w) and not _predicate_subqueries(w)]
        later = [w for w in where if w not in plain]
        from_ = node.args.get("from_")
        if from_ is None:
            self.plan = one_row()
            pending = []
        else:
            items = [from_.this] + [j for j in node.args.get("joins") or []]
            pending, later = self._build_from(items, plain, later)
        if pending:
            self.plan = L.Filter(self.plan, conjoin(pending))
        for w in later:
            if subqueries.is_predicate_subquery(w):
                self.plan = subqueries.apply_predicate(self, w)
            else:
                self._filter(w)

    def _filter(self, w: exp.Expression) -> None:
        e = self.expr(w, "WHERE", allow_outer=True)
        if self.last_outer:
            self.correlated.append(e)
        else:
            self.plan = L.Filter(self.plan, e)

    def _build_from(self, items, where: list[exp.Expression], later: list[exp.Expression]):
        """Join the FROM items; returns the plain WHERE conjuncts still to apply
        and the subquery conjuncts not yet applied. Comma-separated items are
        pooled and joined on WHERE equalities once every item is in scope; an
        explicit JOIN joins the pool before it. An [NOT] EXISTS / IN conjunct
        that reads one pooled item only filters that item before the joins."""
        pool: list[L.LogicalPlan] = []
        aliases: list[set[str]] = []
        for i, item in enumerate(items):
            how = "cross" if i == 0 else join_kind(item)
            plan, names = self._from_item(item.this if isinstance(item, exp.Join) else item)
            if how == "cross":
                pool.append(plan)
                aliases.append(names)
                continue
            left, _ = join_graph(pool, [], self.t.namer)
            pool = [self._explicit_join(left, plan, item, how)]
            aliases = [set().union(*aliases, names)]
        remaining = []
        for w in later:
            target = _only_item(w, aliases) if subqueries.is_predicate_subquery(w) else None
            if target is None:
                remaining.append(w)
                continue
            self.plan = pool[target]
            pool[target] = subqueries.apply_predicate(self, w)
        self.plan = _placeholder(pool)
        conditions = []
        for w in where:
            e = self.expr(w, "WHERE", allow_outer=True)
            (self.correlated if self.last_outer else conditions).extend(conjuncts(e))
        self.plan, rest = join_graph(pool, conditions, self.t.namer)
        return rest, remaining

    def _from_item(self, node: exp.Expression) -> tuple[L.LogicalPlan, set[str]]:
        """One FROM item's plan and the names it brings into scope. A
        parenthesised join, ``(a JOIN b ON ...)``, which sqlglot reads as a
        subquery without a query around a table with joins, brings all its
        tables, joined among themselves first: ``x LEFT JOIN (a JOIN b ON ...)``
        keeps x's rows that match no (a, b) pair."""
        if _is_join_group(node):  # with an alias, the qualifier has made it a query
            return self._joined(node.this, node.args.get("joins") or [])
        if isinstance(node, exp.Table) and node.args.get("joins"):
            first = node.copy()
            first.set("joins", None)
            return self._joined(first, node.args["joins"])
        plan = self.t.from_item(node, self.scope)
        return plan, {self.scope.sources[-1].alias.lower()}

    def _joined(self, first: exp.Expression, joins: list) -> tuple[L.LogicalPlan, set[str]]:
        plan, names = self._from_item(first)
        for item in joins:
            right, more = self._from_item(item.this)
            plan = self._explicit_join(plan, right, item, join_kind(item))
            names |= more
        return plan, names

    def _explicit_join(self, left, right, item: exp.Join, how: str) -> L.LogicalPlan:
        on = item.args.get("on")  # the qualifier has turned USING and NATURAL into ON
        if how == "cross" and on is None:
            return join(left, right, "cross", [], [], self.t.namer)
        if _scalar_subqueries(on) or _predicate_subqueries(on):
            raise UnsupportedSQLError(f"a subquery in a JOIN condition: {on.sql()}")
        self.plan = _placeholder([left, right])
        predicates = conjuncts(self.expr(on, "ON"))
        keys, residual = split_keys(predicates, set(left.schema.names), set(right.schema.names))
        if how == "inner":  # the residual is a filter; with no keys, over a cross join
            joined = join(left, right, "inner" if keys else "cross", keys, [], self.t.namer)
            return L.Filter(joined, conjoin(residual)) if residual else joined
        return join(left, right, how, keys, residual, self.t.namer)

    # ---- the rest of the block ----------------------------------------------------------

    def finish(self, extra_keys: tuple[str, ...] = ()) -> Relation:
        node = self.node
        selects = list(node.expressions)
        having = node.args["having"].this if node.args.get("having") else None
        order = node.args.get("order")
        order_nodes = [o.this for o in order.expressions] if order else []
        group = node.args.get("group")
        if group is not None and group.args.get("all"):
            group_keys, sets = self._group_by_all(selects), None
        else:
            group_keys, sets = agg.grouping_sets(group)
        qualify = node.args["qualify"].this if node.args.get("qualify") else None
        aggregates = agg.find_aggregates(selects + [having, qualify] + order_nodes,
                                         self.t.catalog.aggregations)
        if extra_keys and (group_keys or not aggregates):
            raise UnsupportedSQLError("a correlated scalar subquery must be an aggregate without "
                                      f"GROUP BY: {node.sql()}")
        if group is not None or aggregates or having is not None or extra_keys:
            self._aggregate(group_keys, sets, aggregates, extra_keys)
            self._grouping_function(selects + [having] + order_nodes, group_keys, sets)
        if having is not None:
            predicate = self.expr(having, "HAVING")  # may join scalar subqueries first
            self.plan = L.Filter(self.plan, predicate)
        qualify = node.args["qualify"].this if node.args.get("qualify") else None
        self._windows(selects + order_nodes + ([qualify] if qualify is not None else []))
        if qualify is not None:
            predicate = self.expr(qualify, "QUALIFY")
            self.plan = L.Filter(self.plan, predicate)
        return self.t.finish_select(self, selects, extra_keys)

    def _group_by_all(self, selects) -> list[exp.Expression]:
        """GROUP BY ALL: every select expression without an aggregate or window."""
        aggregations = self.t.catalog.aggregations
        return [s.this if isinstance(s, exp.Alias) else s for s in selects
                if not agg.find_aggregates([s], aggregations) and not list(s.find_all(exp.Window))]

    def _aggregate(self, group_keys, sets, aggregates, extra_keys) -> None:
        key_columns = [self.column_for(k, "GROUP BY") for k in group_keys]
        specs, seen, finalizers, over_distinct = [], {}, [], []
        for a in aggregates:
            k = key(a)
            if k in seen:
                continue
            if isinstance(a, exp.Anonymous):
                seen[k] = self._user_aggregate(a, specs, finalizers)
                continue
            fn, argument = agg.filtered_argument(a)
            column = self.column_for(argument, "aggregate") if argument is not None else None
            output = self.t.namer.fresh(fn.sql_name().lower())
            distinct = agg.distinct_argument(fn)
            spec = agg.aggregate_spec(fn, output, column, over_distinct=distinct)
            (over_distinct if distinct else specs).append(spec)
            seen[k] = output
        keys = tuple(dict.fromkeys(list(extra_keys) + key_columns))
        if not specs and (sets is not None or not over_distinct):
            # an Aggregate needs an aggregate: without one the engine returns no
            # row for the grand total of an empty key set
            specs.append(AggSpec(self.t.namer.fresh("__rows"), "size", None))
        if over_distinct and sets is not None:
            raise UnsupportedSQLError("aggregates of DISTINCT values with grouping sets")
        pre_aggregation = self.plan
        if sets is not None:
            self.plan = _grouping_sets_plan(self, keys, key_columns, sets, specs)
        elif specs:
            self.plan = L.Aggregate(self.plan, keys, tuple(specs))
        else:  # only DISTINCT aggregates: start from the first
            self.plan = self._distinct_aggregate(pre_aggregation, keys, over_distinct.pop(0), keys)
        for spec in over_distinct:
            fresh = tuple(self.t.namer.fresh(f"__distinct.{k}") for k in keys)
            right = self._distinct_aggregate(pre_aggregation, keys, spec, fresh)
            joined = L.Join(self.plan, right, "left" if keys else "cross", keys, fresh, null_equal=True)
            self.plan = L.Project(joined, tuple((c, Col(c)) for c in self.plan.schema.names + [spec.output]))
        self.plan = with_columns(self.plan, finalizers)
        for k_node, column in zip(group_keys, key_columns):
            self.replacements[key(k_node)] = column
        self.replacements.update(seen)
        self.grouped = set(self.plan.schema.names)
        self.key_columns = key_columns

    @staticmethod
    def _distinct_aggregate(source: L.LogicalPlan, keys: tuple[str, ...], spec: AggSpec,
                            renamed_keys: tuple[str, ...]) -> L.LogicalPlan:
        """``agg(DISTINCT x)`` per group: the aggregate over the distinct (keys, x)
        rows of ``source``, its keys renamed (to be joined to the other
        aggregates on the keys, NULL keys equal)."""
        columns = tuple((c, Col(c)) for c in dict.fromkeys(keys + (spec.column,)))
        aggregated = L.Aggregate(L.Distinct(L.Project(source, columns)), keys, (spec,))
        return L.Project(aggregated, tuple((f, Col(k)) for f, k in zip(renamed_keys, keys))
                         + ((spec.output, Col(spec.output)),))

    def _user_aggregate(self, node: exp.Anonymous, specs: list, finalizers: list) -> str:
        """Add the parts of a registered aggregation to ``specs`` and its finalize
        call to ``finalizers``; returns the output column."""
        aggregation = self.t.catalog.aggregations[node.name.lower()]
        if len(node.expressions) != 1:
            raise SQLError(f"{node.sql()}: {aggregation.name} takes one argument")
        column = self.column_for(node.expressions[0], "aggregate")
        parts = []
        for _, func in aggregation.parts:
            output = self.t.namer.fresh(f"{aggregation.name}.{func}")
            options = (("min_count", 1),) if func == "sum" else ()
            specs.append(AggSpec(output, func, None if func == "size" else column, options))
            parts.append(Col(output))
        output = self.t.namer.fresh(aggregation.name)
        finalizers.append((output, aggregation.finalize.call(parts)))
        return output

    def _grouping_function(self, nodes, group_keys, sets) -> None:
        """GROUPING(a, b, ...): a bit per argument, 1 where the grouping set left
        that key out, first argument highest, read from the per-branch indicator
        columns of a grouping-sets plan (always 0 for a plain GROUP BY)."""
        texts = [key(k) for k in group_keys]
        for n in nodes:
            for g in (n.find_all(exp.Grouping) if n is not None else ()):
                value: Expr = Lit(0, pa.int64())
                for arg in g.expressions:
                    if key(arg) not in texts:
                        raise SQLError(f"{g.sql()}: {arg.sql()} is not a GROUP BY expression")
                    bit = (Col(_indicator(self.key_columns[texts.index(key(arg))]))
                           if sets is not None else Lit(0, pa.int64()))
                    value = Call("add", (Call("multiply", (value, Lit(2, pa.int64()))), bit))
                name = self.t.namer.fresh("grouping")
                self.plan = with_columns(self.plan, [(name, value)])
                self.replacements[key(g)] = name
                self.grouped.add(name)

    def _windows(self, nodes) -> None:
        found = windows.find_windows(nodes)
        groups: dict[tuple, list] = {}
        for w in found:
            if key(w) in self.replacements:
                continue
            partition = tuple(self.column_for(p, "PARTITION BY") for p in w.args.get("partition_by") or [])
            order = windows.sort_keys(w.args.get("order"), lambda n: self.column_for(n, "window ORDER BY"))
            output = self.t.namer.fresh(w.this.sql_name().lower())
            fn = windows.window_function(w, output, lambda n: self.column_for(n, "window"),
                                         self._constant)
            groups.setdefault((partition, order), []).append(fn)
            self.replacements[key(w)] = output
            if self.grouped is not None:
                self.grouped.add(output)
        for (partition, order), functions in groups.items():
            self.plan = L.Window(self.plan, partition, order, tuple(functions))

    def _constant(self, node):
        value = self.expr(node, "window")
        if not isinstance(value, Lit):
            raise UnsupportedSQLError(f"{node.sql()} must be a constant")
        return value.value


def _is_join_group(node: exp.Expression) -> bool:
    """Whether a FROM item is a parenthesised join (tables, not a query, inside)."""
    return isinstance(node, exp.Subquery) and (isinstance(node.this, exp.Table) or _is_join_group(node.this))


def _only_item(node: exp.Expression, aliases: list[set[str]]) -> int | None:
    """The index of the one FROM item whose aliases are all that a subquery
    conjunct reads of this block (its IN operand and correlated columns); None
    when it reads none, several, or a name the subquery itself redefines."""
    inner, _ = subqueries.unwrap(node)
    query = inner.args["query"] if isinstance(inner, exp.In) else inner.this
    mine = set().union(*aliases)
    defined = {a.name.lower() for a in query.find_all(exp.TableAlias)}
    columns = list(inner.this.find_all(exp.Column)) if isinstance(inner, exp.In) else []
    refs = set()
    for c in columns + list(query.find_all(exp.Column)):
        table = c.table.lower()
        if table in mine and table in defined:
            return None
        if table in mine or (not table and c in columns):
            refs.add(table)
    if not refs or "" in refs:
        return None
    matches = [i for i, a in enumerate(aliases) if refs <= a]
    return matches[0] if len(matches) == 1 else None


def _placeholder(plans: list[L.LogicalPlan]) -> L.LogicalPlan:
    """A plan with every column of ``plans`` (a cross join, never run) so that
    expressions over several FROM items can be translated and typed."""
    plan = plans[0]
    for p in plans[1:]:
        plan = L.Join(plan, p, "cross", (), ())
    return plan


def _subqueries(node: exp.Expression, predicates: bool) -> list[exp.Expression]:
    """Scalar subqueries (or, with ``predicates``, EXISTS and IN (subquery)
    nodes) in ``node``, not inside another subquery."""
    found = []

    def visit(n):
        is_in = isinstance(n, exp.In) and n.args.get("query") is not None
        if isinstance(n, exp.Exists) or is_in:
            if predicates:
                found.append(n)
            elif is_in:
                visit(n.this)
            return
        if isinstance(n, exp.Subquery):
            if not predicates:
                found.append(n)
            return
        if isinstance(n, exp.Select):
            return
        for child in n.iter_expressions():
            visit(child)

    visit(node)
    return found


def _scalar_subqueries(node: exp.Expression) -> list[exp.Expression]:
    return _subqueries(node, predicates=False)


def _predicate_subqueries(node: exp.Expression) -> list[exp.Expression]:
    return _subqueries(node, predicates=True)


def _indicator(key_column: str) -> str:
    """The column of a grouping-sets branch that is 1 when ``key_column`` is not
    one of the branch's keys."""
    return f"__grouping.{key_column}"


def _grouping_sets_plan(block: SelectBlock, keys, key_columns, sets, specs) -> L.LogicalPlan:
    """One Aggregate per grouping set, keys outside the set NULL, unioned."""
    schema = block.plan.schema
    branches = []
    for members in sets:
        kept = tuple(k for k in keys if k not in key_columns or key_columns.index(k) in members)
        branch = L.Aggregate(block.plan, kept, tuple(specs))
        exprs = []
        for f in L.Aggregate(block.plan, keys, tuple(specs)).schema:
            if f.name in kept or f.name not in keys:
                exprs.append((f.name, Col(f.name)))
            else:
                exprs.append((f.name, Lit(None, schema.field(f.name).type)))
        exprs += [(_indicator(k), Lit(int(k not in kept), pa.int64())) for k in key_columns]
        branches.append(L.Project(branch, tuple(exprs)))
    return L.Union(tuple(branches)) if len(branches) > 1 else branches[0]


"""SQL scalar expressions as kyudo expression trees.

The translator works on one scope. Nodes that a clause has already computed as
columns (aggregates after GROUP BY, window functions, scalar subqueries joined in,
GROUP BY expressions) are found in ``replacements``, keyed by their SQL text, and
become column references. References to an enclosing query's columns are
recorded in ``outer`` so the subquery translator can decorrelate them.

SQL semantics kept here rather than in the catalog: ``/`` on decimals is float
division (DuckDB), ``OR`` of ANDs has its common conjuncts factored out (so a
join predicate repeated in every branch, as in TPC-H Q19, becomes a join key).
"""
from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
from sqlglot import exp

from kyudo.planner.evaluate import evaluate
from kyudo.planner.expr import Call, Col, Expr, Lit, call, conjoin, conjuncts
from kyudo.planner.types import ExpressionError, infer_type
from kyudo.sql.errors import SQLError, SQLTypeError, UnsupportedSQLError
from kyudo.sql.functions import c_mod, date_part, dtype_of_literal, translate_function
from kyudo.sql.translate.scope import Scope
from kyudo.sql.translate.types import arrow_type

_COMPARE = {exp.EQ: "equal", exp.NEQ: "not_equal", exp.LT: "less", exp.LTE: "less_equal",
            exp.GT: "greater", exp.GTE: "greater_equal"}
_ARITHMETIC = {exp.Add: "add", exp.Sub: "subtract", exp.Mul: "multiply"}
_INTERVAL_UNITS = {"year": (12, 0, 0), "quarter": (3, 0, 0), "month": (1, 0, 0),
                   "week": (0, 7, 0), "day": (0, 1, 0), "hour": (0, 0, 3_600 * 10 ** 9),
                   "minute": (0, 0, 60 * 10 ** 9), "second": (0, 0, 10 ** 9)}


# ops whose Arrow kernels have no case for the NULL type: an untyped NULL literal
# takes the type of the other arguments (int64 when all are NULL), as SQL's does
_NULL_TYPED = frozenset(["equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
                         "add", "subtract", "multiply", "divide", "floordiv", "mod", "negate",
                         "abs", "between", "sign", "floor", "ceil", "round", "nullif",
                         "coalesce"])


def _type_nulls(node: Call, schema: pa.Schema) -> Call:
    try:
        types = [infer_type(a, schema) for a in node.args]
    except (ExpressionError, KeyError):
        return node  # outer references: typed once joined
    if not any(pa.types.is_null(t) for t in types):
        return node
    target = next((t for t in types if not pa.types.is_null(t)), pa.int64())

    def typed_null(arg: Expr) -> Expr:
        if isinstance(arg, Lit):
            return Lit(None, target)
        return Call("cast", (arg,), (("to", target),))
    return Call(node.op, tuple(typed_null(a) if pa.types.is_null(t) else a
                               for a, t in zip(node.args, types)), node.options)


def key(node: exp.Expression) -> str:
    """The identity of an expression for ``replacements``: its SQL text."""
    return node.sql(dialect="duckdb")


class ExpressionTranslator:
    def __init__(self, scope: Scope, schema: pa.Schema, replacements: dict[str, str] | None = None,
                 user_functions: dict | None = None, clause: str = "expression"):
        self.scope = scope
        self.schema = schema  # of the plan the expression will run on
        self.replacements = replacements or {}
        self.user_functions = user_functions or {}
        self.clause = clause
        self.outer: set[str] = set()

    def __call__(self, node: exp.Expression) -> Expr:
        if self.replacements:  # key() generates SQL text: only where it can match
            found = self.replacements.get(key(node))
            if found is not None:
                return Col(found)
        if node.args.get("negate"):  # sqlglot's NOT LIKE / NOT ILIKE
            positive = node.copy()
            positive.set("negate", False)
            return Call("not", (self(positive),))
        result = self._translate(node)
        if isinstance(result, Call) and result.op in _NULL_TYPED:
            result = _type_nulls(result, self.schema)
        return result

    def _translate(self, node: exp.Expression) -> Expr:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is not None:
            return method(node)
        for cls, op in _COMPARE.items():
            if isinstance(node, cls):
                return Call(op, (self(node.this), self(node.expression)))
        if isinstance(node, exp.AggFunc):
            raise SQLError(f"aggregate {node.sql()} is not allowed in {self.clause}")
        if isinstance(node, exp.Func):
            return translate_function(node, self, self.user_functions)
        raise UnsupportedSQLError(f"SQL construct {type(node).__name__} ({node.sql()}) is not supported")

    # ---- leaves ---------------------------------------------------------------------

    def _Column(self, node: exp.Column) -> Expr:
        if isinstance(node.this, exp.Star):
            raise UnsupportedSQLError(f"{node.sql()} is not allowed here")
        resolved = self.scope.resolve(node.name, node.table or None)
        if resolved.outer:
            self.outer.add(resolved.column)
        return Col(resolved.column)

    def _Literal(self, node: exp.Literal) -> Expr:
        if node.is_string:
            return Lit(node.this)
        text = node.this
        if any(c in text for c in "eE"):
            return Lit(float(text))
        if "." in text:
            value = Decimal(text)
            return Lit(value, dtype_of_literal(value))
        return Lit(int(text))

    def _Boolean(self, node):
        return Lit(node.this, pa.bool_())

    def _Null(self, node):
        return Lit(None)

    def _Paren(self, node):
        return self(node.this)

    def _Alias(self, node):
        return self(node.this)

    # ---- operators ------------------------------------------------------------------

    def _Neg(self, node):
        inner = self(node.this)
        if isinstance(inner, Lit) and isinstance(inner.value, (int, float, Decimal)):
            return Lit(-inner.value, inner.dtype)
        return Call("negate", (inner,))

    def _Add(self, node):
        return self._arithmetic(node, 1)

    def _Sub(self, node):
        return self._arithmetic(node, -1)

    def _Mul(self, node):
        return Call("multiply", (self(node.this), self(node.expression)))

    def _arithmetic(self, node, sign: int) -> Expr:
        left, right = node.this, node.expression
        if isinstance(right, exp.Interval):
            return self._add_interval(self(left), right, sign)
        if isinstance(left, exp.Interval) and sign == 1:
            return self._add_interval(self(right), left, sign)
        return Call("add" if sign == 1 else "subtract", (self(left), self(right)))

    def _add_interval(self, value: Expr, interval: exp.Interval, sign: int) -> Expr:
        months, days, nanos = interval_parts(interval)
        result = call("add_interval", value, months=sign * months, days=sign * days,
                      nanoseconds=sign * nanos)
        return fold(result) if not value.columns() else result

    def _Interval(self, node):
        raise UnsupportedSQLError(f"an interval ({node.sql()}) can only be added to or "
                                  "subtracted from a date or timestamp")

    def _Div(self, node):
        """DuckDB: integers divide to a double, and so do decimals."""
        a, b = self(node.this), self(node.expression)
        a, b = (_decimal_as_float(x, self.schema) for x in (a, b))
        return Call("divide", (a, b))

    def _IntDiv(self, node):
        """DuckDB's ``//``: integers divide truncating towards zero, other numbers
        divide as ``/`` does."""
        a, b = self(node.this), self(node.expression)
        try:
            integers = all(pa.types.is_integer(infer_type(x, self.schema)) for x in (a, b))
        except (ExpressionError, KeyError):
            integers = False
        if not integers:
            return Call("divide", (a, b))
        inexact = Call("and", (Call("not_equal", (Call("mod", (a, b)), Lit(0))),
                               Call("not_equal", (Call("less", (a, Lit(0))), Call("less", (b, Lit(0)))))))
        floor = Call("floordiv", (a, b))
        return Call("if_else", (inexact, Call("add", (floor, Lit(1))), floor))

    def _Mod(self, node):
        return c_mod(self(node.this), self(node.expression))

    def _DPipe(self, node):
        return Call("concat", (self(node.this), self(node.expression)))

    def _And(self, node):
        return Call("and", (self(node.this), self(node.expression)))

    def _Or(self, node):
        return factor_or([self(d) for d in _disjuncts(node)])

    def _Not(self, node):
        return Call("not", (self(node.this),))

    def _Is(self, node):
        target = node.expression
        if isinstance(target, exp.Null):
            return Call("is_null", (self(node.this),))
        if isinstance(target, exp.Boolean):
            value = self(node.this)
            return Call("coalesce", (Call("equal", (value, Lit(target.this, pa.bool_()))),
                                     Lit(False, pa.bool_())))
        raise UnsupportedSQLError(f"{node.sql()} is not supported")

    def _NullSafeEQ(self, node):
        a, b = self(node.this), self(node.expression)
        both_null = Call("and", (Call("is_null", (a,)), Call("is_null", (b,))))
        return Call("or", (both_null, Call("coalesce", (Call("equal", (a, b)), Lit(False, pa.bool_())))))

    def _NullSafeNEQ(self, node):
        return Call("not", (self._NullSafeEQ(node),))

    def _Between(self, node):
        if node.args.get("symmetric"):
            raise UnsupportedSQLError(f"BETWEEN SYMMETRIC is not supported: {node.sql()}")
        return Call("between", (self(node.this), self(node.args["low"]), self(node.args["high"])))

    def _In(self, node):
        if node.args.get("field") is not None:
            raise UnsupportedSQLError(f"IN with a field is not supported: {node.sql()}")
        if node.args.get("query") is not None or node.args.get("unnest") is not None:
            raise UnsupportedSQLError(f"IN (subquery) is only supported as a condition of WHERE "
                                      f"(ANDed with the others): {node.sql()}")
        value = self(node.this)
        items = [self(e) for e in node.expressions]
        if all(isinstance(i, Lit) for i in items):
            return Call("is_in", (value,), (("values", tuple(_python(i) for i in items)),))
        return factor_or([Call("equal", (value, i)) for i in items])

    def _Like(self, node):
        return self._like(node, "like", None)

    def _ILike(self, node):
        return self._like(node, "ilike", None)

    def _Escape(self, node):
        inner = node.this
        op = "ilike" if isinstance(inner, exp.ILike) else "like"
        escape = self(node.expression)
        return self._like(inner, op, escape.value if isinstance(escape, Lit) else None)

    def _like(self, node, op: str, escape: str | None) -> Expr:
        pattern = self(node.expression)
        if not isinstance(pattern, Lit) or not isinstance(pattern.value, str):
            raise UnsupportedSQLError(f"{node.sql()}: the LIKE pattern must be a string constant")
        return call(op, self(node.this), pattern=pattern.value, escape=escape)

    def _Case(self, node):
        operand = self(node.this) if node.this is not None else None
        args: list[Expr] = []
        for branch in node.args.get("ifs") or []:
            condition = self(branch.this)
            if operand is not None:
                condition = Call("equal", (operand, condition))
            args += [condition, self(branch.args["true"])]
        default = node.args.get("default")
        args.append(self(default) if default is not None else Lit(None))
        return Call("case_when", tuple(args))

    def _If(self, node):
        false = node.args.get("false")
        return Call("if_else", (self(node.this), self(node.args["true"]),
                                self(false) if false is not None else Lit(None)))

    def _Cast(self, node):
        return self._cast(node, "cast")

    def _TryCast(self, node):
        return self._cast(node, "try_cast")

    def _cast(self, node, op: str) -> Expr:
        if any(node.args.get(k) for k in ("format", "action", "default")):
            raise UnsupportedSQLError(f"CAST with FORMAT or a default is not supported: {node.sql()}")
        to = arrow_type(node.args["to"])
        value = self(node.this)
        if isinstance(value, Lit) and value.value is None:
            return Lit(None, to)
        if isinstance(value, Lit) and isinstance(value.value, str) and \
                (pa.types.is_date(to) or pa.types.is_timestamp(to)):
            try:
                return Lit(pa.scalar(value.value).cast(to).as_py(), to)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
                raise SQLError(f"{node.sql()}: {err}") from None
        if pa.types.is_integer(to) and _is_float(value, self.schema):
            value = _round_half_away(value)  # SQL rounds, Arrow's safe cast would refuse
        return call(op, value, to=to)

    def _Extract(self, node):
        return date_part(node.this.name, self(node.expression))

    def _TimestampTrunc(self, node):
        return call("date_trunc", self(node.this), unit=node.args["unit"].name.lower())

    _DateTrunc = _TimestampTrunc

    # ---- things other clauses must have replaced ------------------------------------

    def _Window(self, node):
        raise SQLError(f"window function {node.sql()} is not allowed in {self.clause}")

    def _Subquery(self, node):
        raise UnsupportedSQLError(f"a subquery is not supported in this position: {node.sql()}")

    def _Exists(self, node):
        raise UnsupportedSQLError(f"EXISTS is only supported as a condition of WHERE "
                                  f"(ANDed with the others): {node.sql()}")

    def _Star(self, node):
        raise UnsupportedSQLError("* is only allowed in a select list or COUNT(*)")


def _disjuncts(node: exp.Expression) -> list[exp.Expression]:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Or):
        return _disjuncts(node.this) + _disjuncts(node.expression)
    return [node]


def factor_or(disjuncts: list[Expr]) -> Expr:
    """``(c AND a) OR (c AND b)`` as ``c AND (a OR b)`` (valid in three-valued
    logic), so a join condition repeated in every branch can become a join key."""
    parts = [conjuncts(d) for d in disjuncts]
    common = [c for c in parts[0] if all(c in p for p in parts[1:])]
    rests = [conjoin([c for c in p if c not in common]) for p in parts]
    if common and any(r is None for r in rests):
        return conjoin(common)  # one branch is just the common part: the OR is implied
    ored = rests[0]
    for r in rests[1:]:
        ored = Call("or", (ored, r))
    return conjoin(common + [ored]) if common else ored


def interval_parts(node: exp.Interval) -> tuple[int, int, int]:
    """(months, days, nanoseconds) of an interval literal: ``interval '3' month``,
    ``interval '3 months'``, ``interval 3 day``."""
    value = node.this
    text = value.this if isinstance(value, exp.Literal) else None
    unit = node.args.get("unit")
    words = str(text).split() if text is not None else []
    if unit is None and len(words) == 2:
        text, unit_name = words
    elif unit is not None and text is not None:
        unit_name = unit.name
    else:
        raise UnsupportedSQLError(f"interval {node.sql()} is not supported")
    unit_name = unit_name.lower().rstrip("s")
    if unit_name not in _INTERVAL_UNITS:
        raise UnsupportedSQLError(f"interval unit {unit_name!r} is not supported")
    try:
        n = int(text)
    except ValueError:
        raise UnsupportedSQLError(f"interval {node.sql()}: only whole numbers are supported") from None
    months, days, nanos = _INTERVAL_UNITS[unit_name]
    return months * n, days * n, nanos * n


def fold(expr: Expr) -> Lit:
    """Evaluate a constant expression now (a date plus an interval, so the result
    can be pushed into Parquet reads)."""
    value = evaluate(expr, pa.table({"": pa.nulls(1)}))[0]
    return Lit(value.as_py(), value.type)


def _python(lit: Lit):
    return lit.value.as_py() if isinstance(lit.value, pa.Scalar) else lit.value


def _decimal_as_float(expr: Expr, schema: pa.Schema) -> Expr:
    try:
        t = infer_type(expr, schema)
    except (ExpressionError, KeyError):
        return expr  # outer references: typed later, over the joined plan
    return call("cast", expr, to=pa.float64()) if pa.types.is_decimal(t) else expr


def _is_float(expr: Expr, schema: pa.Schema) -> bool:
    try:
        return pa.types.is_floating(infer_type(expr, schema))
    except (ExpressionError, KeyError):
        return False


def _round_half_away(x: Expr) -> Expr:
    """Round to a whole number, halves away from zero (SQL's CAST to integer)."""
    magnitude = Call("floor", (Call("add", (Call("abs", (x,)), Lit(0.5))),))
    return Call("multiply", (Call("sign", (x,)), magnitude))


def typed(expr: Expr, node: exp.Expression, schema: pa.Schema) -> Expr:
    """Check that ``expr`` types over ``schema``; a failure names the SQL expression."""
    try:
        infer_type(expr, schema)
    except ExpressionError as err:
        raise SQLTypeError(f"in {node.sql()}: {err}") from None
    return expr

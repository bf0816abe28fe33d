"""SQL scalar functions as calls of the planner's function catalog.

Each entry maps a sqlglot function node (or, for names sqlglot does not model,
the lower-case name of an ``Anonymous`` call) to a builder that receives the
translated arguments and returns a kyudo expression. Options the catalog wants
as constants (a LIKE pattern, a substring start) are read with ``constant``.

SQL meanings that differ from the pandas-flavoured catalog are spelled out here:
``%`` takes the sign of the dividend (C, DuckDB), ``concat()`` skips NULLs while
``||`` propagates them, ``substring`` counts from 1, ``log`` is base 10.
"""
from __future__ import annotations

from typing import Callable

import pyarrow as pa
from sqlglot import exp

from kyudo.planner.expr import Call, Expr, Lit, call
from kyudo.sql.errors import SQLError, UnsupportedSQLError

Builder = Callable[["Arguments"], Expr]


class Arguments:
    """The arguments of one SQL call: ``expr(key)`` translates an argument,
    ``constant(key)`` requires it to be a literal and returns its value."""

    def __init__(self, node: exp.Expression, translate: Callable[[exp.Expression], Expr]):
        self.node, self._translate = node, translate

    def has(self, key: str) -> bool:
        return self.node.args.get(key) is not None

    def expr(self, key: str = "this") -> Expr:
        return self._translate(self.node.args[key])

    def all(self) -> list[Expr]:
        nodes = ([self.node.this] if isinstance(self.node.this, exp.Expression) else [])
        return [self._translate(n) for n in nodes + list(self.node.expressions)]

    def constant(self, key: str, default=None):
        node = self.node.args.get(key)
        if node is None:
            return default
        value = self._translate(node)
        if not isinstance(value, Lit):
            raise UnsupportedSQLError(f"{self.node.sql()}: argument {node.sql()} must be a constant")
        return value.value


_PARTS = {"year": "year", "month": "month", "day": "day", "hour": "hour", "minute": "minute",
          "second": "second", "quarter": "quarter", "doy": "day_of_year", "dayofyear": "day_of_year",
          "week": "week"}


def date_part(part: str, value: Expr) -> Expr:
    """EXTRACT(part FROM value) / date_part('part', value). ``dow`` counts from
    Sunday = 0 and ``isodow`` from Monday = 1, as in DuckDB and PostgreSQL."""
    part = part.lower()
    if part in ("dow", "dayofweek", "isodow"):
        monday_zero = Call("day_of_week", (value,))
        if part == "isodow":
            return Call("add", (monday_zero, Lit(1)))
        return Call("mod", (Call("add", (monday_zero, Lit(1))), Lit(7)))
    if part not in _PARTS:
        raise UnsupportedSQLError(f"date part {part!r} is not supported")
    return Call(_PARTS[part], (value,))


def c_mod(a: Expr, b: Expr) -> Expr:
    """SQL ``a % b``: the catalog's ``mod`` takes the divisor's sign (Python), SQL
    the dividend's; they differ by ``b`` exactly when the signs differ."""
    r = Call("mod", (a, b))
    differ = Call("and", (Call("not_equal", (r, Lit(0))),
                          Call("not_equal", (Call("less", (a, Lit(0))), Call("less", (b, Lit(0)))))))
    return Call("if_else", (differ, Call("subtract", (r, b)), r))


def _substring(a: Arguments) -> Expr:
    start = a.constant("start", 1)
    length = a.constant("length")
    if start < 1:
        raise UnsupportedSQLError(f"{a.node.sql()}: substring start must be >= 1")
    return call("substring", a.expr(), start=start - 1, length=length)


def _trim(a: Arguments) -> Expr:
    side = {"LEADING": "lstrip", "TRAILING": "rstrip"}.get((a.node.args.get("position") or "").upper(), "strip")
    chars = a.constant("expression")
    return call(side, a.expr(), chars=chars) if chars is not None else call(side, a.expr())


def _round(a: Arguments) -> Expr:
    """Halves away from zero, as in SQL (the catalog's default is pandas' half to even)."""
    return call("round", a.expr(), ndigits=int(a.constant("decimals", 0)),
                round_mode="half_towards_infinity")


def _concat(a: Arguments) -> Expr:
    """concat() skips NULL arguments (DuckDB, PostgreSQL)."""
    parts = [Call("coalesce", (e, Lit(""))) for e in a.all()]
    return Call("concat", tuple(parts))


def _log(a: Arguments) -> Expr:
    if a.has("expression"):  # log(base, x)
        base = a.expr("this")
        return Call("divide", (Call("ln", (a.expr("expression"),)), Call("ln", (base,))))
    return Call("log10", (a.expr(),))


def _pattern(op: str) -> Builder:
    return lambda a: call(op, a.expr(), pattern=a.constant("expression"))


def _unary(op: str) -> Builder:
    return lambda a: Call(op, (a.expr(),))


def _binary(op: str) -> Builder:
    return lambda a: Call(op, (a.expr("this"), a.expr("expression")))


def _greatest(smaller: str) -> Builder:
    """greatest/least ignore NULLs, as in DuckDB."""
    def build(a: Arguments) -> Expr:
        result, *rest = a.all()
        for e in rest:
            pick_e = Call("or", (Call("is_null", (result,)), Call(smaller, (result, e))))
            result = Call("if_else", (Call("and", (Call("is_not_null", (e,)), pick_e)), e, result))
        return result
    return build


def _pad(a: Arguments) -> Expr:
    side = "left" if a.node.args.get("is_left") else "right"
    return call("pad", a.expr(), width=int(a.constant("expression")), side=side,
                fillchar=a.constant("fill_pattern", " "))


def _strpos(a: Arguments) -> Expr:
    raise UnsupportedSQLError(f"{a.node.sql()}: strpos/position is not supported")


BY_CLASS: dict[type, Builder] = {
    exp.Lower: _unary("lower"), exp.Upper: _unary("upper"), exp.Length: _unary("length"),
    exp.Abs: _unary("abs"), exp.Sign: _unary("sign"), exp.Sqrt: _unary("sqrt"),
    exp.Exp: _unary("exp"), exp.Ln: _unary("ln"), exp.Floor: _unary("floor"),
    exp.Ceil: _unary("ceil"), exp.Year: _unary("year"), exp.Month: _unary("month"),
    exp.Day: _unary("day"), exp.Quarter: _unary("quarter"),
    exp.Pow: lambda a: Call("power", (a.expr("this"), a.expr("expression"))),
    exp.Round: _round, exp.Log: _log, exp.Substring: _substring, exp.Trim: _trim,
    exp.Concat: _concat, exp.Pad: _pad, exp.StrPosition: _strpos,
    exp.StartsWith: _pattern("starts_with"),
    exp.Contains: lambda a: call("contains", a.expr(), pattern=a.constant("expression"), regex=False),
    exp.RegexpLike: lambda a: call("contains", a.expr(), pattern=a.constant("expression"), regex=True),
    exp.Replace: lambda a: call("replace", a.expr(), pattern=a.constant("expression"),
                                replacement=a.constant("replacement")),
    exp.Nullif: _binary("nullif"),
    exp.Coalesce: lambda a: Call("coalesce", tuple(a.all())),
    exp.Greatest: _greatest("less"), exp.Least: _greatest("greater"),
    exp.TimeToStr: lambda a: call("strftime", a.expr(), format=a.constant("format")),
    exp.Left: lambda a: call("substring", a.expr(), start=0, length=int(a.constant("expression"))),
    exp.Right: lambda a: call("substring", a.expr(), start=-int(a.constant("expression"))),
    exp.DayOfWeek: lambda a: date_part("dow", a.expr()),
}

BY_NAME: dict[str, Builder] = {
    "date_part": lambda a: date_part(a.constant("this"), a.expr("expressions")),
    "datepart": lambda a: date_part(a.constant("this"), a.expr("expressions")),
    "log10": _unary("log10"), "suffix": _pattern("ends_with"), "ends_with": _pattern("ends_with"),
    "prefix": _pattern("starts_with"),
    "split_part": lambda a: call("split_part", a.expr(), delimiter=a.constant("expressions"),
                                 index=a.constant("index")),
}


def translate_function(node: exp.Expression, translate: Callable[[exp.Expression], Expr],
                       user_functions: dict) -> Expr:
    """The kyudo expression for SQL function call ``node``; raises naming the
    function when it is unknown or unsupported."""
    builder = BY_CLASS.get(type(node))
    if builder is not None:
        return builder(Arguments(node, translate))
    name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
    if name in user_functions:
        args = [translate(a) for a in node.expressions]
        return user_functions[name].call(args)
    if name in BY_NAME and isinstance(node, exp.Anonymous):
        return BY_NAME[name](_AnonymousArguments(node, translate))
    from kyudo.sql.errors import closest
    known = [n.lower() for n in BY_NAME] + list(user_functions) + \
        [c.__name__.lower() for c in BY_CLASS]
    raise UnsupportedSQLError(f"function {name!r} is not supported{closest(name, known)}")


class _AnonymousArguments(Arguments):
    """Arguments of a call sqlglot keeps as ``Anonymous``: positional only, so
    ``this``, ``expressions`` and ``index`` name the first three."""

    _KEYS = ("this", "expressions", "index")

    def _node(self, key: str):
        position = self._KEYS.index(key)
        args = self.node.expressions
        return args[position] if position < len(args) else None

    def has(self, key: str) -> bool:
        return self._node(key) is not None

    def expr(self, key: str = "this") -> Expr:
        return self._translate(self._node(key))

    def constant(self, key: str, default=None):
        node = self._node(key)
        if node is None:
            return default
        value = self._translate(node)
        if not isinstance(value, Lit):
            raise SQLError(f"{self.node.sql()}: argument {node.sql()} must be a constant")
        return value.value

    def all(self) -> list[Expr]:
        return [self._translate(n) for n in self.node.expressions]


def dtype_of_literal(value) -> pa.DataType | None:
    """The Arrow type for a SQL numeric literal's Python value (decimals keep
    their written precision and scale, as DuckDB types ``0.05`` DECIMAL(3,2))."""
    from decimal import Decimal
    if isinstance(value, Decimal):
        sign, digits, exponent = value.as_tuple()
        scale = max(-exponent, 0)
        return pa.decimal128(max(len(digits), scale, 1), scale)
    return None

"""Scalar expressions as immutable data.

``df.x > 5``, ``df.a + df.b`` and a SQL ``WHERE`` clause all become trees of these
three node types, so every optimizer rule sees through both front ends. Nodes are
frozen dataclasses: equal trees compare and hash equal, which lets tests compare
optimized plans structurally.

* :class:`Col` names a column of the input.
* :class:`Lit` is a constant; ``dtype`` pins its Arrow type when the Python value
  alone is ambiguous (``None``, a decimal, an interval).
* :class:`Call` applies a named function from :mod:`kyudo.planner.functions` to its
  arguments; ``options`` holds non-expression parameters (a cast target type, the
  values of ``IN``, a regex pattern) as a tuple of ``(name, value)`` pairs so the
  node stays hashable.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa


class Expr:
    """Base class of expression nodes."""

    __slots__ = ()

    @property
    def children(self) -> tuple["Expr", ...]:
        return ()

    def with_children(self, children: tuple["Expr", ...]) -> "Expr":
        return self

    def columns(self) -> frozenset[str]:
        """Names of every column this expression reads."""
        out: set[str] = set()
        stack: list[Expr] = [self]
        while stack:
            node = stack.pop()
            if isinstance(node, Col):
                out.add(node.name)
            stack.extend(node.children)
        return frozenset(out)


@dataclass(frozen=True, slots=True)
class Col(Expr):
    name: str

    def __repr__(self) -> str:
        return f"col({self.name!r})"


@dataclass(frozen=True, slots=True)
class Lit(Expr):
    value: Any
    dtype: pa.DataType | None = None

    def __repr__(self) -> str:
        return f"lit({self.value!r})" if self.dtype is None else f"lit({self.value!r}, {self.dtype})"


@dataclass(frozen=True, slots=True)
class Call(Expr):
    op: str
    args: tuple[Expr, ...]
    options: tuple[tuple[str, Any], ...] = ()

    @property
    def children(self) -> tuple[Expr, ...]:
        return self.args

    def with_children(self, children: tuple[Expr, ...]) -> Expr:
        return Call(self.op, tuple(children), self.options)

    def option(self, name: str, default: Any = None) -> Any:
        for key, value in self.options:
            if key == name:
                return value
        return default

    def __repr__(self) -> str:
        inner = ", ".join(repr(a) for a in self.args)
        if self.options:
            inner += ", " + ", ".join(f"{k}={v!r}" for k, v in self.options)
        return f"{self.op}({inner})"


def col(name: str) -> Col:
    return Col(name)


def lit(value: Any, dtype: pa.DataType | None = None) -> Lit:
    return Lit(value, dtype)


def call(op: str, *args: Expr, **options: Any) -> Call:
    return Call(op, tuple(args), tuple(sorted(options.items())))


def transform(expr: Expr, fn) -> Expr:
    """Rebuild ``expr`` bottom-up, replacing each node by ``fn(node)``."""
    children = expr.children
    if children:
        new_children = tuple(transform(c, fn) for c in children)
        if any(n is not o for n, o in zip(new_children, children)):
            expr = expr.with_children(new_children)
    return fn(expr)


def conjuncts(expr: Expr) -> list[Expr]:
    """Split ``a AND b AND c`` into ``[a, b, c]``."""
    if isinstance(expr, Call) and expr.op == "and":
        out: list[Expr] = []
        for arg in expr.args:
            out.extend(conjuncts(arg))
        return out
    return [expr]


def disjuncts(expr: Expr) -> list[Expr]:
    """Split ``a OR b OR c`` into ``[a, b, c]``."""
    if isinstance(expr, Call) and expr.op == "or":
        out: list[Expr] = []
        for arg in expr.args:
            out.extend(disjuncts(arg))
        return out
    return [expr]


def disjoin(exprs: list[Expr]) -> Expr:
    """The inverse of :func:`disjuncts` for a non-empty list."""
    result = exprs[0]
    for e in exprs[1:]:
        result = Call("or", (result, e))
    return result


def conjoin(exprs: list[Expr]) -> Expr | None:
    """The inverse of :func:`conjuncts`; ``None`` for an empty list."""
    if not exprs:
        return None
    result = exprs[0]
    for e in exprs[1:]:
        result = Call("and", (result, e))
    return result

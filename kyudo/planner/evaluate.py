"""Evaluating expressions over Arrow data, and folding constant subtrees.

Evaluation is what filter and project tasks run on each partition. Literals stay
Arrow scalars while the tree is evaluated (pyarrow.compute broadcasts them) and
only a result that is still a scalar is expanded to the table's length.
"""
from __future__ import annotations

import pyarrow as pa

from kyudo.planner.expr import Call, Col, Expr, Lit, transform
from kyudo.planner.functions import is_deterministic, lookup
from kyudo.planner.types import ExpressionError, literal_type, unknown_column

_ONE_ROW = pa.table({"": pa.nulls(1)})


def evaluate(expr: Expr, table: pa.Table | pa.RecordBatch) -> pa.Array | pa.ChunkedArray:
    """The values of ``expr`` for every row of ``table`` (length ``num_rows``)."""
    value = _evaluate(expr, table)
    if isinstance(value, pa.Scalar):
        return pa.repeat(value, table.num_rows)
    return value


def _evaluate(expr: Expr, table):
    if isinstance(expr, Col):
        if expr.name not in table.schema.names:
            raise unknown_column(expr.name, table.schema.names)
        return table.column(expr.name)
    if isinstance(expr, Lit):
        return literal_scalar(expr)
    if isinstance(expr, Call):
        args = [_evaluate(a, table) for a in expr.args]
        return lookup(expr.op).apply(args, tuple(a.type for a in args), expr)
    raise ExpressionError(f"cannot evaluate expression node {expr!r}")


def literal_scalar(node: Lit) -> pa.Scalar:
    """The Arrow scalar of a literal, of its pinned ``dtype`` when there is one."""
    if isinstance(node.value, pa.Scalar):
        return node.value if node.dtype is None else node.value.cast(node.dtype)
    return pa.scalar(node.value, type=literal_type(node))


def _is_bool(node: Expr, value: bool) -> bool:
    return isinstance(node, Lit) and node.value is value and node.dtype in (None, pa.bool_())


def _simplify(node: Call) -> Expr:
    """Rewrites valid under three-valued logic for any boolean operands:
    x AND TRUE = x, x AND FALSE = FALSE, x OR FALSE = x, x OR TRUE = TRUE, and
    NOT NOT x = x (NOT NULL is NULL, so the double negation of NULL is NULL)."""
    if node.op in ("and", "or"):
        identity, absorbing = node.op == "and", node.op == "or"
        if any(_is_bool(a, absorbing) for a in node.args):
            return Lit(absorbing, pa.bool_())
        rest = [a for a in node.args if not _is_bool(a, identity)]
        if len(rest) == len(node.args):
            return node
        if not rest:
            return Lit(identity, pa.bool_())
        return rest[0] if len(rest) == 1 else Call(node.op, tuple(rest), node.options)
    if node.op == "not" and isinstance(node.args[0], Call) and node.args[0].op == "not":
        return node.args[0].args[0]
    return node


def _fold(node: Expr) -> Expr:
    if not isinstance(node, Call):
        return node
    if node.args and all(isinstance(a, Lit) for a in node.args) and is_deterministic(node.op):
        try:
            value = evaluate(node, _ONE_ROW)[0]
        except (ExpressionError, pa.ArrowException):
            return node  # the error belongs to run time, if that branch ever runs
        return Lit(value.as_py(), value.type)
    return _simplify(node)


def constant_fold(expr: Expr) -> Expr:
    """Replace every deterministic call whose arguments are all literals by its
    value (a Lit pinned to the result type) and apply the always-valid boolean
    simplifications of :func:`_simplify`, bottom-up."""
    return transform(expr, _fold)

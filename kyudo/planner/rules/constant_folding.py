"""Fold constant sub-expressions and drop filters that became always-true."""
from __future__ import annotations

from dataclasses import replace

import pyarrow as pa

from kyudo.planner.evaluate import constant_fold
from kyudo.planner.expr import Call, Col, Expr, Lit, transform
from kyudo.planner.logical import Filter, Join, LogicalPlan, Project, Scan, transform_up
from kyudo.planner.rules._util import is_true


def apply(plan: LogicalPlan) -> LogicalPlan:
    """Fold constants: every expression a node holds (Project outputs, Filter and
    Scan predicates, Join conditions) goes through
    :func:`kyudo.planner.evaluate.constant_fold`, which evaluates the parts that
    read no column. A Filter whose predicate folds to the literal TRUE is removed,
    and a Scan predicate or Join condition that folds to TRUE becomes None. A
    predicate that folds to FALSE or NULL is kept: it is a correct (empty) result
    and needs no special case.

    A NULL test of an expression that cannot be NULL is a constant too:
    ``is_not_null(e)`` is TRUE and ``is_null(e)`` FALSE when ``e`` is a column
    its input declares non-nullable, or a date part, arithmetic (not division),
    comparison or Boolean of such (:func:`_never_null`). Such tests come from
    the DataFrame front end (a group-by drops rows with a missing key, pandas'
    ``dropna``) over Parquet columns written as required, as TPC-H's all are; a
    Filter of only these costs a pass over every row and a copy of the table.

    Before::

        Filter(x > 1 + 2)                  Filter(1 < 2)
          Scan(t)                            Scan(t)

    After::

        Filter(x > 3)                      Scan(t)
          Scan(t)
    """
    return transform_up(plan, _fold_node)


def _fold_node(node: LogicalPlan) -> LogicalPlan:
    if isinstance(node, Project):
        exprs = tuple((name, constant_fold(expr)) for name, expr in node.exprs)
        return node if exprs == node.exprs else replace(node, exprs=exprs)
    if isinstance(node, Filter):
        predicate = constant_fold(_fold_null_tests(node.predicate, node.input.schema))
        if is_true(predicate):
            return node.input
        return node if predicate == node.predicate else replace(node, predicate=predicate)
    if isinstance(node, Scan):
        # The predicate may read columns the scan does not output.
        return _fold_optional(node, "predicate", node.source.schema)
    if isinstance(node, Join):
        return _fold_optional(node, "condition")
    return node


def _fold_optional(node: LogicalPlan, field: str, schema: pa.Schema | None = None) -> LogicalPlan:
    """Fold the optional predicate ``field`` of ``node`` (its NULL tests too, given
    the ``schema`` it reads); TRUE means no predicate."""
    before = getattr(node, field)
    if before is None:
        return node
    after = constant_fold(before if schema is None else _fold_null_tests(before, schema))
    if is_true(after):
        after = None
    return node if after == before else replace(node, **{field: after})


def _fold_null_tests(expr: Expr, schema: pa.Schema) -> Expr:
    """``expr`` with ``is_not_null(e)``/``is_null(e)`` replaced by TRUE/FALSE where
    ``e`` cannot be NULL over ``schema`` (not when an option such as
    ``nan_is_null`` makes a NaN count as NULL)."""
    def fold(node: Expr) -> Expr:
        if (isinstance(node, Call) and node.op in ("is_null", "is_not_null") and not node.options
                and _never_null(node.args[0], schema)):
            return Lit(node.op == "is_not_null", pa.bool_())
        return node

    return transform(expr, fold)


# Functions whose result is NULL only where an argument is: the group-by key
# ``l_year = year(l_shipdate)`` of TPC-H Q7 cannot be NULL, so its dropna
# folds away instead of computing the year twice over lineitem. (``divide``,
# ``floordiv`` and ``mod`` are not here: division by zero may give NULL;
# ``nan_to_null`` is not: a NaN from non-NULL floats becomes NULL.)
_NULL_ONLY_FROM_NULL = frozenset({
    "year", "month", "day", "hour", "minute", "second", "day_of_week", "day_of_year", "quarter", "week",
    "add", "subtract", "multiply", "negate", "abs",
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "and", "or", "not", "lower", "upper", "length",
})


def _never_null(expr: Expr, schema: pa.Schema) -> bool:
    """Whether ``expr`` is non-NULL on every row of a table of ``schema``."""
    if isinstance(expr, Col):
        index = schema.get_field_index(expr.name)
        return index >= 0 and not schema.field(index).nullable
    if isinstance(expr, Lit):
        return expr.value is not None and not (isinstance(expr.value, pa.Scalar) and not expr.value.is_valid)
    return (isinstance(expr, Call) and expr.op in _NULL_ONLY_FROM_NULL and not expr.options
            and all(_never_null(a, schema) for a in expr.args))

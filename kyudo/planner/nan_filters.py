"""Where a filter cannot tell NaN from NULL.

The DataFrame API reads floats through ``nan_to_null`` (pandas has one missing
value), SQL keeps NaN a value. A filter keeps the rows where it is true, and
both NaN in a comparison (false) and NULL (NULL) drop the row. So a comparison
false for NaN gives the same rows on either, and so does any ``and``/``or`` of
such terms (Kleene logic is monotone: false in place of NULL only turns a NULL
result false) and ``fill_null(comparison, False)``. Under ``not``, or in
``x != 3`` (true for NaN), the two differ.

Two passes use this: the conversion of filters for Parquet statistics
(``to_arrow``), which compares a column itself where ``nan_to_null(column)``
is written, and reads that turn NaN into NULL in the reader
(``reader_nan_to_null``).
"""
from __future__ import annotations

from typing import Callable

from kyudo.planner.expr import Call, Expr, Lit

# Comparisons false when an argument is NaN.
NAN_FALSE_COMPARISONS = frozenset({"equal", "less", "less_equal", "greater", "greater_equal", "between"})


def rewrite_nan_false_comparisons(predicate: Expr, rewrite: Callable[[Call], Expr]) -> Expr:
    """``predicate`` with ``rewrite`` applied to each comparison whose NaN and
    NULL arguments drop the same rows (see the module's docstring)."""
    if not isinstance(predicate, Call):
        return predicate
    if predicate.op in ("and", "or"):
        return Call(predicate.op, tuple(rewrite_nan_false_comparisons(a, rewrite) for a in predicate.args),
                    predicate.options)
    if predicate.op in NAN_FALSE_COMPARISONS:
        return rewrite(predicate)
    if predicate.op == "fill_null" and len(predicate.args) == 2 and isinstance(predicate.args[1], Lit) \
            and predicate.args[1].value is False and isinstance(predicate.args[0], Call) \
            and predicate.args[0].op in NAN_FALSE_COMPARISONS:
        return Call(predicate.op, (rewrite(predicate.args[0]), predicate.args[1]), predicate.options)
    return predicate

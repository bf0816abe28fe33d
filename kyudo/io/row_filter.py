"""A row filter pushed into a reader, kept as its conjuncts.

The planner pushes a conjunction of simple terms into a scan.  Most readers
only need the whole expression, but a reader can do better with the terms:
the Parquet reader evaluates a term on a string column's dictionary (a handful
of distinct values) instead of on every decoded row, which needs to know which
columns each term reads.  ``pyarrow.compute.Expression`` cannot say that, so
the planner states it when it builds the filter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from typing import Union

import pyarrow.compute as pc


@dataclass(frozen=True)
class RowFilter:
    """The AND of ``conjuncts``: ``(expression, columns it reads)`` pairs."""

    conjuncts: tuple[tuple[pc.Expression, frozenset[str]], ...]
    expression: pc.Expression = field(init=False, compare=False, repr=False)

    def __post_init__(self):
        if not self.conjuncts:
            raise ValueError("a RowFilter needs at least one conjunct")
        combined = reduce(lambda a, b: a & b, (e for e, _ in self.conjuncts))
        object.__setattr__(self, "expression", combined)

    def __str__(self) -> str:
        return str(self.expression)


Predicate = Union[pc.Expression, RowFilter, None]


def as_expression(predicate: Predicate) -> pc.Expression | None:
    """The predicate as one Arrow expression, for readers that take it whole."""
    return predicate.expression if isinstance(predicate, RowFilter) else predicate


def as_conjuncts(predicate: Predicate) -> list[tuple[pc.Expression, frozenset[str] | None]]:
    """The predicate's terms with the columns each reads (``None``: not known)."""
    if predicate is None:
        return []
    if isinstance(predicate, RowFilter):
        return list(predicate.conjuncts)
    return [(predicate, None)]

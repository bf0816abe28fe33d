"""A row filter pushed into a reader, kept as its conjuncts.

The planner pushes a conjunction of simple terms into a scan.  Most readers
only need the whole expression, but a reader can do better with the terms:
the Parquet reader evaluates a term on a string column's dictionary (a handful
of distinct values) instead of on every decoded row, which needs to know which
columns each term reads.  ``pyarrow.compute.Expression`` cannot say that, so
the planner states it when it builds the filter.

Nor can an Arrow expression be evaluated on a table except through an Acero
plan, which costs more than the comparisons themselves (12 ms against 4 ms
for four date comparisons on 1.8M rows).  So the planner may also hand each
term's ``row_mask``: a function from a table holding the term's columns to its
value on every row, which the Parquet reader computes on the decoded columns
and ANDs with the dictionary terms' masks, to filter the rows once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from typing import Callable, NamedTuple, Optional, Union

import pyarrow as pa
import pyarrow.compute as pc

RowMask = Callable[[pa.Table], "pa.Array | pa.ChunkedArray"]


class Conjunct(NamedTuple):
    """One term: its Arrow form, the columns it reads (``None``: not known), and
    optionally the function that evaluates it on a table's rows (a row is kept
    where it gives True, not where it gives False or NULL)."""

    expression: pc.Expression
    columns: Optional[frozenset]
    row_mask: Optional[RowMask] = None


@dataclass(frozen=True)
class RowFilter:
    """The AND of ``conjuncts``: ``(expression, columns it reads)`` pairs, with
    ``row_masks`` (one per conjunct, or None) when the planner has them."""

    conjuncts: tuple[tuple[pc.Expression, frozenset[str]], ...]
    row_masks: Optional[tuple[Optional[RowMask], ...]] = field(default=None, compare=False, repr=False)
    expression: pc.Expression = field(init=False, compare=False, repr=False)

    def __post_init__(self):
        if not self.conjuncts:
            raise ValueError("a RowFilter needs at least one conjunct")
        if self.row_masks is not None and len(self.row_masks) != len(self.conjuncts):
            raise ValueError("a RowFilter needs one row mask (or None) per conjunct")
        combined = reduce(lambda a, b: a & b, (e for e, _ in self.conjuncts))
        object.__setattr__(self, "expression", combined)

    def __str__(self) -> str:
        return str(self.expression)


Predicate = Union[pc.Expression, RowFilter, None]


def as_expression(predicate: Predicate) -> pc.Expression | None:
    """The predicate as one Arrow expression, for readers that take it whole."""
    return predicate.expression if isinstance(predicate, RowFilter) else predicate


def as_conjuncts(predicate: Predicate) -> list[Conjunct]:
    """The predicate's terms with the columns each reads and its row mask."""
    if predicate is None:
        return []
    if isinstance(predicate, RowFilter):
        masks = predicate.row_masks or (None,) * len(predicate.conjuncts)
        return [Conjunct(expr, cols, mask) for (expr, cols), mask in zip(predicate.conjuncts, masks)]
    return [Conjunct(predicate, None)]

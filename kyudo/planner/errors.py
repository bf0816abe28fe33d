"""Errors raised while building or checking a plan, before any work starts."""
from __future__ import annotations

import difflib
from typing import Iterable

import pyarrow as pa


class PlanError(ValueError):
    """A plan that cannot be built: bad columns, types or parameters."""


class ColumnNotFoundError(PlanError, KeyError):
    """A column that the input does not have; the message names the closest match."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


def missing_column_message(name: str, available: Iterable[str]) -> str:
    available = list(available)
    close = difflib.get_close_matches(name, available, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"column {name!r} not found{hint} (available: {', '.join(available)})"


def check_columns(names: Iterable[str], schema: pa.Schema) -> None:
    """Raise :class:`ColumnNotFoundError` for the first name missing from ``schema``."""
    have = set(schema.names)
    for name in sorted(set(names)):
        if name not in have:
            raise ColumnNotFoundError(missing_column_message(name, schema.names))

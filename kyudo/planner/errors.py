"""Errors raised while building or checking a plan, before any work starts."""
from __future__ import annotations

import difflib
from typing import Iterable

import pyarrow as pa


class PlanError(ValueError):
    """A plan that cannot be built: bad columns, types or parameters."""


class ColumnNotFoundError(PlanError, KeyError):
    """A column that the input does not have; the message names the closest match."""

    @classmethod
    def missing(cls, name: str, available: Iterable[str]) -> "ColumnNotFoundError":
        """The error for ``name`` missing from ``available``. The closest match
        is looked for only when the message is shown: planning raises and catches
        this error on purpose (typing a SQL expression before its outer columns
        are joined), and difflib would cost more than the rest of the typing."""
        return cls(_MissingColumnMessage(name, tuple(available)))

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class _MissingColumnMessage:
    __slots__ = ("name", "available", "_text")

    def __init__(self, name: str, available: tuple):
        self.name, self.available, self._text = name, available, None

    def __str__(self) -> str:
        if self._text is None:
            self._text = missing_column_message(self.name, self.available)
        return self._text

    def __repr__(self) -> str:
        return repr(str(self))

    def __reduce__(self):  # travels (between processes) as the plain text
        return str, (str(self),)


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
            raise ColumnNotFoundError.missing(name, schema.names)

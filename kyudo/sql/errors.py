"""The errors SQL users see. Each names what went wrong in SQL terms: the table
or column (with the closest existing name), the position of a syntax error, the
expression and types of a type error, the construct that is not supported.

They subclass the planner's :class:`PlanError` (a ``ValueError``) so callers that
already catch planning errors catch these too."""
from __future__ import annotations

import difflib
from typing import Iterable

from kyudo.planner.errors import ColumnNotFoundError, PlanError


class SQLError(PlanError):
    """Any error raised while turning SQL text into a plan."""


class SQLSyntaxError(SQLError):
    """The text does not parse; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        where = f" at line {line}, column {column}" if line is not None else ""
        super().__init__(f"SQL syntax error{where}: {message}")
        self.line, self.column = line, column


class UnsupportedSQLError(SQLError):
    """A construct kyudo does not translate; the message names it. Raised instead
    of guessing, so an unsupported query never gives a wrong answer."""


class TableNotFoundError(SQLError, KeyError):
    """An unknown table or view, named with the closest registered one."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class SQLColumnNotFoundError(SQLError, ColumnNotFoundError):
    """An unknown column, named with the closest visible one."""


class SQLTypeError(SQLError):
    """An expression whose argument types do not fit; names the expression."""


def closest(name: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest candidate, or ``""``."""
    match = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.5)
    return f"; did you mean {match[0]!r}?" if match else ""


def table_not_found(name: str, candidates: Iterable[str]) -> TableNotFoundError:
    candidates = sorted(candidates)
    return TableNotFoundError(f"table {name!r} not found{closest(name, candidates)}"
                              f" (tables: {', '.join(candidates) or 'none'})")


def column_not_found(name: str, candidates: Iterable[str]) -> SQLColumnNotFoundError:
    candidates = list(dict.fromkeys(candidates))
    return SQLColumnNotFoundError(f"column {name!r} not found{closest(name, candidates)}"
                                  f" (available: {', '.join(candidates)})")

"""Engine exceptions, and how a task's own exception reaches the user.

A task that fails re-raises *its own* exception object in the caller (so
``except ValueError`` keeps working); the engine only adds a note naming the failing
task's key and trims the engine's frames from the front of the traceback so the
user's frame is what they see first.
"""
from __future__ import annotations

import os
from types import TracebackType
from typing import Hashable

_ENGINE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_NOTED = "_kyudo_failed_key"
_HAS_ADD_NOTE = hasattr(BaseException, "add_note")  # Python 3.11+


class GraphError(ValueError):
    """The graph itself is wrong (not the data): a cycle, or a reference to a key
    that is not in it."""


class CycleError(GraphError):
    """Some tasks depend, directly or not, on themselves."""


class MissingKeyError(GraphError, KeyError):
    """A requested key, or a task's reference, names no entry of the graph.

    Also a ``KeyError`` because that is what looking up an absent key raises."""

    __str__ = ValueError.__str__  # KeyError would repr() the message


def note_failure(exc: BaseException, key: Hashable) -> None:
    """Record on ``exc`` that the task ``key`` raised it (once: innermost wins).

    Fused tasks note their inner key first; the executor's later call for the
    outer key is then a no-op, so the note names the task that really failed.
    """
    if getattr(exc, _NOTED, None) is not None:
        return
    try:
        setattr(exc, _NOTED, (key,))
    except AttributeError:  # a frozen exception (e.g. a frozen dataclass): leave it be
        return
    message = f"kyudo: raised by task {key!r}"
    if _HAS_ADD_NOTE:
        exc.add_note(message)
    else:  # the same attribute 3.11 uses, so tools that print notes still show it
        exc.__notes__ = [*getattr(exc, "__notes__", ()), message]


def user_traceback(exc: BaseException) -> BaseException:
    """Drop the engine's own frames from the front of ``exc``'s traceback.

    The frames the user cares about (their function and what it called) stay, as do
    engine frames *below* user code. Returns ``exc`` so callers can ``raise`` it.
    """
    tb: TracebackType | None = exc.__traceback__
    while tb is not None and tb.tb_next is not None and _is_engine_frame(tb):
        tb = tb.tb_next
    if tb is not None and not _is_engine_frame(tb):
        exc.with_traceback(tb)  # not ``exc.__traceback__ =``: frozen exceptions refuse that
    return exc


def _is_engine_frame(tb: TracebackType) -> bool:
    filename = tb.tb_frame.f_code.co_filename
    return filename.startswith(_ENGINE_DIR) and os.sep + "operators" + os.sep not in filename

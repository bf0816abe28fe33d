"""What every executor offers, so callers never care which one runs their graph."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Mapping, Sequence

from kyudo.engine.graph import Key


class Executor(ABC):
    """Runs a prepared task graph.

    ``execute`` receives a graph that is already culled and fused (see
    :func:`kyudo.engine.compute`): every entry is needed, every reference resolves.
    It must free each intermediate result once its last consumer has run, re-raise a
    task's own exception (noted with the task's key, see
    :func:`kyudo.engine.errors.note_failure`) and start no new task after one failed.
    """

    name: str = "executor"

    @abstractmethod
    def execute(self, graph: Mapping[Key, Any], keys: Sequence[Key]) -> dict[Key, Any]:
        """Run ``graph`` and return ``{key: output}`` for each of ``keys``."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

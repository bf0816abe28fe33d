"""The parameter types that plan nodes carry, for the front ends.

Aggregations, sort keys and window functions are described by small dataclasses
that the engine's kernels define (the kernels consume them). The front ends
(``kyudo.dataframe``, ``kyudo.sql``) build plans and so need them too, but may
import only the planner: this module is where they get them.
"""
from kyudo.engine.operators.aggregate import AggSpec
from kyudo.engine.operators.sort import SortKey
from kyudo.engine.operators.window import WindowFrame, WindowFunction

__all__ = ["AggSpec", "SortKey", "WindowFrame", "WindowFunction"]

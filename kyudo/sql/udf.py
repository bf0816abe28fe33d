"""User scalar functions for SQL: a declared signature over a vectorised function.

A call becomes the catalog's ``python_udf`` op with the function in its options,
so it types like any other expression (the declared return type) and runs in
the same project/filter tasks.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import pyarrow as pa

from kyudo.planner.expr import Call, Expr

_NUMBA_TYPES = {pa.int8(): "int8", pa.int16(): "int16", pa.int32(): "int32", pa.int64(): "int64",
                pa.float32(): "float32", pa.float64(): "float64", pa.bool_(): "boolean"}


@dataclass(frozen=True)
class UserFunction:
    name: str
    func: Callable
    arg_types: tuple[pa.DataType, ...]
    result_type: pa.DataType
    input: str  # "arrow", "pandas" or "numpy"

    def call(self, args: list[Expr]) -> Expr:
        return Call("python_udf", tuple(args), (
            ("arg_types", self.arg_types), ("func", self.func), ("input", self.input),
            ("name", self.name), ("result_type", self.result_type)))


def make_function(name: str, func: Callable, parameters: Sequence, return_type,
                  input: str = "arrow", numba: bool = False) -> UserFunction:
    """``parameters`` are Arrow types or ``(name, type)`` pairs. With ``numba=True``
    the function is compiled element-wise with ``numba.vectorize`` for the
    declared (numeric) types and receives numpy arrays."""
    arg_types = tuple(p[1] if isinstance(p, tuple) else p for p in parameters)
    arg_types = tuple(_arrow(t) for t in arg_types)
    result_type = _arrow(return_type)
    if numba:
        func = _compile(func, arg_types, result_type)
        input = "numpy"
    if input not in ("arrow", "pandas", "numpy"):
        raise ValueError(f"input must be arrow, pandas or numpy, not {input!r}")
    return UserFunction(name.lower(), func, arg_types, result_type, input)


@dataclass(frozen=True)
class UserAggregation:
    """A user aggregate: built-in aggregates of its argument (``parts``, name ->
    engine aggregate such as "sum" or "count"), combined per group by ``finalize``,
    a user function over the parts' columns. The engine runs the parts as any
    other aggregate (partial states, tree reduction); only ``finalize`` is Python."""

    name: str
    parts: tuple[tuple[str, str], ...]
    finalize: UserFunction


AGGREGATE_PARTS = ("sum", "mean", "count", "size", "min", "max", "std", "var", "first", "last",
                   "count_distinct")


def make_aggregation(name: str, parts: dict[str, str], finalize: Callable, part_types: Sequence,
                     return_type, input: str = "arrow") -> UserAggregation:
    unknown = sorted(set(parts.values()) - set(AGGREGATE_PARTS))
    if unknown:
        raise ValueError(f"aggregate parts must be among {AGGREGATE_PARTS}, not {unknown}")
    if len(part_types) != len(parts):
        raise ValueError(f"{len(parts)} parts but {len(part_types)} part types")
    function = make_function(name, finalize, part_types, return_type, input=input)
    return UserAggregation(name.lower(), tuple(parts.items()), function)


def _arrow(t) -> pa.DataType:
    if isinstance(t, pa.DataType):
        return t
    from kyudo.dataframe.dtypes import to_arrow_type
    return to_arrow_type(t)


def _compile(func: Callable, arg_types, result_type) -> Callable:
    import numba as nb
    try:
        names = [_NUMBA_TYPES[t] for t in arg_types + (result_type,)]
    except KeyError as missing:
        raise ValueError(f"numba=True needs numeric types, not {missing}") from None
    signature = getattr(nb, names[-1])(*(getattr(nb, n) for n in names[:-1]))
    return nb.vectorize([signature])(func)

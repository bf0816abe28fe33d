"""Windows across partitions: ``map_overlap`` and ``rolling``.

A function that looks at neighbouring rows (a rolling sum, a diff) gets each
partition extended by the rows before and after it that its window reaches,
given as row counts or, on a sorted index, as distances (timedeltas on a time
index). Those rows may come from several partitions; see
:mod:`kyudo.engine.operators.overlap`. The function's output for the borrowed
rows is dropped, so it must return one row per input row.

``rolling`` is ``map_overlap`` of pandas' own rolling on each extended partition,
which gives exactly pandas' results (``min_periods``, NaN handling, numba
``apply``) as long as each window fits in what was borrowed.
"""
from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, Callable

import pandas as pd
import pyarrow as pa

from kyudo.dataframe.user_functions import wrap_partition_function
from kyudo.planner.expr import Col
from kyudo.planner.partitioning import Overlap

if TYPE_CHECKING:
    from kyudo.dataframe.frame import DataFrame
    from kyudo.dataframe.series import Series


def _is_distance(value) -> bool:
    return isinstance(value, (str, datetime.timedelta, pd.Timedelta, pd.DateOffset))


def _in_units(frame: "DataFrame", value) -> tuple[Any, str | None]:
    """A row count as it is, a timedelta as an integer in the time index's unit."""
    if not _is_distance(value):
        if int(value) != value or value < 0:
            raise ValueError(f"before/after must be a non-negative row count or a timedelta, not {value!r}")
        return int(value), None
    if len(frame.index) != 1:
        raise ValueError("a timedelta window needs a frame indexed by one time column")
    column = frame.index[0]
    kind = frame.plan.schema.field(column).type
    if not pa.types.is_timestamp(kind):
        raise TypeError(f"a timedelta window needs a timestamp index; {column!r} is {kind}")
    delta = _as_timedelta(value)
    return int(delta // pd.Timedelta(1, unit=kind.unit)), column


def _as_timedelta(value) -> pd.Timedelta:
    if isinstance(value, str):
        return pd.Timedelta(pd.tseries.frequencies.to_offset(value))
    return pd.Timedelta(value)


def map_overlap(frame: "DataFrame", func: Callable, before=0, after=0, meta=None) -> "DataFrame":
    """``func`` over each partition with ``before`` preceding and ``after``
    following rows (counts, or timedeltas on a sorted time index)."""
    from kyudo.dataframe.frame import DataFrame

    before, by_before = _in_units(frame, before)
    after, by_after = _in_units(frame, after)
    measures = {by for value, by in ((before, by_before), (after, by_after)) if value}
    if len(measures) > 1:
        raise ValueError("before and after must both be row counts or both timedeltas")
    wrapped, schema, output_index = wrap_partition_function(frame, func, meta, output_index=frame.index)
    name = getattr(func, "__name__", "map_overlap")
    plan = Overlap(frame.plan, wrapped, before, after, measures.pop() if measures else None, schema, name)
    return DataFrame(plan, output_index)


class _RollingMethod:
    """One pandas rolling aggregation, picklable for the process executors."""

    def __init__(self, window, options: dict, method: str, args: tuple, kwargs: dict):
        self.window, self.options, self.method = window, options, method
        self.args, self.kwargs = args, kwargs

    def __call__(self, df: pd.DataFrame) -> pd.DataFrame:
        rolling = df.rolling(self.window, **self.options)
        return getattr(rolling, self.method)(*self.args, **self.kwargs)


def as_series_of(frame: "DataFrame", series: "Series | None"):
    """The one data column of ``frame`` as a Series named like ``series``
    (``frame`` itself when the window was taken over a frame)."""
    from kyudo.dataframe.series import Series

    if series is None:
        return frame
    (column,) = frame._data_columns
    return Series(frame, Col(column), series.name)


class Rolling:
    """``df.rolling(window)`` or ``series.rolling(window)``: a row count, or a
    timedelta over a sorted time index.

    What each partition borrows from its neighbours is what its windows reach;
    the windows themselves are pandas' (``center``, ``closed``, ``min_periods``).
    A time window of width ``w`` reaches ``w`` back, or with ``center=True``
    half of it each way (pandas' centred window around ``t`` spans ``t - w/2``
    to ``t + w/2``, ``closed`` deciding which ends count; both are borrowed).
    """

    def __init__(self, frame: "DataFrame", window, min_periods: int | None = None, center: bool = False,
                 series: "Series | None" = None, closed: str | None = None):
        if not _is_distance(window) and (int(window) != window or window < 1):
            raise ValueError(f"window must be a positive row count or a timedelta, not {window!r}")
        if closed not in (None, "right", "left", "both", "neither"):
            raise ValueError(f"closed must be 'right', 'left', 'both' or 'neither', not {closed!r}")
        self.frame, self.window, self.series = frame, window, series
        self.options = {"min_periods": min_periods, "center": center}
        if closed is not None:
            self.options["closed"] = closed

    def _reach(self) -> tuple:
        center = self.options["center"]
        if _is_distance(self.window):
            width = _as_timedelta(self.window)
            if width <= pd.Timedelta(0):
                raise ValueError(f"window must be a positive timedelta, not {self.window!r}")
            if not center:
                return width, 0
            half = pd.Timedelta(-(-width.value // 2), unit="ns")  # rounded up: borrow, never miss
            return half, half
        # rows reached on each side (one more when the window is closed on the left
        # and so also takes the row ``window`` back); a centred window reaches both ways
        reach = self.window if self.options.get("closed") in ("left", "both") else self.window - 1
        return reach, reach if center else 0

    def _apply(self, method: str, *args, **kwargs) -> "DataFrame":
        func = _RollingMethod(self.window, self.options, method, args, kwargs)
        before, after = self._reach()
        return as_series_of(map_overlap(self.frame, func, before=before, after=after), self.series)

    def sum(self):
        return self._apply("sum")

    def mean(self):
        return self._apply("mean")

    def min(self):
        return self._apply("min")

    def max(self):
        return self._apply("max")

    def count(self):
        return self._apply("count")

    def std(self, ddof: int = 1):
        return self._apply("std", ddof=ddof)

    def var(self, ddof: int = 1):
        return self._apply("var", ddof=ddof)

    def apply(self, func: Callable, raw: bool = True, engine: str | None = None,
              engine_kwargs: dict | None = None):
        """``func`` on each window; ``engine="numba"`` compiles it (with ``raw=True``)."""
        return self._apply("apply", func, raw=raw, engine=engine, engine_kwargs=engine_kwargs)

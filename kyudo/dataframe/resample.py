"""``resample`` on a time index: fixed-width bins, aggregated like a group-by.

Each row's bin is its time floored to a multiple of the frequency (an
expression, so the work is an ordinary aggregation that spreads over
partitions when the result is large), bins are sorted, and the bins without
rows that pandas also reports are added by a gap-filling stage that sees the
last bin of the partitions before it. Frequencies must divide a day, so that
flooring from the epoch gives pandas' bins (which start at midnight of the
first day); bins are closed on the left and labelled by their start.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from kyudo.planner.specs import AggSpec
from kyudo.planner.specs import SortKey
from kyudo.planner import logical as L
from kyudo.planner.expr import Call, Col, Lit
from kyudo.dataframe.windows import as_series_of
from kyudo.planner.partitioning import FillGaps

if TYPE_CHECKING:
    from kyudo.dataframe.frame import DataFrame
    from kyudo.dataframe.series import Series

_DAY = pd.Timedelta("1D")


class Resampler:
    def __init__(self, frame: "DataFrame", rule, series: "Series | None" = None):
        if len(frame.index) != 1 or not pa.types.is_timestamp(frame.plan.schema.field(frame.index[0]).type):
            raise TypeError("resample needs a frame indexed by one timestamp column")
        self.frame, self.column, self.series = frame, frame.index[0], series
        self.kind = frame.plan.schema.field(self.column).type
        width = pd.Timedelta(pd.tseries.frequencies.to_offset(rule))
        if width <= pd.Timedelta(0) or _DAY % width:
            raise NotImplementedError(f"resample frequency {rule!r}: only fixed widths that divide a day")
        if self.kind.tz not in (None, "UTC"):
            # bins start at local midnight, which flooring from the epoch does not give
            raise NotImplementedError("resample of an index in a time zone other than UTC")
        self.step = int(width // pd.Timedelta(1, unit=self.kind.unit))

    def _aggregate(self, func: str, options: tuple = ()) -> "DataFrame":
        from kyudo.dataframe.frame import DataFrame

        time = Call("cast", (Col(self.column),), (("to", pa.int64()),))
        start = Call("multiply", (Call("floordiv", (time, Lit(self.step))), Lit(self.step)))
        data = self.frame._data_columns
        binned = L.Project(self.frame.plan, ((self.column, Call("cast", (start,), (("to", self.kind),))),)
                           + tuple((c, Col(c)) for c in data))
        # pandas leaves rows with a missing time out of every bin
        binned = L.Filter(binned, Call("is_not_null", (Col(self.column),)))
        specs = tuple(AggSpec(c, func, c, options) for c in data)
        ordered = L.Sort(L.Aggregate(binned, (self.column,), specs), (SortKey(self.column),))
        zero = tuple(data) if func in ("sum", "count") else ()
        result = DataFrame(FillGaps(ordered, self.column, self.step, zero), (self.column,))
        return as_series_of(result, self.series)

    def sum(self):
        return self._aggregate("sum", (("min_count", 0),))

    def mean(self):
        return self._aggregate("mean")

    def min(self):
        return self._aggregate("min")

    def max(self):
        return self._aggregate("max")

    def count(self):
        return self._aggregate("count")

    def first(self):
        return self._aggregate("first")

    def last(self):
        return self._aggregate("last")

    def std(self, ddof: int = 1):
        return self._aggregate("std", (("ddof", ddof),))

    def var(self, ddof: int = 1):
        return self._aggregate("var", (("ddof", ddof),))

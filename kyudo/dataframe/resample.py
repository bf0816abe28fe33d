"""``resample`` on a time index: bins of time aggregated like a group-by.

Each row's bin is a count computed by an expression, so the work is an
ordinary aggregation that spreads over partitions when the result is large.
Times are first measured on one of five scales (``time_measure`` in the
function catalog): absolute ticks for fixed frequencies ("7h", "90min"), local
calendar days for day and week rules ("D", "2D", "W-SUN"), local business days
(Monday to Friday) for business-day rules ("B", "3B"), local calendar months
for month, quarter and year rules ("ME", "MS", "QE", "YS") and business months
for their business forms ("BME", "BMS", "BQE", "BYS"). On that scale every bin
has the same width, so a bin is ``floor((measure - origin) / width)``; bins
are sorted, the empty bins pandas also reports are added by a gap-filling
stage that sees the last bin of the partitions before it, and the bin numbers
become pandas' labels at the end (``time_label``).

This is pandas' binning: fixed frequencies count from ``origin`` (default
"start_day", midnight of the first day, in the index's time zone; also
"start", "epoch", "end", "end_day" or a Timestamp) plus ``offset``, in
absolute time, so they run on through a clock change; day, week, month,
quarter and year bins follow the local calendar (a day bin over a clock change
is 23 or 25 hours long). Fixed frequencies, days and business days are closed
on the left and labelled by their start (``closed=``/``label=`` may say
"right"); week, month-end, quarter-end and year-end bins are labelled by their
last day, the others by their first, as pandas does. Multiples of a calendar
rule ("3B", "2ME") count from the period of the first time.

A business day's bin runs from its midnight to the next business day's, so a
weekend belongs to the Friday before (closed on the right too, where Monday's
midnight joins it). A business month holds the business days of a calendar month, so the
weekend days after its last business day belong to the next month for
"BME"/"BQE"/"BYE" (pandas' bins end on the last business day) and those before
its first business day to the month before for "BMS"/"BQS"/"BYS".

Business days closed on the right (and days in a time zone closed on the
right) are binned by pandas between edges taken from the data: from the first
time's day less one bin to the last time's day plus one bin, every bin
reported, so there may be an empty bin at either end. Two rows of NULLs in
those end bins, added before the aggregation, make the aggregation and the gap
filling report them.

An origin that depends on the data (the first or last time) is a one-row
aggregate over the frame joined onto it, so the plan stays compute-free.
"""
from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
from pandas.tseries import offsets

from kyudo.dataframe.windows import as_series_of
from kyudo.planner import logical as L
from kyudo.planner.expr import Call, Col, Expr, Lit
from kyudo.planner.partitioning import FillGaps
from kyudo.planner.specs import AggSpec, SortKey

if TYPE_CHECKING:
    from kyudo.dataframe.frame import DataFrame
    from kyudo.dataframe.series import Series

_DAY = pd.Timedelta("1D")
_AGGREGATIONS = ("sum", "mean", "min", "max", "count", "first", "last", "std", "var", "median")
_ORIGINS = ("start_day", "start", "epoch", "end", "end_day")
_MONTHS = (offsets.MonthEnd, offsets.MonthBegin, offsets.BusinessMonthEnd, offsets.BusinessMonthBegin)
_QUARTERS = (offsets.QuarterEnd, offsets.QuarterBegin, offsets.BQuarterEnd, offsets.BQuarterBegin)
_YEARS = (offsets.YearEnd, offsets.YearBegin, offsets.BYearEnd, offsets.BYearBegin)
_BUSINESS = (offsets.BusinessMonthEnd, offsets.BusinessMonthBegin, offsets.BQuarterEnd, offsets.BQuarterBegin,
             offsets.BYearEnd, offsets.BYearBegin)
_ENDS = (offsets.MonthEnd, offsets.BusinessMonthEnd, offsets.QuarterEnd, offsets.BQuarterEnd, offsets.YearEnd,
         offsets.BYearEnd)


def _spec(output: str, name: str, column: str, options: tuple = ()) -> AggSpec:
    """The aggregation ``name`` of ``column``: a median is the planner's exact
    quantile at 0.5 (linear interpolation, as pandas)."""
    if name == "median":
        return AggSpec(output, "quantile", column, options + (("q", 0.5),))
    return AggSpec(output, name, column, options)


def _add(a: Expr, b: Expr) -> Expr:
    return Call("add", (a, b))


def _floordiv(a: Expr, b: int) -> Expr:
    return Call("floordiv", (a, Lit(b)))


class _Bins:
    """How a rule bins times: the scale (``kind``: tick, day or month), the
    width and phase on it, whether the origin is the data's first period (a
    multiple of a calendar rule) and how bins are labelled."""

    def __init__(self, rule, kind: pa.TimestampType, origin, offset, closed, label):
        freq = pd.tseries.frequencies.to_offset(rule)
        self.rule, self.unit, self.tz = rule, kind.unit, kind.tz
        unit_ns = pd.Timedelta(1, unit=kind.unit).value
        self.phase, self.end_label, self.data_origin = 0, False, None
        tick = isinstance(freq, offsets.Tick)
        if (origin != "start_day" or offset is not None) and not tick:
            raise NotImplementedError(f"resample {rule!r}: origin= and offset= apply to fixed frequencies only")
        if tick:
            if freq.n <= 0 or freq.nanos % unit_ns:
                raise NotImplementedError(f"resample frequency {rule!r}: not a positive whole number of "
                                          f"{kind.unit} ticks of the index")
            self.kind, self.width = "tick", freq.nanos // unit_ns
            self._tick_origin(origin, offset, unit_ns)
        elif isinstance(freq, offsets.Day):
            self.kind, self.width, base = "day", freq.n, 1
        elif type(freq) is offsets.BusinessDay and not freq.offset:  # not "C", a CustomBusinessDay
            # a bin runs from a business day's midnight to the next one's: a
            # weekend belongs to the Friday before
            self.kind, self.width, base = "bday", freq.n, 1
        elif isinstance(freq, offsets.Week) and freq.weekday is not None:
            # weeks end on ``weekday`` (0 is Monday); 1970-01-01, day 0, was a Thursday
            self.kind, self.width, base, self.end_label = "day", 7 * freq.n, 7, True
            self.phase = (freq.weekday - 2) % 7
        elif isinstance(freq, _MONTHS):
            # business months ("BME", "BMS") are months of business days: the
            # weekend days after a month's last business day belong to the next
            # month, those before its first business day to the month before
            self.kind, self.width, base = "bmonth" if isinstance(freq, _BUSINESS) else "month", freq.n, 1
            self.end_label = isinstance(freq, _ENDS)
        elif isinstance(freq, _QUARTERS):
            self.kind, self.width, base = "bmonth" if isinstance(freq, _BUSINESS) else "month", 3 * freq.n, 3
            self.end_label = isinstance(freq, _ENDS)
            # a quarter-end rule names the month quarters end with, a quarter-begin one the month they start with
            self.phase = (freq.startingMonth if self.end_label else freq.startingMonth - 1) % 3
        elif isinstance(freq, _YEARS):
            self.kind, self.width, base = "bmonth" if isinstance(freq, _BUSINESS) else "month", 12 * freq.n, 12
            self.end_label = isinstance(freq, _ENDS)
            self.phase = (freq.month if self.end_label else freq.month - 1) % 12
        else:
            raise NotImplementedError(f"resample rule {rule!r} ({type(freq).__name__}): only fixed frequencies, "
                                      "days, business days, anchored weeks, and (business) months, quarters "
                                      "and years")
        if freq.n <= 0:
            raise NotImplementedError(f"resample rule {rule!r}: the multiple must be positive")
        for name, value in (("closed", closed), ("label", label)):
            if value not in (None, "left", "right"):
                raise ValueError(f"{name} must be 'left' or 'right', not {value!r}")
        if self.kind != "tick":
            if self.end_label or self.kind in ("month", "bmonth"):
                if closed not in (None, "right" if self.end_label else "left") or \
                        label not in (None, "right" if self.end_label else "left"):
                    raise NotImplementedError(f"resample {rule!r}: closed= and label= other than pandas' "
                                              "defaults apply to fixed frequencies, days and business days only")
                closed = label = None
            self.closed_right, self.label_right = closed == "right", label == "right"
            # bins of several periods start at the period of the first time, as in pandas
            self.base = base
            if self.width != base:
                self.data_origin = "first_period"
            self.origin_value = self.phase
            if self.closed_right and (self.kind == "bday" or (self.kind == "day" and base == 1 and self.tz)):
                # pandas' edges for business days (and for days in a time zone)
                # closed on the right run from the first time's day (rolled
                # forward to a business day) less one bin to the last time's day
                # (rolled back) plus one bin, and it reports every bin between
                # them, empty ones at both ends too
                self.data_origin = "edges"
        else:
            # bins counted back from the end are closed and labelled on the right, as in pandas
            backwards = isinstance(origin, str) and origin in ("end", "end_day")
            self.closed_right = closed == "right" or (closed is None and backwards)
            self.label_right = label == "right" or (label is None and backwards)

    def _tick_origin(self, origin, offset, unit_ns: int) -> None:
        shift = pd.Timedelta(offset) if offset is not None else pd.Timedelta(0)
        if shift.value % unit_ns:
            raise NotImplementedError(f"resample offset {offset!r}: not a whole number of {self.unit} ticks")
        self.shift = shift.value // unit_ns
        if isinstance(origin, (pd.Timestamp, datetime.datetime, str)) and origin not in _ORIGINS:
            try:
                stamp = pd.Timestamp(origin)
            except ValueError:
                raise ValueError(f"origin must be one of {_ORIGINS} or a Timestamp, not {origin!r}") from None
            if (stamp.tz is None) != (self.tz is None):
                raise ValueError("origin must have a time zone exactly when the index has one")
            self.origin_value = stamp.as_unit("ns").value // unit_ns + self.shift
        elif origin == "epoch":
            self.origin_value = pd.Timestamp("1970-01-01", tz=self.tz).value // unit_ns + self.shift
        elif origin == "start_day" and self.tz in (None, "UTC", "utc", "+00:00") \
                and _DAY.value % (self.width * unit_ns) == 0:
            # midnight of the first day is a multiple of the width from the epoch: no pass over the data
            self.origin_value = self.shift
        elif origin in _ORIGINS:
            self.data_origin = origin
        else:
            raise ValueError(f"origin must be one of {_ORIGINS} or a Timestamp, not {origin!r}")

    # ---- expressions -------------------------------------------------------------

    def measure(self, time: Expr, kind: str | None = None, roll: str | None = None) -> Expr:
        kind = kind or self.kind
        if kind == "bmonth":  # when months end, the month of the business day at or after a time
            roll = roll or ("forward" if self.end_label else "backward")
        elif kind != "bday":  # calendar days roll nowhere
            roll = None
        options = (("kind", kind),) + ((("roll", roll),) if roll is not None else ())
        return Call("time_measure", (time,), options)

    def label_of(self, count: Expr, kind: str | None = None, end: bool = False) -> Expr:
        options = (("kind", kind or self.kind), ("unit", self.unit), ("tz", self.tz), ("end", end))
        return Call("time_label", (count,), options)

    def origin_of(self, first: Expr, last: Expr) -> Expr:
        """The origin, on the bins' scale, from the data's first and last time."""
        if self.data_origin == "edges":
            return Call("subtract", (self.measure(first, roll="forward"), Lit(self.width)))
        if self.data_origin == "first_period":
            # bins of several periods start with the first time's period; when
            # labelled by their end (closed on the right), they end with it
            start = self.measure(first)
            phase = Lit(self.phase - (self.width - self.base if self.end_label else 0))
            return _add(Call("multiply", (_floordiv(Call("subtract", (start, Lit(self.phase))), self.base),
                                          Lit(self.base))), phase)
        as_ticks = lambda e: Call("cast", (e,), (("to", pa.int64()),))  # noqa: E731
        if self.data_origin == "start":
            at = as_ticks(first)
        elif self.data_origin == "end":
            at = as_ticks(last)
        elif self.data_origin == "start_day":
            at = as_ticks(self.label_of(self.measure(first, "day"), "day"))
        else:  # end_day: the midnight at or after the last time (the day of one tick before, plus one)
            before = Call("cast", (Call("subtract", (as_ticks(last), Lit(1))),),
                          (("to", pa.timestamp(self.unit, self.tz)),))
            at = as_ticks(self.label_of(_add(self.measure(before, "day"), Lit(1)), "day"))
        return _add(at, Lit(self.shift))

    def last_bin_of(self, last: Expr, origin: Expr) -> Expr:
        """With edges from the data, the last bin pandas reports: the one
        ending at the last time's day (rolled back) plus one bin."""
        end = _add(self.measure(last), Lit(self.width))
        return Call("subtract", (_floordiv(Call("subtract", (end, origin)), self.width), Lit(1)))

    def bin_of(self, time: Expr, origin: Expr) -> Expr:
        if self.closed_right:  # (start, start + width]: a time on an edge belongs to the bin before
            ticks = Call("subtract", (Call("cast", (time,), (("to", pa.int64()),)), Lit(1)))
            time = Call("cast", (ticks,), (("to", pa.timestamp(self.unit, self.tz)),))
        return _floordiv(Call("subtract", (self.measure(time), origin)), self.width)

    def label(self, bin_: Expr, origin: Expr) -> Expr:
        start = _add(Call("multiply", (bin_, Lit(self.width))), origin)
        if self.kind == "tick" or not self.end_label:
            return self.label_of(_add(start, Lit(self.width)) if self.label_right else start)
        if self.kind == "day":  # a week: its last day
            return self.label_of(_add(start, Lit(self.width - 1)))
        return self.label_of(_add(start, Lit(self.width - 1)), end=True)  # the last month's last day


class Resampler:
    def __init__(self, frame: "DataFrame", rule, series: "Series | None" = None, closed: str | None = None,
                 label: str | None = None, origin: Any = "start_day", offset=None):
        if len(frame.index) != 1 or not pa.types.is_timestamp(frame.plan.schema.field(frame.index[0]).type):
            raise TypeError("resample needs a frame indexed by one timestamp column")
        self.frame, self.column, self.series = frame, frame.index[0], series
        self.kind = frame.plan.schema.field(self.column).type
        self.bins = _Bins(rule, self.kind, origin, offset, closed, label)

    # ---- the plan ----------------------------------------------------------------

    def _origin(self, plan: L.LogicalPlan) -> tuple[L.LogicalPlan, L.LogicalPlan | None]:
        """A one-row plan of the origin, when it depends on the data."""
        if self.bins.data_origin is None:
            return plan, None
        from kyudo.dataframe.extensions import fresh_names

        first, last = fresh_names(plan, 2)
        specs = (AggSpec(first, "min", self.column), AggSpec(last, "max", self.column))
        edges = self.bins.data_origin == "edges"
        # the edge rows' NULLs must record what a column's field records (a
        # pandas dtype): a value of each such column, made NULL, carries it
        kinds = [c for c in self.frame._data_columns if edges and plan.schema.field(c).metadata]
        kept = fresh_names(plan, 2 + len(kinds))[2:]
        ends = L.Aggregate(plan, (), specs + tuple(AggSpec(k, "first", c) for k, c in zip(kept, kinds)))
        name, last_bin = fresh_names(ends, 2)
        origin = self.bins.origin_of(Col(first), Col(last))
        exprs = ((name, origin),)
        if edges:
            exprs += ((last_bin, self.bins.last_bin_of(Col(last), origin)),)
            exprs += tuple((k, Col(k)) for k in kept)
        return plan, L.Project(ends, exprs)

    def _edge_rows(self, origin_plan: L.LogicalPlan) -> L.LogicalPlan:
        """Rows of NULLs in the first and last bins pandas reports, so that the
        aggregation has those bins (empty, when no data falls in them) and the
        gap filling the ones between; no rows when the frame is empty."""
        origin, last_bin, *kept = origin_plan.schema.names
        some = L.Filter(origin_plan, Call("is_not_null", (Col(origin),)))
        schema, kept = self.frame.plan.schema, iter(kept)
        nulls = []
        for c in self.frame._data_columns:
            if schema.field(c).metadata:
                null = Lit(None, schema.field(c).type)
                nulls.append((c, Call("if_else", (Lit(True, pa.bool_()), null, Col(next(kept))))))
            else:
                nulls.append((c, Lit(None, schema.field(c).type)))
        return L.Union((L.Project(some, ((self.column, Lit(0, pa.int64())),) + tuple(nulls)),
                        L.Project(some, ((self.column, Col(last_bin)),) + tuple(nulls))))

    def _with_origin(self, plan: L.LogicalPlan, origin_plan: L.LogicalPlan | None) -> tuple[L.LogicalPlan, Expr]:
        if origin_plan is None:
            return plan, Lit(self.bins.origin_value)
        from kyudo.dataframe.extensions import join_value

        return join_value(plan, origin_plan, origin_plan.schema.names[0])

    def _binned(self, specs_for) -> "DataFrame":
        from kyudo.dataframe.frame import DataFrame

        data = self.frame._data_columns
        # pandas leaves rows with a missing time out of every bin
        rows = L.Filter(self.frame.plan, Call("is_not_null", (Col(self.column),)))
        rows, origin_plan = self._origin(rows)
        with_origin, origin = self._with_origin(rows, origin_plan)
        binned = L.Project(with_origin, ((self.column, self.bins.bin_of(Col(self.column), origin)),)
                           + tuple((c, Col(c)) for c in data))
        if self.bins.data_origin == "edges":
            binned = L.Union((binned, self._edge_rows(origin_plan)))
        specs, zero, labels = specs_for(data)
        ordered = L.Sort(L.Aggregate(binned, (self.column,), tuple(specs)), (SortKey(self.column),))
        filled = FillGaps(ordered, self.column, 1, tuple(zero))
        labelled, origin = self._with_origin(filled, origin_plan)
        outputs = [s.output for s in specs]
        result = L.Project(labelled, ((self.column, self.bins.label(Col(self.column), origin)),)
                           + tuple((c, Col(c)) for c in outputs))
        return DataFrame(result, (self.column,), labels)

    def _aggregate(self, func: str, options: tuple = ()) -> "DataFrame":
        def specs_for(data):
            zero = data if func in ("sum", "count") else ()
            return [_spec(c, func, c, options) for c in data], zero, None
        return as_series_of(self._binned(specs_for), self.series)

    def agg(self, func):
        """Several aggregations: a name, a list of names (columns labelled
        ``(column, name)``) or a dict of column to name or list of names."""
        if isinstance(func, str):
            return self._method(func)()
        if self.series is not None:
            if not isinstance(func, (list, tuple)):
                raise TypeError("Series.resample().agg takes a name or a list of names")
            return self._many([(self.frame._data_columns[0], f) for f in func], flat=True)
        if isinstance(func, dict):
            pairs = []
            for column, names in func.items():
                for name in ([names] if isinstance(names, str) else names):
                    pairs.append((column, name))
            if all(isinstance(v, str) for v in func.values()):
                return self._many(pairs, flat=True)
            return self._many(pairs)
        if isinstance(func, (list, tuple)):
            return self._many([(c, f) for c in self.frame._data_columns for f in func])
        raise TypeError(f"resample().agg takes a name, a list or a dict, not {type(func).__name__}")

    aggregate = agg

    def _many(self, pairs: list[tuple[str, str]], flat: bool = False) -> "DataFrame":
        from kyudo.dataframe.extensions import fresh_names

        for column, name in pairs:
            if name not in _AGGREGATIONS:
                raise ValueError(f"unknown resample aggregation {name!r}; expected one of {_AGGREGATIONS}")
            if column not in self.frame._data_columns:
                raise KeyError(column)

        def specs_for(data):
            if flat:
                outputs = [column if self.series is None else name for column, name in pairs]
            else:
                outputs = fresh_names(self.frame.plan, len(pairs))
            specs = [_spec(out, name, column, (("min_count", 0),) if name == "sum" else ())
                     for out, (column, name) in zip(outputs, pairs)]
            zero = [s.output for s in specs if s.func in ("sum", "count")]
            labels = None if flat and self.series is None else tuple(pairs) if not flat else None
            return specs, zero, labels
        return self._binned(specs_for)

    def _method(self, name: str):
        if name not in _AGGREGATIONS:
            raise ValueError(f"unknown resample aggregation {name!r}; expected one of {_AGGREGATIONS}")
        return getattr(self, name)

    def sum(self):
        return self._aggregate("sum", (("min_count", 0),))

    def mean(self):
        return self._aggregate("mean")

    def median(self):
        return self._aggregate("median")

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

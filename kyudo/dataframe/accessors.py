"""``.str`` and ``.dt`` accessors: pandas method names mapped onto catalog functions."""
from __future__ import annotations

from kyudo.dataframe.series import Series
from kyudo.planner.expr import Call, Lit


class _Accessor:
    def __init__(self, series: Series):
        self._series = series

    def _call(self, op: str, **options) -> Series:
        return self._series._derive(Call(op, (self._series.expr,), tuple(sorted(options.items()))))


class StringAccessor(_Accessor):
    def lower(self):
        return self._call("lower")

    def upper(self):
        return self._call("upper")

    def strip(self, to_strip=None):
        return self._call("strip", chars=to_strip) if to_strip else self._call("strip")

    def lstrip(self, to_strip=None):
        return self._call("lstrip", chars=to_strip) if to_strip else self._call("lstrip")

    def rstrip(self, to_strip=None):
        return self._call("rstrip", chars=to_strip) if to_strip else self._call("rstrip")

    def len(self):
        return self._call("length")

    def startswith(self, pat: str):
        return self._call("starts_with", pattern=pat)

    def endswith(self, pat: str):
        return self._call("ends_with", pattern=pat)

    def contains(self, pat: str, case: bool = True, regex: bool = True):
        return self._call("contains", pattern=pat, case=case, regex=regex)

    def replace(self, pat: str, repl: str, regex: bool = False):
        return self._call("replace", pattern=pat, replacement=repl, regex=regex)

    def slice(self, start: int | None = None, stop: int | None = None):
        start = start or 0
        if stop is None:
            return self._call("substring", start=start)
        return self._call("substring", start=start, length=max(stop - start, 0))

    def __getitem__(self, key):
        if isinstance(key, slice) and key.step in (None, 1):
            return self.slice(key.start, key.stop)
        if isinstance(key, int) and key >= 0:
            # pandas gives a missing value past the end ("ab"[5], ""[0]), not ""
            present = Call("greater", (self.len().expr, Lit(key)))
            missing = Lit(None, self._series.arrow_type)
            return self._series._derive(Call("if_else", (present, self.slice(key, key + 1).expr, missing)))
        raise TypeError("only slices with step 1 and non-negative positions are supported")

    def cat(self, *others: Series):
        return self._series._derive(Call("concat", (self._series.expr, *(o.expr if isinstance(o, Series)
                                                                      else Lit(o) for o in others))))


class DatetimeAccessor(_Accessor):
    def __getattr__(self, name):
        fields = {"year": "year", "month": "month", "day": "day", "hour": "hour",
                  "minute": "minute", "second": "second", "microsecond": "microsecond",
                  "dayofweek": "day_of_week", "weekday": "day_of_week", "day_of_week": "day_of_week",
                  "dayofyear": "day_of_year", "day_of_year": "day_of_year", "quarter": "quarter",
                  "date": "date"}
        if name in fields:
            return self._call(fields[name])
        raise AttributeError(f".dt has no attribute {name!r}")

    def strftime(self, date_format: str):
        return self._call("strftime", format=date_format)

    def floor(self, freq: str):
        units = {"D": "day", "h": "hour", "H": "hour", "min": "minute", "T": "minute", "s": "second", "S": "second"}
        if freq not in units:
            raise ValueError(f"unsupported frequency {freq!r}; use one of {sorted(units)}")
        return self._call("date_trunc", unit=units[freq])

"""``.str`` and ``.dt`` accessors: pandas method names mapped onto catalog functions."""
from __future__ import annotations

import pyarrow as pa

from kyudo.dataframe.series import Series
from kyudo.planner.expr import Call, Lit


class _Accessor:
    def __init__(self, series: Series):
        self._series = series

    def _call(self, op: str, **options) -> Series:
        return self._series._derive(Call(op, (self._series.expr,), tuple(sorted(options.items()))))


_PREDICATES = ("isalpha", "isdigit", "isalnum", "isnumeric", "isdecimal", "isspace", "islower", "isupper",
               "istitle")


class StringAccessor(_Accessor):
    """pandas 3 strings: a predicate (``startswith``, ``isdigit``, ...) of a
    missing value is False, so results are plain booleans."""

    def _predicate(self, op: str, **options) -> Series:
        return self._series._derive(Call("fill_null", (self._call(op, **options).expr, Lit(False))))

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
        return self._predicate("starts_with", pattern=pat)

    def endswith(self, pat: str):
        return self._predicate("ends_with", pattern=pat)

    def contains(self, pat: str, case: bool = True, regex: bool = True):
        return self._predicate("contains", pattern=pat, case=case, regex=regex)

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

    def capitalize(self):
        return self._call("capitalize")

    def title(self):
        return self._call("title")

    def swapcase(self):
        return self._call("swapcase")

    def find(self, sub: str):
        return self._call("find", pattern=sub)

    def count(self, pat: str):
        return self._call("count_matches", pattern=pat)

    def repeat(self, repeats: int):
        return self._call("repeat", n=repeats)

    def match(self, pat: str, case: bool = True):
        """Whether the start of each string matches the regex ``pat``."""
        return self.contains(f"^(?:{pat})", case=case)

    def fullmatch(self, pat: str, case: bool = True):
        return self.contains(f"^(?:{pat})$", case=case)

    def pad(self, width: int, side: str = "left", fillchar: str = " "):
        return self._call("pad", width=width, side=side, fillchar=fillchar)

    def center(self, width: int, fillchar: str = " "):
        return self.pad(width, "both", fillchar)

    def ljust(self, width: int, fillchar: str = " "):
        return self.pad(width, "right", fillchar)

    def rjust(self, width: int, fillchar: str = " "):
        return self.pad(width, "left", fillchar)

    def get(self, i: int):
        return self[i]

    def __getattr__(self, name):
        # isalpha, isdigit, ...: pandas' predicates over the catalog's is_* functions
        if name in _PREDICATES:
            return lambda: self._predicate(f"is_{name[2:]}")
        raise AttributeError(f".str has no attribute {name!r}")

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

    def day_name(self):
        return self.strftime("%A")

    def month_name(self):
        return self.strftime("%B")

    def _flag(self, expr) -> Series:
        """pandas' is_* flags are False (not missing) for a missing timestamp."""
        return self._series._derive(Call("fill_null", (expr, Lit(False))))

    @property
    def is_month_start(self):
        return self._flag(Call("equal", (self.day.expr, Lit(1))))

    @property
    def is_year_start(self):
        return self._flag(Call("and", (Call("equal", (self.day.expr, Lit(1))),
                                       Call("equal", (self.month.expr, Lit(1))))))

    def normalize(self):
        """Midnight of each day, in the column's own time zone."""
        return self.floor("D")

    def tz_convert(self, tz: str):
        """The same instants in another time zone."""
        unit = self._series.arrow_type.unit
        return self._series._derive(Call("cast", (self._series.expr,), (("to", pa.timestamp(unit, tz=tz)),)))

    def floor(self, freq: str):
        units = {"D": "day", "h": "hour", "H": "hour", "min": "minute", "T": "minute", "s": "second", "S": "second"}
        if freq not in units:
            raise ValueError(f"unsupported frequency {freq!r}; use one of {sorted(units)}")
        return self._call("date_trunc", unit=units[freq])

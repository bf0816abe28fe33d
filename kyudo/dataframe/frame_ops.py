"""DataFrame operations that apply column by column or drop rows: missing
values, duplicates, top-k, element-wise rounding and bounds, membership.

Each builds one plan node (a projection, a filter, a window, a top-k) over the
frame, so they compose with everything else lazily. Kept as a mixin of
:class:`~kyudo.dataframe.frame.DataFrame` so that module stays about the core
(selection, assignment, results).
"""
from __future__ import annotations

from typing import Any, Callable

import pyarrow as pa

from kyudo.planner.specs import SortKey
from kyudo.planner.specs import WindowFrame, WindowFunction
from kyudo.planner import logical as L
from kyudo.planner.expr import Call, Col, Lit, conjoin
from kyudo.planner.types import infer_type

_KEEP = ("first", "last", False)
_WHOLE_GROUP = WindowFrame("rows", None, None)


def _kind(dtype: pa.DataType) -> str:
    """Broad family of a type: a fill value applies to columns of its family only."""
    if pa.types.is_dictionary(dtype):
        return _kind(dtype.value_type)
    for name, test in (("bool", pa.types.is_boolean), ("number", lambda t: pa.types.is_integer(t)
                       or pa.types.is_floating(t) or pa.types.is_decimal(t)),
                       ("text", lambda t: pa.types.is_string(t) or pa.types.is_large_string(t)),
                       ("time", pa.types.is_temporal)):
        if test(dtype):
            return name
    return str(dtype)


class FrameOps:
    """Mixed into DataFrame; uses its ``plan``, ``index``, ``_data_columns``,
    ``_column``, ``_with`` and column access."""

    def _map_columns(self, fn: Callable[[Any], Any], columns=None) -> Any:
        """Replace each chosen data column by ``fn(series)``, all computed from
        this frame's columns; the others pass through. Values may read lazy
        scalars: the plan grows by their joins, whose private columns the final
        projection leaves out. A value's pandas dtype that its expression
        cannot record (``Series.pandas_dtype``) is recorded on its column."""
        from kyudo.dataframe.series_ops import retyped
        plan, exprs, dtypes = self.plan, {}, {}
        for name in self._data_columns if columns is None else columns:
            new = fn(self[name])
            value = self._with(plan)._rebase(new)
            if value is None:
                raise ValueError(f"the new values of {name!r} were built from a different frame")
            plan, exprs[name] = value.frame.plan, value.expr
            if new.pandas_dtype is not None:
                dtypes[name] = new.pandas_dtype
        plan = L.Project(plan, tuple((n, exprs.get(n, Col(n))) for n in self.plan.schema.names))
        return self._with(retyped(plan, dtypes) if dtypes else plan)

    def _numeric_columns(self) -> list[str]:
        return [n for n in self._data_columns if _kind(self.plan.schema.field(n).type) == "number"]

    # ---- missing values ------------------------------------------------------------

    def fillna(self, value) -> Any:
        """Fill with one value (columns of its kind only: pandas would make the
        others object columns, which Arrow cannot hold) or a {column: value} dict."""
        if isinstance(value, dict):
            for name in value:
                self._column(name)
            return self._map_columns(lambda s: s.fillna(value[s.name]), list(value))
        kind = _kind(infer_type(Lit(value), self.plan.schema))
        columns = [n for n in self._data_columns if _kind(self.plan.schema.field(n).type) == kind]
        return self._map_columns(lambda s: s.fillna(value), columns)

    def dropna(self, how: str = "any", subset=None, thresh: int | None = None) -> Any:
        """Drop rows with missing values in ``subset`` (all data columns by default)."""
        if how not in ("any", "all"):
            raise ValueError("how must be 'any' or 'all'")
        names = self._data_columns if subset is None else ([subset] if isinstance(subset, str) else list(subset))
        present = [self[n].notna().expr for n in names]
        if not present:
            return self
        if thresh is not None:
            counted = [Call("cast", (p,), (("to", pa.int64()),)) for p in present]
            count = counted[0]
            for c in counted[1:]:
                count = Call("add", (count, c))
            keep = Call("greater_equal", (count, Lit(thresh)))
        elif how == "any":
            keep = conjoin(present)
        else:
            keep = Call("or", tuple(present)) if len(present) > 1 else present[0]
        return self._with(L.Filter(self.plan, keep))

    # ---- duplicates and top-k ------------------------------------------------------------

    def drop_duplicates(self, subset=None, keep="first", ignore_index: bool = False) -> Any:
        """Keep the first (``keep="first"``), last, or no (``keep=False``) row of
        each set of rows equal on ``subset`` (all data columns by default; the
        index is not compared, as in pandas). Rows are grouped with a window on
        the subset, which hands rows back in the frame's order: "first" is the
        first in that order and the kept rows keep it, as in pandas."""
        if keep not in _KEEP:
            raise ValueError(f"keep must be one of {_KEEP}")
        names = self._data_columns if subset is None else ([subset] if isinstance(subset, str) else list(subset))
        for n in names:
            self._column(n)
        rank, size = "__dup_rank__", "__dup_size__"
        window = L.Window(self.plan, tuple(names), (), (
            WindowFunction(rank, "row_number"), WindowFunction(size, "size", frame=_WHOLE_GROUP)))
        if keep == "first":
            wanted = Call("equal", (Col(rank), Lit(1)))
        elif keep == "last":
            wanted = Call("equal", (Col(rank), Col(size)))
        else:
            wanted = Call("equal", (Col(size), Lit(1)))
        kept = L.Filter(window, wanted)
        frame = self._with(L.Project(kept, tuple((n, Col(n)) for n in self.plan.schema.names)))
        return frame.reset_index(drop=True) if ignore_index else frame

    def _top(self, n: int, columns, ascending: bool) -> Any:
        columns = [columns] if isinstance(columns, str) else list(columns)
        for c in columns:
            self._column(c)
        keys = tuple(SortKey(c, ascending, False) for c in columns)
        return self._with(L.Limit(L.Sort(self.plan, keys), n))

    def nlargest(self, n: int, columns) -> Any:
        """The ``n`` rows with the largest ``columns`` (a top-k, not a full sort)."""
        return self._top(n, columns, ascending=False)

    def nsmallest(self, n: int, columns) -> Any:
        return self._top(n, columns, ascending=True)

    # ---- element-wise --------------------------------------------------------------------

    def isin(self, values) -> Any:
        """Membership per cell: ``values`` is one list for every column or a dict
        of lists per column (columns not in the dict are all False)."""
        from kyudo.dataframe.series import Series
        if isinstance(values, Series) or isinstance(values, dict) and any(
                isinstance(v, Series) for v in values.values()):
            raise TypeError("DataFrame.isin with a Series compares each cell with the Series' value at "
                            "the same index label in pandas, and kyudo does not align on the index; for "
                            "membership in a lazy Series use df[column].isin(series)")
        if isinstance(values, dict):
            # a column not in the dict is all False, typed as pandas types isin
            return self._map_columns(lambda s: s.isin(values.get(s.name, [])))
        # Series.isin leaves out values of another kind (a str is never in an int
        # column; True is 1, as in pandas) and decides what missing values match
        values = list(values)
        return self._map_columns(lambda s: s.isin(values))

    def clip(self, lower=None, upper=None) -> Any:
        return self._map_columns(lambda s: s.clip(lower, upper))

    def round(self, decimals: int = 0) -> Any:
        """Round the numeric columns; others pass through, as in pandas."""
        return self._map_columns(lambda s: s.round(decimals), self._numeric_columns())

    def abs(self) -> Any:
        return self._map_columns(lambda s: s.abs())

    def where(self, cond, other=None) -> Any:
        """Keep the rows' values where the boolean Series ``cond`` is true, else ``other``."""
        return self._map_columns(lambda s: s.where(cond, other))

    def mask(self, cond, other=None) -> Any:
        return self._map_columns(lambda s: s.mask(cond, other))

    # ---- running totals, column by column ---------------------------------------------------

    def cumsum(self) -> Any:
        return self._map_columns(lambda s: s.cumsum())

    def cumprod(self) -> Any:
        return self._map_columns(lambda s: s.cumprod())

    def cummin(self) -> Any:
        return self._map_columns(lambda s: s.cummin())

    def cummax(self) -> Any:
        return self._map_columns(lambda s: s.cummax())

    # ---- summaries (see ``summaries``) -------------------------------------------------

    def describe(self) -> Any:
        from kyudo.dataframe.summaries import describe
        return describe(self)

    def quantile(self, q=0.5) -> Any:
        from kyudo.dataframe.summaries import quantile
        return quantile(self, q)

    def median(self) -> Any:
        return self.quantile(0.5).rename(None)

    def nunique(self) -> Any:
        from kyudo.dataframe.summaries import nunique
        return nunique(self)

    def memory_usage(self) -> Any:
        from kyudo.dataframe.summaries import memory_usage
        return memory_usage(self)

    def info(self, buf=None) -> None:
        from kyudo.dataframe.summaries import info
        info(self, buf)

    def corr(self) -> Any:
        from kyudo.dataframe.summaries import correlation
        return correlation(self, corr=True)

    def cov(self, ddof: int = 1) -> Any:
        from kyudo.dataframe.summaries import correlation
        return correlation(self, corr=False, ddof=ddof)

    # ---- reshaping (see ``reshape``) ------------------------------------------------------

    def explode(self, column: str) -> Any:
        from kyudo.dataframe.reshape import explode
        return explode(self, column)

    def pivot_table(self, index: str, columns: str, values, aggfunc: str = "mean") -> Any:
        from kyudo.dataframe.reshape import pivot_table
        return pivot_table(self, index, columns, values, aggfunc)

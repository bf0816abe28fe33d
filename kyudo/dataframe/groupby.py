"""``groupby``: pandas grouping semantics over the planner's Aggregate node.

pandas conventions kept here: rows with a NULL key are dropped unless
``dropna=False``; results are sorted by the keys unless ``sort=False``; the keys
become the index unless ``as_index=False``; a sum of an all-NULL group is 0.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from kyudo.dataframe.aggregate_dtypes import typed_like_pandas
from kyudo.dataframe.convert import UNNAMED_INDEX_PREFIX
from kyudo.dataframe.indexing import index_label
from kyudo.dataframe.series import Series
from kyudo.planner.specs import AggSpec
from kyudo.planner.specs import SortKey
from kyudo.planner import logical as L
from kyudo.planner.specs import WindowFunction
from kyudo.planner.expr import Call, Col, Lit, conjoin

if TYPE_CHECKING:
    from kyudo.dataframe.frame import DataFrame

AGGREGATIONS = ("sum", "mean", "count", "size", "min", "max", "std", "var", "first", "last", "nunique",
                "median", "any", "all", "prod")
_FUNC_NAMES = {"nunique": "count_distinct", "median": "quantile", "approx_median": "approx_quantile"}
_PANDAS_OPTIONS = {"sum": (("min_count", 0),), "std": (("ddof", 1),), "var": (("ddof", 1),),
                   "median": (("q", 0.5),), "approx_median": (("q", 0.5),)}


def _spec(output: str, func: Any, column: str | None) -> AggSpec:
    name = getattr(func, "__name__", func)
    if name not in AGGREGATIONS and name not in _FUNC_NAMES:
        raise ValueError(f"unsupported aggregation {func!r}; kyudo supports {', '.join(AGGREGATIONS)}")
    return AggSpec(output, _FUNC_NAMES.get(name, name), None if name == "size" else column,
                   _PANDAS_OPTIONS.get(name, ()))


class GroupBy:
    def __init__(self, frame: "DataFrame", by, dropna=True, sort=True, as_index=True,
                 split_every=None, split_out=None, selection=None):
        self.frame = frame
        self.dropna, self.sort, self.as_index = dropna, sort, as_index
        self.split_every, self.split_out = split_every, split_out
        self.by = by
        self.keys, self._keyed = self._key_columns(by)
        self.selection = selection

    def _key_columns(self, by) -> tuple[tuple[str, ...], "DataFrame"]:
        """Key column names, and the frame with expression keys added as columns."""
        items = by if isinstance(by, (list, tuple)) else [by]
        frame, names = self.frame, []
        for i, item in enumerate(items):
            if isinstance(item, Series):
                # an unnamed key gets the private name an unnamed index has, so
                # the result's index is unnamed as in pandas
                name = item.name if item.name is not None else f"{UNNAMED_INDEX_PREFIX}key{i}__"
                if not (isinstance(item.expr, Col) and item.expr.name == name):
                    frame = frame._assign_one(name, item)
                names.append(name)
            else:
                frame._column(item)
                if any(index_label(n) == item != n for n in frame.index):  # set_index(item, drop=False)
                    raise ValueError(f"{item!r} is both an index level and a column label, which is ambiguous.")
                names.append(item)
        return tuple(names), frame

    def _value_columns(self) -> list[str]:
        if self.selection is not None:
            return list(self.selection) if isinstance(self.selection, (list, tuple)) else [self.selection]
        return [c for c in self._keyed._data_columns if c not in self.keys]

    def __getitem__(self, key) -> "GroupBy":
        names = [key] if isinstance(key, str) else list(key)
        for n in names:
            self._keyed._column(n)
        return GroupBy(self.frame, self.by, self.dropna, self.sort, self.as_index,
                       self.split_every, self.split_out, selection=key)

    def __getattr__(self, name: str):
        if not name.startswith("_") and name in self.frame.plan.schema.names:
            return self[name]
        raise AttributeError(name)

    # ---- building the plan ------------------------------------------------------------

    def _aggregate(self, specs: list[AggSpec], labels=None, series_name: Any = ...):
        from kyudo.dataframe.frame import DataFrame

        plan = self._keyed.plan
        if self.dropna and self.keys:
            plan = L.Filter(plan, conjoin([Call("is_not_null", (Col(k),)) for k in self.keys]))
        plan = typed_like_pandas(L.Aggregate(plan, self.keys, tuple(specs), self.split_every, self.split_out))
        if self.sort and self.keys:
            plan = L.Sort(plan, tuple(SortKey(k, True, False) for k in self.keys))
        index = self.keys if self.as_index else ()
        if labels is not None and not self.as_index:
            # the keys are leading data columns here: pandas labels them (key, "")
            labels = tuple((k, "") for k in self.keys) + tuple(labels)
        frame = DataFrame(plan, index, labels)
        if series_name is not ... and self.as_index:
            # as_index=False gives a frame with the keys as columns, even for one column
            return Series(frame, Col(specs[0].output), series_name)
        return frame

    def _single(self, func: str, **options):
        values = self._value_columns()
        if func == "size":
            # pandas names the sizes after a selected column: df.groupby(k).v.size() is "v"
            name = self.selection if isinstance(self.selection, str) else None
            return self._aggregate([_spec("size", "size", None)], series_name=name) if self.as_index \
                else self._aggregate([_spec("size", "size", None)])
        if isinstance(self.selection, str) and self.as_index:
            # df.groupby("k").k.count(): the result is named like the key, which the
            # aggregate already outputs, so its column is named apart
            output = self.selection if self.selection not in self.keys else f"__{self.selection}__value"
            return self._aggregate([_with_options(_spec(output, func, self.selection), options)],
                                   series_name=self.selection)
        specs = [_with_options(_spec(v, func, v), options) for v in values]
        if isinstance(self.selection, str):
            return self._aggregate(specs, series_name=self.selection)
        return self._aggregate(specs)

    def _many(self, items: list[tuple[str, Any, str]], labels=None):
        """Aggregations ``(output, function, input column)``: built-in ones are
        one Aggregate; with any ``kd.Aggregation`` among them, see
        ``custom_aggregation.aggregate_mixed``."""
        from kyudo.dataframe.custom_aggregation import Aggregation, aggregate_mixed
        if any(isinstance(func, Aggregation) for _, func, _ in items):
            return aggregate_mixed(self, items, labels)
        return self._aggregate([_spec(output, func, column) for output, func, column in items], labels)

    def agg(self, arg=None, **named):
        from kyudo.dataframe.custom_aggregation import Aggregation, aggregate
        if named:
            items = []
            for output, pair in named.items():
                column, func = (pair.column, pair.aggfunc) if isinstance(pair, pd.NamedAgg) else pair
                self._keyed._column(column)
                items.append((output, func, column))
            return self._many(items)
        if isinstance(arg, Aggregation):
            return aggregate(self, arg)
        if isinstance(arg, str) or callable(arg):
            return self._single(getattr(arg, "__name__", arg))
        if isinstance(arg, dict):
            items, labels, multi = [], [], any(isinstance(f, (list, tuple)) for f in arg.values())
            for column, funcs in arg.items():
                self._keyed._column(column)
                for func in (funcs if isinstance(funcs, (list, tuple)) else [funcs]):
                    fname = _func_name(func)
                    items.append((f"{column}__{fname}" if multi else column, func, column))
                    labels.append((column, fname))
            return self._many(items, tuple(labels) if multi else None)
        if isinstance(arg, (list, tuple)):
            values = self._value_columns()
            items, labels = [], []
            for column in values:
                for func in arg:
                    fname = _func_name(func)
                    items.append((f"{column}__{fname}", func, column))
                    labels.append((column, fname))
            if isinstance(self.selection, str):
                from kyudo.dataframe.frame import DataFrame
                frame = self._many(items)
                renamed = frame.rename(columns={output: lab[1] for (output, _, _), lab in zip(items, labels)})
                return DataFrame(renamed.plan, renamed.index)
            return self._many(items, tuple(labels))
        raise TypeError(f"cannot aggregate with {arg!r}")

    aggregate = agg

    def sum(self):
        return self._single("sum")

    def mean(self):
        return self._single("mean")

    def count(self):
        return self._single("count")

    def size(self):
        return self._single("size")

    def min(self):
        return self._single("min")

    def max(self):
        return self._single("max")

    def std(self, ddof: int = 1):
        return self._single("std", ddof=ddof)

    def var(self, ddof: int = 1):
        return self._single("var", ddof=ddof)

    def first(self):
        return self._single("first")

    def last(self):
        return self._single("last")

    def nunique(self):
        return self._single("nunique")

    def median(self):
        return self._single("median")

    def prod(self):
        return self._single("prod")

    def quantile(self, q: float = 0.5, method: str = "exact"):
        """Exact quantile with linear interpolation, as pandas' default, or an
        approximate one from bounded sketches (``method="approx"``)."""
        from kyudo.dataframe.series import _quantile_func
        return self._single("approx_median" if _quantile_func(method) == "approx_quantile" else "median",
                            q=float(q))

    # ---- user functions on whole groups ---------------------------------------------

    def apply(self, func, *, meta=None, **kwargs):
        """pandas ``apply`` per group after a shuffle on the keys (see ``group_apply``)."""
        from kyudo.dataframe.group_apply import run
        return run(self, func, "apply", meta=meta, **kwargs)

    def transform(self, func, *, meta=None, **kwargs):
        """pandas ``transform`` per group after a shuffle on the keys; rows come
        back in shuffle order, with the frame's index when it has one."""
        from kyudo.dataframe.group_apply import run
        return run(self, func, "transform", meta=meta, **kwargs)

    # ---- running totals per group (rows stay in frame order) ---------------------

    def _null_key(self):
        return Call("or", tuple(Call("is_null", (Col(k),)) for k in self.keys)) if len(self.keys) > 1 \
            else Call("is_null", (Col(self.keys[0]),))

    def _running(self, func: str):
        def running(series: Series) -> Series:
            result = series._cumulative(func, self.keys)
            if self.dropna:  # pandas leaves rows with a missing key out: NaN there
                result = result._derive(Call("if_else", (self._null_key(), Lit(None), result.expr)))
            return result
        if isinstance(self.selection, str):
            return running(self._keyed[self.selection])
        values = self._value_columns()
        return self._keyed._map_columns(running, values)[values]

    def cumsum(self):
        return self._running("sum")

    def cumprod(self):
        return self._running("prod")

    def cummin(self):
        return self._running("min")

    def cummax(self):
        return self._running("max")

    def cumcount(self):
        """Position of each row within its group, from 0, in frame order."""
        from kyudo.dataframe.extensions import fresh_name
        from kyudo.dataframe.frame import DataFrame
        frame = self._keyed
        out = fresh_name(frame.plan)
        plan = L.Window(frame.plan, self.keys, (), (WindowFunction(out, "row_number"),))
        position = Call("subtract", (Col(out), Lit(1)))
        if self.dropna:
            position = Call("if_else", (self._null_key(), Lit(None), position))
        return Series(DataFrame(plan, frame.index, frame._column_labels), position, None)

    def any(self):
        return self._single("any")

    def all(self):
        return self._single("all")


def _func_name(func) -> str:
    """The label pandas gives an aggregation: its name (a ``kd.Aggregation``'s own)."""
    return getattr(func, "__name__", None) or getattr(func, "name", None) or func


def _with_options(spec: AggSpec, options: dict) -> AggSpec:
    if not options:
        return spec
    merged = dict(spec.options) | options
    return AggSpec(spec.output, spec.func, spec.column, tuple(sorted(merged.items())))

"""``DataFrame``: a lazy, partitioned frame with the pandas API.

A DataFrame is a logical plan plus the names of the plan columns that make up the
pandas index (empty for the default positional index). Every method returns a new
frame over a bigger plan; nothing runs until ``compute()``, ``to_arrow()``,
``persist()``, ``head()`` or ``len()``.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import pandas as pd
import pyarrow as pa

from kyudo.dataframe.convert import table_to_pandas
from kyudo.dataframe.dtypes import pandas_dtypes, to_arrow_type
from kyudo.dataframe.frame_ops import FrameOps
from kyudo.dataframe.extensions import added_by, base_of, is_extension, join_scalar, peel, rejoin
from kyudo.dataframe.series import Scalar, Series, cast_expr, to_expr
from kyudo.dataframe.series_ops import is_retype, retyped
from kyudo.planner.specs import AggSpec
from kyudo.planner.specs import SortKey
from kyudo.planner import logical as L
from kyudo.planner.compile import compute_head, compute_partitions, compute_table, explain
from kyudo.planner.errors import ColumnNotFoundError, missing_column_message
from kyudo.planner.expr import Call, Col, Expr
from kyudo.planner.sources import InMemorySource


class DataFrame(FrameOps):
    """A lazy frame: ``plan`` computes its columns, ``index`` names the index columns."""

    def __init__(self, plan: L.LogicalPlan, index: tuple[str, ...] = (),
                 column_labels: tuple | pd.Index | None = None):
        self.plan = plan
        self.index = tuple(index)
        # pandas labels for the data columns when they are not plain names
        # (a MultiIndex after ``groupby().agg([...])``, tuples, or a pandas Index
        # such as pivot_table's categories); dropped by any reshaping.
        self._column_labels = column_labels

    # ---- metadata ---------------------------------------------------------------

    @property
    def columns(self) -> pd.Index:
        if self._column_labels is not None:
            return _labels_index(self._column_labels)
        return pd.Index(self._data_columns, dtype=object)

    @property
    def _data_columns(self) -> list[str]:
        return [n for n in self.plan.schema.names if n not in self.index]

    @property
    def schema(self) -> pa.Schema:
        return self.plan.schema

    @property
    def dtypes(self) -> pd.Series:
        return pandas_dtypes(self.plan.schema).loc[self._data_columns]

    @property
    def npartitions(self) -> int:
        from kyudo.planner.compile import physical_plan
        return physical_plan(self.plan).npartitions

    def _with(self, plan: L.LogicalPlan, index: tuple[str, ...] | None = None) -> "DataFrame":
        return DataFrame(plan, self.index if index is None else index)

    def _column(self, name: str) -> Col:
        if name not in self.plan.schema.names:
            raise ColumnNotFoundError(missing_column_message(name, self._data_columns))
        return Col(name)

    def _rebase(self, series: Series) -> Series | None:
        """Re-express a Series built from an earlier version of this frame.

        ``mask = df.x > 1; df["y"] = ...; df[mask]`` is common pandas code: the
        new frame only added columns over the old one, so the mask's expression
        is still valid here. Walk down through projections that pass the
        mask's columns through unchanged until the mask's own plan is reached.
        A node that only records pandas dtypes (``retyped``) changes no value.
        Filters and sorts only drop or reorder rows, so ``df[df.x > 1].assign(
        y=df.z * 2)`` gives each kept row its own value, as pandas' alignment on
        the index does. A Series over an extension of its frame (one reading a
        lazy scalar or a running total, see ``extensions``) comes back over this
        frame extended the same way.
        """
        base, layers = peel(series.frame.plan)
        target = self.plan
        needed = series.expr.columns() - added_by(layers)
        while True:
            if target is base or target == base:
                plan, expr = rejoin(self.plan, layers, series.expr)
                frame = self if plan is self.plan else DataFrame(plan, self.index, self._column_labels)
                return Series(frame, expr, series.name, series.pandas_dtype)
            if isinstance(target, L.Project):
                passed = {n for n, e in target.exprs if e == Col(n)}
                if not needed <= passed:
                    return None
                target = target.input
            elif isinstance(target, (L.Filter, L.Sort)) or is_retype(target):
                target = target.input
            elif is_extension(target):
                target = base_of(target)
            else:
                return None

    # ---- selection ----------------------------------------------------------------

    def __getitem__(self, key):
        if isinstance(key, Series):
            return self._filter(key)
        if isinstance(key, str):
            return Series(self, self._column(key), key)
        if isinstance(key, (list, tuple, pd.Index)):
            return self._select(list(key))
        raise TypeError(f"cannot index a DataFrame with {type(key).__name__}")

    def __getattr__(self, name: str):
        if name.startswith("_") or name in ("plan", "index"):
            raise AttributeError(name)
        if name in self.plan.schema.names:
            return Series(self, Col(name), name)
        raise AttributeError(f"DataFrame has no attribute or column {name!r}"
                             + _hint(name, self._data_columns))

    def __dir__(self):
        return list(super().__dir__()) + self._data_columns

    def _select(self, names: list[str]) -> "DataFrame":
        for n in names:
            self._column(n)
        exprs = tuple((n, Col(n)) for n in self.index) + tuple((n, Col(n)) for n in names)
        return self._with(L.Project(self.plan, exprs))

    def _filter(self, mask: Series) -> "DataFrame":
        rebased = self._rebase(mask)
        if rebased is None:
            raise ValueError("the boolean mask was built from a different frame")
        filtered = L.Filter(rebased.frame.plan, _filter_predicate(rebased.expr))
        if rebased.frame.plan is not self.plan:
            # drop the private columns an extended mask brought along
            filtered = L.Project(filtered, tuple((n, Col(n)) for n in self.plan.schema.names))
        return self._with(filtered)

    # ---- new columns ----------------------------------------------------------------

    def assign(self, **columns: Any) -> "DataFrame":
        frame = self
        for name, value in columns.items():
            if callable(value) and not isinstance(value, Series):
                value = value(frame)
            frame = frame._assign_one(name, value)
        return frame

    def _assign_one(self, name: str, value: Any) -> "DataFrame":
        """A new or replaced column. A Series' pandas dtype that its expression
        cannot record (``Series.pandas_dtype``: the ``boolean`` of ``df.x > 3``
        over an Int64 column) is recorded on the new column's field."""
        plan, dtype = self.plan, None
        if isinstance(value, Series):
            dtype = value.pandas_dtype
            rebased = self._rebase(value)
            if rebased is None:
                raise ValueError("cannot assign a Series built from a different frame")
            plan, expr = rebased.frame.plan, rebased.expr
        elif isinstance(value, Scalar):
            plan, expr = join_scalar(plan, value)
        else:
            expr = to_expr(value)
        exprs, replaced = [], False
        for n in self.plan.schema.names:
            if n == name:
                exprs.append((n, expr))
                replaced = True
            else:
                exprs.append((n, Col(n)))
        if not replaced:
            exprs.append((name, expr))
        plan = L.Project(plan, tuple(exprs))
        return self._with(plan if dtype is None else retyped(plan, {name: dtype}))

    def __setitem__(self, key, value) -> None:
        if isinstance(key, (list, tuple)):
            raise TypeError("assign one column at a time")
        new = self._assign_one(key, value)
        self.plan, self._column_labels = new.plan, None

    def astype(self, dtype) -> "DataFrame":
        if isinstance(dtype, dict):
            for n in dtype:
                self._column(n)
            types = {n: to_arrow_type(t) for n, t in dtype.items()}
        else:
            types = {n: to_arrow_type(dtype) for n in self._data_columns}
        exprs = tuple((n, cast_expr(Col(n), self.plan.schema.field(n).type, types[n]) if n in types else Col(n))
                      for n in self.plan.schema.names)
        return self._with(L.Project(self.plan, exprs))

    def rename(self, columns: dict | Callable | None = None, mapper=None, axis=None) -> "DataFrame":
        columns = columns if columns is not None else mapper
        if callable(columns):
            mapping = {n: columns(n) for n in self._data_columns}
        else:
            mapping = dict(columns or {})
        exprs = tuple((mapping.get(n, n) if n not in self.index else n, Col(n))
                      for n in self.plan.schema.names)
        return self._with(L.Project(self.plan, exprs))

    def drop(self, columns=None, labels=None, axis=0) -> "DataFrame":
        names = columns if columns is not None else labels
        names = [names] if isinstance(names, str) else list(names or [])
        for n in names:
            self._column(n)
        keep = tuple((n, Col(n)) for n in self.plan.schema.names if n not in names or n in self.index)
        return self._with(L.Project(self.plan, keep))

    # ---- reshaping ------------------------------------------------------------------

    def groupby(self, by, dropna: bool = True, sort: bool = True, as_index: bool = True,
                split_every: int | None = None, split_out: int | None = None):
        from kyudo.dataframe.groupby import GroupBy
        return GroupBy(self, by, dropna=dropna, sort=sort, as_index=as_index,
                       split_every=split_every, split_out=split_out)

    def merge(self, right: "DataFrame", how: str = "inner", on=None, left_on=None, right_on=None,
              suffixes=("_x", "_y"), broadcast: bool | None = None, left_index: bool = False,
              right_index: bool = False) -> "DataFrame":
        if left_index != right_index:
            from kyudo.dataframe.merge import merge_index_with_columns
            return merge_index_with_columns(self, right, how=how, left_on=left_on, right_on=right_on,
                                            left_index=left_index, right_index=right_index,
                                            suffixes=suffixes, broadcast=broadcast)
        if left_index and right_index:
            if on is not None or left_on is not None or right_on is not None:
                raise ValueError("left_index and right_index merge on the indexes; do not also pass on=")
            from kyudo.dataframe.indexing import merge_on_index
            return merge_on_index(self, right, how=how, suffixes=suffixes)
        from kyudo.dataframe.merge import merge
        return merge(self, right, how=how, on=on, left_on=left_on, right_on=right_on,
                     suffixes=suffixes, broadcast=broadcast)

    def join(self, other: "DataFrame", how: str = "left", lsuffix: str = "", rsuffix: str = "") -> "DataFrame":
        """Merge on both indexes (see ``kyudo.dataframe.indexing``)."""
        from kyudo.dataframe.indexing import join
        return join(self, other, how=how, lsuffix=lsuffix, rsuffix=rsuffix)

    # ---- index and partitions -------------------------------------------------------

    def set_index(self, column: str, sorted: bool = False, divisions=None, drop: bool = True) -> "DataFrame":
        """Index by ``column``, sorted; ``sorted=True`` promises it already is (see
        ``kyudo.dataframe.indexing``)."""
        from kyudo.dataframe.indexing import set_index
        return set_index(self, column, sorted=sorted, divisions=divisions, drop=drop)

    @property
    def loc(self):
        """Rows by index label, label list or inclusive label slice."""
        from kyudo.dataframe.indexing import LocIndexer
        return LocIndexer(self)

    @property
    def divisions(self) -> tuple:
        from kyudo.dataframe.indexing import divisions
        return divisions(self)

    @property
    def known_divisions(self) -> bool:
        return any(d is not None for d in self.divisions)

    def repartition(self, npartitions: int | None = None, partition_size=None, divisions=None) -> "DataFrame":
        """Balanced partitions (see ``kyudo.dataframe.partitioning``)."""
        from kyudo.dataframe.partitioning import repartition
        return repartition(self, npartitions=npartitions, partition_size=partition_size, divisions=divisions)

    def shuffle(self, on, npartitions: int | None = None) -> "DataFrame":
        from kyudo.dataframe.partitioning import shuffle
        return shuffle(self, on, npartitions=npartitions)

    def map_overlap(self, func: Callable, before=0, after=0, meta=None) -> "DataFrame":
        """``func`` over each partition plus neighbouring rows (see ``kyudo.dataframe.windows``)."""
        from kyudo.dataframe.windows import map_overlap
        return map_overlap(self, func, before=before, after=after, meta=meta)

    def rolling(self, window, min_periods: int | None = None, center: bool = False, closed: str | None = None):
        from kyudo.dataframe.windows import Rolling
        return Rolling(self, window, min_periods=min_periods, center=center, closed=closed)

    def resample(self, rule, closed: str | None = None, label: str | None = None, origin="start_day",
                 offset=None):
        """Time bins of a time index (see ``kyudo.dataframe.resample``)."""
        from kyudo.dataframe.resample import Resampler
        return Resampler(self, rule, closed=closed, label=label, origin=origin, offset=offset)

    def sort_values(self, by, ascending=True, na_position: str = "last") -> "DataFrame":
        by = [by] if isinstance(by, str) else list(by)
        ascending = [ascending] * len(by) if isinstance(ascending, bool) else list(ascending)
        if len(ascending) != len(by):
            raise ValueError(f"length of ascending ({len(ascending)}) != length of by ({len(by)})")
        if na_position not in ("first", "last"):
            raise ValueError("na_position must be 'first' or 'last'")
        for n in by:
            self._column(n)
        keys = tuple(SortKey(n, bool(a), na_position == "first") for n, a in zip(by, ascending))
        return self._with(L.Sort(self.plan, keys))

    def reset_index(self, drop: bool = False) -> "DataFrame":
        """Turn the index into ordinary leading columns (or drop it); the result
        has the default positional index."""
        from kyudo.dataframe.indexing import index_label
        if drop:
            keep = tuple((n, Col(n)) for n in self._data_columns)
        else:
            for n in self.index:
                if index_label(n) in self._data_columns:  # set_index(col, drop=False)
                    raise ValueError(f"cannot insert {index_label(n)}, already exists")
            keep = tuple((index_label(n), Col(n)) for n in self.index) \
                + tuple((n, Col(n)) for n in self._data_columns)
        return DataFrame(L.Project(self.plan, keep))

    def map_partitions(self, func: Callable, meta: pd.DataFrame | pa.Schema | None = None,
                       arrow: bool = False) -> "DataFrame":
        """Apply ``func`` to each partition: pandas in and out, or Arrow with ``arrow=True``.

        The output schema is ``meta`` when given, else inferred by calling ``func``
        on an empty partition of the input.
        """
        from kyudo.dataframe.user_functions import map_partitions
        return map_partitions(self, func, meta=meta, arrow=arrow)

    # ---- results --------------------------------------------------------------------

    def compute(self, scheduler=None) -> pd.DataFrame:
        return self._to_pandas(compute_table(self.plan, scheduler))

    def _to_pandas(self, table: pa.Table) -> pd.DataFrame:
        from kyudo.dataframe.indexing import index_label
        df = table_to_pandas(table, self.index, self.plan.schema)
        if any(index_label(n) != n for n in self.index):
            df.index.names = [index_label(n) if n is not None else None for n in df.index.names]
        if self._column_labels is not None:
            df.columns = _labels_index(self._column_labels)
        return df

    def to_arrow(self, scheduler=None) -> pa.Table:
        return compute_table(self.plan, scheduler)

    def to_parquet(self, path: str, **options) -> list[str]:
        """Write a Parquet dataset, all or nothing; see ``io_functions.to_parquet``."""
        from kyudo.dataframe.io_functions import to_parquet
        return to_parquet(self, path, **options)

    def to_csv(self, path: str, **options) -> list[str]:
        """Write CSV files (or ``single_file=True``); see ``io_functions.to_csv``."""
        from kyudo.dataframe.io_functions import to_csv
        return to_csv(self, path, **options)

    def to_json(self, path: str, **options) -> list[str]:
        """Write JSON-lines files; see ``io_functions.to_json``."""
        from kyudo.dataframe.io_functions import to_json
        return to_json(self, path, **options)

    def persist(self, scheduler=None) -> "DataFrame":
        """Compute now and keep the partitions in memory for later queries (a
        sorted index stays known as sorted, so its divisions come back)."""
        from kyudo.dataframe.indexing import keep_sorted_index
        tables = compute_partitions(self.plan, scheduler)
        source = InMemorySource(tables or [self.plan.schema.empty_table()], self.plan.schema)
        return DataFrame(keep_sorted_index(self, L.Scan(source)), self.index, self._column_labels)

    def head(self, n: int = 5, scheduler=None) -> pd.DataFrame:
        """The first ``n`` rows, reading only as many partitions as needed."""
        return self._to_pandas(compute_head(self.plan, n, scheduler))

    def __len__(self) -> int:
        plan = self.plan
        while isinstance(plan, (L.Project, L.Sort)):
            plan = plan.input
        # a source's row count is exact only without a row-wise filter of its own
        # (read_parquet(filters=...) counts the kept row groups' rows)
        if isinstance(plan, L.Scan) and plan.predicate is None and getattr(plan.source, "filter", None) is None:
            rows = getattr(plan.source, "num_rows", None)
            if rows is not None:
                return int(rows)
        counted = L.Aggregate(L.Project(self.plan, ()), (), (AggSpec("n", "size", None),))
        return int(compute_table(counted).column(0)[0].as_py())

    def explain(self) -> None:
        print(explain(self.plan))

    def __repr__(self) -> str:
        cols = ", ".join(f"{f.name}: {f.type}" for f in self.plan.schema if f.name not in self.index)
        idx = f", index=[{', '.join(self.index)}]" if self.index else ""
        return f"<kyudo.DataFrame [{cols}]{idx}>"


def _labels_index(labels) -> pd.Index:
    """Column labels kept beside the plan: a pandas Index as it is (such as
    pivot_table's CategoricalIndex), or tuples for a MultiIndex."""
    return labels if isinstance(labels, pd.Index) else pd.MultiIndex.from_tuples(labels)


def _hint(name: str, names: Iterable[str]) -> str:
    import difflib
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


def _filter_predicate(expr: Expr) -> Expr:
    """A Filter drops NULL like FALSE, so the pandas-style ``fill_null(p, False)``
    around a mask (or under its ANDs and ORs, never under a NOT) is redundant
    there; removing it lets ``p`` reach the Parquet reader."""
    if isinstance(expr, Call) and expr.op == "fill_null" and expr.args[1] == to_expr(False):
        return _filter_predicate(expr.args[0])
    if isinstance(expr, Call) and expr.op in ("and", "or"):
        # Kleene AND/OR give NULL exactly where the filled version gives FALSE.
        return Call(expr.op, tuple(_filter_predicate(a) for a in expr.args))
    return expr

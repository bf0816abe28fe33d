"""Whole-frame summaries: ``describe``, ``quantile``, ``nunique``, ``corr``, ``cov``,
``memory_usage``, ``info``.

Each is one global Aggregate (a tree reduction over all partitions, so a single
small row) followed by a MapPartitions that reshapes that row into the small
pandas-shaped table: statistics as rows and columns as columns (``describe``),
or one value per column (``nunique``), or a column-by-column matrix.
``corr``/``cov`` take two passes: pairwise-complete means first, joined back as
a one-row plan, then sums of centred products, so no large sums cancel.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from kyudo.dataframe.convert import UNNAMED_INDEX_PREFIX
from kyudo.planner.specs import AggSpec
from kyudo.planner import logical as L
from kyudo.planner.expr import Call, Col, Lit

if TYPE_CHECKING:
    from kyudo.dataframe.frame import DataFrame

INDEX = f"{UNNAMED_INDEX_PREFIX}0__"
DESCRIBE = (("count", "count", ()), ("mean", "mean", ()), ("std", "std", (("ddof", 1),)),
            ("min", "min", ()), ("25%", "quantile", (("q", 0.25),)), ("50%", "quantile", (("q", 0.5),)),
            ("75%", "quantile", (("q", 0.75),)), ("max", "max", ()))


@dataclass(frozen=True)
class _Reshape:
    """The one-row aggregate as ``labels`` x ``columns`` (``wide``: labels are
    rows), or as one value per column (``long``); values cast to ``dtype``."""

    labels: tuple
    columns: tuple[str, ...]
    dtype: pa.DataType
    wide: bool

    def __call__(self, table: pa.Table) -> pa.Table:
        def value(label_index: int, column: str):
            return pa.array([table[f"{column}__{label_index}"][0].as_py()]).cast(self.dtype)[0].as_py()
        if self.wide:
            data = {INDEX: pa.array([str(label) for label in self.labels])}
            for c in self.columns:
                data[c] = pa.array([value(i, c) for i in range(len(self.labels))], self.dtype)
        else:
            data = {INDEX: pa.array(list(self.columns), pa.string()),
                    "__series__": pa.array([value(0, c) for c in self.columns], self.dtype)}
        return pa.table(data, schema=self.schema)

    @property
    def schema(self) -> pa.Schema:
        if self.wide:
            return pa.schema([(INDEX, pa.string())] + [(c, self.dtype) for c in self.columns])
        return pa.schema([(INDEX, pa.string()), ("__series__", self.dtype)])


def _summary(frame: "DataFrame", stats, columns: list[str], dtype: pa.DataType, wide: bool):
    from kyudo.dataframe.frame import DataFrame
    specs = tuple(AggSpec(f"{c}__{i}", func, c, options) for c in columns for i, (_, func, options) in enumerate(stats))
    plan = L.Aggregate(L.Project(frame.plan, tuple((c, Col(c)) for c in columns)), (), specs)
    reshape = _Reshape(tuple(label for label, _, _ in stats), tuple(columns), dtype, wide)
    return DataFrame(L.MapPartitions(plan, reshape, reshape.schema, "summary"), (INDEX,))


def _numeric(frame: "DataFrame") -> list[str]:
    return frame._numeric_columns()


def describe(frame: "DataFrame"):
    """count, mean, std, min, quartiles, max of the numeric columns (float64, as pandas)."""
    columns = _numeric(frame)
    if not columns:
        raise ValueError("describe() covers numeric columns; this frame has none")
    return _summary(frame, DESCRIBE, columns, pa.float64(), wide=True)


def quantile(frame: "DataFrame", q: Any = 0.5):
    """Exact quantiles of the numeric columns: a Series per column for one ``q``,
    a frame indexed by ``q`` for several."""
    from kyudo.dataframe.series import Series
    columns = _numeric(frame)
    if isinstance(q, (list, tuple)):
        stats = tuple((float(v), "quantile", (("q", float(v)),)) for v in q)
        result = _summary(frame, stats, columns, pa.float64(), wide=True)
        return result._with(L.Project(result.plan, ((INDEX, Call("cast", (Col(INDEX),), (("to", pa.float64()),))),)
                                      + tuple((c, Col(c)) for c in columns)))
    result = _summary(frame, ((q, "quantile", (("q", float(q)),)),), columns, pa.float64(), wide=False)
    return Series(result, Col("__series__"), q)


def nunique(frame: "DataFrame"):
    """Distinct non-missing values per column, as a Series indexed by column name."""
    return per_column(frame, "count_distinct")


@dataclass(frozen=True)
class _Matrix:
    """Sums of centred products per column pair -> the cov or corr matrix."""

    columns: tuple[str, ...]
    corr: bool
    ddof: int = 1

    def __call__(self, table: pa.Table) -> pa.Table:
        k = len(self.columns)
        out = np.full((k, k), np.nan)
        for i in range(k):
            for j in range(i, k):
                sxy, sxx, syy, n = (table[f"p{i}_{j}_{s}"][0].as_py() for s in ("xy", "xx", "yy", "n"))
                if not n or sxy is None:
                    continue
                with np.errstate(divide="ignore", invalid="ignore"):
                    if self.corr:
                        value = np.float64(sxy) / np.sqrt(np.float64(sxx) * syy)
                        value = np.clip(value, -1.0, 1.0) if np.isfinite(value) else np.nan
                    else:
                        value = sxy / (n - self.ddof) if n > self.ddof else np.nan
                out[i, j] = out[j, i] = value
        data = {INDEX: pa.array(list(self.columns), pa.string())}
        data.update({c: pa.array(out[:, i]) for i, c in enumerate(self.columns)})
        return pa.table(data)


def correlation(frame: "DataFrame", corr: bool, ddof: int = 1):
    """Pearson correlation or covariance of the numeric columns, each pair over
    the rows where both are present (pandas' pairwise-complete rule)."""
    from kyudo.dataframe.frame import DataFrame
    columns = _numeric(frame)
    pairs = [(i, j) for i in range(len(columns)) for j in range(i, len(columns))]
    masked = []
    for i, j in pairs:
        x, y = Col(columns[i]), Col(columns[j])
        both = Call("and", (Call("is_not_null", (x,)), Call("is_not_null", (y,))))
        for name, col in ((f"p{i}_{j}_x", x), (f"p{i}_{j}_y", y)):
            masked.append((name, Call("if_else", (both, Call("cast", (col,), (("to", pa.float64()),)), Lit(None)))))
    base = L.Project(frame.plan, tuple(masked))
    means = L.Aggregate(base, (), tuple(AggSpec(f"{n}_mean", "mean", n) for n, _ in masked))
    plan = L.Join(base, means, "cross", (), ())  # one row: broadcast
    centred = {n: Call("subtract", (Col(n), Col(f"{n}_mean"))) for n, _ in masked}
    products = []
    for i, j in pairs:
        x, y = centred[f"p{i}_{j}_x"], centred[f"p{i}_{j}_y"]
        products += [(f"p{i}_{j}_xy", Call("multiply", (x, y))), (f"p{i}_{j}_xx", Call("multiply", (x, x))),
                     (f"p{i}_{j}_yy", Call("multiply", (y, y))), (f"p{i}_{j}_v", Col(f"p{i}_{j}_x"))]
    plan = L.Project(plan, tuple(products))
    specs = []
    for i, j in pairs:
        specs += [AggSpec(f"p{i}_{j}_{s}", "sum", f"p{i}_{j}_{s}", (("min_count", 1),)) for s in ("xy", "xx", "yy")]
        specs.append(AggSpec(f"p{i}_{j}_n", "count", f"p{i}_{j}_v"))
    sums = L.Aggregate(plan, (), tuple(specs))
    matrix = _Matrix(tuple(columns), corr, ddof)
    schema = pa.schema([(INDEX, pa.string())] + [(c, pa.float64()) for c in columns])
    return DataFrame(L.MapPartitions(sums, matrix, schema, "corr" if corr else "cov"), (INDEX,))


@dataclass(frozen=True)
class _PartitionBytes:
    """One row: the Arrow bytes each column of a partition holds."""

    columns: tuple[str, ...]

    def __call__(self, table: pa.Table) -> pa.Table:
        return pa.table({c: pa.array([table[c].nbytes], pa.int64()) for c in self.columns})


def memory_usage(frame: "DataFrame"):
    """Bytes per data column, summed over partitions: the Arrow buffers' sizes,
    which is what kyudo holds in memory (pandas counts its own layout, so
    object strings differ). A Series indexed by column name."""
    from kyudo.dataframe.frame import DataFrame
    columns = tuple(frame._data_columns)
    per_partition = _PartitionBytes(columns)
    schema = pa.schema([(c, pa.int64()) for c in columns])
    sizes = DataFrame(L.MapPartitions(L.Project(frame.plan, tuple((c, Col(c)) for c in columns)),
                                      per_partition, schema, "memory_usage"))
    return per_column(sizes, "sum")


def per_column(frame: "DataFrame", func: str):
    """One aggregate ``func`` of every data column, as a Series indexed by column name."""
    from kyudo.dataframe.series import Series
    options = (("min_count", 0),) if func == "sum" else ()
    result = _summary(frame, ((func, func, options),), frame._data_columns, pa.int64(), wide=False)
    return Series(result, Col("__series__"), None)


def info(frame: "DataFrame", buf=None) -> None:
    """Print the columns, their non-missing counts and dtypes, and the memory
    used, as pandas does (this computes the counts)."""
    import sys
    counts = per_column(frame, "count").compute()
    nbytes = int(memory_usage(frame).compute().sum())
    dtypes = frame.dtypes
    lines = ["<class 'kyudo.dataframe.DataFrame'>", f"Data columns (total {len(dtypes)} columns):",
             " #   Column  Non-Null Count  Dtype"]
    for i, (name, dtype) in enumerate(dtypes.items()):
        lines.append(f" {i:<3} {name}  {counts[name]} non-null  {dtype}")
    lines.append(f"memory usage: {nbytes} bytes")
    (buf or sys.stdout).write("\n".join(lines) + "\n")

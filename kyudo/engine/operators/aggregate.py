"""Grouped aggregation in three phases so it can run as a tree reduction.

``partial_aggregate`` turns one partition into per-group *states* (for ``mean`` a
sum and a count; for ``var`` a count, mean and M2), ``combine_partials`` merges
states of several partitions (any number of times: that is ``split_every``), and
``finalize_aggregate`` turns states into the answer. Input order is preserved so
``first``/``last`` mean the first/last non-null value in partition order.

State columns are named ``f"{spec.output}__{state}"``. Groups come out in order of
first appearance for keys that :mod:`~kyudo.engine.operators.group_ids` handles
(integer-like, strings, dictionaries); other keys (floats, decimals, ...) go
through Acero, whose order is first appearance only within small inputs (it
orders the new groups of each batch by its own rules). NULL keys form their own group (callers drop them for pandas'
``dropna=True``). With no keys the aggregate is global and ``finalize_aggregate``
always returns exactly one row, even for empty input (SQL: count 0, sum NULL when
``min_count`` is 1, 0 when it is 0).

Semantics chosen where pandas and SQL differ or pyarrow needs a decision:

* ``sum`` keeps pandas' result types (ints sum to int64/uint64, floats keep their
  width, booleans count their ``True`` values, decimals stay decimal with
  precision 38); integer overflow wraps like numpy.
* ``mean``, ``var`` and ``std`` return float64 (decimals too).
* ``var``/``std`` merge (count, mean, M2) states with Chan's formula, so no sum of
  squares cancels; fewer than ``ddof + 1`` values give NULL.
* ``any``/``all`` skip NULLs like pandas: an all-NULL group gives False/True.
* ``count_distinct`` ignores NULL, like pandas ``nunique`` and SQL.
* ``quantile`` is exact and float64; NULL and NaN are missing, as in pandas.
* ``prod`` of a group without values is 1, as in pandas; ints give int64, others float64.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kyudo.engine.operators import group_ids as fast
from kyudo.engine.operators.distinct_counts import distinct_counts
from kyudo.engine.operators.group_ids import group_ids
from kyudo.engine.operators.values import comparable


@dataclass(frozen=True, slots=True)
class AggSpec:
    """One output column of an aggregation.

    output:  name of the result column
    func:    one of sum, mean, count (non-null values), size (rows), min, max,
             std, var, first, last, count_distinct, any, all, quantile,
             approx_quantile, prod
    column:  input column (None only for ``size``)
    options: (name, value) pairs: ``ddof`` (std/var, default 1), ``min_count``
             (sum: fewer non-null values than this gives NULL; pandas uses 0 so an
             all-null group sums to 0, SQL uses 1), ``q`` (quantile: the
             fraction, default 0.5, the median), ``size`` (approx_quantile:
             centroids kept per group, default 1000)
    """

    output: str
    func: str
    column: str | None
    options: tuple[tuple[str, Any], ...] = ()

    def option(self, name: str, default: Any = None) -> Any:
        for key, value in self.options:
            if key == name:
                return value
        return default

    def state(self, name: str) -> str:
        """Name of one of this spec's state columns."""
        return f"{self.output}__{name}"


_GLOBAL = "__kyudo_global"
_ROW = "__kyudo_row"
_GID = "__kyudo_gid"
_NON_NULL = pc.CountOptions(mode="only_valid")
_ALL_ROWS = pc.CountOptions(mode="all")
_EMPTY_IS_ZERO = pc.ScalarAggregateOptions(min_count=0)


@dataclass(frozen=True, slots=True)
class _Step:
    """One Arrow hash aggregation: ``func`` over ``values`` into state ``name``."""

    name: str
    values: pa.ChunkedArray
    func: str
    options: pc.FunctionOptions | None = None


@dataclass(frozen=True, slots=True)
class _Groups:
    """Result of one grouping pass: key columns, aggregated states, row -> group."""

    keys: pa.Table
    states: dict[str, pa.ChunkedArray]
    gid: np.ndarray | None


# Group ids by compiled kernels where the keys allow (see :mod:`group_ids`); the
# switch exists so tests can compare both ways of grouping.
FAST_GROUPING = True


def _group(table: pa.Table, keys: list[str], steps: list[_Step], want_gid: bool) -> _Groups:
    """Group ``table`` by ``keys`` and run all steps. Keys that
    :func:`~kyudo.engine.operators.group_ids.group_ids` handles are grouped by its
    compiled hash table, count/sum/min/max of plain numbers and dates run as
    compiled kernels over those ids, and the other steps as one Acero group-by on
    the id; other keys go through Acero entirely. Every state has the type and
    values Acero gives; the compiled path numbers groups exactly by first
    appearance, where Acero does so only within small inputs."""
    ids = group_ids(table, keys) if FAST_GROUPING else None
    if ids is None:
        return _acero_group(table, keys, steps, want_gid)
    gid, first_rows = ids
    ngroups = len(first_rows)
    if keys:
        taken = table.select(keys).take(pa.array(first_rows))
        key_table = pa.table({k: taken[k] for k in keys})  # plain fields, as Acero's output has
    else:
        key_table = pa.table({"_": pa.nulls(ngroups)}).select([])
    states: dict[str, pa.ChunkedArray] = {}
    rest = []
    done: dict[tuple, pa.ChunkedArray] = {}  # e.g. the count states of sum and mean of one column
    for step in steps:
        same = _same_work(step)
        if same in done:
            states[step.name] = done[same]
            continue
        state = _fast_state(step, gid, ngroups)
        if state is None:
            rest.append(step)
        else:
            states[step.name] = done[same] = pa.chunked_array([state])
    if rest:  # one Acero group-by on the dense id, its groups put back in id order
        by_id = _acero_group(pa.table({_GID: gid}), [_GID], rest, want_gid=False)
        order = np.empty(ngroups, np.int64)
        order[by_id.keys[_GID].to_numpy()] = np.arange(ngroups)
        order = pa.array(order)
        states.update({name: state.take(order) for name, state in by_id.states.items()})
    return _Groups(key_table, states, gid if want_gid else None)


def _same_work(step: _Step) -> tuple:
    """What a step computes: steps with equal keys give equal states (a row count
    does not depend on the column; other steps compare their columns' buffers)."""
    if step.func == "count" and step.options is _ALL_ROWS:
        return ("size",)
    if step.func == "count" and step.options is _NON_NULL and step.values.null_count == 0:
        return ("size",)
    buffers = tuple((c.offset, len(c), tuple(b.address if b is not None else 0 for b in c.buffers()))
                    for c in step.values.chunks)
    return (step.func, id(step.options), step.values.type, buffers)


def _fast_state(step: _Step, gid: np.ndarray, ngroups: int) -> pa.Array | None:
    """``step`` by a compiled kernel over group ids, or None when it has none
    (other functions, options or value types: decimals, strings, ...)."""
    kind = step.values.type
    if step.func == "count" and step.options is _NON_NULL:
        return fast.count_valid(step.values, gid, ngroups)
    if step.func == "count" and step.options is _ALL_ROWS:
        return fast.size(gid, ngroups)
    if step.func == "sum" and step.options is _EMPTY_IS_ZERO and fast.sum_type(kind) is not None:
        return fast.sum_values(step.values, gid, ngroups)
    if step.func in ("min", "max") and step.options is None and fast.extreme_supported(kind):
        return fast.min_max(step.values, gid, ngroups, want_max=step.func == "max")
    return None


def _acero_group(table: pa.Table, keys: list[str], steps: list[_Step], want_gid: bool) -> _Groups:
    """Run all steps in one ordered Acero group-by (``use_threads=False`` keeps input
    order, which first/last need); optionally also map each row to its group."""
    n = table.num_rows
    group_keys = list(keys) or [_GLOBAL]
    columns = {k: table[k] for k in keys}
    if not keys:
        columns[_GLOBAL] = pa.chunked_array([pa.nulls(n, pa.int8())])
    aggregations = []
    for i, step in enumerate(steps):
        name = f"__kyudo_in{i}"
        columns[name] = step.values
        aggregations.append((name, step.func, step.options))
    if want_gid:
        columns[_ROW] = pa.chunked_array([pa.array(np.arange(n, dtype=np.int64))])
        aggregations.append((_ROW, "list", None))
    grouped = pa.table(columns).group_by(group_keys, use_threads=False).aggregate(aggregations)
    states = {step.name: grouped[f"__kyudo_in{i}_{step.func}"] for i, step in enumerate(steps)}
    gid = None
    if want_gid:
        rows = grouped[f"{_ROW}_list"].combine_chunks()
        gid = np.empty(n, dtype=np.int64)
        lengths = pc.list_value_length(rows).to_numpy(zero_copy_only=False)
        gid[pc.list_flatten(rows).to_numpy()] = np.repeat(np.arange(len(rows)), lengths)
    return _Groups(grouped.select(keys), states, gid)


def _numbers(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Values as float64 with NULLs zeroed, plus the validity as 0/1 weights."""
    valid = pc.is_valid(column).to_numpy(zero_copy_only=False).astype(np.float64)
    values = pc.fill_null(pc.cast(column, pa.float64()), 0.0).to_numpy(zero_copy_only=False)
    return values, valid


def _merge_moments(n: np.ndarray, mean: np.ndarray, m2: np.ndarray, gid: np.ndarray, ngroups: int):
    """Merge (count, mean, M2) triples per group (Chan et al.): M2 = sum M2_i +
    sum n_i (mean_i - mean)^2, computed around the merged mean so nothing cancels."""
    total = np.bincount(gid, weights=n, minlength=ngroups)
    with np.errstate(invalid="ignore", divide="ignore"):  # inf values make NaN, as in pandas
        merged_mean = np.where(total > 0, np.bincount(gid, weights=n * mean, minlength=ngroups) / total, 0.0)
        spread = np.where(n > 0, n * (mean - merged_mean[gid]) ** 2, 0.0)
    merged_m2 = np.bincount(gid, weights=m2, minlength=ngroups) + np.bincount(gid, weights=spread, minlength=ngroups)
    return merged_mean, merged_m2


class _Kind:
    """How one aggregate function splits into states, merges and finishes.

    Most functions are plain Arrow hash aggregations (``partial_steps`` then
    ``combine_steps``); functions that Arrow cannot merge directly also compute
    states from the row -> group map in ``partial_extra``/``combine_extra``
    (only in the phases listed in ``gid_phases``: building the map costs a pass)."""

    gid_phases: tuple[str, ...] = ()

    def partial_steps(self, spec: AggSpec, table: pa.Table) -> list[_Step]:
        return []

    def combine_steps(self, spec: AggSpec, table: pa.Table) -> list[_Step]:
        return []

    def partial_extra(self, spec: AggSpec, table: pa.Table, gid: np.ndarray, ngroups: int) -> dict:
        return {}

    def combine_extra(self, spec: AggSpec, table: pa.Table, gid: np.ndarray, ngroups: int) -> dict:
        return {}

    def identity(self, spec: AggSpec) -> dict[str, Any]:
        """State values of a global aggregate over no rows."""
        raise NotImplementedError

    def finalize(self, spec: AggSpec, table: pa.Table, input_type: pa.DataType | None) -> pa.ChunkedArray:
        raise NotImplementedError


class _State(NamedTuple):
    """A state made by one Arrow aggregation per partition and merged by another."""

    name: str
    func: str
    options: pc.FunctionOptions | None
    merge: str
    merge_options: pc.FunctionOptions | None
    identity: Any  # the state of no rows at all


@dataclass(frozen=True)
class _Simple(_Kind):
    """Each state is one Arrow aggregation per partition and one (possibly other)
    Arrow aggregation to merge; ``prepare`` adapts the input column first."""

    states: tuple[_State, ...]
    finish: Callable[[AggSpec, pa.Table, pa.DataType | None], pa.ChunkedArray]
    prepare: Callable[[pa.ChunkedArray], pa.ChunkedArray] = lambda column: column

    def partial_steps(self, spec, table):
        values = self.prepare(table[spec.column]) if spec.column else pa.chunked_array([pa.nulls(table.num_rows)])
        return [_Step(spec.state(s.name), values, s.func, s.options) for s in self.states]

    def combine_steps(self, spec, table):
        return [_Step(spec.state(s.name), table[spec.state(s.name)], s.merge, s.merge_options) for s in self.states]

    def identity(self, spec):
        return {spec.state(s.name): s.identity for s in self.states}

    def finalize(self, spec, table, input_type):
        return self.finish(spec, table, input_type)


def _decoded(column):
    """Dictionary columns (e.g. from Parquet) as plain values: Arrow has no
    min/max kernel for them."""
    return column.cast(column.type.value_type) if pa.types.is_dictionary(column.type) else column


def _bools(column):
    return column if pa.types.is_boolean(column.type) else pc.cast(column, pa.bool_())


def _summable(column):
    return pc.cast(column, pa.int64()) if pa.types.is_boolean(column.type) else column


def _multipliable(column):
    """Integers multiply as int64 (wrapping like numpy), everything else as float64."""
    t = column.type
    return pc.cast(column, pa.int64() if pa.types.is_integer(t) or pa.types.is_boolean(t) else pa.float64())


def _averageable(column):
    return column if pa.types.is_decimal(column.type) else pc.cast(column, pa.float64())


def _finish_sum(spec, table, input_type):
    total = table[spec.state("sum")]
    if input_type is not None and pa.types.is_floating(input_type):
        total = pc.cast(total, input_type)
    min_count = spec.option("min_count", 0)
    if min_count <= 0:
        return pc.fill_null(total, pa.scalar(0, total.type))
    enough = pc.greater_equal(table[spec.state("count")], min_count)
    return pc.if_else(enough, total, pa.scalar(None, total.type))


def _finish_mean(spec, table, input_type):
    count = pc.cast(table[spec.state("count")], pa.float64())
    total = pc.cast(table[spec.state("sum")], pa.float64())
    return pc.if_else(pc.greater(count, 0), pc.divide(total, count), pa.scalar(None, pa.float64()))


def _finish_state(name: str, fill: Any = None):
    """Finalizer that returns one state as is (NULL replaced by ``fill``)."""

    def finish(spec, table, input_type):
        state = table[spec.state(name)]
        return state if fill is None else pc.fill_null(state, fill)

    return finish


_SUM_STATES = (
    _State("sum", "sum", _EMPTY_IS_ZERO, "sum", _EMPTY_IS_ZERO, None),
    _State("count", "count", _NON_NULL, "sum", _EMPTY_IS_ZERO, 0),
)


class _Moments(_Kind):
    """var/std: (count, mean, M2) per group, merged with Chan's formula."""

    gid_phases = ("partial", "combine")

    def __init__(self, root: bool):
        self.root = root

    def partial_steps(self, spec, table):
        return [_Step(spec.state("count"), table[spec.column], "count", _NON_NULL)]

    def combine_steps(self, spec, table):
        return [_Step(spec.state("count"), table[spec.state("count")], "sum", _EMPTY_IS_ZERO)]

    def partial_extra(self, spec, table, gid, ngroups):
        values, valid = _numbers(table[spec.column])
        return self._moments(spec, valid, values, np.zeros_like(values), gid, ngroups)

    def combine_extra(self, spec, table, gid, ngroups):
        n = pc.cast(table[spec.state("count")], pa.float64()).to_numpy()
        mean, m2 = (pc.fill_null(table[spec.state(s)], 0.0).to_numpy() for s in ("mean", "m2"))
        return self._moments(spec, n, mean, m2, gid, ngroups)

    @staticmethod
    def _moments(spec, n, mean, m2, gid, ngroups):
        merged_mean, merged_m2 = _merge_moments(n, mean, m2, gid, ngroups)
        return {spec.state("mean"): pa.array(merged_mean), spec.state("m2"): pa.array(merged_m2)}

    def identity(self, spec):
        return {spec.state("count"): 0, spec.state("mean"): 0.0, spec.state("m2"): 0.0}

    def finalize(self, spec, table, input_type):
        dof = pc.subtract(pc.cast(table[spec.state("count")], pa.float64()), float(spec.option("ddof", 1)))
        variance = pc.divide(table[spec.state("m2")], dof)
        variance = pc.if_else(pc.less(variance, 0.0), 0.0, variance)  # rounding; NaN (from inf) stays NaN
        result = pc.sqrt(variance) if self.root else variance
        return pc.if_else(pc.greater(dof, 0), result, pa.scalar(None, pa.float64()))


class _Positional(_Kind):
    """first/last non-null value, for every type (Arrow's hash_first lacks some,
    e.g. decimals): the row of each group's first/last valid value is found
    from the row -> group map, and rows are in partition order at every level."""

    gid_phases = ("partial", "combine")

    def __init__(self, last: bool):
        self.last = last

    def _pick(self, spec, values, gid, ngroups):
        rows = np.flatnonzero(pc.is_valid(values).to_numpy(zero_copy_only=False))
        if self.last:
            rows = rows[::-1]
        groups, first_seen = np.unique(gid[rows], return_index=True)
        picked = np.full(ngroups, -1, dtype=np.int64)
        picked[groups] = rows[first_seen]
        return {spec.state(spec.func): values.take(pa.array(picked, mask=picked < 0))}

    def partial_extra(self, spec, table, gid, ngroups):
        return self._pick(spec, table[spec.column], gid, ngroups)

    def combine_extra(self, spec, table, gid, ngroups):
        return self._pick(spec, table[spec.state(spec.func)], gid, ngroups)

    def identity(self, spec):
        return {spec.state(spec.func): None}

    def finalize(self, spec, table, input_type):
        return table[spec.state(spec.func)]


class _Distinct(_Kind):
    """count_distinct: the state is the list of distinct non-null values."""

    gid_phases = ("combine",)

    def partial_steps(self, spec, table):
        values = comparable(table[spec.column])
        if pa.types.is_null(values.type):  # pyarrow 26 crashes on hash_distinct of null-typed input
            values = values.cast(pa.int8())
        return [_Step(spec.state("values"), values, "distinct", _NON_NULL)]

    def combine_extra(self, spec, table, gid, ngroups):
        lists = table[spec.state("values")].combine_chunks()
        values = pc.list_flatten(lists)
        owners = gid[pc.list_parent_indices(lists).to_numpy()]
        # one NULL per group so groups whose lists are all empty still appear
        flat = pa.table({
            "g": pa.array(np.concatenate([owners, np.arange(ngroups)])),
            "v": pa.concat_arrays([values, pa.nulls(ngroups, values.type)]),
        })
        merged = flat.group_by(["g"], use_threads=False).aggregate([("v", "distinct", _NON_NULL)])
        merged = merged.take(pc.sort_indices(merged["g"]))
        return {spec.state("values"): merged["v_distinct"]}

    def identity(self, spec):
        return {spec.state("values"): []}

    def finalize(self, spec, table, input_type):
        return pc.cast(pc.fill_null(pc.list_value_length(table[spec.state("values")]), 0), pa.int64())


class _Quantile(_Kind):
    """quantile (``q``, default 0.5: the median), exact: the state is the list of
    a group's non-null values, merged by concatenation; the answer interpolates
    linearly between the two nearest ranks, as pandas and numpy do. Memory grows
    with the group's values, like a sort."""

    gid_phases = ("combine",)

    def partial_steps(self, spec, table):
        return [_Step(spec.state("values"), pc.cast(_decoded(table[spec.column]), pa.float64()), "list")]

    def combine_extra(self, spec, table, gid, ngroups):
        lists = table[spec.state("values")].combine_chunks()
        owners = gid[pc.list_parent_indices(lists).to_numpy()]
        order = np.argsort(owners, kind="stable")
        offsets = np.concatenate([[0], np.cumsum(np.bincount(owners, minlength=ngroups))])
        values = pc.list_flatten(lists).take(pa.array(order))
        return {spec.state("values"): pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)}

    def identity(self, spec):
        return {spec.state("values"): []}

    def finalize(self, spec, table, input_type):
        lists = table[spec.state("values")].combine_chunks()
        ngroups = len(lists)
        owners = pc.list_parent_indices(lists).to_numpy()
        values = pc.fill_null(pc.list_flatten(lists), np.nan).to_numpy(zero_copy_only=False)
        keep = ~np.isnan(values)  # NULL and NaN are both missing, as in pandas
        values, owners = values[keep], owners[keep]
        values = values[np.lexsort((values, owners))]
        counts = np.bincount(owners, minlength=ngroups)
        starts = np.cumsum(counts) - counts
        last = np.maximum(counts - 1, 0)
        position = float(spec.option("q", 0.5)) * last
        low = np.floor(position).astype(np.int64)
        high = np.minimum(low + 1, last)
        result = np.full(ngroups, np.nan)
        has = counts > 0
        lo, hi = values[(starts + low)[has]], values[(starts + high)[has]]
        with np.errstate(invalid="ignore"):  # inf - inf between equal infinities
            result[has] = np.where(lo == hi, lo, lo + (hi - lo) * (position - low)[has])
        return pa.chunked_array([pa.array(result, mask=~has, type=pa.float64())])


def _list_column(values: np.ndarray, lengths: np.ndarray) -> pa.ListArray:
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return pa.LargeListArray.from_arrays(pa.array(offsets), pa.array(values, pa.float64()))


class _ApproxQuantile(_Kind):
    """approx_quantile (``q``; ``size``, default 1000): a mergeable sketch per
    group, at most ``size`` (value, weight) centroids. Up to ``size`` values a
    group keeps them all (weight 1) and the answer is exact; beyond, sorted
    values are pooled into ``size`` buckets of equal weight (weighted means), at
    every partial and merge, so memory stays bounded however large the data.
    The answer interpolates between centroid centres in rank space."""

    gid_phases = ("partial", "combine")

    def partial_extra(self, spec, table, gid, ngroups):
        values = pc.fill_null(pc.cast(_decoded(table[spec.column]), pa.float64()), np.nan)
        values = values.to_numpy(zero_copy_only=False)
        keep = ~np.isnan(values)  # NULL and NaN are missing, as in pandas
        return self._sketch(spec, values[keep], np.ones(int(keep.sum())), gid[keep], ngroups)

    def combine_extra(self, spec, table, gid, ngroups):
        lists = {s: table[spec.state(s)].combine_chunks() for s in ("values", "weights")}
        owners = gid[pc.list_parent_indices(lists["values"]).to_numpy()]
        flat = [pc.list_flatten(lists[s]).to_numpy(zero_copy_only=False) for s in ("values", "weights")]
        return self._sketch(spec, flat[0], flat[1], owners, ngroups)

    @staticmethod
    def _sketch(spec, values, weights, owners, ngroups):
        size = int(spec.option("size", 1000))
        order = np.lexsort((values, owners))
        values, weights, owners = values[order], weights[order], owners[order]
        counts = np.bincount(owners, minlength=ngroups)
        starts = np.cumsum(counts) - counts
        totals = np.bincount(owners, weights=weights, minlength=ngroups)
        cum = np.cumsum(weights)
        before = cum - weights - (cum - weights)[starts[owners]] if len(cum) else cum
        local = np.arange(len(values)) - starts[owners]
        big = counts[owners] > size
        with np.errstate(invalid="ignore", divide="ignore"):
            pooled = np.floor((before + weights / 2) / totals[owners] * size).astype(np.int64)
        bucket = np.where(big, np.minimum(pooled, size - 1), local) + owners.astype(np.int64) * size
        new = np.ones(len(bucket), dtype=bool)
        new[1:] = bucket[1:] != bucket[:-1]
        firsts = np.flatnonzero(new)
        w = np.add.reduceat(weights, firsts) if len(firsts) else weights[:0]
        v = np.add.reduceat(values * weights, firsts) / w if len(firsts) else values[:0]
        lengths = np.bincount(owners[firsts], minlength=ngroups)
        return {spec.state("values"): _list_column(v, lengths), spec.state("weights"): _list_column(w, lengths)}

    def identity(self, spec):
        return {spec.state("values"): [], spec.state("weights"): []}

    def finalize(self, spec, table, input_type):
        lists = table[spec.state("values")].combine_chunks()
        ngroups = len(lists)
        owners = pc.list_parent_indices(lists).to_numpy()
        values = pc.list_flatten(lists).to_numpy(zero_copy_only=False)
        weights = pc.list_flatten(table[spec.state("weights")].combine_chunks()).to_numpy(zero_copy_only=False)
        result = np.full(ngroups, np.nan)
        totals = np.bincount(owners, weights=weights, minlength=ngroups)
        has = totals > 0
        if has.any():
            cum = np.cumsum(weights)
            centres = cum - weights + (weights - 1) / 2  # global rank of each centroid's middle
            group_start = np.cumsum(totals) - totals
            target = group_start + float(spec.option("q", 0.5)) * (totals - 1)
            counts = np.bincount(owners, minlength=ngroups)
            first = np.cumsum(counts) - counts
            last = first + counts - 1
            j = np.clip(np.searchsorted(centres, target, side="right") - 1, first, last)[has]
            k = np.minimum(j + 1, last[has])
            span = centres[k] - centres[j]
            with np.errstate(invalid="ignore", divide="ignore"):
                step = np.where(span > 0, np.clip((target[has] - centres[j]) / span, 0.0, 1.0), 0.0)
                result[has] = np.where(values[j] == values[k], values[j], values[j] + (values[k] - values[j]) * step)
        return pa.chunked_array([pa.array(result, mask=~has, type=pa.float64())])


_KINDS: dict[str, _Kind] = {
    "sum": _Simple(_SUM_STATES, _finish_sum, _summable),
    "mean": _Simple(_SUM_STATES, _finish_mean, _averageable),
    "count": _Simple((_State("count", "count", _NON_NULL, "sum", _EMPTY_IS_ZERO, 0),), _finish_state("count")),
    "size": _Simple((_State("size", "count", _ALL_ROWS, "sum", _EMPTY_IS_ZERO, 0),), _finish_state("size")),
    "min": _Simple((_State("min", "min", None, "min", None, None),), _finish_state("min"), _decoded),
    "max": _Simple((_State("max", "max", None, "max", None, None),), _finish_state("max"), _decoded),
    "first": _Positional(last=False),
    "last": _Positional(last=True),
    "prod": _Simple((_State("prod", "product", _EMPTY_IS_ZERO, "product", _EMPTY_IS_ZERO, 1),),
                    _finish_state("prod"), _multipliable),
    "any": _Simple(
        (_State("any", "any", _EMPTY_IS_ZERO, "any", _EMPTY_IS_ZERO, False),), _finish_state("any", False), _bools
    ),
    "all": _Simple(
        (_State("all", "all", _EMPTY_IS_ZERO, "all", _EMPTY_IS_ZERO, True),), _finish_state("all", True), _bools
    ),
    "var": _Moments(root=False),
    "std": _Moments(root=True),
    "count_distinct": _Distinct(),
    "quantile": _Quantile(),
    "approx_quantile": _ApproxQuantile(),
}


def _kind(spec: AggSpec) -> _Kind:
    try:
        return _KINDS[spec.func]
    except KeyError:
        raise ValueError(f"unknown aggregate function {spec.func!r} in {spec}") from None


def _run(table, keys, specs, phase: str) -> pa.Table:
    """Group once for all specs, then add the states that need the row -> group map.
    Columns come out as keys, then each spec's states sorted by name, the same in
    both phases, so partial and combined tables can be merged together."""
    kinds = [_kind(spec) for spec in specs]
    steps = [getattr(kind, f"{phase}_steps")(spec, table) for kind, spec in zip(kinds, specs)]
    groups = _group(table, keys, [s for spec_steps in steps for s in spec_steps],
                    want_gid=any(phase in kind.gid_phases for kind in kinds))
    result = groups.keys
    for kind, spec, spec_steps in zip(kinds, specs, steps):
        states = {step.name: groups.states[step.name] for step in spec_steps}
        if phase in kind.gid_phases:
            states.update(getattr(kind, f"{phase}_extra")(spec, table, groups.gid, groups.keys.num_rows))
        for name in sorted(states):
            result = result.append_column(name, states[name])
    return result


def partial_aggregate(table: pa.Table, keys: list[str], specs: list[AggSpec]) -> pa.Table:
    """Per-group states of one partition (zero rows for an empty partition)."""
    return _run(table, keys, specs, "partial")


def combine_partials(tables: list[pa.Table], keys: list[str], specs: list[AggSpec]) -> pa.Table:
    """Merge state tables given in partition order; the result is again a state
    table, so this can be applied repeatedly (a tree reduction)."""
    if not tables:
        raise ValueError("combine_partials needs at least one partial table")
    table = pa.concat_tables(tables, promote_options="permissive")
    return _run(table, keys, specs, "combine")


def aggregate_whole(table: pa.Table, keys: list[str], specs: list[AggSpec], input_schema: pa.Schema) -> pa.Table:
    """The answer for a table that holds every row of each of its groups (one
    task's share of a grouping that needs no merging): keys first, then outputs
    in spec order, as :func:`finalize_aggregate` gives them.

    Counts of distinct values of one column are counted from the rows
    (:mod:`~kyudo.engine.operators.distinct_counts`) rather than through sets of
    values; everything else is the partial states, finalized at once."""
    columns = {spec.column for spec in specs}
    if keys and specs and len(columns) == 1 and not columns & set(keys) and all(
            spec.func == "count_distinct" and not spec.options for spec in specs):
        counted = distinct_counts(table, list(keys), specs[0].column)
        if counted is not None:
            groups, counts = counted
            for spec in specs:
                groups = groups.append_column(spec.output, counts)
            return groups
    return finalize_aggregate(partial_aggregate(table, keys, specs), keys, specs, input_schema)


def _identity_row(schema: pa.Schema, specs: list[AggSpec]) -> pa.Table:
    values: dict[str, Any] = {}
    for spec in specs:
        values.update(_kind(spec).identity(spec))
    return pa.table({f.name: pa.array([values[f.name]], type=f.type) for f in schema}, schema=schema)


def finalize_aggregate(table: pa.Table, keys: list[str], specs: list[AggSpec], input_schema: pa.Schema) -> pa.Table:
    """Turn a state table into the result: keys first, then outputs in spec order."""
    if not keys and table.num_rows == 0:
        table = _identity_row(table.schema, specs)
    columns = {key: table[key] for key in keys}
    for spec in specs:
        input_type = input_schema.field(spec.column).type if spec.column else None
        columns[spec.output] = _kind(spec).finalize(spec, table, input_type)
    if not columns:  # a global aggregate of nothing (SELECT 1 ... GROUP BY ()) is still one row
        return pa.table({"_": pa.nulls(1)}).select([])
    return pa.table(columns)

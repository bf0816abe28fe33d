"""The functions that physical-plan tasks run.

They glue the engine's Arrow kernels to what only the planner knows (expressions),
and they are plain module-level functions so task graphs stay picklable for the
process and cluster executors.
"""
from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kyudo.engine.operators import aggregate as agg_ops
from kyudo.engine.operators import join as join_ops
from kyudo.engine.operators import partition as part_ops
from kyudo.engine.operators import shared_work
from kyudo.engine.operators import sort as sort_ops
from kyudo.engine.operators import window as window_ops
from kyudo.io.parquet_dictionary import kept_dictionary
from kyudo.planner.evaluate import evaluate


# ---- row-wise pipelines -------------------------------------------------------

def apply_ops(table: pa.Table, ops: tuple) -> pa.Table:
    """Apply a fused chain of row-wise operations to one partition.

    Each op is a tuple: ("filter", expr), ("project", ((name, expr), ...)),
    ("map", func), ("head", n) or ("conform", schema).
    """
    for op in ops:
        kind = op[0]
        if kind == "filter":
            table = part_ops.filter_table(table, evaluate(op[1], table))
        elif kind == "project":
            table = project(table, op[1])
        elif kind == "map":
            table = op[1](table)
        elif kind == "head":
            table = table.slice(0, op[1])
        elif kind == "conform":
            table = conform(table, *op[1:])
        else:  # pragma: no cover - lowering only emits the kinds above
            raise ValueError(f"unknown pipeline op {kind!r}")
    return table


def project(table: pa.Table, exprs) -> pa.Table:
    arrays, names = [], []
    for name, expr in exprs:
        arrays.append(evaluate(expr, table))
        names.append(name)
    if not arrays:
        return pa.table({}).slice(0, 0) if table.num_rows == 0 else _empty_columns(table.num_rows)
    return pa.Table.from_arrays(arrays, names=names)


def _empty_columns(num_rows: int) -> pa.Table:
    # A table with rows but no columns keeps its length (len(df[[]]) in pandas).
    return pa.table({"_": pa.nulls(num_rows)}).drop(["_"])


def conform(table: pa.Table, schema: pa.Schema, keep_dictionaries: frozenset = frozenset()) -> pa.Table:
    """Select and cast to ``schema`` so every partition has exactly the planned
    schema; string columns of ``keep_dictionaries`` may stay dictionaries (a
    scan's group-by keys, see :func:`scan`)."""
    table = table.select(schema.names)
    if keep_dictionaries:
        schema = pa.schema([kept_dictionary(table.schema.field(f.name), f) if f.name in keep_dictionaries else f
                            for f in schema])
    if table.schema.equals(schema, check_metadata=False):
        return table
    return table.cast(schema)


def scan(source, index: int, read_columns, arrow_predicate, ops: tuple,
         keep_dictionaries: frozenset = frozenset(), nan_as_null: frozenset = frozenset()) -> pa.Table:
    """Read one partition of a source, then run the fused pipeline over it.
    ``keep_dictionaries``: columns the source may return dictionary-encoded,
    because the pipeline only passes them on to be grouped by.
    ``nan_as_null``: float columns the source reads with NaN as NULL, because
    the pipeline would turn them so first (``reader_nan_to_null``)."""
    options = {"keep_dictionaries": keep_dictionaries} if keep_dictionaries else {}
    if nan_as_null:
        options["nan_as_null"] = nan_as_null
    table = source.read_partition(index, read_columns, arrow_predicate, **options)
    return apply_ops(table, ops)


def run_pipeline(table: pa.Table, ops: tuple) -> pa.Table:
    return apply_ops(table, ops)


# ---- gathering ---------------------------------------------------------------------

def concat(tables: list, schema: pa.Schema) -> pa.Table:
    return part_ops.concat_tables(list(tables), schema=schema)


def limit(tables: list, schema: pa.Schema, n: int | None, offset: int) -> pa.Table:
    table = concat(tables, schema)
    return table.slice(offset, n) if n is not None else table.slice(offset)


# ---- aggregation -------------------------------------------------------------------

def partial_aggregate(table: pa.Table, keys, specs, input_schema: pa.Schema | None = None) -> pa.Table:
    """The partial states of one partition. Keys come out with their types in
    ``input_schema``: a scan may hand string keys over as dictionaries, and
    decoding one row per group is all they then cost."""
    partial = agg_ops.partial_aggregate(table, list(keys), list(specs))
    return partial if input_schema is None else _keys_as_planned(partial, keys, input_schema)


def _keys_as_planned(table: pa.Table, keys, input_schema: pa.Schema) -> pa.Table:
    """Dictionary-encoded key columns decoded to the types the plan gave them."""
    for key in keys:
        planned = input_schema.field(key).type
        index = table.schema.get_field_index(key)
        if table.schema.field(index).type != planned and pa.types.is_dictionary(table.schema.field(index).type):
            table = table.set_column(index, table.schema.field(index).with_type(planned),
                                     table.column(index).cast(planned))
    return table


def aggregate_whole(tables: list, keys, specs, input_schema: pa.Schema, schema: pa.Schema) -> pa.Table:
    """The answer for rows that hold whole groups, given as pieces in row order
    (a partition, after the rows of a key it shares with the one before)."""
    pieces = [t for t in tables if t.num_rows] or tables[:1]
    table = pieces[0] if len(pieces) == 1 else part_ops.concat_tables(pieces)
    result = agg_ops.aggregate_whole(table, list(keys), list(specs), input_schema)
    return conform(_keys_as_planned(result, keys, input_schema), schema)


def combine(tables: list, keys, specs) -> pa.Table:
    return agg_ops.combine_partials(list(tables), list(keys), list(specs))


def finalize(tables: list, keys, specs, input_schema: pa.Schema, schema: pa.Schema) -> pa.Table:
    state = tables[0] if len(tables) == 1 else agg_ops.combine_partials(list(tables), list(keys), list(specs))
    return conform(agg_ops.finalize_aggregate(state, list(keys), list(specs), input_schema), schema)


def combine_split(splits: list, index: int, keys, specs) -> pa.Table:
    """Merge the states that every input partition sent to shuffle output ``index``."""
    return agg_ops.combine_partials([s[index] for s in splits], list(keys), list(specs))


def hash_split(table: pa.Table, keys, npartitions: int) -> list:
    return part_ops.hash_partition(table, list(keys), npartitions)


def range_split_points(table: pa.Table, column: str, cuts: tuple, shared: tuple) -> list:
    return part_ops.range_split_points(table, column, list(cuts), list(shared))


def piece(split: list, index: int) -> pa.Table:
    """One output of a split, as a task of its own."""
    return split[index]


def take_split(splits: list, index: int, schema: pa.Schema) -> pa.Table:
    """Collect output partition ``index`` of a shuffle from every input's split."""
    return part_ops.concat_tables([s[index] for s in splits], schema=schema)


# ---- joins -------------------------------------------------------------------------

def join(left: pa.Table, right: pa.Table, how, left_on, right_on, null_equal, schema,
         condition=None, null_aware: bool = False, right_shared: bool = False) -> pa.Table:
    """Join two partitions; ``condition`` (a planner expression) is evaluated by
    the kernel on the candidate pairs, as :func:`evaluate` does for filters."""
    mask = None if condition is None else functools.partial(evaluate, condition)
    needs = None if condition is None else condition.columns()
    result = join_ops.hash_join(left, right, list(left_on), list(right_on), how, null_equal=null_equal,
                                condition=mask, null_aware=null_aware, condition_columns=needs,
                                right_shared=right_shared)
    return conform(result, schema)


def join_broadcast_right(left: pa.Table, rights: list, right_schema, *args, **kwargs) -> pa.Table:
    """Every task of the left side gets the same right partitions: they are
    concatenated into one chunk per column (a take from several chunks
    concatenates them first, in every task), and their join keys hashed, once
    for all of them."""
    if len(rights) == 1 and rights[0].schema.equals(right_schema) and all(c.num_chunks <= 1 for c in rights[0].columns):
        right = rights[0]  # nothing to concatenate (and nothing to remember it by)
    else:
        right = shared_work.derived(tuple(rights), ("concat", right_schema),
                                    lambda: concat(rights, right_schema).combine_chunks())
    return join(left, right, *args, right_shared=True, **kwargs)


def join_broadcast_left(lefts: list, right: pa.Table, left_schema, how, left_on, right_on, null_equal, schema,
                        condition=None, null_aware: bool = False) -> pa.Table:
    """An inner join is symmetric, so this task's partition of the large side
    is probed into the small side's table, built once for all tasks as in
    :func:`join_broadcast_right`, and its rows come out in their own order:
    a lineitem partition joined with TPC-H Q9's green parts stays in order
    key order, which the range splits above it cut as zero-copy slices. The
    left side's row order is not kept across partitions anyway."""
    if how == "inner" and condition is None:
        return join_broadcast_right(right, lefts, left_schema, how, right_on, left_on, null_equal, schema)
    return join(concat(lefts, left_schema), right, how, left_on, right_on, null_equal, schema,
                condition=condition, null_aware=null_aware)


# ---- windows -----------------------------------------------------------------------

_PART, _POS = "__kyudo_window_part", "__kyudo_window_pos"


def _run_stages(table: pa.Table, partition_by, stages) -> pa.Table:
    for order_by, functions in stages:
        table = window_ops.compute_window(table, list(partition_by), list(order_by), list(functions))
    return table


def window(tables: list, partition_by, stages, input_schema: pa.Schema, schema: pa.Schema) -> pa.Table:
    """Window functions over one partition holding all the input, in input order."""
    return conform(_run_stages(concat(tables, input_schema), partition_by, stages), schema)


def with_origin(schema: pa.Schema) -> pa.Schema:
    """``schema`` plus the columns that remember where a row came from."""
    return schema.append(pa.field(_PART, pa.int64())).append(pa.field(_POS, pa.int64()))


def window_split(table: pa.Table, index: int, partition_by, nbuckets: int) -> list:
    """Tag each row with its partition ``index`` and position, then hash-split on the keys."""
    table = table.append_column(_PART, pa.repeat(pa.scalar(index, pa.int64()), table.num_rows))
    table = table.append_column(_POS, pa.array(np.arange(table.num_rows, dtype=np.int64)))
    return part_ops.hash_partition(table, list(partition_by), nbuckets)


def window_bucket(table: pa.Table, partition_by, stages, npartitions: int) -> list:
    """Window functions over one bucket, split by the partition each row came from."""
    table = _run_stages(table, partition_by, stages)
    return part_ops.split_by_index(table, table[_PART].to_numpy(), npartitions)


def window_restore(buckets: list, index: int, tagged: pa.Schema, schema: pa.Schema) -> pa.Table:
    """Input partition ``index`` again, with its window columns, in its original order."""
    table = concat([b[index] for b in buckets], tagged)
    return conform(table.take(pc.sort_indices(table[_POS])), schema)


# ---- sorting -----------------------------------------------------------------------

def sort(tables: list, keys, schema: pa.Schema) -> pa.Table:
    return sort_ops.sort_table(concat(tables, schema), list(keys))


def sample(table: pa.Table, keys, n: int) -> pa.Table:
    return sort_ops.sample_for_boundaries(table, list(keys), n)


def boundaries(samples: list, keys, npartitions: int) -> list:
    return sort_ops.boundaries_from_samples(list(samples), list(keys), npartitions)


def range_split(table: pa.Table, keys, bounds: list) -> list:
    return sort_ops.range_partition(table, list(keys), bounds)


def top_k(tables: list, keys, k: int, schema: pa.Schema) -> pa.Table:
    return sort_ops.top_k(concat(tables, schema), list(keys), k)


def arrow_filter(table: pa.Table, predicate: pc.Expression) -> pa.Table:
    return table.filter(predicate)

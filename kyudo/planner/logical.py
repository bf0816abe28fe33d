"""Logical plan nodes: what to compute, not how.

Every node is an immutable dataclass, so two plans built the same way compare
equal and tests can check optimizer rules structurally. ``schema`` is derived
from the inputs from metadata alone (planning never touches data), and
``with_children`` rebuilds a node over new inputs, which is all a rule needs to
rewrite a tree.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Callable

import pyarrow as pa

from kyudo.engine.operators.aggregate import AggSpec
from kyudo.engine.operators.sort import SortKey
from kyudo.engine.operators.window import WindowFunction
from kyudo.planner.expr import Col, Expr
from kyudo.planner.errors import PlanError, check_columns


class LogicalPlan:
    """Base class of logical nodes."""

    @property
    def children(self) -> tuple["LogicalPlan", ...]:
        return ()

    def with_children(self, children: tuple["LogicalPlan", ...]) -> "LogicalPlan":
        return self

    @property
    def schema(self) -> pa.Schema:  # pragma: no cover - every node overrides
        raise NotImplementedError

    @property
    def column_names(self) -> list[str]:
        return self.schema.names

    def describe(self) -> str:
        """One line for ``explain()``: the node and its own parameters."""
        return type(self).__name__


class UnaryPlan(LogicalPlan):
    """A node with one input, held in its ``input`` field."""

    input: LogicalPlan

    @property
    def children(self):
        return (self.input,)

    def with_children(self, children):
        (child,) = children
        return self if child is self.input else replace(self, input=child)


@dataclass(frozen=True, eq=True)
class Scan(LogicalPlan):
    """Read a source; ``columns`` and ``predicate`` are what pushdown put there."""

    source: Any
    columns: tuple[str, ...] | None = None
    predicate: Expr | None = None

    @cached_property
    def schema(self) -> pa.Schema:
        full = self.source.schema
        if self.columns is None:
            return full
        return pa.schema([full.field(c) for c in self.columns])

    def describe(self) -> str:
        cols = "*" if self.columns is None else ", ".join(self.columns)
        pred = f", predicate={self.predicate!r}" if self.predicate is not None else ""
        return f"Scan({self.source!r}, columns=[{cols}]{pred})"

    def __eq__(self, other):
        return (isinstance(other, Scan) and other.source.token() == self.source.token()
                and other.columns == self.columns and other.predicate == self.predicate)

    def __hash__(self):
        return hash((self.source.token(), self.columns, self.predicate))


@dataclass(frozen=True, eq=True)
class Project(UnaryPlan):
    """Compute the output columns ``exprs`` (name, expression), in that order."""

    input: LogicalPlan
    exprs: tuple[tuple[str, Expr], ...]

    def __post_init__(self):
        names = [n for n, _ in self.exprs]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise PlanError(f"duplicate output column names in projection: {dup}")
        check_columns(set().union(*(e.columns() for _, e in self.exprs)) if self.exprs else set(),
                      self.input.schema)

    @cached_property
    def schema(self) -> pa.Schema:
        from kyudo.planner.types import infer_type

        in_schema = self.input.schema
        fields = []
        for name, expr in self.exprs:
            if isinstance(expr, Col):
                fields.append(in_schema.field(expr.name).with_name(name))
            else:
                fields.append(_derived_field(name, infer_type(expr, in_schema), expr, in_schema))
        return pa.schema(fields)

    def is_identity(self) -> bool:
        return [(n, e) for n, e in self.exprs] == [(n, Col(n)) for n in self.input.schema.names]

    def describe(self) -> str:
        items = ", ".join(n if e == Col(n) else f"{n}={e!r}" for n, e in self.exprs)
        return f"Project({items})"


def _derived_field(name: str, dtype: pa.DataType, expr: Expr, in_schema: pa.Schema) -> pa.Field:
    """A computed column keeps the field metadata (such as a front end's dtype)
    of the columns it reads when they all record the same and the result has
    their type: ``fillna``/``where``/``+ 1`` on a column give that column's kind."""
    sources = [in_schema.field(c) for c in expr.columns()]
    if sources and all(f.metadata and f.metadata == sources[0].metadata and f.type == dtype for f in sources):
        return pa.field(name, dtype, metadata=sources[0].metadata)
    return pa.field(name, dtype)


@dataclass(frozen=True, eq=True)
class Filter(UnaryPlan):
    """Keep rows where ``predicate`` is TRUE (NULL and FALSE are dropped, as in SQL)."""

    input: LogicalPlan
    predicate: Expr

    def __post_init__(self):
        check_columns(self.predicate.columns(), self.input.schema)

    @property
    def schema(self) -> pa.Schema:
        return self.input.schema

    def describe(self) -> str:
        return f"Filter({self.predicate!r})"


def aggregate_output_type(spec: AggSpec, input_type: pa.DataType | None) -> pa.DataType:
    """The Arrow type of an aggregate's result, decided from the input type alone.

    These follow pandas for the common cases (sum of ints is int64, mean is
    float64) and keep decimals exact for sums, as DuckDB does.
    """
    func = spec.func
    if func in ("count", "size", "count_distinct"):
        return pa.int64()
    if func in ("mean", "std", "var", "quantile", "approx_quantile"):
        return pa.float64()
    if func in ("any", "all"):
        return pa.bool_()
    if func == "prod":
        integral = pa.types.is_integer(input_type) or pa.types.is_boolean(input_type)
        return pa.int64() if integral else pa.float64()
    if func == "sum":
        if pa.types.is_decimal(input_type):
            return pa.decimal128(38, input_type.scale)
        if pa.types.is_boolean(input_type) or pa.types.is_signed_integer(input_type):
            return pa.int64()
        if pa.types.is_unsigned_integer(input_type):
            return pa.uint64()
        if pa.types.is_floating(input_type):
            return pa.float64()
        if pa.types.is_duration(input_type):
            return input_type
        raise PlanError(f"cannot sum a column of type {input_type}")
    if func in ("min", "max", "first", "last"):
        return input_type
    raise PlanError(f"unknown aggregation {func!r}")


_VALUE_PICKING = ("min", "max", "first", "last")
# Totals that stay values of the input's kind when their type does not change
# (a sum of a nullable pandas Int64 column is Int64 in pandas, not int64).
_SAME_KIND = ("sum", "prod")


@dataclass(frozen=True, eq=True)
class Aggregate(UnaryPlan):
    """Group by the ``keys`` columns and compute ``aggs``; no keys means one row.

    ``split_every`` and ``split_out`` are user overrides of the physical strategy
    (fan-in of the reduction tree, number of output partitions).
    """

    input: LogicalPlan
    keys: tuple[str, ...]
    aggs: tuple[AggSpec, ...]
    split_every: int | None = None
    split_out: int | None = None

    def __post_init__(self):
        check_columns(set(self.keys) | {a.column for a in self.aggs if a.column is not None},
                      self.input.schema)

    @cached_property
    def schema(self) -> pa.Schema:
        in_schema = self.input.schema
        fields = [in_schema.field(k) for k in self.keys]
        for spec in self.aggs:
            in_type = in_schema.field(spec.column).type if spec.column is not None else None
            out = pa.field(spec.output, aggregate_output_type(spec, in_type))
            same_kind = spec.func in _SAME_KIND and out.type == in_type
            if spec.func in _VALUE_PICKING or same_kind:  # keep what the input's field records
                out = out.with_metadata(in_schema.field(spec.column).metadata)
            fields.append(out)
        return pa.schema(fields)

    def describe(self) -> str:
        aggs = "".join(f", {a.output}={a.func}({a.column or ''})" for a in self.aggs)
        return f"Aggregate(keys=[{', '.join(self.keys)}]{aggs})"


JOIN_TYPES = ("inner", "left", "right", "outer", "semi", "anti", "cross")


@dataclass(frozen=True, eq=True)
class Join(LogicalPlan):
    """A join on equal keys, optionally with a residual ``condition``.

    Output: all left columns, then all right columns (for semi and anti joins only
    the left ones); names must not collide, the front ends rename before joining.
    ``null_equal`` makes NULL keys match (pandas ``merge``); SQL leaves it False.
    ``condition`` is a predicate over the joined columns that a pair of rows must
    also satisfy to match (SQL ``ON a.x = b.x AND a.y < b.y``); for outer, semi
    and anti joins it decides matching, so it is not the same as a Filter above.
    ``strategy`` is a user override: "broadcast" or "hash".
    ``null_aware`` (anti joins only) is SQL ``NOT IN (subquery)``: a NULL key on
    either side matches every value, so a right side holding a NULL key leaves no
    row, and a left row with a NULL key is kept only when no right row satisfies
    the condition (no right row at all, without a condition).
    ``reorderable`` says the front end leaves the output row order unspecified
    (SQL), so the join_order rule may reassociate this inner join with its
    neighbours, or move this semi/anti join above inner joins; a pandas
    ``merge`` keeps it False, its row order is part of the result."""

    left: LogicalPlan
    right: LogicalPlan
    how: str
    left_on: tuple[str, ...]
    right_on: tuple[str, ...]
    null_equal: bool = False
    strategy: str | None = None
    condition: Expr | None = None
    null_aware: bool = False
    reorderable: bool = False

    def __post_init__(self):
        if self.how not in JOIN_TYPES:
            raise PlanError(f"unknown join type {self.how!r}; expected one of {JOIN_TYPES}")
        if self.null_aware and self.how != "anti":
            raise PlanError("null_aware applies to anti joins only (SQL NOT IN)")
        if len(self.left_on) != len(self.right_on):
            raise PlanError("left_on and right_on must have the same length")
        check_columns(set(self.left_on), self.left.schema)
        check_columns(set(self.right_on), self.right.schema)
        if self.condition is not None:
            check_columns(self.condition.columns(),
                          pa.schema(list(self.left.schema) + list(self.right.schema)))
        if self.how not in ("semi", "anti"):
            clash = set(self.left.schema.names) & set(self.right.schema.names)
            if clash:
                raise PlanError(f"join inputs share column names {sorted(clash)}; rename one side")

    @property
    def children(self):
        return (self.left, self.right)

    def with_children(self, children):
        left, right = children
        if left is self.left and right is self.right:
            return self
        return replace(self, left=left, right=right)

    @cached_property
    def schema(self) -> pa.Schema:
        if self.how in ("semi", "anti"):
            return self.left.schema
        left_nullable = self.how in ("right", "outer")
        right_nullable = self.how in ("left", "outer")
        fields = [f.with_nullable(True) if left_nullable else f for f in self.left.schema]
        fields += [f.with_nullable(True) if right_nullable else f for f in self.right.schema]
        return pa.schema(fields)

    def describe(self) -> str:
        on = ", ".join(f"{a}={b}" for a, b in zip(self.left_on, self.right_on))
        cond = f", condition={self.condition!r}" if self.condition is not None else ""
        flags = (", null_equal" if self.null_equal else "") + (", null_aware" if self.null_aware else "")
        return f"Join({self.how}, on=[{on}]{flags}{cond})"


@dataclass(frozen=True, eq=True)
class Sort(UnaryPlan):
    """Order rows by several keys, each with its own direction and NULL placement."""

    input: LogicalPlan
    keys: tuple[SortKey, ...]

    def __post_init__(self):
        check_columns({k.column for k in self.keys}, self.input.schema)

    @property
    def schema(self) -> pa.Schema:
        return self.input.schema

    def describe(self) -> str:
        keys = ", ".join(f"{k.column} {'asc' if k.ascending else 'desc'}"
                         f"{' nulls first' if k.nulls_first else ''}" for k in self.keys)
        return f"Sort({keys})"


@dataclass(frozen=True, eq=True)
class Limit(UnaryPlan):
    """Skip ``offset`` rows then keep at most ``n`` (``None``: no upper bound)."""

    input: LogicalPlan
    n: int | None
    offset: int = 0

    @property
    def schema(self) -> pa.Schema:
        return self.input.schema

    def describe(self) -> str:
        return f"Limit({self.n}{f', offset={self.offset}' if self.offset else ''})"


@dataclass(frozen=True, eq=True)
class Union(LogicalPlan):
    """Concatenate inputs (UNION ALL). Inputs must have the same column names and
    compatible types; columns are matched by name, in the first input's order."""

    inputs: tuple[LogicalPlan, ...]

    def __post_init__(self):
        first = self.inputs[0].schema
        for other in self.inputs[1:]:
            if set(other.schema.names) != set(first.names):
                raise PlanError(f"cannot union columns {first.names} with {other.schema.names}")

    @property
    def children(self):
        return self.inputs

    def with_children(self, children):
        children = tuple(children)
        if all(a is b for a, b in zip(children, self.inputs)):
            return self
        return replace(self, inputs=children)

    @cached_property
    def schema(self) -> pa.Schema:
        schemas = [i.schema for i in self.inputs]
        fields = []
        for f in schemas[0]:
            types = [s.field(f.name).type for s in schemas]
            field = pa.field(f.name, _common_type(types))
            if all(s.field(f.name).metadata == f.metadata for s in schemas):
                field = field.with_metadata(f.metadata)  # e.g. a pandas dtype all inputs record
            fields.append(field)
        return pa.schema(fields)

    def describe(self) -> str:
        return f"Union({len(self.inputs)} inputs)"


def _common_type(types: list[pa.DataType]) -> pa.DataType:
    result = types[0]
    for t in types[1:]:
        if t == result or pa.types.is_null(t):
            continue
        if pa.types.is_null(result):
            result = t
            continue
        result = pa.unify_schemas([pa.schema([("x", result)]), pa.schema([("x", t)])],
                                  promote_options="permissive").field("x").type
    return result


def window_output_type(fn: WindowFunction, input_type: pa.DataType | None) -> pa.DataType:
    """The Arrow type of a window function's result, from the input type alone."""
    if fn.func in ("row_number", "rank", "dense_rank", "ntile"):
        return pa.int64()
    if fn.func in ("percent_rank", "cume_dist"):
        return pa.float64()
    if fn.func in ("lag", "lead", "first_value", "last_value", "nth_value"):
        return input_type
    return aggregate_output_type(AggSpec(fn.output, fn.func, fn.column, fn.options), input_type)


@dataclass(frozen=True, eq=True)
class Window(UnaryPlan):
    """Add window-function columns: rows are grouped by ``partition_by``, ordered
    by ``order_by`` within a group, and every input row is kept, in input order.
    Output: the input columns, then one column per function."""

    input: LogicalPlan
    partition_by: tuple[str, ...]
    order_by: tuple[SortKey, ...]
    functions: tuple[WindowFunction, ...]

    def __post_init__(self):
        check_columns(set(self.partition_by) | {k.column for k in self.order_by}
                      | {f.column for f in self.functions if f.column is not None}, self.input.schema)

    @cached_property
    def schema(self) -> pa.Schema:
        in_schema = self.input.schema
        fields = list(in_schema)
        for fn in self.functions:
            in_type = in_schema.field(fn.column).type if fn.column is not None else None
            fields.append(pa.field(fn.output, window_output_type(fn, in_type)))
        return pa.schema(fields)

    def describe(self) -> str:
        fns = ", ".join(f"{f.output}={f.func}({f.column or ''})" for f in self.functions)
        order = ", ".join(k.column for k in self.order_by)
        return f"Window(partition_by=[{', '.join(self.partition_by)}], order_by=[{order}], {fns})"


@dataclass(frozen=True, eq=True)
class Distinct(UnaryPlan):
    """Drop duplicate rows (all columns)."""

    input: LogicalPlan

    @property
    def schema(self) -> pa.Schema:
        return self.input.schema


@dataclass(frozen=True, eq=True)
class MapPartitions(UnaryPlan):
    """Apply an opaque user function ``pa.Table -> pa.Table`` to each partition.

    The planner cannot see inside ``func``, so it relies on the declared output
    ``output_schema`` and never pushes filters or column pruning through it
    (it keeps every input column the function might read).
    """

    input: LogicalPlan
    func: Callable = field(compare=False)
    output_schema: pa.Schema = field(compare=False)
    name: str = "map_partitions"
    token: str = ""

    @property
    def schema(self) -> pa.Schema:
        return self.output_schema

    def describe(self) -> str:
        return f"MapPartitions({self.name})"


def walk(plan: LogicalPlan):
    """Every node of the plan, parents before children."""
    yield plan
    for child in plan.children:
        yield from walk(child)


def transform_up(plan: LogicalPlan, fn: Callable[[LogicalPlan], LogicalPlan]) -> LogicalPlan:
    """Rebuild bottom-up, replacing each node by ``fn(node)``."""
    children = plan.children
    if children:
        new = tuple(transform_up(c, fn) for c in children)
        if any(a is not b for a, b in zip(new, children)):
            plan = plan.with_children(new)
    return fn(plan)


def format_plan(plan: LogicalPlan, indent: int = 0) -> str:
    """An indented tree, one node a line, for ``explain()``."""
    lines = ["  " * indent + plan.describe()]
    for child in plan.children:
        lines.append(format_plan(child, indent + 1))
    return "\n".join(lines)

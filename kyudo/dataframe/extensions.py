"""Series that need more than one expression over their frame's rows.

``df.x - df.x.mean()`` reads a reduction, a one-row plan; ``df.x.cumsum()``
reads a running total, a window over the frame. Both keep every row of the
frame, in order, and only add columns, so the Series stays aligned with its
frame: its plan is the frame's plan *extended* by layers that each add private
``__kx<N>__`` columns:

* a cross join with a one-row plan (a lazy scalar, broadcast by the lowering);
* a projection passing every column through plus private computed ones;
* a window whose functions write private columns (rows and order kept);
* a running total (``kyudo.planner.running``) into a private column;
* a left "mark" join (broadcast, NULLs equal) on a private key column to a plan
  of distinct private keys and a marker, whose columns are all private
  (``Series.isin`` of a lazy Series): each row matches at most once.

Filters and assignments over an extended frame project the private columns
away again, so users never see them. When such a Series meets another version
of its frame (``df[mask]`` after ``df["y"] = ...``), the layers are peeled off
and applied again over that frame under fresh names.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from kyudo.planner.specs import SortKey
from kyudo.planner import logical as L
from kyudo.planner.expr import Col, Expr, transform
from kyudo.planner.running import RunningTotal

if TYPE_CHECKING:
    from kyudo.dataframe.series import Scalar

PREFIX = "__kx"


def is_private(name: str) -> bool:
    return name.startswith(PREFIX)


def _added(plan: L.LogicalPlan) -> list[str]:
    if isinstance(plan, L.Join):
        return [plan.right.exprs[0][0]] if plan.how == "cross" else list(plan.right.schema.names)
    return [n for n in plan.schema.names if n not in plan.children[0].schema.names]


def is_extension(plan: L.LogicalPlan) -> bool:
    """True for a layer that keeps its input's rows and columns and adds only private ones."""
    if isinstance(plan, L.Join) and plan.how == "left":
        return is_mark_join(plan)
    if isinstance(plan, L.Join):
        return (plan.how == "cross" and isinstance(plan.right, L.Project) and len(plan.right.exprs) == 1
                and is_private(plan.right.exprs[0][0]))
    if isinstance(plan, L.Window):
        return all(is_private(f.output) for f in plan.functions)
    if isinstance(plan, RunningTotal):
        return is_private(plan.output)
    if isinstance(plan, L.Project):
        names = plan.input.schema.names
        return (plan.exprs[:len(names)] == tuple((n, Col(n)) for n in names)
                and all(is_private(n) for n, _ in plan.exprs[len(names):]))
    return False


def is_mark_join(plan: L.Join) -> bool:
    """A left join that keeps every row once: see the module docstring."""
    return (plan.how == "left" and plan.null_equal and plan.strategy == "broadcast" and plan.condition is None
            and len(plan.left_on) == 1 and is_private(plan.left_on[0])
            and all(is_private(n) for n in plan.right.schema.names))


def mark_join(plan: L.LogicalPlan, key: str, right: L.LogicalPlan, right_key: str) -> L.LogicalPlan:
    """``plan`` left-joined on private column ``key`` to ``right``: distinct
    values of ``right_key`` beside private marker columns."""
    return L.Join(plan, right, "left", (key,), (right_key,), null_equal=True, strategy="broadcast")


def base_of(plan: L.LogicalPlan) -> L.LogicalPlan:
    """The input of an extension layer."""
    return plan.left if isinstance(plan, L.Join) else plan.input


def fresh_names(plan: L.LogicalPlan, count: int) -> list[str]:
    """``count`` private names that ``plan`` does not have."""
    taken, names, n = set(plan.schema.names), [], 0
    while len(names) < count:
        if f"{PREFIX}{n}__" not in taken:
            names.append(f"{PREFIX}{n}__")
        n += 1
    return names


def fresh_name(plan: L.LogicalPlan) -> str:
    return fresh_names(plan, 1)[0]


def join_value(plan: L.LogicalPlan, value_plan: L.LogicalPlan, column: str) -> tuple[L.LogicalPlan, Col]:
    """``plan`` with the one value of ``value_plan[column]`` as a new private column."""
    name = fresh_name(plan)
    right = L.Project(value_plan, ((name, Col(column)),))
    return L.Join(plan, right, "cross", (), ()), Col(name)


def join_scalar(plan: L.LogicalPlan, scalar: "Scalar") -> tuple[L.LogicalPlan, Col]:
    return join_value(plan, scalar.plan, scalar.plan.schema.names[0])


def extend(plan: L.LogicalPlan, expr: Expr) -> tuple[L.LogicalPlan, Col]:
    """``plan`` plus ``expr`` as a new private column."""
    name = fresh_name(plan)
    passed = tuple((n, Col(n)) for n in plan.schema.names)
    return L.Project(plan, passed + ((name, expr),)), Col(name)


def peel(plan: L.LogicalPlan) -> tuple[L.LogicalPlan, list[L.LogicalPlan]]:
    """The plan under any extension layers, and the layers (innermost first)."""
    layers: list[L.LogicalPlan] = []
    while is_extension(plan):
        layers.append(plan)
        plan = base_of(plan)
    return plan, layers[::-1]


def added_by(layers: list[L.LogicalPlan]) -> set[str]:
    return {n for layer in layers for n in _added(layer)}


def _renamed(expr: Expr, renames: dict[str, str]) -> Expr:
    return transform(expr, lambda e: Col(renames[e.name]) if isinstance(e, Col) and e.name in renames else e)


def _reapply(layer: L.LogicalPlan, plan: L.LogicalPlan, renames: dict[str, str]) -> L.LogicalPlan:
    """``layer`` again over ``plan``, its private columns renamed to fresh ones."""
    if isinstance(layer, L.Join) and layer.how == "left":
        olds = layer.right.schema.names
        news = fresh_names(plan, len(olds))
        right = L.Project(layer.right, tuple((new, Col(old)) for new, old in zip(news, olds)))
        renames.update(zip(olds, news))
        return mark_join(plan, renames.get(layer.left_on[0], layer.left_on[0]), right,
                         renames[layer.right_on[0]])
    if isinstance(layer, L.Join):
        (old, value), = layer.right.exprs
        new_plan, new = join_value(plan, layer.right.input, value.name)
        renames[old] = new.name
        return new_plan
    if isinstance(layer, L.Project):
        for old, expr in layer.exprs[len(layer.input.schema.names):]:
            plan, new = extend(plan, _renamed(expr, renames))
            renames[old] = new.name
        return plan
    if isinstance(layer, RunningTotal):
        new = fresh_name(plan)
        renames[layer.output] = new
        return RunningTotal(plan, renames.get(layer.column, layer.column), layer.func, new)
    name = lambda n: renames.get(n, n)  # noqa: E731 - a one-line mapping
    functions = []
    for fn, new in zip(layer.functions, fresh_names(plan, len(layer.functions))):
        functions.append(replace(fn, output=new, column=name(fn.column) if fn.column else None))
        renames[fn.output] = new
    return L.Window(plan, tuple(name(k) for k in layer.partition_by),
                    tuple(SortKey(name(k.column), k.ascending, k.nulls_first) for k in layer.order_by),
                    tuple(functions))


def rejoin(plan: L.LogicalPlan, layers: list[L.LogicalPlan], expr: Expr) -> tuple[L.LogicalPlan, Expr]:
    """Apply ``layers`` again over ``plan`` under fresh names, renaming them in ``expr``."""
    renames: dict[str, str] = {}
    for layer in layers:
        plan = _reapply(layer, plan, renames)
    return plan, _renamed(expr, renames) if renames else expr

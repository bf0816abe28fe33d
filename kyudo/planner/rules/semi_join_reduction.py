"""Aggregate only the groups a join can use: filter a grouped input by the keys
the other side of the join can hold, before it is grouped."""
from __future__ import annotations

from dataclasses import replace

from kyudo.planner.expr import Col
from kyudo.planner.logical import Aggregate, Distinct, Filter, Join, LogicalPlan, Project, Scan, transform_up
from kyudo.planner.statistics import estimate, filtered_rows

# The provider of the keys must be this many times smaller than the grouped input
# (by estimate) for the extra semi join to pay for itself. Estimates of string
# equalities are guesses (o_orderstatus = 'F' is half of orders, guessed as a
# tenth), and a semi join that keeps half the rows costs a probe per row and
# hides the grouped input's layout (DataFrame Q21 3.9 s -> 6.4 s at 10); the
# reductions that pay (Q17: 2 thousand parts, Q20: the 'forest%' parts) are
# estimated over a hundred times smaller.
MIN_REDUCTION = 50

# Reducing by the other side of the join itself reads nothing again: it costs
# one probe per grouped row, which pays once the provider bounding that side's
# keys is estimated this many times smaller than the grouped input. TPC-H
# DataFrame Q21 counts suppliers per order over all of lineitem, joined to the
# late lines of one nation's suppliers on open orders (a twentieth of them).
SHARED_MIN_REDUCTION = 8

# Join types where dropping rows of one side whose key no row of the other side
# has changes nothing: those rows are never output or looked at.
_REDUCIBLE_RIGHT = ("inner", "left", "semi", "anti")
_REDUCIBLE_LEFT = ("inner", "right")


def apply(plan: LogicalPlan) -> LogicalPlan:
    """When one side of an equi-join is a grouped aggregation on the join key (as
    decorrelated subqueries are: TPC-H Q17's average quantity per part) and the
    other side's key values all come from a small filtered scan (the parts of one
    brand and container), semi-join the aggregation's input with that scan first.

    Groups whose key the other side cannot hold are never matched, so they need
    not be computed: Q17 then averages the lineitems of 2 thousand parts instead
    of grouping all 60 million rows into 2 million parts. Whole groups go or
    stay, so every kept group's value is unchanged, and a NULL key (which matches
    nothing) only loses a group nobody sees; under pandas' ``null_equal`` the
    semi join matches NULL to NULL too. NOT IN joins are left alone: there a
    NULL key in the subquery matters.

    The key values of the other side are traced down to their *provider*: through
    projections (renames), filters and the inner or preserved side of joins, each
    of which can only drop values, to a scan (with its filters). It is read once
    more, which is why it must be much smaller than the grouped input.

    Before::

        Join(left, on=[p_partkey=l_partkey2])
          Join(inner, on=[l_partkey=p_partkey])
            Scan(lineitem)
            Scan(part, predicate=p_brand = 'Brand#23')
          Aggregate(keys=[l_partkey2], avg=mean(l_quantity2))
            Scan(lineitem)

    After::

        Join(left, on=[p_partkey=l_partkey2])
          Join(inner, on=[l_partkey=p_partkey])
            Scan(lineitem)
            Scan(part, predicate=p_brand = 'Brand#23')
          Aggregate(keys=[l_partkey2], avg=mean(l_quantity2))
            Join(semi, on=[l_partkey2=__semi_key])
              Scan(lineitem)
              Project(__semi_key=p_partkey)
                Scan(part, predicate=p_brand = 'Brand#23')

    Applying the rule again changes nothing: an aggregation already reduced by the
    same provider is recognised.
    """
    return transform_up(plan, reduce_join)


def reduce_join(node: LogicalPlan, by_other_side: bool = False) -> LogicalPlan:
    """``node`` with a grouped side reduced, if one can be (else ``node``).

    By default the keys come from the other side's provider, a filtered scan
    read once more. With ``by_other_side`` (lowering, see
    :data:`SHARED_MIN_REDUCTION`) they come from the other side itself, whose
    tasks the join computes anyway: the provider's estimate then only bounds
    how many keys that side can hold."""
    if not isinstance(node, Join) or not node.left_on or node.null_aware:
        return node
    if node.how in _REDUCIBLE_RIGHT:
        reduced = _reduce_side(node.right, node.right_on, node.left, node.left_on, node.null_equal, by_other_side)
        if reduced is not None:
            return replace(node, right=reduced)
    if node.how in _REDUCIBLE_LEFT:
        reduced = _reduce_side(node.left, node.left_on, node.right, node.right_on, node.null_equal, by_other_side)
        if reduced is not None:
            return replace(node, left=reduced)
    return node


def _reduce_side(side: LogicalPlan, side_keys: tuple, other: LogicalPlan, other_keys: tuple,
                 null_equal: bool, by_other_side: bool):
    """``side`` with its aggregation's input semi-joined to the keys of one of
    ``other``'s key columns, or None when no key pair qualifies."""
    for side_key, other_key in zip(side_keys, other_keys):
        found = _provider(other, other_key)
        if found is None:
            continue
        provider, name = found
        if by_other_side:
            keys, min_reduction = Project(other, (("__semi_key", Col(other_key)),)), SHARED_MIN_REDUCTION
        else:
            keys, min_reduction = Project(provider, (("__semi_key", Col(name)),)), MIN_REDUCTION
        reduced = _reduce_grouped(side, side_key, keys, null_equal, filtered_rows(provider), min_reduction,
                                  once=by_other_side)
        if reduced is not None:
            return reduced
    return None


def _provider(plan: LogicalPlan, name: str):
    """``(subtree, column)``: a filtered scan whose ``column`` holds every value
    ``name`` can have in ``plan``'s output; None when there is none, or when the
    scan is not filtered (all of a table's keys reduce nothing: TPC-H Q15's
    revenue per supplier joined to every supplier).

    Through a join, ``name`` is followed into the side it comes from. When
    ``name`` is a key the join matches on (an inner join, or the left side of a
    semi join), the matched side's key holds every value too, and the smaller
    of the two providers is taken: TPC-H Q20's part suppliers are all of
    ``partsupp``, but only those whose part is one of the parts named 'forest%'
    come out."""
    if isinstance(plan, Project):
        expr = dict(plan.exprs).get(name)
        return _provider(plan.input, expr.name) if isinstance(expr, Col) else None
    if isinstance(plan, Filter):
        return _provider(plan.input, name)
    if isinstance(plan, Join):
        return _provider_through_join(plan, name)
    if isinstance(plan, Scan):
        return (plan, name) if plan.predicate is not None else None
    return None


# Join types whose output values of a side's column are some of that side's values.
_KEEPS_LEFT_VALUES = ("inner", "left", "semi", "anti")
_KEEPS_RIGHT_VALUES = ("inner", "right")
# Join types whose output values of a left (right) key column all occur in the
# right (left) key column.
_MATCHES_LEFT = ("inner", "semi")
_MATCHES_RIGHT = ("inner",)


def _provider_through_join(join: Join, name: str):
    in_left, in_right = name in join.left.schema.names, name in join.right.schema.names
    if in_left == in_right:
        return None
    if in_left:
        own, own_keys, other, other_keys = join.left, join.left_on, join.right, join.right_on
        keeps, matched = join.how in _KEEPS_LEFT_VALUES, join.how in _MATCHES_LEFT
    else:
        own, own_keys, other, other_keys = join.right, join.right_on, join.left, join.left_on
        keeps, matched = join.how in _KEEPS_RIGHT_VALUES, join.how in _MATCHES_RIGHT
    if not keeps:
        return None
    candidates = [_provider(own, name)]
    if matched and name in own_keys:
        candidates.append(_provider(other, other_keys[own_keys.index(name)]))
    return min((c for c in candidates if c is not None), key=_provider_rows, default=None)


def _provider_rows(found) -> float:
    """The estimated rows of a provider (unknown: as many as can be)."""
    rows = filtered_rows(found[0])
    return float("inf") if rows is None else rows


def _reduce_grouped(plan: LogicalPlan, key: str, keys: Project, null_equal: bool,
                    key_rows: float | None, min_reduction: float, once: bool = False):
    """``plan`` (projections and filters over a grouped aggregation on ``key``)
    with the aggregation's input semi-joined to ``keys``, which hold at most
    ``key_rows`` rows (by estimate); None when ``plan`` is not that shape, is
    already reduced by ``keys`` (with ``once``: by any keys), or the input is
    not ``min_reduction`` times ``key_rows``."""
    if isinstance(plan, Project):
        expr = dict(plan.exprs).get(key)
        if not isinstance(expr, Col):
            return None
        inner = _reduce_grouped(plan.input, expr.name, keys, null_equal, key_rows, min_reduction, once)
        return None if inner is None else plan.with_children((inner,))
    if isinstance(plan, Filter):
        inner = _reduce_grouped(plan.input, key, keys, null_equal, key_rows, min_reduction, once)
        return None if inner is None else plan.with_children((inner,))
    if not isinstance(plan, Aggregate) or key not in plan.keys:
        return None
    # The distinct rows a distinct count counts (``distinct_aggregates``) hold
    # the key too: the semi join goes under them, so fewer rows are deduplicated.
    distinct = isinstance(plan.input, Distinct)
    source = plan.input.input if distinct else plan.input
    earlier = source
    while isinstance(earlier, Join) and earlier.how == "semi":
        if earlier.right == keys or once:
            return None
        earlier = earlier.left
    input_rows, _ = estimate(source)
    if key_rows is None or input_rows is None or key_rows * min_reduction > input_rows:
        return None
    # Under pandas' NULL-matches-NULL the provider holds NULL when the other side
    # does, and the semi join keeps the NULL group for it.
    reduced = Join(source, keys, "semi", (key,), ("__semi_key",), null_equal=null_equal)
    return plan.with_children((Distinct(reduced) if distinct else reduced,))

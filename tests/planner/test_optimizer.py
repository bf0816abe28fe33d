"""The optimizer's framework, and the equivalence of optimized plans on random plans."""
from __future__ import annotations

import itertools

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kyudo.planner.optimizer as optimizer
from kyudo.engine.operators.aggregate import AggSpec
from kyudo.engine.operators.sort import SortKey
from kyudo.planner.errors import PlanError
from kyudo.planner.expr import call, col, lit
from kyudo.planner.logical import (Aggregate, Distinct, Filter, Join, Limit, MapPartitions, Project,
                                   Scan, Sort, Union, walk)
from kyudo.planner.optimizer import MAX_PASSES, RULE_NAMES, optimize
from kyudo.planner.sources import InMemorySource
from reference import rows, run, table_scan


def small_plan():
    t = table_scan(a=[1, 2, 3], b=[4, 5, 6], c=[7, 8, 9])
    return Filter(Project(t, (("x", col("a")), ("b", col("b")))),
                  call("greater", col("x"), call("add", lit(0), lit(1))))


def test_every_rule_runs_in_order_and_records_its_step():
    result = optimize(small_plan())
    names = [s.name for s in result.steps]
    # whole passes over the rule list, repeated until a pass changes nothing
    assert names == list(RULE_NAMES) * (len(names) // len(RULE_NAMES))
    assert 1 <= len(names) // len(RULE_NAMES) <= MAX_PASSES
    assert not any(s.changed for s in result.steps[-len(RULE_NAMES):])
    changed = {s.name for s in result.steps if s.changed}
    assert {"constant_folding", "predicate_pushdown", "column_pruning"} <= changed
    assert "limit_pushdown" not in changed
    assert result.steps[-1].after == result.plan


def test_a_disabled_rule_does_not_run():
    result = optimize(small_plan(), disabled={"predicate_pushdown"})
    assert "predicate_pushdown" not in [s.name for s in result.steps]
    assert isinstance(result.plan, Filter)
    scan = next(n for n in walk(optimize(small_plan()).plan) if isinstance(n, Scan))
    assert scan.predicate == call("greater", col("a"), lit(1, pa.int64()))


def test_rules_can_be_disabled_by_config():
    from kyudo import config

    with config.set(optimizer_disabled={"predicate_pushdown", "column_pruning"}):
        names = [s.name for s in optimize(small_plan()).steps]
    enabled = [n for n in RULE_NAMES if n not in ("predicate_pushdown", "column_pruning")]
    assert names[:len(enabled)] == enabled and set(names) == set(enabled)


def test_unknown_rule_name_is_an_error():
    with pytest.raises(PlanError, match="predicate_pushdwn"):
        optimize(small_plan(), disabled={"predicate_pushdwn"})
    from kyudo import config

    with config.set(optimizer_disabled={"shared_scan"}), pytest.raises(PlanError, match="shared_scans"):
        optimize(small_plan())  # the message lists the rules and the physical passes
    with pytest.raises(PlanError, match="shared_scans"):
        optimize(small_plan(), disabled={"shared_scans"})  # the argument names rules only


def test_a_rule_that_changes_the_schema_is_caught(monkeypatch):
    real = optimizer._load_rule

    def load(name):
        if name == "merge_projections":
            return lambda plan: Project(plan, ((plan.schema.names[0], col(plan.schema.names[0])),))
        return real(name)

    monkeypatch.setattr(optimizer, "_load_rule", load)
    with pytest.raises(PlanError, match="merge_projections"):
        optimize(small_plan())


# ---- random plans: the optimized plan returns the same rows ---------------------------

INT = st.one_of(st.none(), st.integers(-3, 3))
COMPARISONS = ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal")


def _identity(table):
    return table


class PlanBuilder:
    """Draws random, valid plans whose columns are all int64 and uniquely named.

    ``ordered`` tracks whether a plan's row order is fixed by the plan itself (scans,
    sorts on every column, and order-preserving nodes over those) so that a Limit is
    only ever placed where the rows it keeps are well defined.
    """

    def __init__(self, draw):
        self.draw = draw
        self.counter = itertools.count()

    def fresh(self) -> str:
        return f"c{next(self.counter)}"

    def scan(self):
        names = [self.fresh() for _ in range(self.draw(st.integers(1, 3)))]
        n = self.draw(st.integers(0, 8))
        data = {name: pa.array(self.draw(st.lists(INT, min_size=n, max_size=n)), pa.int64())
                for name in names}
        source = InMemorySource.from_table(pa.table(data), self.draw(st.integers(1, 3)))
        return Scan(source), True

    def operand(self, names):
        choice = self.draw(st.integers(0, 2))
        if choice == 0:
            return col(self.draw(st.sampled_from(names)))
        value = self.draw(st.integers(-3, 3))
        if choice == 1:
            return lit(value)
        return call("add", lit(value), lit(self.draw(st.integers(-1, 1))))

    def predicate(self, names, depth=2):
        kind = self.draw(st.sampled_from(
            ["compare", "compare", "is_null", "constant", "and", "or"]))
        if kind in ("and", "or") and depth > 0:
            return call(kind, self.predicate(names, depth - 1), self.predicate(names, depth - 1))
        if kind == "is_null":
            return call("is_null", col(self.draw(st.sampled_from(names))))
        if kind == "constant":
            return call("less", lit(self.draw(st.integers(0, 2))), lit(1))
        op = self.draw(st.sampled_from(COMPARISONS))
        return call(op, col(self.draw(st.sampled_from(names))), self.operand(names))

    def project(self, plan):
        names = plan.schema.names
        kept = self.draw(st.permutations(names))[:self.draw(st.integers(1, len(names)))]
        exprs = []
        for name in kept:
            kind = self.draw(st.integers(0, 3))
            if kind == 0:
                exprs.append((name, col(name)))
            elif kind == 1:
                exprs.append((self.fresh(), col(name)))
            else:
                exprs.append((self.fresh(), call("add", col(name), self.operand(names))))
        if self.draw(st.booleans()):
            exprs.append((self.fresh(), call("multiply", lit(2), lit(3))))
        return Project(plan, tuple(exprs))

    def aggregate(self, plan):
        names = plan.schema.names
        nkeys = self.draw(st.integers(0, min(2, len(names))))
        keys = tuple(self.draw(st.permutations(names))[:nkeys])
        aggs = [AggSpec(self.fresh(), self.draw(st.sampled_from(["sum", "min", "max", "count"])),
                        self.draw(st.sampled_from(names)))
                for _ in range(self.draw(st.integers(0 if keys else 1, 2)))]
        if self.draw(st.booleans()):
            aggs.append(AggSpec(self.fresh(), "size", None))
        return Aggregate(plan, keys, tuple(aggs))

    def build(self, depth=2):
        plan, ordered = self.scan()
        for _ in range(self.draw(st.integers(1, 6))):
            plan, ordered = self.step(plan, ordered, depth)
        return plan, ordered

    def step(self, plan, ordered, depth):
        names = plan.schema.names
        ops = ["filter", "filter", "project", "project", "sort", "distinct", "aggregate", "union",
               "map"] + (["limit"] * 3 if ordered else []) + (["join"] if depth > 0 else [])
        op = self.draw(st.sampled_from(ops))
        if op == "filter":
            return Filter(plan, self.predicate(names)), ordered
        if op == "project":
            return self.project(plan), ordered
        if op == "sort":
            order = self.draw(st.permutations(names))
            keys = tuple(SortKey(n, self.draw(st.booleans())) for n in order)
            sorted_plan = Sort(plan, keys)
            if self.draw(st.booleans()):
                return sorted_plan, True
            n, offset = self.draw(st.integers(0, 4)), self.draw(st.integers(0, 2))
            return Limit(sorted_plan, n, offset), True
        if op == "limit":
            n = self.draw(st.one_of(st.none(), st.integers(0, 4)))
            return Limit(plan, n, self.draw(st.integers(0, 2))), True
        if op == "distinct":
            return Distinct(plan), False
        if op == "aggregate":
            return self.aggregate(plan), False
        if op == "union":
            reordered = Project(plan, tuple((n, col(n)) for n in self.draw(st.permutations(names))))
            return Union((plan, Filter(reordered, self.predicate(names)))), ordered
        if op == "map":
            return MapPartitions(plan, _identity, plan.schema, token="identity"), ordered
        other, _ = self.build(depth - 1)
        how = self.draw(st.sampled_from(["inner", "left", "right", "outer", "semi", "anti"]))
        condition = None
        if self.draw(st.booleans()):
            condition = self.predicate(names + other.schema.names)
        join = Join(plan, other, how, (self.draw(st.sampled_from(names)),),
                    (self.draw(st.sampled_from(other.schema.names)),), condition=condition)
        return join, False


def random_plan(draw):
    plan, ordered = PlanBuilder(draw).build()
    if draw(st.booleans()):
        plan = Filter(plan, PlanBuilder(draw).predicate(plan.schema.names))
    return plan, ordered


def check_same_rows(plan, ordered, optimized):
    assert optimized.schema.names == plan.schema.names
    if ordered:
        assert run(optimized).to_pylist() == run(plan).to_pylist()
    else:
        assert rows(optimized) == rows(plan)


SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(st.data())
def test_optimized_plans_return_the_same_rows(data):
    plan, ordered = random_plan(data.draw)
    check_same_rows(plan, ordered, optimize(plan).plan)


@pytest.mark.parametrize("rule", RULE_NAMES)
@settings(SETTINGS, max_examples=100)
@given(st.data())
def test_each_rule_alone_preserves_the_rows(rule, data):
    plan, ordered = random_plan(data.draw)
    check_same_rows(plan, ordered, optimize(plan, disabled=set(RULE_NAMES) - {rule}).plan)


@SETTINGS
@given(st.data(), st.sampled_from(["inner", "left", "right", "outer", "semi", "anti"]))
def test_joins_with_conditions_return_the_same_rows(data, how):
    """Joins with a residual condition, under a filter and a narrowing projection:
    where each rule may move conjuncts depends on the join type."""
    builder = PlanBuilder(data.draw)
    (left, _), (right, _) = builder.scan(), builder.scan()
    both = left.schema.names + right.schema.names
    condition = call("and", builder.predicate(left.schema.names, 0),
                     call("and", builder.predicate(right.schema.names, 0), builder.predicate(both)))
    plan = Join(left, right, how, (data.draw(st.sampled_from(left.schema.names)),),
                (data.draw(st.sampled_from(right.schema.names)),), condition=condition)
    names = plan.schema.names
    plan = Filter(plan, builder.predicate(names))
    plan = Project(plan, tuple((n, col(n)) for n in data.draw(st.permutations(names))[:1]))
    check_same_rows(plan, False, optimize(plan).plan)
    for rule in RULE_NAMES:
        check_same_rows(plan, False, optimize(plan, disabled=set(RULE_NAMES) - {rule}).plan)

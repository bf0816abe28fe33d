"""The optimizer: an ordered list of named rules, each a pure ``plan -> plan``.

Every rule lives in its own module under :mod:`kyudo.planner.rules` and exports a
function ``apply(plan) -> plan``. ``optimize`` runs them in order (repeating the
list until the plan stops changing, at most ``MAX_PASSES`` times), checks after
each that the output schema (names and types) did not change, and records what
each rule changed so ``explain()`` can show it. A rule can be switched off by name
(``optimize(plan, disabled={"predicate_pushdown"})`` or the ``optimizer_disabled``
config option), which is how tests and users isolate a rule's effect. The same
option switches off the passes over the physical plan
(:mod:`kyudo.planner.physical_passes`).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

from kyudo.planner.errors import PlanError
from kyudo.planner.logical import LogicalPlan
from kyudo.planner.physical_passes import PASS_NAMES

# The order matters: constants are folded first so pushdown sees simple
# predicates; filters move down before columns are pruned so the scan is asked
# for the columns its own predicate needs; limits move last, over the final shape.
RULE_NAMES: tuple[str, ...] = (
    # First, while the inputs of side-by-side aggregates are still equal.
    "merge_global_aggregates",
    "constant_folding",
    "merge_projections",
    "predicate_pushdown",
    "distinct_aggregates",
    # After pushdown, which put the filters into the scans that provide the keys.
    "semi_join_reduction",
    "column_pruning",
    "anti_join_from_left_join",
    # After pruning, which removes the aggregates nobody reads.
    "semi_join_from_distinct",
    # After pushdown and pruning: it estimates each leaf from the predicates and
    # columns those rules put there, and only rearranges whole leaves, so running
    # it again (or pushdown/pruning after it) finds nothing left to change.
    "join_order",
    "limit_pushdown",
    "eliminate_sorts",
    "remove_noops",
)

# One pass is not a fixed point: pushdown creates constant conjuncts that folding
# already passed, pruning exposes projections that can now merge. A few passes
# reach it in practice; the cap keeps planning time bounded.
MAX_PASSES = 3


def _load_rule(name: str) -> Callable[[LogicalPlan], LogicalPlan]:
    return importlib.import_module(f"kyudo.planner.rules.{name}").apply


@dataclass
class RuleStep:
    name: str
    before: LogicalPlan
    after: LogicalPlan

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass
class Optimized:
    plan: LogicalPlan
    steps: list[RuleStep] = field(default_factory=list)


def _same_schema(a, b) -> bool:
    return a.names == b.names and all(x.type == y.type for x, y in zip(a, b))


def optimize(plan: LogicalPlan, disabled: frozenset[str] | set[str] = frozenset()) -> Optimized:
    """Run every enabled rule in order; raise :class:`PlanError` if one changes the schema."""
    from kyudo import config

    configured = set(config.get("optimizer_disabled", ()) or ())
    # The option also names physical passes (run after lowering), the argument rules only.
    unknown = (set(disabled) - set(RULE_NAMES)) | (configured - set(RULE_NAMES) - set(PASS_NAMES))
    disabled = set(disabled) | configured
    if unknown:
        raise PlanError(f"unknown optimizer rules {sorted(unknown)}; rules are {list(RULE_NAMES)}, "
                        f"physical passes {list(PASS_NAMES)}")
    result = Optimized(plan)
    expected = plan.schema
    for _ in range(MAX_PASSES):
        start = result.plan
        for name in RULE_NAMES:
            if name in disabled:
                continue
            before = result.plan
            after = _load_rule(name)(before)
            if not _same_schema(after.schema, expected):
                raise PlanError(f"optimizer rule {name!r} changed the output schema from "
                                f"{expected} to {after.schema}")
            result.steps.append(RuleStep(name, before, after))
            result.plan = after
        if result.plan == start:
            break
    return result

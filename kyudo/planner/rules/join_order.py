"""Reorder trees of inner equi-joins, and apply semi/anti joins late, from estimates.

The SQL front end joins FROM items in the order they are written and puts each
decorrelated ``EXISTS``/``NOT EXISTS``/``IN`` directly on its relation, so a fact
table can go through expensive joins before the filtered dimension that would cut
it down is joined (TPC-H Q21: both lineitem semi/anti joins run before the join
with ``nation = 'SAUDI ARABIA'`` that keeps 1/25 of the rows).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from kyudo.planner.expr import Col, Expr, conjuncts
from kyudo.planner.functions import is_deterministic
from kyudo.planner.logical import Filter, Join, LogicalPlan, Project, Scan
from kyudo.planner.rules._util import filter_on
from kyudo.planner.sources import source_num_rows
from kyudo.planner.statistics import distinct_bound, estimate, filtered_rows


def apply(plan: LogicalPlan) -> LogicalPlan:
    """Rebuild every maximal tree of reorderable inner equi-joins greedily.

    Only joins the front end marked ``reorderable`` (SQL, whose row order is
    unspecified) take part, and among them only inner joins with keys, without
    ``null_equal`` or a ``strategy`` override. Outer joins, cross joins and pandas
    merges are boundaries: they are leaves of a tree (or contain trees of their own).

    **The tree.** From its top, the rule sees through inner joins (their key pairs
    become *edges* between the leaves owning the two columns, a residual condition
    becomes a predicate), Filters of deterministic conjuncts (predicates) and
    reorderable semi/anti joins (through their left input). Anything else is a
    *leaf* (rewritten recursively on its own). The graph of leaves and edges must
    be connected; otherwise the tree is left as it is (no cross products).

    **Estimates** (metadata only). A leaf has ``rows`` (:func:`statistics.filtered_rows`:
    its predicates' selectivities from min/max statistics, or System R constants)
    and ``base`` (the rows of its source before any filter), so ``sel = rows / base``
    says how much its filters removed. Joining components A and B is estimated as a
    foreign-key join when the keys can be unique on one side D (the product of
    their distinct-value bounds, from min/max, reaches the rows of D's *fact leaf*,
    the leaf whose rows no join in D has repeated; unknown bounds count as unique):
    then the other side F is the fact side and ``|A ⋈ B| = rows(F) * sel(D)`` (each
    fact row finds its one dimension row, unless D's filters removed it), and the
    result keeps F's base and fact leaf, so a filtered dimension reached through
    another join (nation through supplier) still carries its selectivity. Otherwise
    (``c_nationkey = s_nationkey``: 25 values) it is many-to-many:
    ``rows(A) * rows(B) / distinct keys``, and the result has no unique keys.

    **Greedy operator ordering.** Start with one component per leaf; repeatedly join
    the pair of *connected* components with the lowest cost: the estimated result,
    plus both inputs' rows when neither is small enough to broadcast (by the same
    byte estimate and ``broadcast_threshold`` the lowering uses), since a hash join
    moves both. Ties are broken by the components' names, so the result depends
    only on the leaves and edges, not on the input tree's shape. The fact side goes
    left (it is probed), the dimension right (built, or broadcast). Trees may be
    bushy: (supplier ⋈ nation) is built before lineitem meets it.

    **Predicates** (inner-join residuals and filters inside the tree) are placed in
    a Filter right above the first join (or leaf) that has all their columns.

    **Semi and anti joins** are per-row filters of their left input: whether a left
    row is kept depends only on that row's columns that the keys and condition read
    (and the whole right input; that is true of null-aware anti joins too). So they
    commute with inner joins: ``(A ⋉ B) ⋈ C = (A ⋈ C) ⋉ B`` as long as what the
    condition reads from B is not also a column of C. Each one waits in the smallest
    component holding the leaves it reads, and is applied just before that
    component joins something that would not make it smaller (estimated), or at
    the top of the tree: so it filters the smallest input it can, as early as that. A semi/anti join whose
    condition reads a name that another leaf also has stays where it is (a leaf).

    The output keeps the input's column order (a Project restores it when the new
    order differs). A tree of two leaves without semi/anti joins is left alone: its
    only choice is which side is which, and lowering decides that from sizes.

    Applying the rule twice gives the same plan as once: the rebuilt tree is
    computed from the leaves, edges, predicates and semi joins alone, which the
    rebuilt tree has the same of (the restoring Project sits above the tree).

    Before::

        Join(inner, on=[s_nationkey=n_nationkey])
          Join(inner, on=[l_suppkey=s_suppkey])
            Join(semi, on=[l_orderkey=l2_orderkey])
              Scan(lineitem)
              Scan(lineitem l2)
            Scan(supplier)
          Scan(nation, predicate=n_name = 'SAUDI ARABIA')

    After::

        Join(semi, on=[l_orderkey=l2_orderkey])
          Join(inner, on=[l_suppkey=s_suppkey])
            Scan(lineitem)
            Join(inner, on=[s_nationkey=n_nationkey])
              Scan(supplier)
              Scan(nation, predicate=n_name = 'SAUDI ARABIA')
          Scan(lineitem l2)
    """
    return _rewrite(plan)


def _rewrite(plan: LogicalPlan) -> LogicalPlan:
    if _has_inner_tree(plan):
        return _reorder(plan)
    children = plan.children
    if not children:
        return plan
    return plan.with_children(tuple(_rewrite(c) for c in children))


def _is_inner(plan: LogicalPlan) -> bool:
    return (isinstance(plan, Join) and plan.how == "inner" and plan.reorderable
            and not plan.null_equal and plan.strategy is None and bool(plan.left_on)
            and (plan.condition is None or is_deterministic(plan.condition)))


def _is_semi(plan: LogicalPlan) -> bool:
    return (isinstance(plan, Join) and plan.how in ("semi", "anti") and plan.reorderable
            and not plan.null_equal and plan.strategy is None)


def _is_clear_filter(plan: LogicalPlan) -> bool:
    return isinstance(plan, Filter) and is_deterministic(plan.predicate)


def _has_inner_tree(plan: LogicalPlan) -> bool:
    """Whether an inner-join tree starts here (seen through filters and semi joins)."""
    while _is_clear_filter(plan) or _is_semi(plan):
        plan = plan.input if isinstance(plan, Filter) else plan.left
    return _is_inner(plan)


@dataclass
class _Tree:
    leaves: list[LogicalPlan] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)
    predicates: list[Expr] = field(default_factory=list)
    semis: list[Join] = field(default_factory=list)


def _collect(plan: LogicalPlan, tree: _Tree) -> None:
    if _is_clear_filter(plan):
        tree.predicates.extend(conjuncts(plan.predicate))
        _collect(plan.input, tree)
    elif _is_inner(plan):
        tree.edges.extend(zip(plan.left_on, plan.right_on))
        if plan.condition is not None:
            tree.predicates.extend(conjuncts(plan.condition))
        _collect(plan.left, tree)
        _collect(plan.right, tree)
    elif _is_semi(plan):
        _collect(plan.left, tree)
        tree.semis.append(plan)  # after those below it: the order they apply in
    else:
        tree.leaves.append(plan)


@dataclass
class _Component:
    plan: LogicalPlan
    leaves: frozenset[int]
    names: frozenset[str]
    rows: float
    base: float
    key: str
    fact_leaf: int | None  # the leaf whose rows the joins so far did not repeat
    semis: list[Join] = field(default_factory=list)
    nbytes: float | None = None  # estimated bytes, as lowering sees them (filled lazily)

    @property
    def sel(self) -> float:
        return self.rows / self.base if self.base > 0 else 1.0


def _base_rows(plan: LogicalPlan) -> float | None:
    """The rows of ``plan`` before any filter: through Filter and Project to a Scan."""
    node = plan
    while isinstance(node, (Filter, Project)):
        node = node.input
    if isinstance(node, Scan):
        rows = source_num_rows(node.source)
        return float(rows) if rows is not None else None
    rows = estimate(plan)[0]
    return float(rows) if rows is not None else None


def _reorder(plan: LogicalPlan) -> LogicalPlan:
    tree = _Tree()
    _collect(plan, tree)
    done = {id(leaf): _rewrite(leaf) for leaf in tree.leaves}
    done.update({id(s.right): _rewrite(s.right) for s in tree.semis})
    tree.leaves = [done[id(leaf)] for leaf in tree.leaves]
    tree.semis = [s.with_children((s.left, done[id(s.right)])) for s in tree.semis]
    rebuilt = _build(tree)
    if rebuilt is None:
        return _in_place(plan, done)
    if rebuilt.schema.names != plan.schema.names:
        rebuilt = Project(rebuilt, tuple((n, Col(n)) for n in plan.schema.names))
    return plan if rebuilt == plan else rebuilt


def _in_place(plan: LogicalPlan, done: dict[int, LogicalPlan]) -> LogicalPlan:
    """The tree as it was, over its rewritten leaves and semi join right sides."""
    if id(plan) in done:
        return done[id(plan)]
    if _is_clear_filter(plan):
        return plan.with_children((_in_place(plan.input, done),))
    if _is_inner(plan):
        return plan.with_children((_in_place(plan.left, done), _in_place(plan.right, done)))
    return plan.with_children((_in_place(plan.left, done), done[id(plan.right)]))  # semi/anti


def _build(tree: _Tree) -> LogicalPlan | None:
    """The reordered tree, or None when it should stay as it is."""
    if len(tree.leaves) < 2 or (len(tree.leaves) == 2 and not tree.semis):
        return None
    owner: dict[str, int] = {}
    for i, leaf in enumerate(tree.leaves):
        for name in leaf.schema.names:
            owner[name] = i
    all_names = set(owner)
    semis = []
    for s in tree.semis:
        right_names = set(s.right.schema.names)
        condition = s.condition.columns() if s.condition is not None else set()
        if condition & right_names & all_names:
            return None  # a name of both sides in the condition: ambiguous once moved
        left_reads = set(s.left_on) | (condition - right_names)
        if not left_reads <= all_names:
            return None
        semis.append((frozenset(owner[c] for c in left_reads), s))

    edges: dict[tuple[int, int], list[tuple[str, str]]] = {}
    for a, b in tree.edges:
        ia, ib = owner[a], owner[b]
        if ia == ib:
            return None
        edges.setdefault((ia, ib), []).append((a, b))
        edges.setdefault((ib, ia), []).append((b, a))

    ndv_cache: dict[str, float | None] = {}

    def ndv(name: str) -> float | None:
        if name not in ndv_cache:
            ndv_cache[name] = distinct_bound(tree.leaves[owner[name]], name)
        return ndv_cache[name]

    def unique(comp: _Component, cols: list[str]) -> bool:
        """Whether ``cols`` can be a key of ``comp``: some of them are columns of
        its fact leaf (whose rows no join has repeated) whose distinct-value bounds
        multiply to at least that leaf's rows (unknown bounds count as unique)."""
        if comp.fact_leaf is None:
            return False
        mine = [c for c in cols if owner[c] == comp.fact_leaf]
        if not mine:
            return False
        bound = 1.0
        for c in mine:
            b = ndv(c)
            if b is None:
                return True
            bound *= b
        return bound >= 0.9 * bases[comp.fact_leaf]

    def plan_join(a: _Component, b: _Component):
        """(rows, fact, dimension, fact leaf of the result) of joining ``a`` and ``b``."""
        pairs = [p for i in a.leaves for j in b.leaves for p in edges.get((i, j), ())]
        ua, ub = unique(a, [x for x, _ in pairs]), unique(b, [y for _, y in pairs])
        if ub and (not ua or (a.base, a.rows, b.key) > (b.base, b.rows, a.key)):
            return a.rows * b.sel, a, b, a.fact_leaf
        if ua:
            return b.rows * a.sel, b, a, b.fact_leaf
        # many-to-many: |A| |B| / distinct keys, bounding the keys' distinct values
        # on each side by the product of its columns' bounds and by its rows
        distinct = 1.0
        for side, cols in ((a, [x for x, _ in pairs]), (b, [y for _, y in pairs])):
            bound = 1.0
            for c in cols:
                bound *= ndv(c) or side.rows
            distinct = max(distinct, min(bound, max(side.rows, 1.0)))
        fact, dim = (a, b) if (a.rows, b.key) >= (b.rows, a.key) else (b, a)
        return a.rows * b.rows / distinct, fact, dim, None

    comps: list[_Component] = []
    bases: list[float] = []
    predicates = list(tree.predicates)
    pending = list(semis)
    for i, leaf in enumerate(tree.leaves):
        base = _base_rows(leaf)
        node, predicates = _place_predicates(leaf, predicates, frozenset(leaf.schema.names))
        rows = filtered_rows(node)
        if rows is None or base is None:
            return None
        bases.append(max(float(base), float(rows), 1.0))
        comps.append(_Component(node, frozenset([i]), frozenset(leaf.schema.names), float(rows),
                                bases[i], min(leaf.schema.names), i))
    for comp in comps:
        pending = _attach_ready(comp, pending)

    while len(comps) > 1:
        best = None
        for x in range(len(comps)):
            for y in range(x + 1, len(comps)):
                a, b = comps[x], comps[y]
                if not any((i, j) in edges for i in a.leaves for j in b.leaves):
                    continue
                estimated = plan_join(a, b)
                cost = estimated[0]
                if not (_small(a) or _small(b)):  # a hash join moves both inputs
                    cost += a.rows + b.rows
                rank = (cost, min(a.key, b.key), max(a.key, b.key))
                if best is None or rank < best[0]:
                    best = (rank, x, y, estimated)
        if best is None:
            return None  # not connected: leave the tree alone rather than cross join
        _, x, y, (rows, fact, dim, fact_leaf) = best
        for comp in (fact, dim):
            if rows >= comp.rows and comp.semis:  # the join does not shrink it
                comp.plan = _apply_semis(comp.plan, comp.semis)
                comp.semis = []
        pairs = sorted(p for i in fact.leaves for j in dim.leaves for p in edges.get((i, j), ()))
        joined: LogicalPlan = Join(fact.plan, dim.plan, "inner", tuple(a for a, _ in pairs),
                                   tuple(b for _, b in pairs), reorderable=True)
        names = fact.names | dim.names
        joined, predicates = _place_predicates(joined, predicates, names)
        base = fact.base if fact_leaf is not None else max(rows, fact.base, 1.0)
        merged = _Component(joined, fact.leaves | dim.leaves, names, max(rows, 1e-9), base,
                            min(fact.key, dim.key), fact_leaf, fact.semis + dim.semis)
        comps = [c for k, c in enumerate(comps) if k not in (x, y)] + [merged]
        pending = _attach_ready(merged, pending)
    (root,) = comps
    out = filter_on(root.plan, predicates)  # constant predicates, if any
    return _apply_semis(out, root.semis)


def _small(comp: _Component) -> bool:
    """Whether lowering will broadcast ``comp`` (as it decides: estimated bytes)."""
    from kyudo import config

    if comp.nbytes is None:
        comp.nbytes = estimate(comp.plan)[1]
    threshold = config.get("broadcast_threshold")
    return comp.nbytes is not None and threshold is not None and comp.nbytes <= threshold


def _place_predicates(plan: LogicalPlan, predicates: list[Expr],
                      names: frozenset[str]) -> tuple[LogicalPlan, list[Expr]]:
    here = [p for p in predicates if p.columns() and p.columns() <= names]
    rest = [p for p in predicates if not (p.columns() and p.columns() <= names)]
    return filter_on(plan, here), rest


def _attach_ready(comp: _Component, pending: list) -> list:
    left = []
    for needs, s in pending:
        if needs <= comp.leaves:
            comp.semis.append(s)
        else:
            left.append((needs, s))
    return left


def _apply_semis(plan: LogicalPlan, semis: list[Join]) -> LogicalPlan:
    for s in semis:
        plan = Join(plan, s.right, s.how, s.left_on, s.right_on, s.null_equal, s.strategy,
                    s.condition, s.null_aware, s.reorderable)
    return plan

"""Lowering of the partitioning nodes: which physical nodes they become, that
divisions come from metadata only, and that the graph has the stages it should."""
from __future__ import annotations

import pyarrow as pa
import pytest

from kyudo.engine import compute
from kyudo.planner import logical as L
from kyudo.planner import physical_partitioning as PP
from kyudo.planner.compile import compute_partitions, compute_table
from kyudo.planner.errors import PlanError
from kyudo.planner.expr import Call, Col, Lit
from kyudo.planner.lowering import lower
from kyudo.planner.partitioning import AlignedJoin, Repartition, Shuffle, SortedOn
from kyudo.planner.physical import to_graph
from kyudo.planner.sources import InMemorySource


class _NoReads(InMemorySource):
    """A source that fails if planning reads data."""

    def read_partition(self, *args):  # pragma: no cover - must not run while planning
        raise AssertionError("planning read data")


def scan(table: pa.Table, npartitions: int, source=InMemorySource) -> L.Scan:
    base = InMemorySource.from_table(table, npartitions)
    return L.Scan(source(base.tables, base.schema))


@pytest.fixture
def table() -> pa.Table:
    return pa.table({"k": list(range(0, 60, 2)), "v": [float(i) for i in range(30)]})


def test_sorted_on_takes_divisions_from_statistics_without_reading(table):
    node = lower(SortedOn(scan(table, 3, _NoReads), "k"))
    assert isinstance(node, PP.SortedPartitions)
    assert PP.divisions_of(node.ranges) == (0, 20, 40, 58)
    chosen = lower(SortedOn(scan(table, 3, _NoReads), "k", select=((21, 25), (58, None))))
    assert chosen.keep == (1, 2) and chosen.npartitions == 2


def test_given_divisions_must_match_the_partitions(table):
    with pytest.raises(PlanError, match="4 divisions given for 2 partitions"):
        lower(SortedOn(scan(table, 2), "k", divisions=(0, 10, 20, 30)))
    with pytest.raises(PlanError, match="exactly one of"):
        Repartition(scan(table, 2), npartitions=2, partition_bytes=10)
    with pytest.raises(PlanError, match="sorted"):
        Repartition(scan(table, 2), divisions=(5, 1), column="k")


def test_balanced_repartition_counts_rows_in_a_stage_of_the_graph(table):
    plan = Repartition(L.Filter(scan(table, 6), Call("greater", (Col("k"), Lit(40)))), npartitions=2)
    node = lower(plan)
    assert isinstance(node, PP.BalancedRepartition)
    graph, keys = to_graph(node)
    stages = {k[0].rsplit("-", 1)[-1] for k in graph if isinstance(k, tuple)}
    assert {"size", "plan", "cut"} <= stages
    assert [t.num_rows for t in compute(graph, keys)] == [4, 5]  # 9 rows (k = 42..58)


def test_aligned_join_is_partitionwise_only_with_known_separated_divisions(table):
    right = pa.table({"rk": [0, 4, 40, 41, 58, 60], "w": list("abcdef")})
    on_sorted = AlignedJoin(SortedOn(scan(table, 3), "k"), scan(right, 2), "inner", ("k",), ("rk",), True)
    node = lower(on_sorted)
    assert isinstance(node, PP.PartitionwiseJoin)
    assert isinstance(node.right, PP.RangeRepartition) and node.right.cuts == (20, 40)
    assert sorted(compute_table(on_sorted).column("w").to_pylist()) == ["a", "b", "c", "e"]
    unknown = AlignedJoin(scan(table, 3), scan(right, 2), "inner", ("k",), ("rk",), True)
    assert not isinstance(lower(unknown), PP.PartitionwiseJoin)


def test_shuffle_groups_keys(table):
    parts = compute_partitions(Shuffle(scan(table, 4), ("k",), 3))
    assert len(parts) == 3 and sum(p.num_rows for p in parts) == 30


def test_large_group_by_and_distinct_are_not_funnelled_into_one_partition(table):
    import kyudo
    from kyudo.engine.operators.aggregate import AggSpec
    from kyudo.planner import physical as P

    in_key_order = L.Aggregate(scan(table, 5), ("k",), (AggSpec("s", "sum", "v"),))
    table = table.take(list(range(table.num_rows))[::-1])  # partitions without key ranges
    grouped = L.Aggregate(scan(table, 5), ("k",), (AggSpec("s", "sum", "v"),))
    assert isinstance(lower(grouped), P.TreeAggregate)  # a small result: one partition
    assert isinstance(lower(in_key_order), P.TreeAggregate)
    with kyudo.config.set(partition_size=64):
        assert isinstance(lower(in_key_order), PP.RangeLocalAggregate)  # grouped where it lies
        node = lower(grouped)
        # k's min/max allow 30 distinct values in 30 rows: every row may be a group, so the
        # estimated result is the 480 input bytes, far over a quarter of 64 a partition
        assert isinstance(node, P.ShuffleAggregate) and node.npartitions == 5
        assert sorted(compute_table(grouped).column("k").to_pylist()) == sorted(table.column("k").to_pylist())
        distinct = lower(L.Distinct(scan(table, 4)))
        assert isinstance(distinct, P.ShuffleAggregate) and distinct.npartitions == 4
    assert lower(L.Aggregate(scan(table, 5), ("k",), (AggSpec("s", "sum", "v"),), split_out=3)).npartitions == 3


def test_filters_and_pruning_pass_through_nodes_that_only_move_rows(table):
    from kyudo.planner.optimizer import optimize

    wide = table.append_column("w", pa.array(["z"] * 30))
    over = Call("greater", (Col("v"), Lit(3.0)))
    for node in (SortedOn(scan(wide, 2), "k"), Shuffle(scan(wide, 2), ("k",)),
                 Repartition(scan(wide, 2), npartitions=3)):
        plan = optimize(L.Project(L.Filter(node, over), (("v", Col("v")),))).plan
        inner = plan.input if isinstance(plan, L.Project) else plan
        assert type(inner) is type(node)
        assert isinstance(inner.input, L.Scan) and inner.input.predicate == over
        assert "w" not in inner.input.schema.names
    given = SortedOn(scan(wide, 2), "k", divisions=(0, 30, 58))
    kept = optimize(L.Filter(given, over)).plan
    assert isinstance(kept, L.Filter) and kept.input == given  # its divisions count on every partition


def test_head_of_a_sorted_frame_reads_only_the_first_partitions(table):
    from kyudo.planner.compile import compute_head

    reads: list[int] = []

    class Counting(InMemorySource):
        def read_partition(self, index, *args):
            reads.append(index)
            return super().read_partition(index, *args)

    head = compute_head(SortedOn(scan(table, 5, Counting), "k"), 3)
    assert head.column("k").to_pylist() == [0, 2, 4] and reads == [0]

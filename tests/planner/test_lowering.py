"""Lowering: which physical nodes a logical plan becomes, and that every strategy
computes the same answer as pandas."""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

import kyudo
from kyudo.engine.operators.aggregate import AggSpec
from kyudo.engine.operators.sort import SortKey
from kyudo.planner import logical as L
from kyudo.planner import physical as P
from kyudo.planner import physical_partitioning as PP
from kyudo.planner.compile import compute_table, explain, physical_plan
from kyudo.planner.expr import Call, Col, Lit
from kyudo.planner.lowering import lower
from kyudo.planner.physical import to_graph
from kyudo.planner.sources import InMemorySource


def scan(table: pa.Table, npartitions: int) -> L.Scan:
    return L.Scan(InMemorySource.from_table(table, npartitions))


@pytest.fixture
def orders() -> pa.Table:
    n = 200
    return pa.table({"o_id": list(range(n)), "cust": [i % 17 for i in range(n)],
                     "amount": [float(i % 23) for i in range(n)]})


@pytest.fixture
def customers() -> pa.Table:
    return pa.table({"c_id": list(range(17)), "name": [f"c{i}" for i in range(17)]})


def test_row_wise_nodes_fuse_into_the_scan_task(orders):
    plan = L.Project(L.Filter(scan(orders, 4), Call("greater", (Col("amount"), Lit(3.0)))),
                     (("double", Call("multiply", (Col("amount"), Lit(2.0)))),))
    node = lower(plan)
    assert isinstance(node, P.ScanPartitions)
    assert [op[0] for op in node.ops] == ["filter", "project"]
    graph, keys = to_graph(node)
    assert len(graph) == 4 and len(keys) == 4  # one task per partition, nothing else


def test_scan_predicate_is_pushed_into_the_reader_and_prunes(tmp_path):
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"x": list(range(1000))}), tmp_path / "f.parquet", row_group_size=100)
    from kyudo.io.parquet import discover_parquet

    source = discover_parquet(str(tmp_path), target_partition_bytes=1)
    assert source.npartitions == 10
    plan = L.Scan(source, ("x",), Call("greater_equal", (Col("x"), Lit(850))))
    node = lower(plan)
    assert node.arrow_predicate is not None
    assert node.npartitions == 2  # row groups 800-899 and 900-999 only
    assert compute_table(plan).column("x").to_pylist() == list(range(850, 1000))


def test_tree_aggregate_depth_follows_split_every(orders):
    plan = L.Aggregate(scan(orders, 20), ("cust",), (AggSpec("total", "sum", "amount"),), split_every=4)
    node = lower(plan)
    assert isinstance(node, P.TreeAggregate)
    graph, keys = to_graph(node)
    names = {k[0] for k in graph}
    # 20 partials -> 5 combines -> 2 combines -> final: two combine levels
    assert sum(1 for n in names if "-combine" in n) == 2
    expected = orders.to_pandas().groupby("cust").amount.sum()
    got = compute_table(plan).to_pandas().set_index("cust").total.sort_index()
    pd.testing.assert_series_equal(got, expected, check_names=False)


def test_split_out_gives_a_shuffle_aggregate_with_that_many_partitions(orders):
    plan = L.Aggregate(scan(orders, 5), ("cust",), (AggSpec("n", "size", None),), split_out=3)
    node = lower(plan)
    assert isinstance(node, P.ShuffleAggregate) and node.npartitions == 3
    got = compute_table(plan).to_pandas().sort_values("cust").reset_index(drop=True)
    assert got.n.sum() == orders.num_rows and list(got.cust) == list(range(17))


def test_small_side_is_broadcast(orders, customers):
    plan = L.Join(scan(orders, 4), scan(customers, 2), "inner", ("cust",), ("c_id",))
    node = lower(plan)
    assert isinstance(node, P.BroadcastJoin) and node.broadcast == "right"
    assert node.npartitions == 4


@pytest.mark.parametrize("how", ["inner", "right"])
def test_a_small_left_side_broadcast_gives_the_hash_joins_rows(orders, customers, how):
    """An inner join probes each partition of the large right side into the
    small side's table, so a partition keeps its own row order (order ids
    ascending here); a right join keeps the kernel's order."""
    some = customers.append_column("tier", pa.array([i % 3 for i in range(17)])).filter(
        pa.array([i % 4 != 1 for i in range(17)]))
    some = pa.concat_tables([some, pa.table({"c_id": [None], "name": ["nobody"], "tier": [0]},
                                            schema=some.schema)])
    with kyudo.config.set(broadcast_threshold=1):
        plan = L.Join(scan(some, 1), scan(orders, 4), how, ("c_id",), ("cust",), null_equal=True)
        node = lower(plan)
        assert isinstance(node, P.BroadcastJoin) and node.broadcast == "left" and node.npartitions == 4
        got = compute_table(plan)
    hashed = compute_table(L.Join(plan.left, plan.right, how, ("c_id",), ("cust",), null_equal=True,
                                  strategy="hash"))
    assert sorted(map(repr, got.to_pylist())) == sorted(map(repr, hashed.to_pylist()))
    assert got.num_rows == (153 if how == "inner" else 200)  # 4 of the 17 customers left out
    if how == "inner":
        assert got["o_id"].to_pylist() == sorted(got["o_id"].to_pylist())


def test_large_sides_are_hash_shuffled(orders, customers):
    # neither side's partitions hold ascending key ranges (no range-aligned join)
    customers = customers.take(list(range(customers.num_rows))[::-1])
    with kyudo.config.set(broadcast_threshold=1):
        plan = L.Join(scan(orders, 4), scan(customers, 2), "inner", ("cust",), ("c_id",))
        node = lower(plan)
        assert isinstance(node, P.HashJoin) and node.npartitions == 4
        rows = compute_table(plan)
    assert rows.num_rows == orders.num_rows


def test_a_side_the_other_dwarfs_is_broadcast_past_the_threshold(orders, customers):
    """Up to LOPSIDED_BROADCAST_FACTOR times the threshold, a side is still
    broadcast when the other is that many times larger; otherwise both hash."""
    from kyudo.planner.lowering import LOPSIDED_BROADCAST_FACTOR
    from kyudo.planner.statistics import estimate

    customers = customers.take(list(range(customers.num_rows))[::-1])  # no range-aligned join
    small = scan(customers, 2)
    _, small_bytes = estimate(small)
    threshold = int(small_bytes / 2)  # past the threshold, within the factor
    for rows, expected in ((200, P.BroadcastJoin), (12, P.HashJoin)):
        mixed = [i for start in range(4) for i in range(start, rows, 4)]  # every partition spans the keys
        large = scan(orders.take(mixed), 4)
        assert (estimate(large)[1] >= small_bytes * LOPSIDED_BROADCAST_FACTOR) == (expected is P.BroadcastJoin)
        plan = L.Join(large, small, "inner", ("cust",), ("c_id",))
        with kyudo.config.set(broadcast_threshold=threshold):
            node = lower(plan)
            assert isinstance(node, expected)
            got = compute_table(plan)
        hashed = compute_table(L.Join(large, small, "inner", ("cust",), ("c_id",), strategy="hash"))
        assert sorted(map(repr, got.to_pylist())) == sorted(map(repr, hashed.to_pylist()))
        assert got.num_rows == rows
    with kyudo.config.set(broadcast_threshold=int(small_bytes / (LOPSIDED_BROADCAST_FACTOR + 1))):
        assert isinstance(lower(L.Join(scan(orders, 4), small, "inner", ("cust",), ("c_id",))), P.HashJoin)


def test_outer_join_is_never_broadcast(orders, customers):
    plan = L.Join(scan(orders, 4), scan(customers, 2), "outer", ("cust",), ("c_id",))
    # customers' ids are in order, so orders move to them (no broadcast, no hash shuffle)
    assert isinstance(lower(plan), PP.RangeAlignedJoin)
    assert compute_table(plan).num_rows == orders.num_rows


@pytest.mark.parametrize("strategy, expected", [("broadcast", P.BroadcastJoin), ("hash", P.HashJoin)])
def test_user_override_of_the_join_strategy(orders, customers, strategy, expected):
    plan = L.Join(scan(orders, 4), scan(customers, 2), "left", ("cust",), ("c_id",), strategy=strategy)
    assert isinstance(lower(plan), expected)
    assert compute_table(plan).num_rows == orders.num_rows


def test_sort_is_range_partitioned_on_all_keys(orders):
    keys = (SortKey("cust", True), SortKey("amount", False), SortKey("o_id", True))
    plan = L.Sort(scan(orders, 5), keys)
    node = lower(plan)
    assert isinstance(node, P.RangeSort) and node.npartitions == 5 and node.keys == keys
    graph, _ = to_graph(node)
    assert any("-boundaries" in k[0] for k in graph)  # quantiles are a stage of the graph
    expected = orders.to_pandas().sort_values(["cust", "amount", "o_id"], ascending=[True, False, True])
    got = compute_table(plan).to_pandas()
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))


def test_limit_over_sort_becomes_top_k(orders):
    plan = L.Limit(L.Sort(scan(orders, 5), (SortKey("amount", False), SortKey("o_id", True))), 7)
    node = lower(plan)
    assert isinstance(node, P.TopK)
    expected = orders.to_pandas().sort_values(["amount", "o_id"], ascending=[False, True]).head(7)
    pd.testing.assert_frame_equal(compute_table(plan).to_pandas(), expected.reset_index(drop=True))


def test_limit_with_offset(orders):
    plan = L.Limit(scan(orders, 5), 10, offset=35)
    assert compute_table(plan).column("o_id").to_pylist() == list(range(35, 45))


def test_union_concatenates_partitions_and_conforms_types():
    a = pa.table({"x": pa.array([1, 2], pa.int32()), "y": ["a", "b"]})
    b = pa.table({"y": ["c"], "x": pa.array([3], pa.int64())})
    plan = L.Union((scan(a, 2), scan(b, 1)))
    node = lower(plan)
    assert isinstance(node, P.Concatenate) and node.npartitions == 3
    result = compute_table(plan)
    assert result.schema == pa.schema([("x", pa.int64()), ("y", pa.string())])
    assert result.column("x").to_pylist() == [1, 2, 3]


def test_distinct(orders):
    plan = L.Distinct(L.Project(scan(orders, 4), (("cust", Col("cust")),)))
    assert sorted(compute_table(plan).column("cust").to_pylist()) == list(range(17))


def test_empty_source_gives_an_empty_table_of_the_right_schema():
    empty = pa.table({"x": pa.array([], pa.int64())})
    plan = L.Aggregate(L.Filter(scan(empty, 1), Call("greater", (Col("x"), Lit(0)))), (),
                       (AggSpec("n", "count", "x"), AggSpec("s", "sum", "x", (("min_count", 1),))))
    result = compute_table(plan)
    assert result.to_pylist() == [{"n": 0, "s": None}]


def test_shared_subplans_are_built_once(orders):
    base = scan(orders, 3)
    plan = L.Union((L.Filter(base, Call("less", (Col("o_id"), Lit(10)))), base))
    graph, keys = to_graph(physical_plan(plan))
    assert len(keys) == 6 and compute_table(plan).num_rows == orders.num_rows + 10


def test_equal_relational_subplans_share_their_tasks(orders):
    """A view read twice (TPC-H Q15) is two equal trees: built once."""
    def per_customer():
        return L.Aggregate(scan_of_orders, ("cust",), (AggSpec("total", "sum", "amount"),))
    scan_of_orders = scan(orders, 3)
    first, second = per_customer(), per_customer()
    assert first is not second and first == second
    plan = L.Join(first, L.Project(second, (("c2", Col("cust")), ("t2", Col("total")))),
                  "inner", ("cust",), ("c2",))
    graph, _ = to_graph(physical_plan(plan))
    scans = [k for k in graph if str(k[0] if isinstance(k, tuple) else k).startswith("scan")]
    assert len(scans) == 3
    result = compute_table(plan).to_pandas()
    assert len(result) == 17 and (result["total"] == result["t2"]).all()


def test_subplans_with_user_functions_are_not_shared(orders):
    from kyudo.planner.lowering import _relational
    assert _relational(L.Filter(scan(orders, 1), Call("less", (Col("o_id"), Lit(10)))))
    opaque = L.MapPartitions.__new__(L.MapPartitions)
    assert not _relational(opaque)


def test_explain_shows_each_stage(orders, customers):
    plan = L.Filter(L.Join(scan(orders, 2), scan(customers, 1), "inner", ("cust",), ("c_id",)),
                    Call("equal", (Col("name"), Lit("c3"))))
    text = explain(plan)
    for heading in ("== Logical plan ==", "== Optimized plan ==", "== Physical plan =="):
        assert heading in text
    assert "predicate_pushdown" in text and "BroadcastJoin" in text

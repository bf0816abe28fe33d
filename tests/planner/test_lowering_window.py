"""Window nodes lowered to WindowShuffle: which data moves, what explain() says,
that every row stays in its input partition and order, and that results over
several partitions (through the optimizer) equal DuckDB's."""
from __future__ import annotations

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from kyudo.engine.operators.sort import SortKey
from kyudo.engine.operators.window import WindowFrame, WindowFunction
from kyudo.planner import logical as L
from kyudo.planner import physical as P
from kyudo.planner.compile import compute_partitions, compute_table, explain
from kyudo.planner.expr import Call, Col, Lit
from kyudo.planner.lowering import lower
from kyudo.planner.physical import to_graph
from kyudo.planner.sources import InMemorySource

_DUCK = duckdb.connect()
FUNCTIONS = (WindowFunction("rn", "row_number"), WindowFunction("rk", "rank"),
             WindowFunction("total", "sum", "v"),
             WindowFunction("moving", "mean", "v", frame=WindowFrame("rows", -2, 1)),
             WindowFunction("prev", "lag", "v", (("offset", 2),)))
DUCK_CALLS = ("row_number() OVER w AS rn, rank() OVER w AS rk, sum(v) OVER w AS total, "
              "avg(v) OVER (w ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING) AS moving, lag(v, 2) OVER w AS prev")


def scan(table: pa.Table, npartitions: int) -> L.Scan:
    return L.Scan(InMemorySource.from_table(table, npartitions))


def table_of(n: int) -> pa.Table:
    return pa.table({"id": list(range(n)), "g": [i % 3 if i % 7 else None for i in range(n)],
                     "o": [(i * 5) % 4 for i in range(n)], "v": [float(i % 5) if i % 6 else None for i in range(n)]})


@st.composite
def inputs(draw):
    n = draw(st.integers(0, 40))
    ints = st.lists(st.none() | st.integers(-2, 2), min_size=n, max_size=n)
    table = pa.table({"id": pa.array(range(n), pa.int64()), "g": pa.array(draw(ints), pa.int64()),
                      "o": pa.array(draw(ints), pa.int64()), "v": pa.array(draw(ints), pa.int64())})
    return table, draw(st.integers(1, 4))


@settings(max_examples=60, deadline=None)
@given(data=inputs(), partitioned=st.booleans())
def test_window_over_partitions_matches_duckdb(data, partitioned):
    table, npartitions = data
    partition_by = ("g",) if partitioned else ()
    order = (SortKey("o", nulls_first=True), SortKey("id"))  # id: ties in a defined order
    source = scan(table, npartitions)
    plan = L.Window(source, partition_by, order, FUNCTIONS)
    parts = compute_partitions(plan)
    if partitioned:  # each input partition keeps its rows, in order
        assert [p["id"].to_pylist() for p in parts] == [p["id"].to_pylist() for p in compute_partitions(source)]
    got = compute_table(plan)
    assert got["id"].to_pylist() == table["id"].to_pylist()
    _DUCK.register("t", table)
    spec = ("PARTITION BY g " if partitioned else "") + "ORDER BY o NULLS FIRST, id"
    expected = pa.table(_DUCK.sql(f"SELECT *, {DUCK_CALLS} FROM t WINDOW w AS ({spec}) ORDER BY id"))
    assert got.schema.names == plan.schema.names
    for name in plan.schema.names:
        want = expected[name].to_pylist()
        assert [round(x, 9) if isinstance(x, float) else x for x in got[name].to_pylist()] == \
            [round(float(x), 9) if x is not None and name == "moving" else x for x in want], name


def test_partitioned_window_hash_shuffles_and_unpartitioned_gathers():
    source = scan(table_of(50), 4)
    node = lower(L.Window(source, ("g",), (SortKey("o"),), FUNCTIONS))
    assert isinstance(node, P.WindowShuffle) and node.npartitions == 4
    graph, keys = to_graph(node)
    assert len(keys) == 4 and sum(1 for k in graph if k[0].endswith("-split")) == 4
    assert sum(1 for k in graph if k[0].endswith("-compute")) == 4
    whole = lower(L.Window(source, (), (SortKey("o"),), FUNCTIONS))
    assert whole.npartitions == 1
    graph, keys = to_graph(whole)
    assert len(keys) == 1 and not any(k[0].endswith("-split") for k in graph)


def test_stacked_windows_on_the_same_keys_shuffle_once():
    source = scan(table_of(50), 3)
    inner = L.Window(source, ("g",), (SortKey("o"),), (WindowFunction("rn", "row_number"),))
    outer = L.Window(inner, ("g",), (), (WindowFunction("n", "size"),))
    node = lower(outer)
    assert isinstance(node.input, P.ScanPartitions) and len(node.stages) == 2
    graph, _ = to_graph(node)
    assert len({k[0] for k in graph if k[0].endswith("-split")}) == 1
    result = compute_table(outer).to_pandas()
    sizes = result.groupby("g", dropna=False)["rn"].transform("size")
    assert list(result["n"]) == list(sizes)
    assert "rn=row_number(); order_by=[], n=size()" in explain(outer)
    other_keys = lower(L.Window(inner, ("o",), (), (WindowFunction("n", "size"),)))
    assert isinstance(other_keys.input, P.WindowShuffle)


def test_explain_describes_the_window_shuffle():
    plan = L.Window(scan(table_of(20), 2), ("g",), (SortKey("o", False, True),), FUNCTIONS[:3])
    physical = explain(plan).split("== Physical plan ==")[1]
    assert "WindowShuffle[2](partition_by=[g], order_by=[o desc nulls first], rn=row_number(), " in physical
    assert "total=sum(v)" in physical


def test_filters_on_partition_keys_run_before_the_window_and_others_after():
    table = table_of(60)
    window = L.Window(scan(table, 3), ("g",), (SortKey("o"), SortKey("id")), (WindowFunction("rn", "row_number"),))
    on_key = L.Filter(window, Call("equal", (Col("g"), Lit(1))))
    on_value = L.Filter(window, Call("less", (Col("o"), Lit(2))))
    _DUCK.register("t", table)
    base = "SELECT *, row_number() OVER (PARTITION BY g ORDER BY o, id) AS rn FROM t"
    for plan, where in ((on_key, "g = 1"), (on_value, "o < 2")):
        expected = pa.table(_DUCK.sql(f"SELECT * FROM ({base}) WHERE {where} ORDER BY id")).to_pylist()
        assert compute_table(plan).sort_by("id").to_pylist() == expected
    physical = explain(on_key).split("== Physical plan ==")[1]
    assert physical.index("WindowShuffle") < physical.index("filter")  # the filter runs below

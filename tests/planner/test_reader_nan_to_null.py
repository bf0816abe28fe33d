"""NaN read as NULL by the Parquet reader (kyudo.planner.reader_nan_to_null):
a scan's first projection loses its ``nan_to_null(column)`` only where the
reader's conversion gives the same rows and values, whatever the filters."""
from __future__ import annotations

import math

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kyudo
import kyudo.dataframe as kd
from kyudo.io import discover_parquet
from kyudo.planner import logical as L
from kyudo.planner import physical as P
from kyudo.planner.compile import compute_table, physical_plan
from kyudo.planner.expr import Call, Col, Lit
from kyudo.planner.sources import InMemorySource

NAN = float("nan")
TABLE = pa.table({"x": [1.0, NAN, None, 4.0, NAN, 6.0, -1.0],
                  "y": [NAN, 2.0, 3.0, NAN, 5.0, None, 0.0],
                  "k": ["a", "b", "a", "b", "a", "b", "a"]})


@pytest.fixture
def source(tmp_path):
    pq.write_table(TABLE, tmp_path / "f.parquet", row_group_size=3)
    return discover_parquet(str(tmp_path))


def _scan(plan) -> P.ScanPartitions:
    stack = [physical_plan(plan)]
    while stack:
        node = stack.pop()
        if isinstance(node, P.ScanPartitions):
            return node
        stack.extend(node.children)
    raise AssertionError("no scan")


def _checked(name: str) -> Call:
    return Call("nan_to_null", (Col(name),))


def _rows(plan) -> list[dict]:
    """The plan's rows, NaN written as the string "nan" so that rows compare."""
    rows = compute_table(plan).to_pylist()
    return [{k: "nan" if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()} for row in rows]


def _same_rows_as_without_the_pass(plan) -> None:
    with kyudo.config.set(optimizer_disabled={"reader_nan_to_null"}):
        assert _scan(plan).nan_as_null == frozenset()
        expected = _rows(plan)
    assert _rows(plan) == expected


def test_a_column_read_only_through_nan_to_null_is_read_so(source):
    plan = L.Project(L.Scan(source), (("x", _checked("x")), ("k", Col("k")), ("z", Call("add", (_checked("y"), Lit(1.0))))))
    scan = _scan(plan)
    assert scan.nan_as_null == {"x", "y"}
    project = [op for op in scan.ops if op[0] == "project"][0]
    assert "nan_to_null" not in repr(project)
    _same_rows_as_without_the_pass(plan)


def test_a_column_also_read_as_it_is_keeps_its_check(source):
    plan = L.Project(L.Scan(source), (("x", _checked("x")), ("raw", Col("x")), ("y", _checked("y"))))
    assert _scan(plan).nan_as_null == {"y"}
    _same_rows_as_without_the_pass(plan)


@pytest.mark.parametrize("predicate, moved", [
    (Call("greater", (Col("x"), Lit(0.0))), {"x", "y"}),            # NaN and NULL both drop the row
    (Call("greater", (_checked("x"), Lit(0.0))), {"x", "y"}),
    (Call("or", (Call("less", (Col("x"), Lit(2.0))), Call("greater", (Col("y"), Lit(4.0))))), {"x", "y"}),
    (Call("not_equal", (Col("x"), Lit(1.0))), {"y"}),                # true for NaN, NULL for NULL
    (Call("not", (Call("greater", (Col("x"), Lit(2.0))),)), {"y"}),
    (Call("is_nan", (Col("x"),)), {"y"}),
    (Call("not", (Call("greater", (_checked("x"), Lit(2.0))),)), {"x", "y"}),
])
def test_the_scans_filter_decides_whether_its_columns_may_be_read_with_null(source, predicate, moved):
    plan = L.Project(L.Filter(L.Scan(source), predicate), (("x", _checked("x")), ("y", _checked("y"))))
    assert _scan(plan).nan_as_null == moved
    _same_rows_as_without_the_pass(plan)


def test_a_filter_step_before_the_projection_decides_too(source):
    # nan_to_null has no Arrow form, so this filter stays a step of the scan's pipeline
    predicate = Call("or", (Call("is_nan", (Col("x"),)), Call("is_null", (_checked("y"),))))
    plan = L.Project(L.Filter(L.Scan(source), predicate), (("x", _checked("x")), ("y", _checked("y"))))
    scan = _scan(plan)
    assert [op[0] for op in scan.ops][0] == "filter"
    assert scan.nan_as_null == {"y"}
    _same_rows_as_without_the_pass(plan)


def test_sources_that_cannot_read_nan_as_null_keep_the_projection():
    plan = L.Project(L.Scan(InMemorySource.from_table(TABLE, 2)), (("x", _checked("x")),))
    scan = _scan(plan)
    assert scan.nan_as_null == frozenset() and "nan_to_null" in repr(scan.ops)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.tuples(st.none() | st.just(NAN) | st.floats(-10, 10, allow_nan=False),
                                 st.none() | st.just(NAN) | st.floats(-10, 10, allow_nan=False)), max_size=30),
       bound=st.floats(-10, 10, allow_nan=False), row_group_size=st.integers(1, 7), data=st.data())
def test_dataframe_filters_over_parquet_match_pandas(tmp_path_factory, values, bound, row_group_size, data):
    """The DataFrame API over a file with NaN and NULL: what the reader now
    does is checked against pandas reading the same file."""
    directory = tmp_path_factory.mktemp("nan_reads")
    table = pa.table({"x": pa.array([v[0] for v in values], pa.float64()),
                      "y": pa.array([v[1] for v in values], pa.float64())})
    pq.write_table(table, directory / "f.parquet", row_group_size=row_group_size)
    df, pdf = kd.read_parquet(str(directory), partition_size=1), table.to_pandas()
    pick = data.draw(st.sampled_from([
        lambda f: f.x > bound, lambda f: f.x != bound, lambda f: ~(f.x > bound),
        lambda f: (f.x < bound) | (f.y >= bound), lambda f: f.x.isna() & (f.y <= bound),
    ]))
    ours, theirs = df[pick(df)], pdf[pick(pdf)]
    assert _scan(ours.assign(s=ours.x - ours.y).plan).nan_as_null  # the reader converts here
    kd_result = ours.assign(s=ours.x - ours.y).compute().reset_index(drop=True)
    expected = theirs.assign(s=theirs.x - theirs.y).reset_index(drop=True)
    assert kd_result.isna().equals(expected.isna())
    assert kd_result.fillna(0).equals(expected.fillna(0))


def _shared_read(plan) -> P.ScanPartitions:
    scan = _scan(plan)
    assert scan.ops == () and scan.row_predicate is None  # one read, under each former scan's pipeline
    return scan


@pytest.mark.parametrize("second_x, moved", [(_checked("x"), {"x", "y"}), (Col("x"), {"y"})])
@pytest.mark.parametrize("swap", [False, True])
def test_a_shared_read_converts_what_every_reader_checks(source, second_x, moved, swap):
    """Two scans of the file with other filters become one read (``shared_scans``)
    with a pipeline each; a column is read with NULL only if both check it."""
    first = L.Project(L.Filter(L.Scan(source), Call("greater", (_checked("x"), Lit(-5.0)))),
                      (("x", _checked("x")), ("y", _checked("y"))))
    second = L.Project(L.Filter(L.Scan(source), Call("equal", (Col("k"), Lit("a")))),
                       (("x", second_x), ("y", _checked("y"))))
    plan = L.Union((second, first) if swap else (first, second))
    assert _shared_read(plan).nan_as_null == moved
    _same_rows_as_without_the_pass(plan)


def test_a_shared_read_also_read_without_a_projection_keeps_nan(source):
    first = L.Project(L.Filter(L.Scan(source), Call("greater", (_checked("x"), Lit(-5.0)))),
                      (("x", _checked("x")), ("y", _checked("y"))))
    second = L.Filter(L.Scan(source), Call("equal", (Col("k"), Lit("a"))))
    plan = L.Union((first, L.Project(L.Aggregate(second, ("x",), ()), (("x", Col("x")), ("y", Lit(1.0))))))
    assert _shared_read(plan).nan_as_null == frozenset()
    _same_rows_as_without_the_pass(plan)

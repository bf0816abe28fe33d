"""Scans of one table that a query reads more than once become one read
(kyudo.planner.shared_scans): each former scan keeps its own filter, columns
and ops, so the answers are pandas' whether or not the read is shared; a read
is not shared where one side of a node would wait for all of it."""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kyudo
import kyudo.dataframe as kd
from kyudo.planner import physical as P
from kyudo.planner import physical_partitioning as PP
from kyudo.planner import shared_scans
from kyudo.planner.compile import physical_plan


def _nodes(frame) -> list[P.PhysicalNode]:
    """The distinct nodes of the frame's physical plan."""
    found, stack, seen = [], [physical_plan(frame.plan)], set()
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            found.append(node)
            stack.extend(node.children)
    return found


def _reads(frame) -> list[P.ScanPartitions]:
    return [node for node in _nodes(frame) if isinstance(node, P.ScanPartitions)]


def _write(directory, frame: pd.DataFrame, files: int = 3, row_group_size: int = 4) -> str:
    """``frame`` (sorted by its first column, which holds no NULLs and is
    declared so, as TPC-H's keys are) cut into files of several row groups."""
    directory.mkdir(exist_ok=True)
    schema = pa.Schema.from_pandas(frame, preserve_index=False)
    schema = schema.set(0, schema.field(0).with_nullable(False))
    step = max(1, -(-len(frame) // files))
    for i in range(files):
        part = pa.Table.from_pandas(frame.iloc[i * step:(i + 1) * step], schema=schema, preserve_index=False)
        pq.write_table(part, directory / f"part-{i}.parquet", row_group_size=row_group_size)
    return str(directory)


def _lines(n: int = 60) -> pd.DataFrame:
    """lineitem-like: sorted order keys, a supplier, two dates to compare."""
    return pd.DataFrame({
        "order": [i // 3 for i in range(n)],
        "supp": [(i * 7) % 5 for i in range(n)],
        "commit": pd.to_datetime([f"2024-01-{1 + i % 9:02d}" for i in range(n)]).date,
        "receipt": pd.to_datetime([f"2024-01-{1 + (i * 5) % 11:02d}" for i in range(n)]).date,
    })


def _sorted_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


@pytest.fixture(autouse=True)
def no_broadcast():
    # tiny tables must count as large: joins not broadcast, aggregations not gathered
    with kyudo.config.set(broadcast_threshold=1, partition_size=1):
        yield


def test_three_reads_of_one_table_become_one(tmp_path):
    """TPC-H Q21's shape: late lines, suppliers per order and late suppliers per
    order, joined on the order key; one read, each branch with its own filter."""
    pdf = _lines()
    lines = kd.read_parquet(_write(tmp_path / "lines", pdf))

    def q21(li):
        late = li[li["receipt"] > li["commit"]][["order", "supp"]]
        suppliers = li.groupby("order")["supp"].nunique().rename("n_supp").reset_index()
        late_suppliers = late.groupby("order")["supp"].nunique().rename("n_late").reset_index()
        out = late.merge(suppliers[suppliers["n_supp"] > 1], on="order")
        return out.merge(late_suppliers[late_suppliers["n_late"] == 1], on="order")

    frame = q21(lines)
    assert any(isinstance(n, PP.RangeAlignedJoin) and n.moving_parts is not None for n in _nodes(frame))
    with kyudo.config.set(optimizer_disabled="shared_scans"):  # a physical pass, off by name
        # Two, not three: "order" is declared non-null, so the group-bys' dropna
        # folds away and the late-suppliers count reads exactly what the late lines do.
        assert len(_reads(frame)) == 2
    nodes = _nodes(frame)
    reads = [node for node in nodes if isinstance(node, P.ScanPartitions)]
    assert len(reads) == 1
    assert reads[0].arrow_predicate is None  # the branches filter differently
    filters = [n for n in nodes if isinstance(n, P.Pipeline) and n.input is reads[0] and n.ops[0][0] == "filter"]
    # the late lines, filtered once for the join and the count
    assert len(filters) == 1 and [op[0] for op in filters[0].ops].count("filter") == 1
    assert set(reads[0].read_columns) == {"order", "supp", "commit", "receipt"}
    expected = q21(pdf)
    assert len(expected)  # the data makes the query select something
    pd.testing.assert_frame_equal(_sorted_rows(frame.compute()), _sorted_rows(expected), check_dtype=False)


def test_a_filter_every_branch_has_stays_in_the_read(tmp_path):
    pdf = _lines()
    lines = kd.read_parquet(_write(tmp_path / "lines", pdf))
    late = lines[lines["receipt"] > lines["commit"]]
    frame = late[["order", "supp"]].merge(late.groupby("order")["commit"].max().reset_index(), on="order")
    reads = _reads(frame)
    assert len(reads) == 1 and reads[0].arrow_predicate is not None
    late_pd = pdf[pdf["receipt"] > pdf["commit"]]
    expected = late_pd[["order", "supp"]].merge(late_pd.groupby("order")["commit"].max().reset_index(), on="order")
    pd.testing.assert_frame_equal(_sorted_rows(frame.compute()), _sorted_rows(expected), check_dtype=False)


def _busiest(li):
    """Q18's shape: lines joined with something computed from every line."""
    per_supplier = li.groupby("supp")["order"].count().rename("n").reset_index()  # needs every line
    return li[["order", "supp", "commit"]].merge(per_supplier[per_supplier["n"] > 11], on="supp")


def _cheap_lines(li, parts, kind="b"):
    """Q17's shape: the lines of a few parts (of one kind, or all), against
    those parts' average."""
    chosen = (parts if kind is None else parts[parts["kind"] == kind])[["part"]]
    lines = li.merge(chosen, left_on="supp", right_on="part")[["order", "supp"]]
    average = lines.groupby("supp")["order"].mean().rename("mean").reset_index()
    both = lines.merge(average, on="supp")
    return both[both["order"] < both["mean"]][["order", "supp"]]


def _parts() -> pd.DataFrame:
    return pd.DataFrame({"part": range(10), "kind": list("abcdeabcde")})


# Room for the lines of the chosen parts (one kind: an equality keeps a tenth
# of the parts' rows, at least one of the eight read, so 60 / 8 lines of two
# columns are estimated), not for the whole read (60 lines, three columns).
_ROOM_FOR_AN_EIGHTH = 10 * 2 * 8


def test_a_read_is_not_shared_when_a_node_would_hold_too_much_of_it(tmp_path, monkeypatch):
    """A shared read would hold every line until the count over all lines is
    done; past ``HELD_BYTES`` it is read twice instead."""
    monkeypatch.setattr(shared_scans, "HELD_BYTES", _ROOM_FOR_AN_EIGHTH)
    pdf = _lines()
    lines = kd.read_parquet(_write(tmp_path / "lines", pdf))
    with kyudo.config.set(broadcast_threshold=200):  # the five suppliers' counts are broadcast
        frame = _busiest(lines)
        assert any(isinstance(n, P.BroadcastJoin) for n in _nodes(frame))
        assert len(_reads(frame)) == 2
        monkeypatch.setattr(shared_scans, "HELD_BYTES", 60 * 3 * 8)
        assert len(_reads(frame)) == 1
        with kyudo.config.set(memory_limit=60 * 3 * 8 * 8 - 1):  # an eighth of the limit is too little
            assert len(_reads(frame)) == 2
    pd.testing.assert_frame_equal(_sorted_rows(frame.compute()), _sorted_rows(_busiest(pdf)), check_dtype=False)


def test_a_read_is_shared_when_what_waits_is_the_few_rows_of_a_filtered_join(tmp_path, monkeypatch):
    """The lines of the parts a filter keeps wait for their average, which
    needs every line: the wait holds the share of the lines that the filter
    on the parts is estimated to keep, so the two reads become one."""
    monkeypatch.setattr(shared_scans, "HELD_BYTES", _ROOM_FOR_AN_EIGHTH)
    pdf, parts_pd = _lines(), _parts()
    lines = kd.read_parquet(_write(tmp_path / "lines", pdf))
    parts = kd.read_parquet(_write(tmp_path / "parts", parts_pd, files=1))
    with kyudo.config.set(broadcast_threshold=400):  # the chosen parts and the averages are broadcast
        frame = _cheap_lines(lines, parts)
        assert any(isinstance(n, P.BroadcastJoin) and n.how == "inner" for n in _nodes(frame))
        line_reads = [read for read in _reads(frame) if "order" in read.read_columns]
        assert len(line_reads) == 1
        with kyudo.config.set(optimizer_disabled="shared_scans"):
            assert len([read for read in _reads(frame) if "order" in read.read_columns]) == 2
        result = frame.compute()
    expected = _cheap_lines(pdf, parts_pd)
    assert len(expected)
    pd.testing.assert_frame_equal(_sorted_rows(result), _sorted_rows(expected), check_dtype=False)


def test_a_wait_on_rows_of_unknown_number_keeps_two_reads(tmp_path, monkeypatch):
    """Lines joined with every part: no filter says what share of them is
    kept, so however much room there is, the read is not shared."""
    monkeypatch.setattr(shared_scans, "HELD_BYTES", 2**40)
    pdf, parts_pd = _lines(), _parts()
    lines = kd.read_parquet(_write(tmp_path / "lines", pdf))
    parts = kd.read_parquet(_write(tmp_path / "parts", parts_pd, files=1))
    with kyudo.config.set(broadcast_threshold=400):
        frame = _cheap_lines(lines, parts, kind=None)
        assert any(isinstance(n, P.BroadcastJoin) and n.how == "inner" for n in _nodes(frame))
        assert len([read for read in _reads(frame) if "order" in read.read_columns]) == 2
    expected = _cheap_lines(pdf, parts_pd, kind=None)
    pd.testing.assert_frame_equal(_sorted_rows(frame.compute()), _sorted_rows(expected), check_dtype=False)


def test_reads_of_disjoint_columns_are_not_merged(tmp_path):
    pdf = _lines()
    lines = kd.read_parquet(_write(tmp_path / "lines", pdf))
    frame = kd.concat([lines[["order"]].rename(columns={"order": "v"}), lines[["supp"]].rename(columns={"supp": "v"})])
    assert len(_reads(frame)) == 2


def test_a_function_on_a_shared_read_sees_only_its_own_columns(tmp_path):
    pdf = _lines()
    lines = kd.read_parquet(_write(tmp_path / "lines", pdf))
    seen = []

    def record(part: pd.DataFrame) -> pd.DataFrame:
        seen.append(tuple(part.columns))
        return part

    mapped = lines[["order", "supp"]].map_partitions(record)
    frame = kd.concat([mapped, lines[lines["supp"] > 2][["order", "supp"]]])
    assert len(_reads(frame)) == 1
    expected = pd.concat([pdf[["order", "supp"]], pdf[pdf["supp"] > 2][["order", "supp"]]])
    pd.testing.assert_frame_equal(_sorted_rows(frame.compute()), _sorted_rows(expected), check_dtype=False)
    assert set(seen) == {("order", "supp")}


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.one_of(st.none(), st.integers(-5, 5)), min_size=0, max_size=40),
       low=st.integers(-6, 6), high=st.integers(-6, 6), files=st.integers(1, 3),
       row_group_size=st.integers(1, 7))
def test_branches_with_their_own_filters_equal_pandas(tmp_path_factory, values, low, high, files, row_group_size):
    """Two filtered branches and an unfiltered one over one read (NULLs, empty
    files and partitions included), stacked, against pandas."""
    pdf = pd.DataFrame({"k": range(len(values)), "x": pd.array(values, dtype="Int64"),
                        "y": [f"é{i % 4}" for i in range(len(values))]})
    lines = kd.read_parquet(_write(tmp_path_factory.mktemp("t"), pdf, files, row_group_size))

    def branches(t):
        return [t[t["x"] > low][["k", "x"]], t[(t["x"] <= high) & (t["y"] != "é1")][["k", "y"]],
                t[["x"]].rename(columns={"x": "k"})]

    frame = kd.concat(branches(lines))
    # Row-group statistics may prune a filtered branch to other partitions;
    # reads of the same partitions that have a column in common are merged.
    by_partitions: dict[str, list] = {}
    for read in _reads(frame):
        if read.source.npartitions:
            by_partitions.setdefault(read.source.token(), []).append(set(read.read_columns))
    for columns in by_partitions.values():
        assert sum(map(len, columns)) == len(set().union(*columns))
    expected = pd.concat(branches(pdf))
    got = frame.compute()
    assert len(got) == len(expected)
    pd.testing.assert_frame_equal(_comparable(got), _comparable(expected))


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in one order, missing values alike (a stacked Int64 column with
    gaps is float in kyudo's pandas output, as in Dask's)."""
    return _sorted_rows(frame.astype({"k": "float64", "x": "float64", "y": "object"}).fillna({"y": "<NA>"}))

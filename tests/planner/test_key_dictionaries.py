"""Group-by keys read from Parquet dictionaries (kyudo.planner.key_dictionaries):
the scan keeps a string key column encoded only when the aggregate alone reads
it, and only as a key; the answers are pandas' either way, with string keys."""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kyudo.dataframe as kd
from kyudo.planner import lowering
from kyudo.planner import physical as P
from kyudo.planner.compile import physical_plan
from kyudo.planner.key_dictionaries import keep_key_dictionaries
from kyudo.planner.optimizer import optimize

VALUES = ["R", "A", "N", "", "é", "日本", "a longer value than seven bytes"]


def _scans(node) -> list[P.ScanPartitions]:
    return [n for n in _nodes(node) if isinstance(n, P.ScanPartitions)]


def _kept(frame) -> list[frozenset]:
    return [scan.keep_dictionaries for scan in _scans(physical_plan(frame.plan))]


def _write_files(directory, parts: list[pd.DataFrame], row_group_size: int = 3) -> str:
    for i, part in enumerate(parts):
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False), directory / f"part-{i}.parquet",
                       row_group_size=row_group_size)
    return str(directory)


def _frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["k", "j", "x"]).astype({"k": "object", "j": "object", "x": "float64"})


ROWS = st.lists(st.tuples(st.none() | st.sampled_from(VALUES), st.none() | st.sampled_from(VALUES[:3]),
                          st.floats(-100, 100, allow_nan=False)), max_size=15)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(ROWS, min_size=1, max_size=3), dropna=st.booleans(), data=st.data())
def test_grouping_by_dictionary_keys_matches_pandas(tmp_path_factory, parts, dropna, data):
    directory = tmp_path_factory.mktemp("dictionary_keys")
    frames = [_frame(rows) for rows in parts]
    path = _write_files(directory, frames, row_group_size=data.draw(st.sampled_from([2, 5, 100])))
    keys = data.draw(st.sampled_from([["k"], ["k", "j"], ["j", "k"]]))
    source = kd.read_parquet(path, partition_size=1)
    ours = source.groupby(keys, dropna=dropna).x.sum()
    schema = source.plan.schema  # a file's all-NULL column is written as type null
    assert _kept(ours.to_frame()) == [frozenset(k for k in keys if schema.field(k).type == pa.string())]
    expected = pd.concat(frames, ignore_index=True).groupby(keys, dropna=dropna).x.sum()
    got = ours.compute()
    assert not any(isinstance(t, pd.CategoricalDtype) for t in got.index.to_frame().dtypes)
    assert _by_key(got) == _by_key(expected)


def _by_key(series: pd.Series) -> dict:
    """Group -> value, a missing key as None (pandas spells an all-NULL key NaN)."""
    def key(k):
        return tuple(None if pd.isna(v) else v for v in (k if isinstance(k, tuple) else (k,)))
    return {key(k): pytest.approx(v) for k, v in series.items()}


def test_a_key_read_by_anything_else_is_decoded(tmp_path):
    frame = _frame([("R", "A", 1.0), ("N", None, 2.0), (None, "A", 3.0), ("R", "N", 4.0)])
    path = _write_files(tmp_path, [frame])
    source = kd.read_parquet(path)
    # a filter on the key runs inside the read (on the dictionary): it stays a key only
    filtered = source[source.k.str.len() > 0].groupby("k").x.sum()
    assert _kept(filtered.to_frame()) == [frozenset({"k"})]
    counted = source.groupby("k").agg(n=("k", "count")).n  # the key is also an aggregated value
    upper = source.assign(k=source.k.str.upper()).groupby("k").x.sum()  # a computed key
    for query in (counted, upper):
        assert _kept(query.to_frame()) == [frozenset()]
    assert filtered.compute().to_dict() == {"N": 2.0, "R": 5.0}
    assert counted.compute().to_dict() == {"N": 1, "R": 2}
    assert upper.compute().to_dict() == {"N": 2.0, "R": 5.0}


def test_a_scan_shared_with_another_consumer_is_left_alone(tmp_path):
    """Equal subplans share their physical nodes; a scan that also feeds
    something else must keep producing what that consumer was planned for."""
    frame = _frame([("R", "A", 1.0), ("N", None, 2.0), ("R", "N", 4.0)])
    source = kd.read_parquet(_write_files(tmp_path, [frame]))
    lowered = lowering._Lowering().lower(optimize(source.groupby("k").x.sum().to_frame().plan).plan)
    aggregate = next(n for n in _nodes(lowered) if isinstance(n, P.ShuffleAggregate | P.TreeAggregate))
    scan = aggregate.input
    both = P.Concatenate((lowered, scan), lowered.schema)
    assert keep_key_dictionaries(both) is both and aggregate.input is scan and scan.keep_dictionaries == frozenset()
    assert keep_key_dictionaries(lowered) is lowered and aggregate.input.keep_dictionaries == frozenset({"k"})


def _nodes(root) -> list:
    found, stack = [], [root]
    while stack:
        found.append(stack.pop())
        stack.extend(found[-1].children)
    return found


def test_sql_group_by_a_dictionary_column_matches_duckdb(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    from kyudo.sql import Context

    frame = _frame([("R", "A", 1.5), ("N", None, 2.0), (None, "A", 3.0), ("R", "N", 4.0), ("é", "A", 0.5)])
    path = _write_files(tmp_path, [frame, frame.iloc[::-1]], row_group_size=2)
    query = "SELECT k, j, SUM(x) AS s, COUNT(*) AS n FROM t GROUP BY k, j ORDER BY k NULLS FIRST, j NULLS FIRST"
    context = Context()
    context.create_table("t", path)
    ours = context.sql(query).compute().reset_index(drop=True)
    expected = duckdb.sql(query.replace("FROM t", f"FROM read_parquet('{path}/*.parquet')")).df()
    pd.testing.assert_frame_equal(ours, expected, check_dtype=False)

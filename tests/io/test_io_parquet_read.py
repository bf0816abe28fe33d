"""read_partition: column pushdown, row filters, types, and stable result schemas."""

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from kyudo.io import discover_parquet
from kyudo.io.row_filter import RowFilter


def _read_all(src, columns=None, predicate=None):
    tables = [src.read_partition(i, columns, predicate) for i in range(src.npartitions)]
    return pa.concat_tables(tables) if tables else None


def test_columns_come_back_in_requested_order(hive_dir):
    src = discover_parquet(str(hive_dir))
    table = src.read_partition(2, ["month", "c", "year", "a"])
    assert table.column_names == ["month", "c", "year", "a"]
    assert table.schema.field("year").type == pa.int32()
    assert set(table.column("year").to_pylist()) == {2021}
    assert set(table.column("month").to_pylist()) == {1}
    with pytest.raises(KeyError, match="nope"):
        src.read_partition(0, ["a", "nope"])


def test_all_columns_by_default(hive_dir):
    src = discover_parquet(str(hive_dir))
    assert src.read_partition(0).schema == src.schema
    assert _read_all(src).num_rows == src.num_rows == 120


@pytest.mark.parametrize(
    "filters",
    [
        [("a", ">", 37), ("a", "<=", 90)],
        [[("year", "=", 2021)], [("c", "<", 3.0)]],
        [("b", "in", ["v1", "v50", "v99"])],
        [("month", "!=", 1), ("c", ">", 40.0)],
    ],
)
def test_predicate_matches_pyarrow_read_table(hive_dir, filters):
    predicate = pq.filters_to_expression(filters)
    src = discover_parquet(str(hive_dir), target_partition_bytes=1)
    ours = _read_all(src, predicate=predicate)
    theirs = pq.read_table(str(hive_dir), filters=filters, partitioning="hive")
    theirs = theirs.cast(src.schema)
    assert ours.sort_by("a").equals(theirs.sort_by("a"))


def test_null_handling_in_predicates(tmp_path, numbers_table):
    pq.write_table(numbers_table(50), tmp_path / "f.parquet", row_group_size=10)
    src = discover_parquet(str(tmp_path))
    nulls = _read_all(src, ["a"], pc.field("c").is_null())
    assert nulls.column("a").to_pylist() == [0, 7, 14, 21, 28, 35, 42, 49]
    # NULL > x is not true, so NULL rows drop out, as in pyarrow
    assert _read_all(src, ["c"], pc.field("c") > 0).column("c").null_count == 0


def test_no_matching_rows_still_has_the_requested_schema(hive_dir):
    src = discover_parquet(str(hive_dir))
    table = src.read_partition(0, ["b", "year"], pc.field("a") < -1)
    assert table.num_rows == 0
    assert table.schema == pa.schema([("b", pa.string()), ("year", pa.int32())])


def test_discovery_filters_apply_to_every_read(hive_dir):
    src = discover_parquet(str(hive_dir), filters=[("a", ">=", 25), ("a", "<", 35)])
    table = _read_all(src, ["a"])
    assert table.column("a").to_pylist() == list(range(25, 35))
    both = _read_all(src, ["a"], pc.field("a") > 30)
    assert both.column("a").to_pylist() == list(range(31, 35))


def test_types_round_trip(tmp_path):
    paris = dt.timezone(dt.timedelta(hours=1))
    table = pa.table(
        {
            "when": pa.array(
                [dt.datetime(2020, 1, 1, 12, tzinfo=paris), None, dt.datetime(2021, 6, 1, tzinfo=paris)],
                pa.timestamp("us", tz="Europe/Paris"),
            ),
            "day": pa.array([dt.date(2020, 1, 1), dt.date(1999, 12, 31), None]),
            "price": pa.array([Decimal("1.25"), None, Decimal("-3.50")], pa.decimal128(10, 2)),
            "name": ["héllo", "日本語", None],
            "flag": [True, None, False],
        }
    )
    pq.write_table(table, tmp_path / "types.parquet")
    src = discover_parquet(str(tmp_path / "types.parquet"))
    assert src.schema == table.schema.remove_metadata()
    assert src.read_partition(0).equals(table)
    picked = src.read_partition(0, ["name"], pc.field("day") < pa.scalar(dt.date(2000, 1, 1)))
    assert picked.column("name").to_pylist() == ["日本語"]
    cutoff = pa.scalar(dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc), pa.timestamp("us", tz="UTC"))
    later = src.read_partition(0, ["price"], pc.field("when") > cutoff)
    assert later.column("price").to_pylist() == [Decimal("-3.50")]


def test_expression_and_dnf_filters_are_equivalent(hive_dir):
    as_dnf = discover_parquet(str(hive_dir), filters=[("year", "=", 2022)])
    as_expression = discover_parquet(str(hive_dir), filters=ds.field("year") == 2022)
    assert _read_all(as_dnf).equals(_read_all(as_expression))


def test_no_columns_keeps_the_row_count(hive_dir):
    """count(*)-style scans ask for no columns but need the number of rows."""
    src = discover_parquet(str(hive_dir))
    assert src.read_partition(0, []).num_rows == 20
    filtered = src.read_partition(0, [], pc.field("a") >= 15)
    assert filtered.num_rows == 5 and filtered.num_columns == 0


_WITH_NAN = pa.table({
    "x": pa.array([1.0, float("nan"), None, 4.0, float("nan"), 6.0]),
    "y": pa.array([float("nan"), 2.0, 3.0, float("nan"), 5.0, None], pa.float32()),
    "k": pa.array(["a", "b", "a", "b", "a", "b"]),
})


@pytest.mark.parametrize("compression", ["snappy", "zstd"])  # decoded by parquet_pages, by pyarrow
@pytest.mark.parametrize("predicate", [
    None,
    RowFilter(((pc.field("x") > 0.5, frozenset(["x"])),)),            # a term on a converted column
    RowFilter(((pc.field("k") == "a", frozenset(["k"])),)),           # on a dictionary column
    pc.field("k") == "b",                                              # columns unknown: pyarrow's reader
])
def test_nan_as_null_columns_have_null_where_the_file_has_nan(tmp_path, compression, predicate):
    pq.write_table(_WITH_NAN, tmp_path / "f.parquet", compression=compression, row_group_size=4)
    src = discover_parquet(str(tmp_path))
    got = pa.concat_tables(src.read_partition(i, ["x", "y", "k"], predicate, nan_as_null=frozenset(["x", "y"]))
                           for i in range(src.npartitions))
    as_is = _read_all(src, ["x", "y", "k"], predicate)
    for name in ("x", "y"):
        column = as_is[name]
        assert got[name].equals(pc.if_else(pc.is_nan(column), pa.scalar(None, column.type), column)), name
    assert got["k"].equals(as_is["k"])


@pytest.mark.parametrize("compression", ["snappy", "zstd"])
def test_the_sources_own_filter_sees_nan_before_it_becomes_null(tmp_path, compression):
    """``filters=`` has pyarrow's semantics, where NaN != 1 holds: those rows
    are kept, and only then read as NULL."""
    pq.write_table(_WITH_NAN, tmp_path / "f.parquet", compression=compression)
    src = discover_parquet(str(tmp_path), filters=[("x", "!=", 1.0)])
    got = src.read_partition(0, ["x", "y"], nan_as_null=frozenset(["x", "y"]))
    assert got["x"].to_pylist() == [None, 4.0, None, 6.0]  # NULL != 1 is NULL: that row goes
    assert got["y"].to_pylist() == [2.0, None, 5.0, None]

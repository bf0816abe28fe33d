"""Hive directory values: parsing, typing, NULLs and the guarantees they give."""

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from kyudo.io.filesystem import FileEntry
from kyudo.io.hive import parse_hive_values, partition_expression


def _entries(*paths, base="/data"):
    return [FileEntry(path=p, size=1, mtime=None, base_dir=base) for p in paths]


def test_types_are_inferred_per_key():
    schema, values = parse_hive_values(
        _entries("/data/year=2020/city=Paris/p", "/data/year=2021/city=2/p")
    )
    assert schema == pa.schema([("year", pa.int32()), ("city", pa.string())])
    assert values == [{"year": 2020, "city": "Paris"}, {"year": 2021, "city": "2"}]


def test_large_ints_widen_and_odd_numbers_stay_strings():
    schema, _ = parse_hive_values(_entries("/data/k=5000000000/p", "/data/k=1/p"))
    assert schema.field("k").type == pa.int64()
    schema, values = parse_hive_values(_entries("/data/k=1_000/p", "/data/k= 2/p"))
    assert schema.field("k").type == pa.string()
    assert values == [{"k": "1_000"}, {"k": " 2"}]


def test_null_marker_quoting_and_missing_keys():
    schema, values = parse_hive_values(
        _entries(
            "/data/k=__HIVE_DEFAULT_PARTITION__/p",
            "/data/k=a%2Fb/p",
            "/data/other/p",
        )
    )
    assert schema.field("k").type == pa.string()
    assert values == [{"k": None}, {"k": "a/b"}, {"k": None}]


def test_only_directories_below_base_count():
    schema, values = parse_hive_values(_entries("/root/x=1/data/y=2/p", base="/root/x=1/data"))
    assert schema.names == ["y"]
    schema, _ = parse_hive_values(_entries("/root/x=1/y=2/p=3.parquet", base=None))
    assert schema.names == ["x", "y"]


def test_repeated_key_is_an_error():
    with pytest.raises(ValueError, match="appears twice"):
        parse_hive_values(_entries("/data/k=1/k=2/p"))


def test_partition_expression_describes_values():
    schema = pa.schema([("year", pa.int32()), ("city", pa.string())])
    expression = partition_expression({"year": 2020, "city": None}, schema)
    table = pa.table({"year": pa.array([2020, 2020, 2021], pa.int32()), "city": [None, "x", None]})
    assert table.filter(expression).num_rows == 1
    assert table.filter(pc.scalar(True) & expression).to_pylist() == [{"year": 2020, "city": None}]

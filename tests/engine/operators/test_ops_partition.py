"""Hash partitioning must send equal keys to the same output in every process,
lose and invent no rows, and keep row order within each output; plus filtering
and schema-promoting concatenation."""
from __future__ import annotations

import datetime
import decimal
import subprocess
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kyudo.engine.operators import partition as part_ops
from kyudo.engine.operators.partition import concat_tables, filter_table, hash_partition, hash_rows, split_by_index
from ops_strategies import comparable, tables

KINDS = {"i": "int", "f": "float", "n": "nanfloat", "s": "str", "d": "date", "t": "ts", "m": "dec", "b": "bool"}


@settings(max_examples=80, deadline=None)
@given(
    table=tables(KINDS, max_rows=40),
    keys=st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=3, unique=True),
    npartitions=st.integers(1, 6),
)
def test_equal_keys_share_a_partition_and_rows_are_kept_in_order(table, keys, npartitions):
    numbered = table.append_column("row", pa.array(range(table.num_rows), pa.int64()))
    parts = hash_partition(numbered, keys, npartitions)
    assert len(parts) == npartitions
    home = {}
    for index, part in enumerate(parts):
        order = part["row"].to_pylist()
        assert order == sorted(order)
        for row in comparable(part.select(keys)):
            key = tuple(0.0 if v == 0.0 and isinstance(v, float) else v for v in row)  # -0.0 == 0.0
            assert home.setdefault(key, index) == index
    assert sorted(r for p in parts for r in p["row"].to_pylist()) == list(range(table.num_rows))


@settings(max_examples=40, deadline=None)
@given(table=tables(KINDS, max_rows=20, min_rows=1), start=st.integers(0, 19))
def test_a_row_hashes_the_same_alone_in_a_slice_or_in_another_chunking(table, start):
    start = min(start, table.num_rows - 1)
    keys = sorted(KINDS)
    whole = hash_rows(table, keys)
    assert hash_rows(table.slice(start, 1), keys)[0] == whole[start]
    rechunked = pa.Table.from_batches(table.to_batches(max_chunksize=3), table.schema)
    assert (hash_rows(rechunked, keys) == whole).all()


def test_hashes_agree_across_processes_and_integer_widths():
    code = textwrap.dedent("""
        import datetime, decimal, pyarrow as pa
        from kyudo.engine.operators.partition import hash_rows
        t = pa.table({"s": ["é😀", None, ""], "d": [datetime.date(2001, 2, 3), None, datetime.date(1970, 1, 1)],
                      "m": pa.array([decimal.Decimal("1.25"), None, decimal.Decimal("-3")], pa.decimal128(9, 2)),
                      "f": [0.5, float("nan"), None], "i": [1, None, -7]})
        print(list(hash_rows(t, ["s", "d", "m", "f", "i"])))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    here = pa.table({
        "s": ["é😀", None, ""], "d": [datetime.date(2001, 2, 3), None, datetime.date(1970, 1, 1)],
        "m": pa.array([decimal.Decimal("1.25"), None, decimal.Decimal("-3")], pa.decimal128(9, 2)),
        "f": [0.5, float("nan"), None], "i": pa.array([1, None, -7], pa.int32()),
    })
    assert out.strip() == str(list(hash_rows(here, ["s", "d", "m", "f", "i"])))


def test_hash_spreads_keys_over_partitions():
    table = pa.table({"k": [f"key{i}" for i in range(10_000)]})
    sizes = [p.num_rows for p in hash_partition(table, ["k"], 8)]
    assert min(sizes) > 1_000


def test_dictionary_and_large_string_keys_hash_like_plain_strings():
    values = pa.array(["a", None, "b", "a"])
    plain = hash_rows(pa.table({"k": values}), ["k"])
    assert (hash_rows(pa.table({"k": values.dictionary_encode()}), ["k"]) == plain).all()
    assert (hash_rows(pa.table({"k": values.cast(pa.large_string())}), ["k"]) == plain).all()


def test_split_by_index_is_stable_and_checks_the_range():
    table = pa.table({"v": list("abcdef")})
    parts = split_by_index(table, np.array([2, 0, 2, 1, 0, 2]), 4)
    assert [p["v"].to_pylist() for p in parts] == [["b", "e"], ["d"], ["a", "c", "f"], []]
    with pytest.raises(ValueError):
        split_by_index(table, np.array([0, 0, 0, 0, 0, 5]), 3)


def test_filter_table_drops_null_mask_entries():
    table = pa.table({"v": [1, 2, 3]})
    assert filter_table(table, pa.array([True, None, True]))["v"].to_pylist() == [1, 3]
    assert filter_table(table, np.array([False, True, False]))["v"].to_pylist() == [2]


def test_filter_table_keeping_all_or_no_rows_does_not_copy():
    table = pa.chunked_array([[1, 2], [3]])
    table = pa.table({"v": table, "s": pa.chunked_array([["a", "é"], [None]])})
    assert filter_table(table, pa.array([True, True, True])) is table
    assert filter_table(table, pa.chunked_array([[True], [True, True]])) is table
    none = filter_table(table, pa.array([False, None, False]))
    assert none.num_rows == 0 and none.schema == table.schema
    assert filter_table(table, pa.array([True, None, True]))["v"].to_pylist() == [1, 3]


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_filter_table_matches_arrow_filter(data):
    table = data.draw(tables({"v": "int", "s": "str"}))
    mask = pa.array(data.draw(st.lists(st.sampled_from([True, False, None]),
                                       min_size=table.num_rows, max_size=table.num_rows)), pa.bool_())
    assert filter_table(table, mask).equals(table.filter(mask, null_selection_behavior="drop"))


def test_concat_tables_promotes_and_accepts_an_empty_list_with_a_schema():
    a = pa.table({"x": pa.array([1], pa.int32()), "s": pa.array([None], pa.null())})
    b = pa.table({"x": pa.array([2], pa.int64()), "s": ["é"]})
    merged = concat_tables([a, b])
    assert merged.schema == pa.schema([("x", pa.int64()), ("s", pa.string())])
    assert merged.to_pydict() == {"x": [1, 2], "s": [None, "é"]}
    schema = pa.schema([("s", pa.large_string()), ("x", pa.int64())])
    assert concat_tables([], schema).schema == schema
    assert concat_tables([a, b], schema).schema == schema
    with pytest.raises(ValueError):
        concat_tables([])


def test_equal_numbers_of_different_types_hash_alike():
    ints = pa.table({"k": pa.array([1, None, 0, -5, 2**40], pa.int64())})
    for other in (pa.array([1.0, None, -0.0, -5.0, 2.0**40]), pa.array([1.0, None, 0.0, -5.0, 2.0**40], pa.float32())):
        assert (hash_rows(pa.table({"k": other}), ["k"]) == hash_rows(ints, ["k"])).all()
    assert hash_rows(pa.table({"k": [True]}), ["k"])[0] == hash_rows(ints.slice(0, 1), ["k"])[0]
    assert hash_rows(pa.table({"k": [0.5]}), ["k"])[0] != hash_rows(pa.table({"k": [0.0]}), ["k"])[0]


# ---- range_split_points ------------------------------------------------------------

def _expected_range_pieces(keys, cuts, shared):
    """Row numbers per output, by the definition: cuts[i-1] <= key < cuts[i], plus
    rows equal to a shared cut also in the output before it; NULLs in output 0."""
    out = [[] for _ in range(len(cuts) + 1)]
    for row, key in enumerate(keys):
        if key is None:
            out[0].append(row)
            continue
        index = sum(1 for c in cuts if c <= key)
        out[index].append(row)
    for row, key in enumerate(keys):
        for j, c in enumerate(cuts):
            if shared[j] and key == c:
                out[j].append(row)
    return out


@settings(deadline=None, max_examples=100)
@given(keys=st.one_of(st.lists(st.one_of(st.none(), st.integers(-20, 20)), max_size=40),
                      st.lists(st.integers(-20, 20), max_size=40).map(sorted)),
       cuts=st.lists(st.integers(-25, 25), max_size=5, unique=True).map(sorted),
       data=st.data())
def test_range_split_points_matches_its_definition(keys, cuts, data):
    """Keys in any order, and in key order (cut into runs, no take)."""
    shared = data.draw(st.lists(st.booleans(), min_size=len(cuts), max_size=len(cuts)))
    table = pa.table({"k": pa.array(keys, pa.int64()), "row": pa.array(range(len(keys)), pa.int64())})
    pieces = part_ops.range_split_points(table, "k", cuts, shared)
    assert len(pieces) == len(cuts) + 1
    expected = _expected_range_pieces(keys, cuts, shared)
    assert [p["row"].to_pylist() for p in pieces] == expected


def test_range_split_points_on_dates_and_chunked_columns():
    import datetime

    days = [datetime.date(2024, 1, d) for d in (1, 3, 5, 7, 9)]
    table = pa.concat_tables([pa.table({"d": days[:2]}), pa.table({"d": days[2:]})])
    pieces = part_ops.range_split_points(table, "d", [days[2]], [True])
    assert [p["d"].to_pylist() for p in pieces] == [days[:3], days[2:]]

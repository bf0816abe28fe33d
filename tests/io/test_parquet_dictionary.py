"""parquet_dictionary: which string columns are read as dictionaries, and
filter terms answered on a dictionary instead of on every row.

``dictionary_string_columns`` is judged against what the writer really did
(the footer's encodings), and ``dictionary_mask`` against pyarrow filtering the
decoded rows with the same expressions.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kyudo.io import parquet_dictionary
from kyudo.io.parquet_dictionary import (
    decode_dictionaries,
    dictionary_mask,
    dictionary_string_columns,
)

ROWS = 600
LOW = ["AIR", "MAIL", "RAIL", "SHIP", "TRUCK", ""]


def _low_cardinality(n: int = ROWS, type_=pa.string(), nulls: bool = True) -> pa.Array:
    values = [None if nulls and k % 11 == 0 else LOW[(k * 7) % len(LOW)] for k in range(n)]
    return pa.array(values, type_)


def _unique_long(n: int = ROWS) -> pa.Array:
    return pa.array([f"comment {k:05d} " + "x" * 48 for k in range(n)])


def _write(tmp_path, table: pa.Table, name: str = "f.parquet", **options) -> pq.ParquetFile:
    path = tmp_path / name
    pq.write_table(table, path, **options)
    return pq.ParquetFile(path)


def _chosen(file: pq.ParquetFile, names=None, schema: pa.Schema | None = None, row_groups=None):
    metadata = file.metadata
    file_schema = file.schema_arrow
    return dictionary_string_columns(
        metadata,
        range(metadata.num_row_groups) if row_groups is None else row_groups,
        file_schema.names if names is None else names,
        file_schema,
        file_schema if schema is None else schema,
    )


def _chunk(file: pq.ParquetFile, row_group: int, name: str) -> pq.ColumnChunkMetaData:
    group = file.metadata.row_group(row_group)
    return next(group.column(i) for i in range(group.num_columns)
                if group.column(i).path_in_schema == name)


# ---- dictionary_string_columns ---------------------------------------------------


def test_low_cardinality_string_column_written_with_a_dictionary_is_chosen(tmp_path):
    file = _write(tmp_path, pa.table({"mode": _low_cardinality(), "n": np.arange(ROWS)}),
                  row_group_size=200)
    assert file.metadata.num_row_groups == 3
    assert all(_chunk(file, rg, "mode").has_dictionary_page for rg in range(3))
    assert _chosen(file) == ["mode"]
    assert _chosen(file, row_groups=[1]) == ["mode"]


def test_column_written_without_dictionary_is_not_chosen(tmp_path):
    table = pa.table({"mode": _low_cardinality(), "other": _low_cardinality()})
    file = _write(tmp_path, table, use_dictionary=["other"])
    assert not _chunk(file, 0, "mode").has_dictionary_page
    assert _chosen(file) == ["other"]
    everything_plain = _write(tmp_path, table, "plain.parquet", use_dictionary=False)
    assert _chosen(everything_plain) == []


def test_high_cardinality_column_is_not_chosen(tmp_path):
    table = pa.table({"comment": _unique_long(), "mode": _low_cardinality()})
    # A small dictionary page limit makes the writer fall back to plain pages,
    # as it does at scale with its default 1 MiB limit.
    fallen_back = _write(tmp_path, table, "fallback.parquet", dictionary_pagesize_limit=512)
    chunk = _chunk(fallen_back, 0, "comment")
    assert "PLAIN" in chunk.encodings and chunk.total_uncompressed_size > 4 * chunk.num_values
    assert _chosen(fallen_back) == ["mode"]
    # Kept as a dictionary of unique values: a dictionary page, but no gain.
    kept = _write(tmp_path, table, "kept.parquet")
    assert _chunk(kept, 0, "comment").has_dictionary_page
    assert _chosen(kept) == ["mode"]


def test_numeric_and_binary_columns_are_not_chosen_even_when_dictionary_encoded(tmp_path):
    table = pa.table({
        "small_int": pa.array(np.arange(ROWS) % 3, pa.int64()),
        "small_float": pa.array((np.arange(ROWS) % 3) / 2),
        "small_binary": pa.array([b"ab", b"cd"] * (ROWS // 2), pa.binary()),
        "mode": _low_cardinality(),
    })
    file = _write(tmp_path, table)
    for name in ("small_int", "small_float", "small_binary"):
        chunk = _chunk(file, 0, name)
        assert chunk.has_dictionary_page and chunk.total_uncompressed_size < 4 * chunk.num_values
    assert _chosen(file) == ["mode"]


def test_large_string_columns_are_chosen(tmp_path):
    file = _write(tmp_path, pa.table({"mode": _low_cardinality(type_=pa.large_string())}))
    assert file.schema_arrow.field("mode").type == pa.large_string()
    assert _chosen(file) == ["mode"]


@pytest.mark.parametrize("file_type, dataset_type", [
    (pa.string(), pa.large_string()),
    (pa.large_string(), pa.string()),
    (pa.string(), pa.dictionary(pa.int32(), pa.string())),
    (pa.string(), pa.binary()),
])
def test_column_whose_type_differs_between_file_and_dataset_is_not_chosen(
        tmp_path, file_type, dataset_type):
    file = _write(tmp_path, pa.table({"mode": _low_cardinality(type_=file_type),
                                      "kept": _low_cardinality()}))
    dataset = pa.schema([pa.field("mode", dataset_type), pa.field("kept", pa.string())])
    assert _chosen(file, schema=dataset) == ["kept"]


def test_only_named_columns_present_in_both_schemas_are_chosen(tmp_path):
    file = _write(tmp_path, pa.table({"a": _low_cardinality(), "b": _low_cardinality()}))
    both = file.schema_arrow
    assert _chosen(file, names=["b"]) == ["b"]
    assert _chosen(file, names=["b", "a"]) == ["b", "a"]
    assert _chosen(file, names=[]) == []
    # A column the file lacks (schema evolution) or a hive column: not in the file.
    wider = both.append(pa.field("later", pa.string())).append(pa.field("region", pa.string()))
    assert _chosen(file, names=["later", "a", "region"], schema=wider) == ["a"]
    # A column the dataset schema does not know is never chosen.
    assert _chosen(file, schema=pa.schema([both.field("a")])) == ["a"]


def test_the_choice_is_per_set_of_row_groups(tmp_path):
    """Row group 0 holds a few distinct values, row group 1 only unique long ones."""
    path = tmp_path / "mixed.parquet"
    low = pa.table({"s": _low_cardinality(nulls=False)})
    high = pa.table({"s": _unique_long()})
    with pq.ParquetWriter(path, low.schema, dictionary_pagesize_limit=512) as writer:
        writer.write_table(low)
        writer.write_table(high)
    file = pq.ParquetFile(path)
    assert file.metadata.num_row_groups == 2
    assert _chosen(file, row_groups=[0]) == ["s"]
    assert _chosen(file, row_groups=[1]) == []
    assert _chosen(file, row_groups=[0, 1]) == []


def test_all_null_string_column_is_chosen(tmp_path):
    file = _write(tmp_path, pa.table({"s": pa.nulls(ROWS, pa.string())}))
    assert _chosen(file) == ["s"]


def test_one_row_chunk_is_too_small_to_judge_and_not_chosen(tmp_path):
    # Page headers alone exceed 4 bytes for one value: reading it plainly is cheap anyway.
    file = _write(tmp_path, pa.table({"s": ["x"]}))
    assert _chosen(file) == []


# ---- dictionary_mask -----------------------------------------------------------


def _dictionary_chunk(values: list, dictionary: list) -> pa.DictionaryArray:
    indices = pa.array([None if v is None else dictionary.index(v) for v in values], pa.int32())
    return pa.DictionaryArray.from_arrays(indices, pa.array(dictionary, pa.string()))


def _dictionary_table() -> pa.Table:
    """Three chunks: different dictionaries (one with unused entries, one in
    another order), NULLs in two of them, and an all-NULL chunk."""
    s = pa.chunked_array([
        _dictionary_chunk(["a", "b", None, "a", "", "é"], ["a", "b", "", "é", "unused"]),
        _dictionary_chunk(["日本", "b", "b", "a"], ["b", "日本", "a"]),
        _dictionary_chunk([None, None], ["a"]),
        _dictionary_chunk(["", None, "zz"], ["zz", ""]),
    ])
    t = pa.chunked_array([
        _dictionary_chunk(["x", "y", "x", None, "x", "y"], ["y", "x"]),
        _dictionary_chunk(["y", "y", None, "x"], ["x", "y"]),
        _dictionary_chunk(["x", "y"], ["x", "y"]),
        _dictionary_chunk([None, "x", "y"], ["y", "x"]),
    ])
    return pa.table({"s": s, "t": t, "n": pa.array(range(15))})


def _decoded(table: pa.Table) -> pa.Table:
    return decode_dictionaries(table, table.column_names)


S, T = pc.field("s"), pc.field("t")

ONE_COLUMN_TERMS = {
    "eq": (S == "a", "s"),
    "eq_empty": (S == "", "s"),
    "ne": (S != "b", "s"),
    "not_eq": (~(S == "a"), "s"),
    "isin": (S.isin(["a", "日本", "nowhere"]), "s"),
    "isin_with_null": (S.isin(["b", None]), "s"),
    "is_null": (S.is_null(), "s"),
    "is_valid": (S.is_valid(), "s"),
    "coalesce": (pc.coalesce(S, pa.scalar("?")) == "?", "s"),
    "length": (pc.utf8_length(S) > 0, "s"),
    "absent": (S == "nowhere", "s"),
    "or_null": ((S == "a") | S.is_null(), "s"),
    "t_eq": (T == "x", "t"),
    "t_not_null": (~T.is_null(), "t"),
}


@pytest.mark.parametrize("term", sorted(ONE_COLUMN_TERMS))
def test_mask_of_one_term_matches_filtering_decoded_rows(term):
    table = _dictionary_table()
    expr, name = ONE_COLUMN_TERMS[term]
    mask, failed = dictionary_mask(table, [(expr, name)])
    assert failed == []
    assert mask.type == pa.bool_() and len(mask) == table.num_rows
    assert mask.null_count == 0
    assert _decoded(table.filter(mask)).equals(_decoded(table).filter(expr))


@pytest.mark.parametrize("terms", [
    ["eq", "t_eq"], ["not_eq", "t_not_null"], ["is_null", "t_eq"],
    ["isin_with_null", "coalesce", "t_eq"], ["ne", "length", "eq_empty"],
])
def test_mask_of_several_terms_is_their_conjunction(terms):
    table = _dictionary_table()
    chosen = [ONE_COLUMN_TERMS[t] for t in terms]
    expected = _decoded(table)
    for expr, _ in chosen:
        expected = expected.filter(expr)
    assert _decoded(table.filter(dictionary_mask(table, chosen)[0])).equals(expected)


def test_null_rows_get_the_terms_value_on_null():
    table = _dictionary_table()
    null_rows = pc.is_null(table.column("s")).to_pylist()
    for expr, expected in [
        (S.is_null(), True), (S.is_valid(), False), (~(S == "a"), False),
        (S != "a", False), (S.isin(["a", None]), True), (pc.coalesce(S, pa.scalar("?")) == "?", True),
    ]:
        mask = dictionary_mask(table, [(expr, "s")])[0].to_pylist()
        assert {m for m, null in zip(mask, null_rows) if null} == {expected}, expr


def test_chunks_sharing_a_dictionary_evaluate_the_term_once(monkeypatch):
    calls = []
    real = parquet_dictionary._holds_on_values

    def counting(expr, name, values):
        calls.append(values.to_pylist())
        return real(expr, name, values)

    monkeypatch.setattr(parquet_dictionary, "_holds_on_values", counting)
    dictionary = ["a", "b", "c"]
    same = [_dictionary_chunk(["a", "c", "b"], dictionary) for _ in range(3)]
    # An equal dictionary in another array counts as the same one.
    same.append(_dictionary_chunk(["b", None], list(dictionary)))
    table = pa.table({"s": pa.chunked_array(same)})
    mask = dictionary_mask(table, [(S == "b", "s")])[0]
    assert mask.to_pylist() == [False, False, True] * 3 + [True, False]
    assert calls == [["a", "b", "c"], [None]]


def test_mask_on_large_string_dictionaries():
    chunk = pa.DictionaryArray.from_arrays(pa.array([0, 1, None, 0], pa.int32()),
                                           pa.array(["p", "q"], pa.large_string()))
    table = pa.table({"s": pa.chunked_array([chunk, chunk.slice(1)])})
    for expr in (S == "p", S.is_null(), ~(S == "q")):
        mask = dictionary_mask(table, [(expr, "s")])[0]
        assert _decoded(table.filter(mask)).equals(_decoded(table).filter(expr))


def test_decode_dictionaries_gives_plain_strings_and_leaves_other_columns():
    table = _dictionary_table()
    decoded = decode_dictionaries(table, ["s"])
    assert decoded.schema.field("s").type == pa.string()
    assert pa.types.is_dictionary(decoded.schema.field("t").type)
    assert decoded.column("s").to_pylist() == table.column("s").to_pylist()
    # Already plain columns and repeated decoding are no-ops.
    assert decode_dictionaries(decoded, ["s", "n"]).equals(decoded)


@settings(max_examples=200, deadline=None)
@given(holds=st.lists(st.booleans(), max_size=7).filter(bool), data=st.data())
def test_rows_holding_compare_or_look_up_like_a_take(holds, data):
    """Whichever way the rows are answered (equal to the one or two values that
    hold, unequal to the one or two that do not, or a lookup), it is the take
    of the per-value answers, NULL for a NULL index."""
    indices = pa.array(data.draw(st.lists(st.none() | st.integers(0, len(holds) - 1), max_size=30)), pa.int32())
    assert parquet_dictionary._rows_holding(holds, indices).equals(pa.array(holds, pa.bool_()).take(indices))

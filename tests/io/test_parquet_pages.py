"""Decoding fixed-width column chunks page by page (parquet_pages), checked
against pyarrow's reader on the same files.

Files are written by pyarrow with the options that change the page layout:
Snappy or no compression, dictionary or PLAIN encoding, a dictionary that
overflows into PLAIN pages mid-chunk, data pages v1 and v2, small pages,
NULLs.  What the decoder does not read must say so (``decodable`` is False,
or ``Unsupported`` mid-chunk) and never return wrong values or crash.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kyudo.io import parquet_pages
from kyudo.io.footers import read_footer

_TYPES = {
    "int32": pa.int32(), "int64": pa.int64(), "float32": pa.float32(), "float64": pa.float64(),
    "date32": pa.date32(), "ts_us": pa.timestamp("us"), "ts_ms_utc": pa.timestamp("ms", tz="UTC"),
    "ts_ns": pa.timestamp("ns"),
}


_STORAGE = {"int32": np.int32, "date32": np.int32, "float32": np.float32}  # others: 64 bits


def _column(kind: str, n: int, distinct: int, nulls: float, rng) -> pa.Array:
    """``n`` values of ``kind`` drawn from ``distinct`` values, a ``nulls`` share NULL."""
    pool = rng.integers(-(2 ** 31) + 1, 2 ** 31 - 1, max(distinct, 1)).astype(np.int64)
    if kind == "date32":
        pool %= 100_000
    elif kind != "int32":
        pool *= 1_000_003
    values = pool[rng.integers(0, len(pool), n)]
    if kind.startswith("float"):
        values = values / 7.0
    values = values.astype(_STORAGE.get(kind, values.dtype))
    storage = pa.array(values, mask=rng.random(n) < nulls)
    return storage.view(_TYPES[kind]) if storage.type != _TYPES[kind] else storage


def _footer(path: str):
    return read_footer(path, pafs.LocalFileSystem(), ds.scalar(True))


def _check_file(path: str, names) -> list[str]:
    """Read every decodable column of ``names``; each must equal pyarrow's read."""
    footer = _footer(path)
    groups = list(range(footer.metadata.num_row_groups))
    paged = parquet_pages.decodable_columns(footer, groups, names, footer.schema)
    ours = parquet_pages.read_columns(footer, groups, paged)
    expected = pq.read_table(path, columns=list(names))
    assert set(ours) == set(paged)
    for name, column in ours.items():
        assert column.type == expected[name].type
        assert column.equals(expected[name]), name
    return paged


@st.composite
def _layouts(draw):
    """A table of fixed-width columns and the write options that shape its pages."""
    n = draw(st.integers(0, 3000))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    kinds = draw(st.lists(st.sampled_from(sorted(_TYPES)), min_size=1, max_size=4, unique=True))
    columns = {}
    for kind in kinds:
        distinct = draw(st.sampled_from([1, 2, 37, 5000]))
        nulls = draw(st.sampled_from([0.0, 0.0, 0.3, 1.0]))
        columns[kind] = _column(kind, n, distinct, nulls, rng)
    schema = pa.schema([pa.field(k, _TYPES[k], nullable=draw(st.booleans()) or bool(columns[k].null_count))
                        for k in kinds])
    table = pa.table(columns).cast(schema)
    return table, _write_options(draw)


def _write_options(draw) -> dict:
    """pyarrow's write options that shape the pages: compression, encoding, a
    dictionary that overflows into PLAIN pages, page versions and sizes."""
    return {
        "compression": draw(st.sampled_from(["snappy", "none"])),
        "use_dictionary": draw(st.booleans()),
        "data_page_version": draw(st.sampled_from(["1.0", "2.0"])),
        "data_page_size": draw(st.sampled_from([64, 1024, 1 << 20])),
        "dictionary_pagesize_limit": draw(st.sampled_from([256, 1 << 20])),
        "row_group_size": draw(st.sampled_from([100, 1000, 5000])),
        "write_batch_size": draw(st.sampled_from([16, 1024])),
    }


@settings(deadline=None, max_examples=120, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_layouts())
def test_columns_equal_pyarrows_read_for_any_page_layout(layout):
    table, options = layout
    with tempfile.TemporaryDirectory() as directory:
        path = str(Path(directory) / "f.parquet")
        pq.write_table(table, path, **options)
        paged = _check_file(path, table.column_names)
    assert paged == table.column_names  # every column of these tables qualifies


def test_tpch_like_columns_decode(tmp_path):
    """Many distinct keys (a dictionary that overflows), dates, prices with
    NULLs, one row group per 114,156 rows as tpchgen-cli writes them."""
    rng = np.random.default_rng(7)
    n = 250_000
    table = pa.table({
        "key": pa.array(rng.integers(1, 2_000_000, n)),
        "price": pa.array(np.round(rng.random(n) * 1e5, 2), mask=rng.random(n) < 0.01),
        "day": pa.array(rng.integers(8000, 10500, n).astype(np.int32)).view(pa.date32()),
    })
    path = str(tmp_path / "t.parquet")
    pq.write_table(table, path, row_group_size=114_156)
    assert _check_file(path, table.column_names) == ["key", "price", "day"]


@pytest.mark.parametrize("column, options", [
    (pa.array([1, 2, 3], pa.int16()), {}),                              # stored as INT32
    (pa.array([1, 2, 3], pa.uint32()), {}),
    (pa.array([1, 2, 3], pa.uint64()), {}),
    (pa.array([1, 2, 3], pa.decimal128(9, 2)), {}),
    (pa.array([1.5, 2.5], pa.float16()), {}),
    (pa.array(["a", "b"]), {}),
    (pa.array([[1], [2, 3]]), {}),                                       # repeated
    (pa.array([1, 2, 3], pa.int64()), {"compression": "zstd"}),
    (pa.array([1, 2, 3], pa.int64()), {"compression": "gzip"}),
    (pa.array([1, 2, 3], pa.int64()),
     {"use_dictionary": False, "column_encoding": {"c": "DELTA_BINARY_PACKED"}}),
    (pa.array([1.0, 2.0], pa.float64()),
     {"use_dictionary": False, "column_encoding": {"c": "BYTE_STREAM_SPLIT"}}),
    (pa.array([1, 2], pa.duration("ms")), {}),
])
def test_what_it_does_not_read_is_left_to_pyarrow(tmp_path, column, options):
    path = str(tmp_path / "f.parquet")
    pq.write_table(pa.table({"c": column}), path, **options)
    footer = _footer(path)
    assert parquet_pages.decodable_columns(footer, [0], ["c"], footer.schema) == []


def test_timestamps_in_seconds_read_as_pyarrow_reads_them(tmp_path):
    """Parquet has no seconds: pyarrow stores them as milliseconds and reads them so."""
    path = str(tmp_path / "f.parquet")
    pq.write_table(pa.table({"c": pa.array([dt.datetime(2020, 1, 1), None], pa.timestamp("s"))}), path)
    assert _check_file(path, ["c"]) == ["c"]


def test_a_big_endian_machine_leaves_every_column_to_pyarrow(tmp_path, monkeypatch):
    path = str(tmp_path / "f.parquet")
    pq.write_table(pa.table({"c": pa.array([1, 2], pa.int64())}), path)
    footer = _footer(path)
    assert parquet_pages.decodable_columns(footer, [0], ["c"], footer.schema) == ["c"]
    monkeypatch.setattr(parquet_pages, "_LITTLE_ENDIAN", False)
    assert parquet_pages.decodable_columns(footer, [0], ["c"], footer.schema) == []


def test_a_dataset_type_other_than_the_files_is_left_to_pyarrow(tmp_path):
    path = str(tmp_path / "f.parquet")
    pq.write_table(pa.table({"c": pa.array([1, 2], pa.int32())}), path)
    footer = _footer(path)
    assert parquet_pages.decodable_columns(footer, [0], ["c"], pa.schema([("c", pa.int64())])) == []
    assert parquet_pages.decodable_columns(footer, [0], ["c", "missing"], footer.schema) == ["c"]


def _chunk_bytes(path: str):
    metadata = pq.ParquetFile(path).metadata
    column = metadata.row_group(0).column(0)
    start = column.dictionary_page_offset if column.has_dictionary_page else column.data_page_offset
    data = Path(path).read_bytes()[start:start + column.total_compressed_size]
    return np.frombuffer(data, np.uint8), column


@settings(deadline=None, max_examples=300, database=None)
@given(st.sampled_from(["snappy", "none"]), st.booleans(), st.sampled_from(["1.0", "2.0"]),
       st.data())
def test_damaged_chunks_raise_unsupported_or_decode_to_the_right_length(compression, dictionary,
                                                                        version, data):
    """Truncated or altered bytes never crash the decoder or give a wrong length:
    the caller then reads the column with pyarrow, which reports the damage."""
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    values = pa.array(rng.integers(0, 50, 2000), mask=rng.random(2000) < 0.2)
    with tempfile.TemporaryDirectory() as directory:
        path = str(Path(directory) / "f.parquet")
        pq.write_table(pa.table({"c": values}), path, compression=compression, use_dictionary=dictionary,
                       data_page_version=version, data_page_size=512)
        chunk, column = _chunk_bytes(path)
    damaged = chunk.copy()
    if data.draw(st.booleans()):
        damaged = damaged[:data.draw(st.integers(0, len(damaged) - 1))]
    else:
        for _ in range(data.draw(st.integers(1, 8))):
            damaged[data.draw(st.integers(0, len(damaged) - 1))] = data.draw(st.integers(0, 255))
    try:
        result = parquet_pages.read_chunk(damaged, column, True, pa.int64())
    except parquet_pages.Unsupported:
        return
    assert len(result) == len(values)


def test_row_groups_come_in_file_order(tmp_path):
    path = str(tmp_path / "f.parquet")
    pq.write_table(pa.table({"c": pa.array(range(1000))}), path, row_group_size=300)
    footer = _footer(path)
    result = parquet_pages.read_columns(footer, [2, 0], ["c"])  # in file order, as pyarrow reads
    assert result["c"].to_pylist() == list(range(300)) + list(range(600, 900))


def _varint(value: int) -> list[int]:
    out = []
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    return [*out, value]


@pytest.mark.parametrize("runs, count, expected", [
    ([(20000, 1)], 20000, None),                    # one run of ones: every slot holds a value
    ([(20001, 1)], 20000, None),                    # a run longer than the page is read as the page
    ([(3, 1), (2, 0)], 5, [1, 1, 1, 0, 0]),         # a short run of ones, then NULLs
    ([(4, 0)], 4, [0, 0, 0, 0]),                    # every slot NULL
])
def test_definition_levels_of_a_page_without_nulls_are_not_decoded(runs, count, expected):
    page = np.array([b for length, value in runs for b in [*_varint(length << 1), value]], np.uint8)
    levels = parquet_pages._levels(page, 0, len(page), count)
    assert (levels is None) == (expected is None)
    if expected is not None:
        assert levels.astype(int).tolist() == expected


@st.composite
def _float_layouts(draw):
    """A table of float columns holding NaN (in a dictionary, in PLAIN pages,
    in both after a dictionary overflows), NULLs, or neither, and write options."""
    n = draw(st.integers(0, 3000))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    columns = {}
    for name, dtype in (("f64", np.float64), ("f32", np.float32)):
        pool = rng.normal(size=draw(st.sampled_from([1, 3, 40, 5000]))).astype(dtype)
        pool[rng.random(len(pool)) < draw(st.sampled_from([0.0, 0.0, 0.1, 1.0]))] = np.nan
        values = pool[rng.integers(0, len(pool), n)]
        columns[name] = pa.array(values, mask=rng.random(n) < draw(st.sampled_from([0.0, 0.2, 1.0])),
                                 from_pandas=False)
    return pa.table(columns), _write_options(draw)


def _nan_as_null(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.if_else(pc.is_nan(column), pa.scalar(None, column.type), column)


@settings(deadline=None, max_examples=120, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_float_layouts())
def test_nan_reads_as_null_for_any_page_layout(layout):
    """Asked to, the decoder gives NULL where the file has NaN (what the
    DataFrame API reads); not asked, NaN stays a value."""
    table, options = layout
    with tempfile.TemporaryDirectory() as directory:
        path = str(Path(directory) / "f.parquet")
        pq.write_table(table, path, **options)
        footer = _footer(path)
        groups = list(range(footer.metadata.num_row_groups))
        as_null = parquet_pages.read_columns(footer, groups, ["f64", "f32"], frozenset(["f64", "f32"]))
        as_is = parquet_pages.read_columns(footer, groups, ["f64", "f32"])
        expected = pq.read_table(path)
    for name in ("f64", "f32"):
        assert as_null[name].equals(_nan_as_null(expected[name])), name
        assert as_is[name].is_null().equals(expected[name].is_null())
        np.testing.assert_array_equal(as_is[name].to_numpy(), expected[name].to_numpy())  # NaN equals NaN


@pytest.mark.parametrize("dictionary", [True, False])
def test_nan_as_null_leaves_a_column_without_nan_as_decoded(tmp_path, monkeypatch, dictionary):
    """No NaN: no validity buffer is made for a column without NULLs, and
    the values of dictionary-encoded pages are not looked at (the dictionary
    was); those of PLAIN pages are."""
    checked = []
    check = parquet_pages._nan_as_null

    def spied(values, valid, start, stop):
        checked.append(stop - start)
        return check(values, valid, start, stop)

    monkeypatch.setattr(parquet_pages, "_nan_as_null", spied)
    path = str(tmp_path / "f.parquet")
    pq.write_table(pa.table({"x": pa.array([1.5, 2.5] * 500)}), path, use_dictionary=dictionary)
    footer = _footer(path)
    column = parquet_pages.read_columns(footer, [0], ["x"], frozenset(["x"]))["x"]
    assert column.null_count == 0 and column.chunk(0).buffers()[0] is None
    assert column.equals(pq.read_table(path)["x"])
    assert sum(checked) == (0 if dictionary else 1000)

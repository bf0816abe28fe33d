"""read_json, read_text and read_orc against pandas, Python and pyarrow."""

from __future__ import annotations

import bz2
import io

import pandas as pd
import pyarrow as pa
import pyarrow.orc as orc
import pytest

import kyudo.dataframe as kd
from kyudo.io.orc import OrcFileError


@pytest.fixture
def events(tmp_path):
    frame = pd.DataFrame({
        "id": range(300),
        "kind": [["click", "view", None][i % 3] for i in range(300)],
        "value": [i * 1.5 for i in range(300)],
    })
    path = tmp_path / "events.jsonl"
    frame.to_json(path, orient="records", lines=True)
    return path, frame


@pytest.mark.parametrize("blocksize", [1, 50, 999, None])
def test_json_lines_match_pandas_for_every_blocksize(events, blocksize):
    path, _ = events
    frame = kd.read_json(str(path), blocksize=blocksize)
    expected = pd.read_json(path, lines=True)
    result = frame.compute()
    pd.testing.assert_frame_equal(result, expected, check_dtype=False)
    assert result.kind.isna().sum() == 100


def test_json_missing_and_extra_fields(tmp_path):
    path = tmp_path / "ragged.jsonl"
    path.write_text('{"a": 1, "b": "x"}\n{"a": 2}\n\n{"a": 3, "b": "z"}\n')
    result = kd.read_json(str(path), blocksize=10).compute()
    assert result.a.tolist() == [1, 2, 3]
    assert result.b.isna().tolist() == [False, True, False] and result.b[2] == "z"


def test_json_type_conflict_names_file_and_line(tmp_path):
    path = tmp_path / "conflict.jsonl"
    path.write_text("".join(f'{{"a": {i}}}\n' for i in range(100)) + '{"a": 2.5}\n')
    frame = kd.read_json(str(path), sample=64, blocksize=200)
    with pytest.raises(ValueError, match=r"conflict.jsonl' at line 101: b'{\"a\": 2.5}'.*dtype="):
        frame.compute()
    fixed = kd.read_json(str(path), sample=64, dtype={"a": "float64"}).compute()
    assert fixed.a.iloc[-1] == 2.5


def test_json_filter_and_compression(tmp_path, events):
    path, expected = events
    packed = tmp_path / "events.jsonl.bz2"
    packed.write_bytes(bz2.compress(path.read_bytes()))
    frame = kd.read_json(str(packed), blocksize=100, include_path_column=True)
    assert frame.npartitions == 1
    result = frame[frame.value > 300][["id", "path"]].compute()
    assert result.id.tolist() == expected[expected.value > 300].id.tolist()
    assert set(result.path) == {str(packed)}


def test_json_rejects_non_lines(tmp_path, events):
    path, _ = events
    with pytest.raises(NotImplementedError):
        kd.read_json(str(path), lines=False)
    bad = tmp_path / "array.json"
    bad.write_text('[{"a": 1},\n{"a": 2}]\n')
    with pytest.raises(ValueError, match="array.json"):
        kd.read_json(str(bad))


@pytest.mark.parametrize("blocksize", [1, 7, 64, None])
def test_text_lines_match_python(tmp_path, blocksize):
    text = "first\r\nsecond\n\n  indented\nüñï©ødé\nno newline at end"
    path = tmp_path / "t.txt"
    path.write_bytes(text.encode())
    result = kd.read_text(str(path), blocksize=blocksize).compute()
    assert result.text.tolist() == text.splitlines()


def test_text_partitions_as_python_lists(tmp_path):
    from kyudo.io.text import discover_text

    (tmp_path / "a.txt").write_text("x\ny\n")
    (tmp_path / "b.txt").write_text("z\n")
    source = discover_text(str(tmp_path))
    assert [source.read_lines(i) for i in range(source.npartitions)] == [["x", "y"], ["z"]]
    with pytest.raises(ValueError, match="utf-8"):
        (tmp_path / "c.txt").write_bytes(b"\xff\xfe\n")
        discover_text(str(tmp_path / "c.txt")).read_partition(0)


def _orc_bytes(table: pa.Table, **options) -> bytes:
    sink = io.BytesIO()
    orc.write_table(table, sink, **options)
    return sink.getvalue()


def test_orc_matches_pyarrow_and_unifies_schemas(tmp_path):
    first = pa.table({"a": pa.array(range(50_000), pa.int64()), "b": [f"s{i % 7}" for i in range(50_000)]})
    second = pa.table({"a": pa.array([1, 2], pa.int64()), "c": [0.5, 1.5]})
    (tmp_path / "1.orc").write_bytes(_orc_bytes(first, stripe_size=64 * 1024))
    (tmp_path / "2.orc").write_bytes(_orc_bytes(second))
    frame = kd.read_orc(str(tmp_path), partition_size="100kB")
    assert frame.npartitions > 2
    assert len(frame) == 50_002
    result = frame.compute()
    assert result.a.tolist() == list(range(50_000)) + [1, 2]
    assert result.b.isna().sum() == 2 and result.c.isna().sum() == 50_000
    filtered = frame[frame.b == "s3"][["a"]].compute()
    expected = first.filter(pa.compute.equal(first["b"], "s3")).column("a").to_pylist()
    assert filtered.a.tolist() == expected


def test_orc_column_selection_and_bad_files(tmp_path):
    (tmp_path / "ok.orc").write_bytes(_orc_bytes(pa.table({"a": [1], "b": ["x"]})))
    assert kd.read_orc(str(tmp_path / "ok.orc"), columns=["b"]).compute().to_dict("list") == {"b": ["x"]}
    (tmp_path / "bad.orc").write_bytes(b"not an orc file at all")
    with pytest.raises(OrcFileError, match="bad.orc"):
        kd.read_orc(str(tmp_path))

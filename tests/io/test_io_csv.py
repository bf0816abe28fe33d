"""read_csv against pandas: blocks, headers, inferred types, bad input."""

from __future__ import annotations

import gzip

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kyudo.dataframe as kd
from kyudo.io.csv import CsvBadLineError, CsvValueError, discover_csv


def _all_rows(source) -> pa.Table:
    return pa.concat_tables([source.read_partition(i) for i in range(source.npartitions)])


@pytest.fixture
def people(tmp_path):
    frame = pd.DataFrame({
        "id": range(500),
        "name": [f"n{i}" if i % 9 else None for i in range(500)],
        "score": [i / 4 for i in range(500)],
    })
    path = tmp_path / "people.csv"
    frame.to_csv(path, index=False)
    return path, frame


@pytest.mark.parametrize("blocksize", [1, 2, 3, 17, 64, 1000, 4096, None])
def test_every_blocksize_gives_the_rows_of_pandas(people, blocksize):
    path, expected = people
    source = discover_csv(str(path), blocksize=blocksize)
    if blocksize is not None and blocksize < path.stat().st_size:
        assert source.npartitions > 1
    pd.testing.assert_frame_equal(_all_rows(source).to_pandas(), pd.read_csv(path))


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(st.tuples(st.integers(-10**6, 10**6), st.text("abc xyz,\"", max_size=8)),
                   max_size=30),
    blocksize=st.integers(1, 80),
    crlf=st.booleans(),
)
def test_block_boundaries_never_lose_or_repeat_rows(tmp_path_factory, lines, blocksize, crlf):
    end = "\r\n" if crlf else "\n"
    body = "".join(f'{n},"{s.replace(chr(34), chr(34) * 2)}"{end}' for n, s in lines)
    path = tmp_path_factory.mktemp("csv") / "f.csv"
    path.write_bytes(f"n,s{end}{body}".encode())
    source = discover_csv(str(path), blocksize=blocksize, dtype={"n": pa.int64(), "s": pa.string()})
    table = _all_rows(source)
    assert table.column("n").to_pylist() == [n for n, _ in lines]
    assert table.column("s").to_pylist() == [s or None for _, s in lines]


def test_lazy_frame_pushes_columns_and_filters(people):
    path, expected = people
    frame = kd.read_csv(str(path), blocksize=700)
    result = frame[frame.score > 100][["name", "id"]].compute()
    want = expected[expected.score > 100][["name", "id"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(result.reset_index(drop=True), want)
    assert frame.npartitions > 5


def test_header_options_follow_pandas(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("1,x\n2,y\n")
    no_header = kd.read_csv(str(path), header=None).compute()
    pd.testing.assert_frame_equal(no_header, pd.read_csv(path, header=None).rename(columns=str))
    named = kd.read_csv(str(path), names=["k", "v"]).compute()
    pd.testing.assert_frame_equal(named, pd.read_csv(path, names=["k", "v"]))
    path.write_text("a,b\n1,x\n")
    renamed = kd.read_csv(str(path), header=0, names=["k", "v"]).compute()
    pd.testing.assert_frame_equal(renamed, pd.read_csv(path, header=0, names=["k", "v"]))


def test_separator_and_usecols(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("a;b;c\n1;2;3\n4;5;6\n")
    result = kd.read_csv(str(path), sep=";", usecols=["c", "a"]).compute()
    assert list(result.columns) == ["a", "c"]
    assert result.to_dict("list") == {"a": [1, 4], "c": [3, 6]}


def test_dtype_overrides_inferred_types(people):
    path, _ = people
    frame = kd.read_csv(str(path), dtype={"id": "float64", "name": "string"})
    assert frame.schema.field("id").type == pa.float64()
    assert frame.compute().id.sum() == sum(range(500))
    with pytest.raises(KeyError, match="nope"):
        kd.read_csv(str(path), dtype={"nope": "int64"})


def test_wrong_inference_names_column_file_line_and_value(tmp_path):
    path = tmp_path / "late.csv"
    rows = [f"{i},{i}" for i in range(2000)] + ["2000,oops"]
    path.write_text("a,b\n" + "\n".join(rows) + "\n")
    frame = kd.read_csv(str(path), sample=1000, blocksize=5000)
    with pytest.raises(CsvValueError) as error:
        frame.compute()
    message = str(error.value)
    for part in ("'b'", str(path), "'oops'", "line 2002", "dtype="):
        assert part in message
    fixed = kd.read_csv(str(path), sample=1000, dtype={"b": "string"}).compute()
    assert fixed.b.iloc[-1] == "oops"


def test_wrong_number_of_fields_names_file_and_line(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4\n5,6,7\n8,9\n")
    with pytest.raises(CsvBadLineError, match=r"ragged.csv', line 4: expected 2 fields, found 3"):
        kd.read_csv(str(path), blocksize=9).compute()
    skipped = kd.read_csv(str(path), on_bad_lines="skip", blocksize=9).compute()
    assert skipped.a.tolist() == [1, 3, 8]
    with pytest.warns(UserWarning, match="line 4"):
        assert len(kd.read_csv(str(path), on_bad_lines="warn").compute()) == 3
    with pytest.raises(ValueError, match="on_bad_lines"):
        kd.read_csv(str(path), on_bad_lines="ignore")


def test_compressed_files_are_one_block_each(tmp_path, people):
    path, expected = people
    for i in range(3):
        with gzip.open(tmp_path / f"part{i}.csv.gz", "wb") as f:
            f.write(path.read_bytes())
    frame = kd.read_csv(str(tmp_path / "*.csv.gz"), blocksize=100)
    assert frame.npartitions == 3
    result = frame.compute()
    pd.testing.assert_frame_equal(result, pd.concat([expected] * 3, ignore_index=True))


def test_include_path_column(tmp_path):
    for name in ("x", "y"):
        (tmp_path / f"{name}.csv").write_text("v\n1\n2\n")
    frame = kd.read_csv(str(tmp_path), include_path_column=True)
    result = frame[frame.path.str.endswith("y.csv")].compute()
    assert result.v.tolist() == [1, 2]
    named = kd.read_csv(str(tmp_path), include_path_column="source").compute()
    assert named.source.str.rsplit("/", n=1).str[-1].tolist() == ["x.csv", "x.csv", "y.csv", "y.csv"]
    with pytest.raises(ValueError, match="already a column"):
        kd.read_csv(str(tmp_path), include_path_column="v")


def test_files_with_other_headers_are_refused(tmp_path):
    (tmp_path / "a.csv").write_text("x,y\n1,2\n")
    (tmp_path / "b.csv").write_text("y,x\n3,4\n")
    with pytest.raises(ValueError, match=r"header of .*b.csv.* \['y', 'x'\]"):
        kd.read_csv(str(tmp_path)).compute()


def test_missing_empty_and_headerless_inputs(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing-here"):
        kd.read_csv(str(tmp_path / "nothing-here.csv"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no data files"):
        kd.read_csv(str(tmp_path / "empty"))
    (tmp_path / "blank.csv").write_text("")
    with pytest.raises(ValueError, match="is empty"):
        kd.read_csv(str(tmp_path / "blank.csv"))


def test_header_only_file_gives_an_empty_frame(tmp_path):
    (tmp_path / "h.csv").write_text("a,b\n")
    result = kd.read_csv(str(tmp_path / "h.csv")).compute()
    assert list(result.columns) == ["a", "b"] and len(result) == 0


def test_source_predicate_and_columns_match_pyarrow(people):
    path, _ = people
    source = discover_csv(str(path), blocksize=512)
    got = pa.concat_tables(
        source.read_partition(i, ["id"], pc.field("score") < 10) for i in range(source.npartitions)
    )
    table = pa.csv.read_csv(path)
    assert got.equals(table.filter(pc.field("score") < 10).select(["id"]))


def test_token_depends_on_options(people):
    path, _ = people
    a = discover_csv(str(path))
    assert a.token() == discover_csv(str(path)).token()
    assert a.token() != discover_csv(str(path), blocksize=100).token()
    assert a.token() != discover_csv(str(path), dtype={"id": pa.float64()}).token()


def test_byte_order_mark_and_windows_line_ends(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbfa,b\r\n1,x\r\n2,y\r\n")
    for blocksize in (1, 4, None):
        pd.testing.assert_frame_equal(kd.read_csv(str(path), blocksize=blocksize).compute(), pd.read_csv(path))


def test_a_filter_on_the_path_column_skips_files(tmp_path):
    for year in (2022, 2023, 2024):
        (tmp_path / f"sales-{year}.csv").write_text(f"v\n{year}\n{year + 1}\n")
    frame = kd.read_csv(str(tmp_path), include_path_column=True)
    source = frame.plan.source
    assert source.npartitions == 3
    only = source.prune(pc.field("path") == str(tmp_path / "sales-2023.csv"))
    assert only.npartitions == 1 and only.token() != source.token()
    assert source.prune(pc.field("v") > 0) is source
    latest = frame[frame.path.str.endswith("2024.csv")]
    assert latest.npartitions == 1
    assert latest.compute().v.tolist() == [2024, 2025]

"""Bad input fails early and says which file: every reader, every kind of damage."""

from __future__ import annotations

import gzip

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import kyudo.dataframe as kd
from kyudo.io import ParquetFileError
from kyudo.io.blocks import BlockReadError

READERS = [kd.read_csv, kd.read_json, kd.read_text, kd.read_orc, kd.read_parquet]


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.__name__)
def test_missing_path_and_empty_directory(tmp_path, reader):
    with pytest.raises(FileNotFoundError, match="missing-thing"):
        reader(str(tmp_path / "missing-thing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no data files"):
        reader(str(tmp_path / "empty"))


@pytest.mark.parametrize("reader", [kd.read_csv, kd.read_json, kd.read_text], ids=lambda r: r.__name__)
def test_truncated_and_corrupt_compressed_text(tmp_path, reader):
    packed = gzip.compress(b'{"a": 1}\n' * 20_000)
    (tmp_path / "cut.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(BlockReadError, match=r"cut.gz'.*truncated or corrupt gzip"):
        reader(str(tmp_path / "cut.gz")).compute()
    (tmp_path / "junk.gz").write_bytes(b"this was never gzip" * 10)
    with pytest.raises(BlockReadError, match="junk.gz"):
        reader(str(tmp_path / "junk.gz")).compute()


def test_truncated_parquet_is_named_before_any_data_is_read(tmp_path):
    pq.write_table(pa.table({"a": range(100)}), tmp_path / "good.parquet")
    data = (tmp_path / "good.parquet").read_bytes()
    (tmp_path / "half.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(ParquetFileError, match="half.parquet"):
        kd.read_parquet(str(tmp_path))


def test_a_file_deleted_after_planning_is_named(tmp_path):
    (tmp_path / "a.csv").write_text("x\n1\n")
    (tmp_path / "b.csv").write_text("x\n2\n")
    frame = kd.read_csv(str(tmp_path))
    (tmp_path / "b.csv").unlink()
    with pytest.raises(FileNotFoundError, match="b.csv"):
        frame.compute()

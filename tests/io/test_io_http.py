"""Reading over http(s):// from a local static server with Range support."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import kyudo.dataframe as kd


@pytest.fixture
def table():
    return pd.DataFrame({"k": range(400), "v": [f"s{i}" for i in range(400)]})


def test_csv_in_blocks_over_http(http_root, table):
    root, base = http_root
    table.to_csv(root / "t.csv", index=False)
    frame = kd.read_csv(f"{base}/t.csv", blocksize=500)
    assert frame.npartitions > 3
    pd.testing.assert_frame_equal(frame.compute(), table)
    assert frame[frame.k > 390].compute().k.tolist() == list(range(391, 400))


def test_parquet_and_json_over_http(http_root, table):
    root, base = http_root
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), root / "t.parquet", row_group_size=100)
    table.to_json(root / "t.jsonl", orient="records", lines=True)
    parquet = kd.read_parquet(f"{base}/t.parquet", partition_size=1)
    assert parquet.npartitions == 4
    pd.testing.assert_frame_equal(parquet.compute(), table)
    pd.testing.assert_frame_equal(kd.read_json([f"{base}/t.jsonl"], blocksize=1000).compute(), table)


def test_missing_url_is_named(http_root):
    _, base = http_root
    with pytest.raises(FileNotFoundError, match="absent.csv"):
        kd.read_csv(f"{base}/absent.csv")

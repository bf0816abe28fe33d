"""Fixtures for kyudo.io tests: small datasets and a filesystem that counts I/O.

The counting filesystem is how tests prove that discovery and pruning read
footers only: it records every file opened and every byte read through it.
The servers (a moto S3 endpoint for the session, a static HTTP server per
test) listen on 127.0.0.1 only and start within a bounded time.
"""

from __future__ import annotations

import functools
import http.server
import io
import logging
import os
import socket
import threading
import time
import uuid

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from kyudo_io_counting_fs import CountingFileSystem


@pytest.fixture
def counting_fs():
    return CountingFileSystem()


@pytest.fixture
def memory_root():
    """A fresh directory on fsspec's in-memory filesystem, removed afterwards."""
    fs = fsspec.filesystem("memory")
    root = f"/kyudo-test-{uuid.uuid4().hex}"
    fs.mkdir(root)
    yield fs, root
    fs.rm(root, recursive=True)


def _numbers_table(n: int, start: int = 0) -> pa.Table:
    """``a`` = start..start+n-1, ``b`` = str(a), ``c`` = a / 2 with every 7th NULL."""
    values = list(range(start, start + n))
    return pa.table(
        {
            "a": pa.array(values, pa.int64()),
            "b": pa.array([f"v{v}" for v in values]),
            "c": pa.array([None if v % 7 == 0 else v / 2 for v in values], pa.float64()),
        }
    )


@pytest.fixture
def numbers_table():
    return _numbers_table


@pytest.fixture
def hive_dir(tmp_path):
    """year=2020..2022 / month=1..2 / part.parquet, each with 2 row groups of 10 rows."""
    root = tmp_path / "hive"
    start = 0
    for year in (2020, 2021, 2022):
        for month in (1, 2):
            directory = root / f"year={year}" / f"month={month}"
            directory.mkdir(parents=True)
            pq.write_table(_numbers_table(20, start), directory / "part.parquet", row_group_size=10)
            start += 20
    return root


# ---- servers on 127.0.0.1 ----------------------------------------------------------

_SERVER_START_SECONDS = 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int) -> None:
    """Return once something accepts connections on the port, or fail in bounded time."""
    deadline = time.monotonic() + _SERVER_START_SECONDS
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"test server on port {port} did not start in {_SERVER_START_SECONDS}s")
            time.sleep(0.05)


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-compatible HTTP endpoint (moto's server mode) for the whole session.

    Yields the ``storage_options`` that point s3fs at it, with dummy
    credentials: nothing here can reach a real account.
    """
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        _wait_for_port(port)
        yield {
            "key": "kyudo-test",
            "secret": "kyudo-test",
            "endpoint_url": f"http://127.0.0.1:{port}",
            # any region but us-east-1, which S3 refuses as a bucket location
            "client_kwargs": {"region_name": "eu-west-1"},
            "skip_instance_cache": True,
        }
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_server):
    """A fresh bucket: ``(s3fs filesystem, bucket name, storage_options)``."""
    fs = fsspec.filesystem("s3", **s3_server)
    bucket = f"kyudo-{uuid.uuid4().hex[:12]}"
    fs.mkdir(bucket)
    yield fs, bucket, s3_server
    fs.rm(bucket, recursive=True)


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with ``Range: bytes=a-b`` support, which fsspec's HTTP reads need."""

    def log_message(self, *args):
        pass

    def send_head(self):
        header = self.headers.get("Range")
        path = self.translate_path(self.path)
        if not header or not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        start_text, _, end_text = header.removeprefix("bytes=").partition("-")
        start = int(start_text)
        end = min(int(end_text) if end_text else size - 1, size - 1)
        with open(path, "rb") as f:
            f.seek(start)
            body = f.read(max(end - start + 1, 0))
        self.send_response(206)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


@pytest.fixture
def http_root(tmp_path):
    """``(directory, base URL)``: files put in the directory are served over HTTP."""
    handler = functools.partial(_RangeHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

"""Spilling task results to local disk, and reading them back.

A :class:`SpillStore` belongs to one executor run. :meth:`SpillStore.write` puts a
result in a file of its own and returns a :class:`Spilled` handle, which the run
keeps in place of the result; :meth:`Spilled.load` gives the result back.

The file format is Arrow IPC, so reading back is zero-copy: every Arrow object in
the result (tables, record batches, arrays, chunked arrays, at any depth inside
plain ``list``/``tuple``/``dict`` containers) is one IPC *stream* in the file, and
:meth:`Spilled.load` memory-maps the file and builds the objects on the mapped
bytes. Nothing is copied and pages are read from disk only when a task touches
them: the consumer of a shuffle split that takes one piece of a spilled list of
tables reads that piece only. Mapped pages are file-backed, so the operating
system can drop them again under pressure, which is why a run does not count
read-back results against its memory limit. Whatever is not Arrow (the shape of a
container, pandas objects, numpy arrays, scalars) goes through cloudpickle into a
last segment of the same file.

Files live in a directory of their own per store (under the ``spill_directory``
option, or the system's temporary directory), created at the first spill. A file
is deleted when its result is freed (:meth:`SpillStore.delete`) and the directory
when the run ends (:meth:`SpillStore.close`), whether it succeeded, failed or was
interrupted: executors call it from a ``finally``.

:func:`spill_stats` counts what every store of the process wrote and read, for
tests and diagnostics.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from typing import Any

import cloudpickle
import pyarrow as pa

_ALIGN = 64  # segments start on 64-byte boundaries, so mapped buffers are aligned

_stats_lock = threading.Lock()
_stats = {"files": 0, "bytes": 0, "reads": 0}


def spill_stats() -> dict[str, int]:
    """Process-wide totals: ``files`` and ``bytes`` spilled, ``reads`` (results read
    back). Compare two snapshots to see what a computation spilled.

    >>> sorted(spill_stats())
    ['bytes', 'files', 'reads']
    """
    with _stats_lock:
        return dict(_stats)


def _count(**deltas: int) -> None:
    with _stats_lock:
        for name, delta in deltas.items():
            _stats[name] += delta


class _Segment:
    """Where an Arrow object sits in a spill file, inside the pickled skeleton."""

    __slots__ = ("index", "kind")

    def __init__(self, index: int, kind: str):
        self.index = index
        self.kind = kind

    def __reduce__(self):
        return (_Segment, (self.index, self.kind))


class Spilled:
    """A handle on a result written to disk; what a run holds instead of it."""

    __slots__ = ("path", "segments", "skeleton", "nbytes", "_loaded", "__weakref__")

    def __init__(self, path: str, segments: list, skeleton: Any, nbytes: int):
        self.path = path
        self.segments = segments  # [(offset, length)], the last one the pickle if any
        self.skeleton = skeleton  # a _Segment for a bare Arrow object, else None (pickled)
        self.nbytes = nbytes  # size of the file
        self._loaded = None

    def load(self, mapped: bool = True) -> Any:
        """The result again. ``mapped``: on memory-mapped file pages (zero-copy,
        read lazily; kept for the next consumer). Otherwise read into memory, for a
        result that outlives the file (a run's output)."""
        if mapped:
            loaded = self._loaded
            if loaded is None:
                loaded = self._loaded = (self._read(pa.memory_map(self.path).read_buffer()),)
                _count(reads=1)
            return loaded[0]
        with pa.OSFile(self.path, "rb") as file:
            data = file.read_buffer()  # one aligned allocation from Arrow's pool
        _count(reads=1)
        return self._read(data)

    def _read(self, data: pa.Buffer) -> Any:
        def stream(index: int) -> pa.RecordBatchStreamReader:
            offset, length = self.segments[index]
            return pa.ipc.open_stream(data.slice(offset, length))

        def decode(value: Any) -> Any:
            if isinstance(value, _Segment):
                reader = stream(value.index)
                if value.kind == "table":
                    return reader.read_all()
                if value.kind == "chunked":
                    return reader.read_all().column(0)
                batch = reader.read_next_batch()
                return batch if value.kind == "batch" else batch.column(0)
            kind = type(value)
            if kind is list:
                return [decode(item) for item in value]
            if kind is tuple:
                return tuple([decode(item) for item in value])
            if kind is dict:
                return {key: decode(item) for key, item in value.items()}
            return value

        skeleton = self.skeleton
        if skeleton is None:
            offset, length = self.segments[-1]
            skeleton = cloudpickle.loads(data.slice(offset, length))
        return decode(skeleton)

    def __repr__(self) -> str:
        return f"<Spilled {self.nbytes} bytes at {self.path!r}>"


class SpillStore:
    """The spill files of one run, in a directory of their own."""

    def __init__(self, directory: str | None = None):
        self.parent = directory
        self.directory: str | None = None  # created at the first write
        self.lock = threading.Lock()
        self.sequence = 0
        self.files = 0  # written by this store
        self.bytes = 0
        self.closed = False

    def _path(self) -> str:
        with self.lock:
            if self.closed:
                raise RuntimeError("spill store is closed")
            if self.directory is None:
                if self.parent is not None:
                    os.makedirs(self.parent, exist_ok=True)
                self.directory = tempfile.mkdtemp(prefix="kyudo-spill-", dir=self.parent)
            self.sequence += 1
            return os.path.join(self.directory, f"{self.sequence}.arrows")

    def write(self, value: Any) -> Spilled:
        """Write ``value`` to a new file; return the handle that reads it back."""
        path = self._path()
        segments: list = []
        try:
            with pa.OSFile(path, "wb") as file:
                def encode(item: Any) -> Any:
                    kind = type(item)
                    if isinstance(item, (pa.Table, pa.RecordBatch, pa.ChunkedArray, pa.Array)):
                        return _write_arrow(file, item, segments)
                    if kind is list:
                        return [encode(x) for x in item]
                    if kind is tuple:
                        return tuple([encode(x) for x in item])
                    if kind is dict:
                        return {key: encode(x) for key, x in item.items()}
                    return item

                skeleton = encode(value)
                if not isinstance(skeleton, _Segment):
                    _pad(file)
                    start = file.tell()
                    file.write(cloudpickle.dumps(skeleton, protocol=5))
                    segments.append((start, file.tell() - start))
                    skeleton = None
                nbytes = file.tell()
        except BaseException:
            _remove(path)
            raise
        with self.lock:
            self.files += 1
            self.bytes += nbytes
        _count(files=1, bytes=nbytes)
        return Spilled(path, segments, skeleton, nbytes)

    def delete(self, spilled: Spilled) -> None:
        """Remove a freed result's file (its mapped pages stay valid for anyone
        still holding a loaded value)."""
        spilled._loaded = None
        _remove(spilled.path)

    def close(self) -> None:
        """Remove every file and the directory; no writes after this."""
        with self.lock:
            self.closed = True
            directory, self.directory = self.directory, None
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)


def _pad(file) -> None:
    gap = -file.tell() % _ALIGN
    if gap:
        file.write(b"\0" * gap)


def _write_arrow(file, value: Any, segments: list) -> _Segment:
    if isinstance(value, pa.Table):
        kind, schema, batches = "table", value.schema, value.to_batches()
    elif isinstance(value, pa.RecordBatch):
        kind, schema, batches = "batch", value.schema, [value]
    elif isinstance(value, pa.ChunkedArray):
        table = pa.table({"value": value})
        kind, schema, batches = "chunked", table.schema, table.to_batches()
    else:
        batch = pa.record_batch([value], names=["value"])
        kind, schema, batches = "array", batch.schema, [batch]
    _pad(file)
    start = file.tell()
    with pa.ipc.new_stream(file, schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
    segments.append((start, file.tell() - start))
    return _Segment(len(segments) - 1, kind)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass

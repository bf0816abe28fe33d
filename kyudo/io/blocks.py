"""Byte-range blocks of line-oriented files, split exactly at line boundaries.

A file of lines (CSV, JSON lines, text) is cut into blocks of about
``blocksize`` bytes without reading it.  The rule that makes every blocksize
give the same rows: **a line belongs to the block in which its first byte
lies.**  Reading a block therefore skips the partial line it starts inside
(that line belongs to the previous block) and reads past its end to finish
its own last line.  Compressed files cannot be entered in the middle, so each
is one block.  Quoted fields that contain newlines are not supported when a
file is split (``blocksize=None`` reads whole files).
"""

from __future__ import annotations

import lzma
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Sequence

import fsspec
from fsspec.utils import infer_compression

from .filesystem import FileEntry

_SCAN_CHUNK = 64 * 2**10
_STREAM_BLOCK = 4 * 2**20


@dataclass(frozen=True)
class Block:
    """Lines of ``path`` starting in ``[start, end)``; ``end=None`` means to the end.

    ``size`` is the file's size when it was listed: ranged reads must not
    start at or past it (object stores refuse such ranges).
    """

    path: str
    start: int
    end: int | None
    compression: str | None
    size: int

    @property
    def is_first(self) -> bool:
        return self.start == 0


def file_compression(path: str, compression: str | None) -> str | None:
    """``"infer"`` looks at the extension (``.gz``, ``.bz2``, ``.xz``, ...)."""
    return infer_compression(path) if compression == "infer" else compression


def plan_blocks(
    files: Sequence[FileEntry], blocksize: int | None, compression: str | None = "infer"
) -> list[Block]:
    """Blocks of every file, in file order; one block per compressed file."""
    if blocksize is not None and blocksize <= 0:
        raise ValueError("blocksize must be positive (or None for one block per file)")
    blocks: list[Block] = []
    for entry in files:
        codec = file_compression(entry.path, compression)
        if codec is not None or blocksize is None or entry.size <= blocksize:
            blocks.append(Block(entry.path, 0, None, codec, entry.size))
            continue
        starts = range(0, entry.size, blocksize)
        blocks.extend(
            Block(entry.path, s, None if s + blocksize >= entry.size else s + blocksize, None, entry.size)
            for s in starts
        )
    return blocks


class BlockReadError(ValueError):
    """A file's bytes could not be read (truncated or corrupt compressed data)."""


def read_block(fs: fsspec.AbstractFileSystem, block: Block) -> bytes:
    """The bytes of the lines the block owns; errors name the file."""
    with _naming_file(block.path, block.compression):
        return _read_block(fs, block)


@contextmanager
def _naming_file(path: str, compression: str | None):
    """Turn low-level read errors into ones that say which file is broken."""
    try:
        yield
    except FileNotFoundError:
        raise FileNotFoundError(f"file disappeared after the read was planned: {path!r}") from None
    except (EOFError, OSError, zlib.error, lzma.LZMAError) as error:
        codec = f" {compression}" if compression else ""
        raise BlockReadError(f"cannot read {path!r}: truncated or corrupt{codec} data ({error})") from error


def _read_block(fs: fsspec.AbstractFileSystem, block: Block) -> bytes:
    if block.compression is not None:
        with _open_stream(fs, block.path, block.compression) as f:
            return f.read()
    if block.start == 0 and block.end is None:
        return fs.cat_file(block.path)
    begin = block.start
    if begin:
        # The line holding byte start-1 began in an earlier block: skip past its newline.
        begin += len(_through_newline(fs, block.path, begin - 1, block.size)) - 1
    end = block.size if block.end is None else block.end
    if begin >= end:
        return b""
    data = fs.cat_file(block.path, start=begin, end=end)
    if block.end is not None and not data.endswith(b"\n"):
        data += _through_newline(fs, block.path, end, block.size)
    return data


def _through_newline(fs: fsspec.AbstractFileSystem, path: str, position: int, size: int) -> bytes:
    """The bytes from ``position`` through the next newline (or to the end of file).

    Read in small ranges: a line is short, and a file-sized read-ahead on an
    object store would fetch megabytes to find one newline.
    """
    pieces = []
    while position < size:
        chunk = fs.cat_file(path, start=position, end=min(position + _SCAN_CHUNK, size))
        cut = chunk.find(b"\n")
        if cut >= 0:
            pieces.append(chunk[: cut + 1])
            break
        if not chunk:
            break
        pieces.append(chunk)
        position += len(chunk)
    return b"".join(pieces)


def _open_stream(fs: fsspec.AbstractFileSystem, path: str, compression: str | None):
    """A file for reading from the start, with modest read-ahead, decompressed."""
    return fs.open(path, "rb", compression=compression, block_size=_STREAM_BLOCK)


def line_number_at(fs: fsspec.AbstractFileSystem, block: Block) -> int:
    """1-based line number of the block's first line; used only to report errors."""
    if not block.start:
        return 1
    newlines = 0
    with _open_stream(fs, block.path, block.compression) as f:
        remaining = block.start - 1
        while remaining > 0:
            chunk = f.read(min(_STREAM_BLOCK, remaining))
            if not chunk:
                break
            newlines += chunk.count(b"\n")
            remaining -= len(chunk)
        f.readline()
    return newlines + 2


def read_head(fs: fsspec.AbstractFileSystem, entry: FileEntry, compression: str | None, nbytes: int) -> bytes:
    """Whole lines from the start of a file, about ``nbytes`` of them (a sample)."""
    with _naming_file(entry.path, compression):
        if compression is None and entry.size:
            data = fs.cat_file(entry.path, start=0, end=min(nbytes, entry.size))
            if len(data) == nbytes and not data.endswith(b"\n"):
                data += _through_newline(fs, entry.path, nbytes, entry.size)
            return data
        with _open_stream(fs, entry.path, compression) as f:
            data = f.read(nbytes)
            if len(data) == nbytes and not data.endswith(b"\n"):
                data += f.readline()
        return data

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

_COPY_CHUNK = 4 * 2**20


@dataclass(frozen=True)
class Block:
    """Lines of ``path`` starting in ``[start, end)``; ``end=None`` means to the end."""

    path: str
    start: int
    end: int | None
    compression: str | None

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
            blocks.append(Block(entry.path, 0, None, codec))
            continue
        starts = range(0, entry.size, blocksize)
        blocks.extend(
            Block(entry.path, s, None if s + blocksize >= entry.size else s + blocksize, None)
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
    with fs.open(block.path, "rb", compression=block.compression) as f:
        if block.start:
            # The line containing byte start-1 began earlier: it is not ours.
            f.seek(block.start - 1)
            f.readline()
        if block.end is None:
            return f.read()
        position = f.tell()
        if position >= block.end:
            return b""
        data = f.read(block.end - position)
        if data and not data.endswith(b"\n"):
            data += f.readline()
        return data


def line_number_at(fs: fsspec.AbstractFileSystem, block: Block) -> int:
    """1-based line number of the block's first line; used only to report errors."""
    if not block.start:
        return 1
    newlines = 0
    with fs.open(block.path, "rb", compression=block.compression) as f:
        remaining = block.start - 1
        while remaining > 0:
            chunk = f.read(min(_COPY_CHUNK, remaining))
            if not chunk:
                break
            newlines += chunk.count(b"\n")
            remaining -= len(chunk)
        f.readline()
    return newlines + 2


def read_head(fs: fsspec.AbstractFileSystem, path: str, compression: str | None, nbytes: int) -> bytes:
    """Whole lines from the start of a file, about ``nbytes`` of them (a sample)."""
    with _naming_file(path, compression), fs.open(path, "rb", compression=compression) as f:
        data = f.read(nbytes)
        if len(data) == nbytes and not data.endswith(b"\n"):
            data += f.readline()
    return data

"""Turn what a user passes as "the data" into a concrete, ordered list of files.

Readers in kyudo take a file, a directory, a glob or a list of any of these, on
any fsspec filesystem.  Resolving that once, up front, gives every later step a
fixed list of files with their sizes (so plans can be hashed and partitions
counted) and the directory that hive ``key=value`` segments are relative to.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import fsspec
import pyarrow as pa
import pyarrow.fs as pafs
from fsspec.implementations.arrow import ArrowFSWrapper
from fsspec.implementations.local import LocalFileSystem

_GLOB_CHARS = frozenset("*?[")
_DIGITS = re.compile(r"(\d+)")
_MAX_THREADS = 32
# fsspec implementations spell "last modified" differently; any one is enough
# to notice that a file was rewritten with the same size.
_MTIME_KEYS = ("mtime", "LastModified", "last_modified", "updated", "created")


@dataclass(frozen=True)
class FileEntry:
    """One data file: its path on the filesystem and what identifies its version.

    ``base_dir`` is the directory the user named (or the static prefix of their
    glob); hive segments are only looked for below it, so that a ``k=v`` in a
    parent directory the user did not point at never becomes a column.  It is
    ``None`` when the user named the file itself, in which case every directory
    of the path is considered (as pyarrow does).
    """

    path: str
    size: int
    mtime: str | None
    base_dir: str | None


@dataclass(frozen=True)
class ResolvedFiles:
    """The filesystem and the files it holds, in a deterministic order."""

    fs: fsspec.AbstractFileSystem
    files: tuple[FileEntry, ...]


class FileSource:
    """What every source over files shares: the files (``_files``, resolved
    :class:`FileEntry` items) on one filesystem (``_fs``), a ``token()`` naming
    exactly them and the partitions cut from them, and equality and hashing by
    that token (tokens start with the format, so sources of two formats differ).
    """

    _fs: fsspec.AbstractFileSystem
    _files: tuple[FileEntry, ...]

    def token(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(f.path for f in self._files)

    @property
    def filesystem(self) -> fsspec.AbstractFileSystem:
        return self._fs

    def _location(self) -> str:
        """The one file, or the directory common to all, for ``repr`` (nothing
        when pruning left no file)."""
        paths = self.paths
        if not paths:
            return "no files"
        return paths[0] if len(paths) == 1 else posixpath.commonpath(paths) + "/"

    def _digest(self, *items: Any) -> str:
        """32 hex digits naming the filesystem, the files as they are now (path,
        size, modification time) and ``items`` (what the format adds: schema,
        partitions, options)."""
        digest = hashlib.sha256()
        for item in (filesystem_token(self._fs), [(f.path, f.size, f.mtime) for f in self._files], *items):
            digest.update(repr(item).encode())
        return digest.hexdigest()[:32]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileSource) and other.token() == self.token()

    def __hash__(self) -> int:
        return hash(self.token())


def resolve_files(
    path_or_paths: str | os.PathLike | Sequence[str | os.PathLike],
    storage_options: dict[str, Any] | None = None,
    filesystem: fsspec.AbstractFileSystem | pafs.FileSystem | None = None,
) -> ResolvedFiles:
    """Expand files, directories and globs into data files on one filesystem.

    Directories are searched recursively; files and directories whose names
    start with ``_`` or ``.`` (``_SUCCESS``, ``_metadata``, ``.crc`` files,
    ``_temporary/``) are skipped, as every Parquet writer expects.  Raises
    ``FileNotFoundError`` naming the path when a path does not exist, a glob
    matches nothing, or a directory holds no data files.
    """
    raw = _as_path_list(path_or_paths)
    fs = _filesystem_for(raw[0], storage_options, filesystem)
    if len(raw) == 1:
        expanded = [_expand(fs, raw[0])]
    else:
        # Each path is a round trip on an object store; ask about them together.
        with ThreadPoolExecutor(min(_MAX_THREADS, len(raw)), thread_name_prefix="kyudo-list") as pool:
            expanded = list(pool.map(lambda original: _expand(fs, original), raw))
    files: list[FileEntry] = []
    seen: set[str] = set()
    for entries in expanded:
        for entry in entries:
            if entry.path not in seen:
                seen.add(entry.path)
                files.append(entry)
    return ResolvedFiles(fs=fs, files=tuple(files))


def to_arrow_filesystem(fs: fsspec.AbstractFileSystem) -> pafs.FileSystem:
    """The pyarrow view of an fsspec filesystem, native where one exists.

    Local files go through pyarrow's own filesystem (faster, releases the GIL);
    everything else is bridged with ``FSSpecHandler``.  Only the exact local
    class is swapped: a subclass may change how files are opened.
    """
    if type(fs) is LocalFileSystem:
        return pafs.LocalFileSystem()
    if isinstance(fs, ArrowFSWrapper):
        return fs.fs
    return pafs.PyFileSystem(_ExactRangeHandler(fs))


class _ExactRangeHandler(pafs.FSSpecHandler):
    """Random-access files that fetch exactly the byte ranges pyarrow asks for.

    pyarrow plans its own reads (the footer, then column chunks coalesced by
    pre-buffering).  fsspec's default read-ahead would turn each of them into
    a request for up to a block (50 MB on s3fs) past the range, so reading
    one column of a large object would download most of the object.
    """

    def open_input_file(self, path):
        if not self.fs.isfile(path):
            raise FileNotFoundError(path)
        return pa.PythonFile(self.fs.open(path, mode="rb", cache_type="none"), mode="r")


def filesystem_token(fs: fsspec.AbstractFileSystem) -> str:
    """A short stable description of a filesystem, for dataset tokens."""
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return f"{protocol}:{type(fs).__module__}.{type(fs).__qualname__}"


def _as_path_list(path_or_paths) -> list[str]:
    if isinstance(path_or_paths, (str, os.PathLike)):
        paths = [os.fspath(path_or_paths)]
    elif isinstance(path_or_paths, Iterable):
        paths = [os.fspath(p) for p in path_or_paths]
    else:
        raise TypeError(
            f"expected a path or a list of paths, got {type(path_or_paths).__name__}"
        )
    if not paths:
        raise ValueError("an empty list of paths was given; there is nothing to read")
    return paths


def _filesystem_for(first_path, storage_options, filesystem) -> fsspec.AbstractFileSystem:
    if filesystem is not None:
        if storage_options:
            raise ValueError("pass either filesystem or storage_options, not both")
        if isinstance(filesystem, pafs.FileSystem):
            return ArrowFSWrapper(filesystem)
        return filesystem
    fs, _ = fsspec.core.url_to_fs(first_path, **(storage_options or {}))
    return fs


def _expand(fs: fsspec.AbstractFileSystem, original: str) -> list[FileEntry]:
    path = fs._strip_protocol(original)
    if _GLOB_CHARS.intersection(path):
        return _expand_glob(fs, original, path)
    try:
        info = fs.info(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"path does not exist: {original!r}") from None
    if info["type"] == "directory":
        return _expand_directory(fs, original, path)
    return [_entry(info, base_dir=None)]


def _expand_glob(fs, original: str, pattern: str) -> list[FileEntry]:
    base = _static_prefix(pattern)
    return _visible_files(fs.glob(pattern, detail=True), base, f"glob matches no files: {original!r}")


def _expand_directory(fs, original: str, directory: str) -> list[FileEntry]:
    found = fs.find(directory, withdirs=False, detail=True)
    return _visible_files(found, directory, f"directory contains no data files: {original!r}")


def _visible_files(found: dict, base: str, none_found: str) -> list[FileEntry]:
    """The files of ``found`` (fsspec details by name) not hidden below ``base``,
    in natural order; FileNotFoundError(``none_found``) if there are none."""
    entries = [
        _entry(info, base)
        for name, info in sorted(found.items(), key=_natural_key)
        if info["type"] == "file" and not _is_hidden(name, base)
    ]
    if not entries:
        raise FileNotFoundError(none_found)
    return entries


def _entry(info: dict, base_dir: str | None) -> FileEntry:
    mtime = next((info[k] for k in _MTIME_KEYS if info.get(k) is not None), None)
    return FileEntry(
        path=info["name"],
        size=int(info.get("size") or 0),
        mtime=None if mtime is None else str(mtime),
        base_dir=base_dir,
    )


def _natural_key(item: tuple[str, dict]) -> list:
    """Order ``part.2`` before ``part.10``, as writers number their files.

    Digit runs compare as numbers, so a dataset written as ``part.0`` ..
    ``part.N`` reads back in the order it was written.
    """
    return [(0, int(piece), "") if piece.isdigit() else (1, 0, piece)
            for piece in _DIGITS.split(item[0])]


def _static_prefix(pattern: str) -> str:
    """The directory part of a glob before its first wildcard."""
    parts = pattern.split("/")
    static = []
    for part in parts[:-1]:
        if _GLOB_CHARS.intersection(part):
            break
        static.append(part)
    return "/".join(static)


def _is_hidden(path: str, base_dir: str) -> bool:
    """True when any segment below ``base_dir`` starts with ``_`` or ``.``."""
    relative = relative_parts(path, base_dir)
    return any(part.startswith(("_", ".")) for part in relative)


def relative_parts(path: str, base_dir: str | None) -> list[str]:
    """The path segments of ``path`` below ``base_dir`` (all of them if None)."""
    if base_dir:
        base = base_dir.rstrip("/")
        if path.startswith(base + "/"):
            path = path[len(base) + 1 :]
    return [p for p in posixpath.normpath(path).split("/") if p and p != "."]

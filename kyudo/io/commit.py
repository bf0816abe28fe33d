"""All-or-nothing writes: stage every file next to the target, then commit.

Tasks write their files into a hidden staging directory beside the target
(``.<name>.kyudo-staging-<id>``; readers skip names starting with ``.``).
Only when every task has succeeded are the files moved to their final names;
a failed or interrupted write therefore leaves the previous dataset exactly
as it was, and ``abort`` removes what was staged.  Because nothing at the
target changes before the commit, a query may even overwrite the dataset it
reads from.

On a local disk an overwrite swaps whole directories by rename; object
stores have no rename, so there the commit copies each file (the window in
which a reader could see a mixture is the commit itself, not the write).
"""

from __future__ import annotations

import posixpath
import re
import uuid
from typing import Sequence

import fsspec
from fsspec.implementations.local import LocalFileSystem

MODES = ("error", "overwrite", "append")
_PART_NUMBER = re.compile(r"^part\.(\d+)\.")


class StagedWrite:
    """One write of a dataset (a directory) or a single file at ``target``."""

    def __init__(self, fs: fsspec.AbstractFileSystem, target: str, mode: str = "error"):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.fs = fs
        self.target = target.rstrip("/")
        self.mode = mode
        self.existed = _exists_with_content(fs, self.target)
        if self.existed and mode == "error":
            raise FileExistsError(
                f"{target!r} already exists; pass mode='overwrite' to replace it "
                "or mode='append' to add files to it"
            )
        parent, name = posixpath.split(self.target)
        self.staging = posixpath.join(parent, f".{name}.kyudo-staging-{uuid.uuid4().hex}")
        fs.makedirs(self.staging, exist_ok=True)

    def first_part_number(self) -> int:
        """Where new ``part.N`` names start, so an append never reuses a name."""
        if not (self.existed and self.mode == "append"):
            return 0
        numbers = [
            int(match.group(1))
            for path in self.fs.find(self.target)
            if (match := _PART_NUMBER.match(posixpath.basename(path)))
        ]
        return max(numbers, default=-1) + 1

    def existing_files(self) -> list[str]:
        """Visible data files already at the target (for append schema checks)."""
        if not self.existed:
            return []
        return [
            p for p in sorted(self.fs.find(self.target))
            if not any(s.startswith((".", "_")) for s in p[len(self.target) + 1:].split("/"))
        ]

    def commit_dataset(self, moves: Sequence[tuple[str, str]]) -> list[str]:
        """Move staged files (paths relative to the staging directory) to their
        final names relative to the target; returns the final paths."""
        final = [posixpath.join(self.target, relative) for _, relative in moves]
        backup = None
        if self.existed and self.mode == "overwrite":
            backup = self.staging + "-previous"
            _move_tree(self.fs, self.target, backup)
        try:
            self.fs.makedirs(self.target, exist_ok=True)
            for (staged, _), destination in zip(moves, final):
                self.fs.makedirs(posixpath.dirname(destination), exist_ok=True)
                self.fs.mv(posixpath.join(self.staging, staged), destination)
        except BaseException:
            if backup is not None:
                _remove(self.fs, self.target)
                _move_tree(self.fs, backup, self.target)
            raise
        if backup is not None:
            _remove(self.fs, backup)
        _remove(self.fs, self.staging)
        return final

    def commit_file(self, staged: str) -> str:
        """Replace (or create) the single file at the target with a staged file."""
        if self.mode == "append":
            raise ValueError("mode='append' cannot add to a single file; write one file per partition")
        if self.existed:
            _remove(self.fs, self.target)
        self.fs.makedirs(posixpath.dirname(self.target) or "/", exist_ok=True)
        self.fs.mv(posixpath.join(self.staging, staged), self.target)
        _remove(self.fs, self.staging)
        return self.target

    def abort(self) -> None:
        """Remove everything staged; the target was never touched."""
        _remove(self.fs, self.staging)


def _exists_with_content(fs: fsspec.AbstractFileSystem, path: str) -> bool:
    """An empty directory counts as absent: there is nothing to lose."""
    try:
        info = fs.info(path)
    except FileNotFoundError:
        return False
    return info["type"] != "directory" or bool(fs.ls(path, detail=False))


def _move_tree(fs: fsspec.AbstractFileSystem, source: str, destination: str) -> None:
    """Move a file or a directory with everything below it.

    A local directory is renamed in one step.  Object stores have no
    directories, only keys, so each key is moved (recursive ``mv`` in s3fs
    also tries to copy the directory pseudo-key itself, which fails).
    """
    if isinstance(fs, LocalFileSystem) or fs.isfile(source):
        fs.mv(source, destination, recursive=True)
        return
    for path in fs.find(source):
        fs.mv(path, destination + path[len(source):])


def _remove(fs: fsspec.AbstractFileSystem, path: str) -> None:
    try:
        fs.rm(path, recursive=True)
    except FileNotFoundError:
        pass

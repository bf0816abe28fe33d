"""A local filesystem that counts what is opened and read, for kyudo.io tests.

It lives in its own uniquely named module (not in conftest.py) so that
cloudpickle pickles it by reference: in a full test run several conftest
modules compete for the name ``conftest``, and a class pickled by value drags
fsspec's per-class lock along, which cannot be pickled.
"""

from __future__ import annotations

from collections import Counter

from fsspec.implementations.local import LocalFileSystem


class _CountingFile:
    """Wraps an open file, adding what is read to the owning filesystem's tally."""

    def __init__(self, inner, fs, path):
        self._inner, self._fs, self._path = inner, fs, path

    def read(self, size=-1):
        data = self._inner.read(size)
        self._fs.bytes_read[self._path] += len(data)
        return data

    def readinto(self, buffer):
        n = self._inner.readinto(buffer)
        self._fs.bytes_read[self._path] += n
        return n

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._inner.close()


class CountingFileSystem(LocalFileSystem):
    """A local filesystem that remembers which files were opened and how much was read."""

    cachable = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.opened = Counter()
        self.bytes_read = Counter()

    def _open(self, path, mode="rb", **kwargs):
        inner = super()._open(path, mode=mode, **kwargs)
        if "r" not in mode:
            return inner
        self.opened[path] += 1
        return _CountingFile(inner, self, path)

    def reset(self):
        self.opened.clear()
        self.bytes_read.clear()

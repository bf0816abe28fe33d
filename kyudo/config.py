"""Process-wide options that change how kyudo plans and runs work.

Options are global, not per thread: a ``with kyudo.config.set(...)`` block in one
thread is seen by every thread, which is what users expect of a setting such as
``scheduler`` (worker threads must see the caller's choice). Writers take a lock so
concurrent ``set`` calls cannot lose each other's changes; readers need none.

Byte-size options accept ``"128MB"``-style strings and are stored as ``int`` bytes,
so code reading them never parses.

>>> import kyudo.config as config
>>> with config.set(split_every=4):
...     config.get("split_every")
4
>>> config.get("split_every")
8
"""
from __future__ import annotations

import os
import re
import threading
from typing import Any, Callable

_UNITS = {
    "": 1, "b": 1,
    "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "pb": 10**15,
    "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "p": 10**15,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40, "pib": 2**50,
}
_BYTES = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-z]*)\s*$", re.IGNORECASE)


def parse_bytes(value: int | float | str) -> int:
    """Turn ``"128MB"``, ``"1.5 GiB"``, ``"100"`` or ``4096`` into a number of bytes.

    Decimal units (kB, MB, GB) are powers of 1000 and binary ones (KiB, MiB) powers
    of 1024, as on disk labels; a bare number is bytes.

    >>> parse_bytes("128MB"), parse_bytes("1KiB"), parse_bytes(10)
    (128000000, 1024, 10)
    """
    if isinstance(value, bool):
        raise TypeError("a byte size cannot be a bool")
    if isinstance(value, (int, float)):
        number, unit = float(value), ""
    elif isinstance(value, str):
        match = _BYTES.match(value)
        if not match or match.group(2).lower() not in _UNITS:
            raise ValueError(f"cannot parse a byte size from {value!r}")
        number, unit = float(match.group(1)), match.group(2).lower()
    else:
        raise TypeError(f"a byte size must be a number or a string, not {type(value).__name__}")
    if number < 0:
        raise ValueError(f"a byte size cannot be negative: {value!r}")
    return int(number * _UNITS[unit])


def _positive_int_or_none(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a positive integer or None, got {value!r}")
    return value


def _split_every(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:
        raise ValueError(f"split_every must be an integer >= 2, got {value!r}")
    return value


def _scheduler(value: Any) -> Any:
    # Names are checked by the engine when it resolves them; config must not import
    # the engine, and an executor instance is also accepted here.
    if value is None:
        raise ValueError("scheduler cannot be None")
    return value


def _bytes_or_none(value: Any) -> int | None:
    if value is None:
        return None
    limit = parse_bytes(value)
    if limit < 1:
        raise ValueError(f"a memory limit must be at least one byte, got {value!r}")
    return limit


def _directory_or_none(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"a directory must be a path, not {type(value).__name__}")
    return os.fspath(value)


def _names(value: Any) -> frozenset:
    if isinstance(value, str):
        return frozenset([value])
    names = frozenset(value or ())
    if not all(isinstance(name, str) for name in names):
        raise ValueError(f"expected a name or a collection of names, got {value!r}")
    return names


# name -> (default, normaliser applied on every set and to the default)
_OPTIONS: dict[str, tuple[Any, Callable[[Any], Any]]] = {
    "scheduler": ("threads", _scheduler),
    "num_workers": (None, _positive_int_or_none),  # None: one per CPU plus one (threads.default_workers)
    "split_every": (8, _split_every),
    "partition_size": ("128MB", parse_bytes),
    "broadcast_threshold": ("32MB", parse_bytes),
    "optimizer_disabled": ((), _names),  # optimizer rules switched off, by name
    # Bytes of task results an executor keeps in memory; beyond it, results are
    # spilled to Arrow IPC files and read back (memory-mapped) when needed, and new
    # scans wait. None: no limit, and none of that bookkeeping.
    "memory_limit": (None, _bytes_or_none),
    # Where spill files go (a fresh subdirectory per run, removed when it ends);
    # None: the system's temporary directory.
    "spill_directory": (None, _directory_or_none),
}

_values: dict[str, Any] = {name: norm(default) for name, (default, norm) in _OPTIONS.items()}
_lock = threading.Lock()


class set:  # noqa: N801 - reads as a verb at call sites: kyudo.config.set(...)
    """Change options now; as a context manager, restore them on exit.

    ``kyudo.config.set(scheduler="sync")`` changes the option for good;
    ``with kyudo.config.set(scheduler="sync"): ...`` changes it for the block only.
    Unknown names raise ``KeyError`` so a typo does not pass silently.
    """

    def __init__(self, **options: Any):
        normalised = {}
        for name, value in options.items():
            if name not in _OPTIONS:
                raise KeyError(f"unknown kyudo option {name!r}; known: {sorted(_OPTIONS)}")
            normalised[name] = _OPTIONS[name][1](value)
        with _lock:
            self._previous = {name: _values[name] for name in normalised}
            _values.update(normalised)

    def __enter__(self) -> "set":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        with _lock:
            _values.update(self._previous)


def get(name: str, default: Any = None) -> Any:
    """The current value of option ``name``; ``default`` if it is unknown or None."""
    value = _values.get(name)
    return default if value is None else value


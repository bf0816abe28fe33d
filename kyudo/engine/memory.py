"""How many bytes a task result keeps alive.

Executors that run under a memory limit (see :mod:`kyudo.engine.spill`) account
every live result with :func:`sizeof`. It is an estimate of the memory a result
*holds*, not of its logical size:

* A bare Arrow object counts the bytes of the buffer ranges it references
  (``nbytes``): a slice counts its rows, not its parent's. Slices are mostly views
  of memory that something else owns anyway (a scan of an in-memory table returns
  slices of it), and counting the whole parent for each would make every partition
  look as big as the data set. A dictionary column counts its dictionary.
* Containers (``list``, ``tuple``, ``dict``, as a shuffle split returns) count each
  Arrow buffer they reference whole, and once however many of their items share
  it: the ``N`` slices of one hash-partitioned table hold that whole table, and
  count as one table, not ``N`` times its dictionaries.
* pandas objects count ``memory_usage(deep=False)`` (object columns count their
  pointers only: measuring the strings would cost more than the task), numpy arrays
  their ``nbytes``, ``bytes``/``str`` their length, anything else a small constant.

pandas is recognised by duck typing: the engine does not import it.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

#: What an object of unknown kind (a scalar, a small Python object) is counted as.
SMALL = 64

_ARROW = (pa.Table, pa.RecordBatch, pa.ChunkedArray, pa.Array)


def sizeof(value: Any) -> int:
    """Bytes of memory that ``value`` keeps alive (an estimate, see module doc).

    >>> import pyarrow as pa
    >>> table = pa.table({"x": pa.array(range(1000), pa.int64())})
    >>> sizeof(table), sizeof(table.slice(0, 10))
    (8000, 80)
    >>> sizeof([table.slice(0, 500), table.slice(500)])  # shared buffers once, plus the list
    8064
    """
    if isinstance(value, _ARROW):
        return value.nbytes  # C++, the referenced ranges of the buffers
    seen: dict[int, int] = {}
    other = _collect(value, seen)
    return other + sum(seen.values())


def _collect(value: Any, seen: dict[int, int]) -> int:
    """Add the Arrow buffers under ``value`` to ``seen`` (address -> size) and
    return the bytes of everything else."""
    if isinstance(value, pa.Table):
        for column in value.itercolumns():
            for chunk in column.chunks:
                _buffers(chunk, seen)
        return 0
    if isinstance(value, pa.RecordBatch):
        for column in value.columns:
            _buffers(column, seen)
        return 0
    if isinstance(value, pa.ChunkedArray):
        for chunk in value.chunks:
            _buffers(chunk, seen)
        return 0
    if isinstance(value, pa.Array):
        _buffers(value, seen)
        return 0
    kind = type(value)
    if kind is list or kind is tuple:
        return SMALL + sum(_collect(item, seen) for item in value)
    if kind is dict:
        return SMALL + sum(_collect(item, seen) for item in value.values())
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, (bytes, bytearray, str)):
        return len(value) + SMALL
    if type(value).__module__.startswith("pandas") and hasattr(value, "memory_usage"):
        try:
            usage = value.memory_usage(deep=False)
            return int(usage.sum()) if hasattr(usage, "sum") else int(usage)
        except Exception:  # an odd extension type: an estimate must never fail a run
            return SMALL
    return SMALL


def _buffers(array: pa.Array, seen: dict[int, int]) -> None:
    # ``buffers()`` gives the whole underlying buffers (a slice only moves its
    # offset), children included, dictionaries not.
    for buffer in array.buffers():
        if buffer is not None and buffer.size > seen.get(buffer.address, -1):
            seen[buffer.address] = buffer.size
    if pa.types.is_dictionary(array.type):
        _buffers(array.dictionary, seen)

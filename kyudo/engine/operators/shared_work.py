"""Work derived from tables that many tasks share, done once while they live.

A broadcast join hands the same small-side partitions to every task of the big
side. Each task used to concatenate them and build its own hash table over their
keys: TPC-H Q14 built a table of a month of lineitem in each of 48 tasks and
probed it with all 2 million parts, 96 million probes where 2 million inserts
and 700 thousand probes do. :func:`derived` remembers such a result, keyed by the
identity of the tables it came from, and forgets it as soon as one of them is
garbage (weak references), so it never outlives the partitions it is made of.
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import Any, Callable, Hashable, Sequence

# A bound on remembered results, in case a caller keeps its tables alive for long.
_MAX_ENTRIES = 16

# Reentrant: a weak reference can die, and call _forget, inside a computation.
_lock = threading.RLock()
_entries: OrderedDict[tuple, tuple[list[weakref.ref], Any]] = OrderedDict()


def derived(sources: Sequence[Any], what: Hashable, compute: Callable[[], Any]) -> Any:
    """``compute()``, or what it returned before for the same ``what`` over the
    very same ``sources`` objects. The result must not refer to the source
    objects themselves (their buffers are fine), or they would never be freed.
    Concurrent callers wait for one computation rather than repeat it."""
    key = (tuple(id(s) for s in sources), what)
    with _lock:
        found = _entries.get(key)
        if found is not None and all(ref() is s for ref, s in zip(found[0], sources)):
            _entries.move_to_end(key)
            return found[1]
        value = compute()
        refs = [weakref.ref(s, lambda _, key=key: _forget(key)) for s in sources]
        _entries[key] = (refs, value)
        while len(_entries) > _MAX_ENTRIES:
            _entries.popitem(last=False)
        return value


def _forget(key: tuple) -> None:
    with _lock:
        _entries.pop(key, None)


def remembered() -> int:
    """How many results are remembered now (for tests)."""
    with _lock:
        return len(_entries)

"""Take the objects of the libraries kyudo has imported out of the cyclic
garbage collector's full collections.

Python's full collection walks every container object alive in the process.
After ``import kyudo.dataframe`` or ``kyudo.sql`` that is over 100 thousand of
them (pandas, pyarrow, numba, sqlglot and kyudo's own modules), all living as
long as the process, and a full collection that lands while a query is planned
cost 55-95 ms: the only TPC-H plans over 50 ms (a 30 ms worst case without).

:func:`freeze_imported` moves everything alive at that moment into the
collector's permanent generation (``gc.freeze``), which full collections skip.
The cost: a reference cycle that was already garbage when kyudo was imported is
never collected. Call ``gc.unfreeze()`` to undo it.

It lives in the planner, whose latency it protects, because both front ends
(``kyudo.dataframe`` and ``kyudo.sql``) may import the planner and call it as
the last line of their ``__init__``.
"""
from __future__ import annotations

import atexit
import gc


def freeze_imported() -> None:
    """Freeze what is alive now: called when kyudo's front ends finish importing.

    Everything is unfrozen again at exit, so the interpreter's last collection
    still frees it: extension types that count their instances (DuckDB's,
    through nanobind) otherwise report them as leaked."""
    gc.collect()  # what is garbage already is collected first, not frozen
    gc.freeze()
    if not _unfreeze_at_exit:
        atexit.register(gc.unfreeze)
        _unfreeze_at_exit.append(True)


_unfreeze_at_exit: list = []

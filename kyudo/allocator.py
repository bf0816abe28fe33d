"""Keep freed memory in the process for the next partition instead of handing it
back to the operating system and faulting it in again.

A query allocates and frees buffers of the same few sizes over and over: a
partition's columns, its hash tables, the row numbers of a join. Both allocators
behind those buffers return freed pages to the kernel at once by default: Arrow's
mimalloc after 10 ms, glibc's ``malloc`` (which numpy uses) whenever the top of a
heap is more than 128 KiB free, or at ``free`` for blocks it gave out with
``mmap``. Every page reused after that is a page fault and 4 KiB zeroed by the
kernel. At TPC-H scale 10 that was 100-380 thousand faults and a fifth of the CPU
time of a query (Q9: 2.0 s of system time beside 7.9 s of user time).

So, when kyudo is imported:

* mimalloc is told never to purge freed pages (``MIMALLOC_PURGE_DELAY=-1``),
  unless the user set that variable. mimalloc reads it once, when pyarrow's
  library loads, so kyudo sets it, imports pyarrow and takes it out of the
  environment again (child processes are left alone). It takes effect only if
  kyudo is imported before pyarrow (and before pandas, which imports pyarrow);
  :data:`mimalloc_tuned` says whether it did.
* glibc's ``mallopt`` keeps blocks up to 32 MiB on the heap and trims a heap only
  above 256 MiB free. This works at any time.

The cost is that the process keeps its high-water mark of freed memory for reuse,
as DuckDB's and Polars' allocators do; the peak is unchanged. Set
``MIMALLOC_PURGE_DELAY`` (milliseconds) before starting Python to choose
otherwise. This module lives outside :mod:`kyudo.engine` because that package
imports pyarrow, and this must run first.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import sys

PURGE_DELAY_VARIABLE = "MIMALLOC_PURGE_DELAY"

# glibc's mallopt parameters (malloc.h) and the values kyudo sets.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 32 * 2**20  # glibc's largest allowed value on 64-bit
_TRIM_THRESHOLD = 256 * 2**20


def _keep_mimalloc_pages() -> bool:
    """Whether Arrow's mimalloc loads (or loaded) with freed pages kept."""
    if "pyarrow" in sys.modules or PURGE_DELAY_VARIABLE in os.environ:
        return os.environ.get(PURGE_DELAY_VARIABLE) == "-1"  # too late, or the user's choice
    os.environ[PURGE_DELAY_VARIABLE] = "-1"
    try:
        import pyarrow  # noqa: F401  (mimalloc reads its options as the library loads)
    finally:
        del os.environ[PURGE_DELAY_VARIABLE]
    return True


def _keep_glibc_pages() -> bool:
    """Set glibc's thresholds; False where the C library is not glibc."""
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))


mimalloc_tuned = _keep_mimalloc_pages()
glibc_tuned = _keep_glibc_pages()

"""Sorting on several keys, each with its own direction and NULL placement, and the
pieces of a range-partitioned sort: boundaries from samples, splitting a table by
those boundaries, and merging sorted runs."""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True, slots=True)
class SortKey:
    column: str
    ascending: bool = True
    nulls_first: bool = False

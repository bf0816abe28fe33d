"""``repartition`` and ``shuffle``: change how rows are spread over partitions
without changing the rows (see :mod:`kyudo.planner.partitioning`)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from kyudo import config
from kyudo.planner.partitioning import Repartition, Shuffle

if TYPE_CHECKING:
    from kyudo.dataframe.frame import DataFrame


def repartition(frame: "DataFrame", npartitions: int | None = None, partition_size=None,
                divisions=None) -> "DataFrame":
    """Balanced partitions: ``npartitions`` of equal row counts, or as many as
    ``partition_size`` (bytes or "100MB") needs, or split at ``divisions`` of the
    index. Sizes are counted when the graph runs, so a selective filter before
    leaves no nearly empty partitions."""
    if divisions is not None:
        if len(frame.index) != 1:
            raise ValueError("repartition(divisions=...) needs a frame indexed by one column")
        plan = Repartition(frame.plan, divisions=tuple(divisions), column=frame.index[0])
    elif partition_size is not None:
        plan = Repartition(frame.plan, partition_bytes=config.parse_bytes(partition_size))
    else:
        plan = Repartition(frame.plan, npartitions=npartitions)
    return frame._with(plan)


def shuffle(frame: "DataFrame", on, npartitions: int | None = None) -> "DataFrame":
    """Hash-partition on the columns ``on`` (index columns included), so rows
    with equal values (NULLs too) share a partition."""
    keys = (on,) if isinstance(on, str) else tuple(on)
    for k in keys:
        frame._column(k)
    return frame._with(Shuffle(frame.plan, keys, npartitions))

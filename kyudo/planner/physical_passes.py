"""Passes over the finished physical plan, in order, after lowering.

They decide what only the whole physical plan shows: which scans read the same
partitions (``shared_scans``), and which scan feeds an aggregate alone
(``key_dictionaries``); and, once scans are final, which NaN checks their
readers make (``reader_nan_to_null``). Like the optimizer's rules, each can be switched off by
name through the ``optimizer_disabled`` config option.
"""
from __future__ import annotations

from typing import Callable

from kyudo.planner import physical as P
from kyudo.planner.key_dictionaries import keep_key_dictionaries
from kyudo.planner.reader_nan_to_null import read_nan_as_null
from kyudo.planner.shared_scans import share_scans

# shared_scans first: a read it shares has several readers, which
# key_dictionaries then leaves alone.
PASSES: tuple[tuple[str, Callable[[P.PhysicalNode], P.PhysicalNode]], ...] = (
    ("shared_scans", share_scans),
    ("key_dictionaries", keep_key_dictionaries),
    ("reader_nan_to_null", read_nan_as_null),
)
PASS_NAMES: tuple[str, ...] = tuple(name for name, _ in PASSES)


def run_passes(root: P.PhysicalNode, disabled: frozenset[str] | set[str] = frozenset()) -> P.PhysicalNode:
    for name, apply in PASSES:
        if name not in disabled:
            root = apply(root)
    return root

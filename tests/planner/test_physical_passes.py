"""The passes over the finished physical plan run in their listed order, and
each is skipped when named in ``optimizer_disabled``."""
from __future__ import annotations

import pyarrow as pa

import kyudo
from kyudo.planner import logical as L
from kyudo.planner import physical_passes
from kyudo.planner.lowering import lower
from kyudo.planner.sources import InMemorySource


def test_passes_run_in_order_unless_disabled(monkeypatch):
    ran = []

    def recorder(name):
        def apply(root):
            ran.append(name)
            return root
        return apply

    monkeypatch.setattr(physical_passes, "PASSES", tuple((name, recorder(name)) for name in ("first", "second")))
    root = object()
    assert physical_passes.run_passes(root) is root and ran == ["first", "second"]
    ran.clear()
    assert physical_passes.run_passes(root, {"first"}) is root and ran == ["second"]


def test_lowering_runs_the_listed_passes_and_honours_the_option(monkeypatch):
    seen = []
    monkeypatch.setattr(physical_passes, "PASSES", (("look", lambda root: seen.append(root) or root),))
    plan = L.Scan(InMemorySource.from_table(pa.table({"a": [1, 2]}), 1))
    node = lower(plan)
    assert seen == [node]
    with kyudo.config.set(optimizer_disabled={"shared_scans", "key_dictionaries"}):
        lower(plan)
    assert len(seen) == 2  # "look" is not among the disabled names
    assert physical_passes.PASS_NAMES == ("shared_scans", "key_dictionaries", "reader_nan_to_null")

"""kyudo/planner/collector.py: importing a front end freezes what is alive (full
collections skip it), after collecting what was garbage already. Each case
runs in a fresh interpreter: freezing is process-wide."""
import subprocess
import sys

import pytest

CYCLE = ("import gc, weakref\n"
         "class Node: pass\n"
         "a = Node(); a.self = a; dead = weakref.ref(a); del a\n")


@pytest.mark.parametrize("front_end", ["kyudo.dataframe", "kyudo.sql"])
def test_importing_a_front_end_freezes_what_is_alive_and_collects_garbage_first(front_end):
    code = CYCLE + f"import {front_end}\nprint(gc.get_freeze_count() > 10_000, dead() is None)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True"]


def test_objects_made_after_the_import_are_collected_as_usual():
    code = "import kyudo.dataframe\n" + CYCLE + "gc.collect()\nprint(dead() is None)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True"]


def test_frozen_objects_are_freed_at_exit_so_nothing_reports_leaks():
    """DuckDB's types (nanobind) count their instances and report the ones the
    interpreter's last collection did not free."""
    pytest.importorskip("duckdb")
    code = "import duckdb; duckdb.sql('select 1').fetchall(); import kyudo.sql, kyudo.dataframe"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "leaked" not in done.stderr

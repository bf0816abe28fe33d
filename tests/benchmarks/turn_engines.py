"""Engines for the tests of ``benchmarks.tpch.measure_in_turn``, which sets them up
in worker processes by name (``tests.benchmarks.turn_engines:<class>``). Each run
appends a line to ``<data dir>/runs``, so the test can see the order of the runs
across processes."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd


class First:
    """Answers every query with a one-row frame holding its run count."""

    queries = {1, 6}

    def __init__(self, data_dir: Path):
        self.log = Path(data_dir) / "runs"
        self.count = 0

    def run(self, number: int):
        self.count += 1
        with open(self.log, "a") as log:
            log.write(f"{type(self).__name__} q{number} run{self.count}\n")
        return pd.DataFrame({"run": [self.count]})


class Second(First):
    pass


class Slow(First):
    """Its second run never ends (in time for the test)."""

    def run(self, number: int):
        answer = super().run(number)
        if self.count == 2:
            time.sleep(60)
        return answer


class Failing(First):
    def run(self, number: int):
        super().run(number)
        raise RuntimeError(f"cannot run q{number}\nsecond line")


def cannot_start(data_dir):
    raise ImportError("no such engine")

"""The examples in the engine's and config's docstrings are run, so they stay true."""
from __future__ import annotations

import doctest

import pytest

import kyudo.config
import kyudo.engine.executors


@pytest.mark.parametrize("module", [kyudo.config, kyudo.engine.executors])
def test_docstring_examples(module):
    failures, tried = doctest.testmod(module, verbose=False)
    assert tried > 0 and failures == 0

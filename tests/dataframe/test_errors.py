"""Errors a user sees: a missing column names the closest match, wherever it is
used (selection, attribute, groupby, agg, merge, sort, drop, astype)."""
from __future__ import annotations

import pandas as pd
import pytest

import kyudo.dataframe as kd
from kyudo.planner.errors import ColumnNotFoundError


@pytest.fixture
def money():
    return kd.from_pandas(pd.DataFrame({"amount": [1.0, 2.0], "region": ["n", "s"], "qty": [1, 2]}), 2)


@pytest.mark.parametrize("use", [
    lambda d: d["amout"],
    lambda d: d[["qty", "amout"]],
    lambda d: d.groupby("amout"),
    lambda d: d.groupby(["region", "amout"]),
    lambda d: d.groupby("region")["amout"],
    lambda d: d.groupby("region").agg({"amout": "sum"}),
    lambda d: d.groupby("region").agg(total=("amout", "sum")),
    lambda d: d.merge(d, on="amout"),
    lambda d: d.merge(d, left_on="amout", right_on="amount"),
    lambda d: d.merge(d, left_on="amount", right_on="amout"),
    lambda d: d.sort_values("amout"),
    lambda d: d.sort_values(["region", "amout"]),
    lambda d: d.drop(columns=["amout"]),
    lambda d: d.astype({"amout": "int64"}),
], ids=lambda f: None)
def test_missing_column_names_the_closest_match(money, use):
    with pytest.raises(ColumnNotFoundError) as info:
        use(money)
    message = str(info.value)
    assert "'amout'" in message
    assert "did you mean 'amount'?" in message
    assert isinstance(info.value, KeyError)  # as pandas raises KeyError


def test_missing_attribute_names_the_closest_match(money):
    with pytest.raises(AttributeError, match="did you mean 'amount'"):
        money.amout


def test_missing_column_far_from_everything_lists_what_exists(money):
    with pytest.raises(KeyError) as info:
        money["zzzzzz"]
    assert "did you mean" not in str(info.value)
    assert "amount" in str(info.value) and "region" in str(info.value)


def test_bad_key_types(money):
    with pytest.raises(TypeError):
        money[3]
    with pytest.raises(TypeError):
        money[["amount", "qty"]] = 1
    with pytest.raises(TypeError):
        money.groupby("region").agg(3)

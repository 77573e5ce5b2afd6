"""Concentration of value: top share, Gini, Lorenz curve, pareto table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmine.exceptions import SchemaError
from crmine.value import gini, lorenz_curve, pareto_table, top_share


def gini_mean_difference(x):
    """Gini as the mean absolute difference over twice the mean (independent formula)."""
    x = np.asarray(x, dtype=float)
    n = x.size
    return np.abs(x[:, None] - x[None, :]).sum() / (2 * n * n * x.mean())


# ----------------------------------------------------------------------------- known answers
def test_top_share_hand_computed():
    values = [50, 20, 10, 10, 5, 5, 0, 0, 0, 0]
    assert top_share(values, 0.1) == pytest.approx(0.5)
    assert top_share(values, 0.2) == pytest.approx(0.7)
    assert top_share(values, 1.0) == pytest.approx(1.0)
    # 1% of 10 customers rounds to 0 -> at least the single best customer
    assert top_share(values, 0.01) == pytest.approx(0.5)
    # 25% of 10 = 2.5 -> rounded half up to 3 customers
    assert top_share(values, 0.25) == pytest.approx(0.8)


def test_gini_hand_computed():
    assert gini([1, 1, 1, 1]) == 0.0
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)
    # x = (1, 2, 3): sum |xi - xj| = 8, n^2 = 9, mean 2 -> 8 / 36
    assert gini([3, 1, 2]) == pytest.approx(8 / 36)


def test_lorenz_curve_points():
    curve = lorenz_curve([1, 3, 6])
    assert curve["customer_share"].tolist() == pytest.approx([0, 1 / 3, 2 / 3, 1])
    assert curve["value_share"].tolist() == pytest.approx([0, 0.1, 0.4, 1.0])
    desc = lorenz_curve([1, 3, 6], descending=True)
    assert desc["value_share"].tolist() == pytest.approx([0, 0.6, 0.9, 1.0])


def test_pareto_table():
    t = pareto_table([50, 20, 10, 10, 5, 5, 0, 0, 0, 0], tops=(0.1, 0.2, 0.5))
    assert t["customers"].tolist() == [1, 2, 5]
    assert t["value"].tolist() == [50.0, 70.0, 95.0]
    assert t["value_share"].tolist() == pytest.approx([0.5, 0.7, 0.95])
    assert not t.attrs  # no metadata hidden in DataFrame.attrs; gini() is its own function


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ([], "empty"),
        ([1.0, np.nan], "missing or infinite"),
        ([1.0, np.inf], "missing or infinite"),
        ([1.0, -2.0], "negative"),
        ([0.0, 0.0], "sum to 0"),
        ([[1.0, 2.0]], "one-dimensional"),
        (["a", "b"], "numeric"),
    ],
)
def test_bad_values(values, match):
    for func in (gini, top_share, lorenz_curve, pareto_table):
        with pytest.raises(SchemaError, match=match):
            func(values)


def test_bad_fraction():
    with pytest.raises(SchemaError, match="fraction"):
        top_share([1, 2], 0)
    with pytest.raises(SchemaError, match="fraction"):
        pareto_table([1, 2], tops=[1.5])


def test_series_input_names_column_in_errors():
    with pytest.raises(SchemaError, match="'monetary_total'"):
        gini(pd.Series([1.0, -1.0], name="monetary_total"))


# ----------------------------------------------------------------------------- properties
values_st = st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=60).filter(
    lambda v: sum(v) > 0
)


@settings(max_examples=50, deadline=None)
@given(values_st)
def test_concentration_properties(values):
    g = gini(values)
    n = len(values)
    assert -1e-12 <= g <= (n - 1) / n + 1e-12
    assert g == pytest.approx(gini_mean_difference(values), abs=1e-9)
    curve = lorenz_curve(values)
    # Gini = 1 - 2 * area under the Lorenz curve (trapezoids)
    x, y = curve["customer_share"].to_numpy(), curve["value_share"].to_numpy()
    area = np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2)
    assert g == pytest.approx(1 - 2 * area, abs=1e-9)
    assert (np.diff(y) >= -1e-12).all() and y[0] == 0 and y[-1] == 1
    # shares: the top x% hold at least x% and at most everything, and grow with x
    shares = [top_share(values, t) for t in (0.01, 0.2, 0.5, 1.0)]
    assert all(a <= b + 1e-12 for a, b in zip(shares, shares[1:]))
    assert shares[-1] == pytest.approx(1.0)
    # invariant to order and to scale
    assert gini(values[::-1]) == pytest.approx(g, abs=1e-12)
    assert gini([3 * v for v in values]) == pytest.approx(g, abs=1e-9)

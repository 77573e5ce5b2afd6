"""Model checking through one API: tracking table, frequency table, P(alive) matrix, plots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import shared_dataset

from crmine.exceptions import SchemaError
from crmine.lifetime import (
    BetaGeoModel,
    ModelCheck,
    ParetoNBDModel,
    calibration_holdout_split,
    check_model,
    proba_alive_matrix,
    simulate_btyd,
    tracking_table,
)

PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def _fitted(params=PARAMS):
    m = BetaGeoModel()
    m.params_ = pd.Series(params)
    return m


def _log():
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2, 3],
            "order_id": [1, 2, 3, 4, 5, 6],
            "timestamp": pd.to_datetime(
                ["2024-01-01", "2024-01-10", "2024-02-05", "2024-01-08", "2024-01-08", "2024-01-20"]
            ),
            "amount": [5.0, 7.0, 3.0, 4.0, 1.0, 2.0],
        }
    )


def test_tracking_table_by_hand():
    m = _fitted()
    t = tracking_table(m, _log(), "2024-01-14", "2024-02-11", time_unit="W")
    # cohort: customers 1 (first 01-01) and 2 (first 01-08); 3 starts after calibration
    # repeat purchase days: customer 1 on 01-10 (week 2) and 02-05 (week 6); customer 2 none
    assert t["actual"].tolist() == [0, 1, 0, 0, 0, 1]
    assert t["holdout"].tolist() == [False, False, True, True, True, True]
    # expected: E[X(tau - s - 1 day)] summed over the two customers, in weeks
    ends = np.arange(1, 7) * 7.0
    exp = sum(
        np.asarray(m.expected_purchases(np.clip(ends - (s + 1.0), 0, None) / 7.0))
        for s in (0.0, 7.0)
    )
    np.testing.assert_allclose(t["expected_cumulative"], exp)


def test_proba_alive_matrix_matches_predictions_and_defaults_to_data_T():
    table = simulate_btyd(2000, PARAMS, T=20.0, random_state=0)
    m = BetaGeoModel().fit(table)
    assert m.T_typical_ == pytest.approx(20.0)
    mat = proba_alive_matrix(m, max_frequency=5, n_recency=6)
    assert mat.columns.max() == pytest.approx(20.0)  # not CDNOW's 39
    assert mat.loc[3, 8.0] == pytest.approx(float(m.predict_proba_alive([3], [8.0], [20.0])[0]))
    assert (mat.loc[0] == 1.0).all()
    with pytest.raises(SchemaError, match="positive"):
        proba_alive_matrix(m, T=-1.0)


def test_check_model_one_result():
    table = simulate_btyd(1500, PARAMS, holdout=39.0, random_state=1)
    table["holdout_duration"] = 39.0
    m = ParetoNBDModel().fit(
        simulate_btyd(
            1500, {"r": 0.55, "alpha": 10.0, "s": 0.6, "beta": 12.0}, model="pareto", random_state=1
        )
    )
    check = check_model(m, table)
    assert isinstance(check, ModelCheck)
    assert check.tracking is None and check.alive_matrix is not None
    assert check.holdout.mae == check.holdout_mae
    assert check.table["n_customers"].sum() == len(table)
    with pytest.raises(SchemaError, match="calibration_holdout_split"):
        check_model(m, table, log=_log())


@pytest.mark.public_data
def test_cdnow_tracking_totals_equal_the_calibration_table():
    from crmine.datasets import load_cdnow

    log = load_cdnow(shared_dataset("cdnow") / "CDNOW_sample.txt")
    data = calibration_holdout_split(log, "1997-09-30", "1998-06-30", time_unit="W")
    check = check_model(BetaGeoModel().fit(data), data, log=log)
    t = check.tracking
    assert len(t) == 78
    assert t.loc[~t["holdout"], "actual"].sum() == data["repeat_frequency"].sum() == 2457
    assert t.loc[t["holdout"], "actual"].sum() == data["holdout_frequency"].sum() == 1882
    # FHL (2005, Figure 2): the model tracks the cumulative curve within a few percent
    week39 = t.loc[39.0]
    assert week39["expected_cumulative"] == pytest.approx(week39["actual_cumulative"], rel=0.03)


def test_check_model_plots():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crmine.datasets import load_cdnow  # noqa: F401  (import check only)

    table = simulate_btyd(800, PARAMS, holdout=39.0, random_state=2)
    table["holdout_duration"] = 39.0
    check = check_model(BetaGeoModel().fit(table), table)
    for kind in ("frequency", "alive"):
        fig, ax = plt.subplots()
        assert check.plot(kind, ax=ax) is ax
        plt.close(fig)
    with pytest.raises(SchemaError, match="log="):
        check.plot("tracking")
    from crmine.plotting import plot_tracking

    t = tracking_table(_fitted(), _log(), "2024-01-14", "2024-02-11")
    fig, ax = plt.subplots()
    assert plot_tracking(t, ax=ax) is ax
    plt.close(fig)

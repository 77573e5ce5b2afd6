"""Lifetime-value figures: survival curves, probability alive, calibration vs holdout, CLV."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmine.plotting._common import get_axes

__all__ = [
    "plot_survival_by_segment",
    "plot_probability_alive_matrix",
    "plot_calibration_holdout",
    "plot_clv_distribution",
    "plot_tracking",
    "plot_alive_matrix_table",
    "plot_conditional_expectations",
    "plot_retention_check",
]


_UNIT_NAMES = {"D": "days", "W": "weeks", "M": "months", "Y": "years"}


def _axes(ax: Any) -> Any:
    return get_axes(ax, (6.0, 4.0))


def plot_survival_by_segment(
    customers: pd.DataFrame,
    duration_col: str,
    event_col: str,
    segment_col: str,
    *,
    ax: Any = None,
    ci: bool = True,
) -> Any:
    """Kaplan-Meier survival curves, one per segment.

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer.
    duration_col, event_col : str
        Duration and churn-event (0/1) columns.
    segment_col : str
        Column defining the groups (e.g. contract type, value tier).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.
    ci : bool, default=True
        Draw the 95 % confidence bands.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.plotting import plot_survival_by_segment
    >>> df = pd.DataFrame({"t": [1, 3, 4, 6, 2, 8], "e": [1, 1, 0, 1, 1, 0],
    ...                    "plan": ["a", "a", "a", "b", "b", "b"]})
    >>> ax = plot_survival_by_segment(df, "t", "e", "plan")  # doctest: +SKIP
    """
    from crmine.exceptions import SchemaError
    from crmine.lifetime._survival import import_lifelines

    KaplanMeierFitter = import_lifelines().KaplanMeierFitter

    for col in (duration_col, event_col, segment_col):
        if col not in customers.columns:
            raise SchemaError(f"customer table has no column {col!r}.")
    ax = _axes(ax)
    for seg, grp in customers.groupby(segment_col, sort=True, observed=True):
        km = KaplanMeierFitter(label=f"{seg} (n={len(grp)})")
        km.fit(grp[duration_col], grp[event_col])
        km.plot_survival_function(ax=ax, ci_show=ci)
    ax.set_xlabel(duration_col)
    ax.set_ylabel("share still active")
    ax.set_ylim(0, 1.02)
    ax.set_title(f"Survival by {segment_col}")
    return ax


def plot_probability_alive_matrix(
    model: Any,
    *,
    T: float | None = None,
    max_frequency: int | None = None,
    n_recency: int = 50,
    ax: Any = None,
    cmap: str = "viridis",
    covariates: Any = None,
) -> Any:
    """Probability alive over a frequency x recency grid for a fitted BTYD model.

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel or BetaGeoBetaBinomModel
        Fitted transaction model (BG/BB: one cell per whole-opportunity history,
        impossible histories blank).
    T : float, optional
        Length of the observation window of the hypothetical customer, in the
        model's time unit (default: the 90th percentile of ``T`` in the data
        the model was fitted on, ``model.T_typical_``; 39 for a model whose
        parameters were set by hand).
    max_frequency : int, optional
        Largest repeat frequency shown (default 20).
    n_recency : int, default=50
        Number of recency values between 0 and ``T``.
    ax : matplotlib Axes, optional
        Where to draw.
    cmap : str, default="viridis"
        Colour map.
    covariates : mapping, optional
        Covariate values of the customer shown, for a model fitted with
        ``features=`` (see :func:`crmine.lifetime.proba_alive_matrix`).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.lifetime import BetaGeoModel
    >>> from crmine.plotting import plot_probability_alive_matrix
    >>> m = BetaGeoModel()
    >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> ax = plot_probability_alive_matrix(m, T=39.0)
    """
    from crmine.lifetime._checking import model_family, proba_alive_matrix

    if T is None:
        T = float(getattr(model, "T_typical_", 39.0))
        T = float(round(T)) if model_family(model) == "discrete" else T
    T = float(T)
    unit = getattr(model, "time_unit_", None)
    max_frequency = 20 if max_frequency is None else int(max_frequency)
    matrix = proba_alive_matrix(
        model, T=T, max_frequency=max_frequency, n_recency=n_recency, covariates=covariates
    )
    if model_family(model) == "discrete":  # whole opportunities: one cell per history
        ax = plot_alive_matrix_table(matrix, ax=ax, cmap=cmap)
        ax.set_title(f"Probability alive (n = {T:g} opportunities)")
        return ax
    p = matrix.to_numpy(dtype=float)
    ax = _axes(ax)
    im = ax.imshow(
        p,
        origin="lower",
        aspect="auto",
        extent=(0.0, T, -0.5, max_frequency + 0.5),
        vmin=0.0,
        vmax=1.0,
        cmap=cmap,
    )
    ax.figure.colorbar(im, ax=ax, label="P(alive)")
    ax.set_xlabel(
        "recency (time of last purchase since first"
        + (f", {_UNIT_NAMES.get(unit, unit)})" if unit else ")")
    )
    ax.set_ylabel("repeat frequency")
    ax.set_title(f"Probability alive (T = {T:g})")
    return ax


def plot_calibration_holdout(
    model: Any, data: pd.DataFrame, *, max_frequency: int = 7, ax: Any = None
) -> Any:
    """Mean actual vs predicted holdout purchases by calibration frequency.

    The classic conditional-expectations chart (Fader, Hardie & Lee 2005,
    Figure 4), drawn from :func:`crmine.lifetime.holdout_frequency_table`.

    Parameters
    ----------
    model : BetaGeoModel or ParetoNBDModel
        Fitted transaction model.
    data : pandas.DataFrame
        Output of :func:`crmine.lifetime.calibration_holdout_split`.
    max_frequency : int, default=7
        Frequencies at or above it are pooled.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from crmine.lifetime import BetaGeoModel, simulate_btyd
    >>> from crmine.plotting import plot_calibration_holdout
    >>> truth = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}
    >>> data = simulate_btyd(500, truth, T=39.0, holdout=39.0, random_state=0)
    >>> data["holdout_duration"] = 39.0
    >>> model = BetaGeoModel().fit(data)
    >>> ax = plot_calibration_holdout(model, data)
    >>> ax.get_xlabel() != ""
    True
    """
    from crmine.lifetime import holdout_frequency_table

    table = holdout_frequency_table(model, data, max_frequency=max_frequency)
    ax = _axes(ax)
    x = table.index.to_numpy()
    ax.plot(x, table["actual_mean"], "o-", label="actual")
    ax.plot(x, table["predicted_mean"], "s--", label=type(model).__name__)
    labels = [str(v) for v in x]
    labels[-1] = f"{x[-1]}+"
    ax.set_xticks(x, labels)
    ax.set_xlabel("repeat purchases in calibration")
    ax.set_ylabel("mean purchases in holdout")
    ax.set_title("Calibration vs holdout")
    ax.legend()
    return ax


def plot_clv_distribution(
    clv: Any, *, bins: int = 50, log_scale: bool = False, ax: Any = None
) -> Any:
    """Histogram of customer lifetime values with mean and median marked.

    Parameters
    ----------
    clv : array-like or pandas.Series
        CLV per customer (e.g. from ``predict_clv``).
    bins : int, default=50
        Number of bins.
    log_scale : bool, default=False
        Use a log-scaled value axis (CLV is usually heavily skewed).
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from crmine.plotting import plot_clv_distribution
    >>> ax = plot_clv_distribution([10.0, 12.0, 50.0, 300.0])
    """
    values = np.asarray(clv, dtype=float)
    values = values[np.isfinite(values)]
    ax = _axes(ax)
    if log_scale:
        pos = values[values > 0]
        edges = np.geomspace(max(pos.min(), 1e-6), pos.max(), bins + 1) if pos.size else bins
        ax.hist(pos, bins=edges)
        ax.set_xscale("log")
    else:
        ax.hist(values, bins=bins)
    if values.size:
        ax.axvline(values.mean(), color="k", linestyle="--", label=f"mean {values.mean():,.1f}")
        ax.axvline(
            np.median(values), color="grey", linestyle=":", label=f"median {np.median(values):,.1f}"
        )
        ax.legend()
    ax.set_xlabel("customer lifetime value")
    ax.set_ylabel("customers")
    ax.set_title("CLV distribution")
    return ax


def plot_tracking(tracking: pd.DataFrame, *, cumulative: bool = True, ax: Any = None) -> Any:
    """Actual vs expected repeat purchases over time (the FHL tracking plot).

    Parameters
    ----------
    tracking : pandas.DataFrame
        Output of :func:`crmine.lifetime.tracking_table` (or ``check_model(...).tracking``).
    cumulative : bool, default=True
        Cumulative totals (else purchases per period).
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.plotting import plot_tracking
    >>> t = pd.DataFrame({"actual": [1.0, 2.0], "expected": [1.5, 1.5],
    ...                   "actual_cumulative": [1.0, 3.0], "expected_cumulative": [1.5, 3.0],
    ...                   "holdout": [False, True]}, index=pd.Index([1.0, 2.0], name="w"))
    >>> ax = plot_tracking(t)
    """
    ax = _axes(ax)
    a, e = ("actual_cumulative", "expected_cumulative") if cumulative else ("actual", "expected")
    x = tracking.index.to_numpy(dtype=float)
    ax.plot(x, tracking[a].to_numpy(), "-", color="black", label="actual")
    ax.plot(x, tracking[e].to_numpy(), "--", color="tab:blue", label="model")
    hold = tracking["holdout"].to_numpy(dtype=bool)
    if hold.any():
        first = int(np.argmax(hold))
        if tracking.index.name == "opportunity":  # between the last calibration opportunity
            end = x[first] - 0.5                  # and the first held-out one
        else:  # rows are labelled by the end of their period
            end = x[first - 1] if first > 0 else x[0]
        ax.axvline(end, color="grey", linestyle=":", label="end of calibration")
    ax.set_xlabel(str(tracking.index.name or "period"))
    if tracking.index.name == "opportunity":  # BG/BB: whole transaction opportunities
        ax.set_ylabel("repeat transactions" + (" (cumulative)" if cumulative else ""))
    else:
        ax.set_ylabel("repeat purchases" + (" (cumulative)" if cumulative else " per period"))
    ax.legend()
    return ax


def plot_alive_matrix_table(matrix: pd.DataFrame, *, ax: Any = None, cmap: str = "viridis") -> Any:
    """Heat map of a P(alive) matrix from :func:`crmine.lifetime.proba_alive_matrix`.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Rows repeat frequency, columns recency, values P(alive).
    ax : matplotlib Axes, optional
        Where to draw.
    cmap : str, default="viridis"
        Colour map.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.plotting import plot_alive_matrix_table
    >>> m = pd.DataFrame([[1.0, 1.0], [0.2, 0.9]], index=[0, 1], columns=[0.0, 39.0])
    >>> ax = plot_alive_matrix_table(m)
    """
    ax = _axes(ax)
    rec = matrix.columns.to_numpy(dtype=float)
    freq = matrix.index.to_numpy(dtype=float)
    # cells centred on their recency value (whole opportunities for BG/BB)
    half = (rec[1] - rec[0]) / 2.0 if rec.size > 1 else 0.5
    im = ax.imshow(
        np.ma.masked_invalid(matrix.to_numpy(dtype=float)), origin="lower", aspect="auto",
        extent=(rec.min() - half, rec.max() + half, freq.min() - 0.5, freq.max() + 0.5),
        vmin=0.0, vmax=1.0, cmap=cmap,
    )
    ax.figure.colorbar(im, ax=ax, label="P(alive)")
    discrete = np.allclose(rec, np.round(rec)) and np.isnan(matrix.to_numpy(dtype=float)).any()
    ax.set_xlabel(
        "recency (opportunity of the last transaction)"
        if discrete
        else "recency (time of last purchase since first)"
    )
    ax.set_ylabel("repeat frequency")
    ax.set_title("Probability alive")
    return ax


def plot_conditional_expectations(
    table: pd.DataFrame,
    *,
    label: str = "model",
    xlabel: str = "repeat purchases in calibration",
    ylabel: str = "mean purchases in holdout",
    title: str = "Calibration vs holdout",
    columns: tuple[str, str] = ("actual_mean", "predicted_mean"),
    pool_last: bool = True,
    ax: Any = None,
) -> Any:
    """Actual vs predicted holdout means by calibration frequency, from a check table.

    Draws ``check_model(...).table`` (columns ``actual_mean`` and
    ``predicted_mean``, indexed by calibration frequency, the last row
    pooling the frequencies at or above it) for transaction and spend models.

    Parameters
    ----------
    table : pandas.DataFrame
        The conditional-expectations table.
    label : str, default="model"
        Legend label of the prediction.
    xlabel, ylabel, title : str
        Axis labels and title.
    columns : (str, str), default=("actual_mean", "predicted_mean")
        The actual and the predicted column.
    pool_last : bool, default=True
        Label the last tick ``"k+"`` (the row pools frequencies >= k).
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.plotting import plot_conditional_expectations
    >>> t = pd.DataFrame({"actual_mean": [0.2, 1.1], "predicted_mean": [0.25, 1.0]},
    ...                  index=pd.Index([0, 1], name="repeat_frequency"))
    >>> [tick.get_text() for tick in plot_conditional_expectations(t).get_xticklabels()]
    ['0', '1+']
    """
    ax = _axes(ax)
    x = table.index.to_numpy()
    ax.plot(x, table[columns[0]].to_numpy(), "o-", color="black", label="actual")
    ax.plot(x, table[columns[1]].to_numpy(), "s--", color="tab:blue", label=label)
    labels = [str(v) for v in x]
    if labels and pool_last:
        labels[-1] = f"{x[-1]}+"
    ax.set_xticks(x, labels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    return ax


def plot_retention_check(table: pd.DataFrame, *, kind: str = "survival", ax: Any = None) -> Any:
    """Actual vs projected survival or retention rate of a cohort, by period (sBG check).

    Parameters
    ----------
    table : pandas.DataFrame
        ``check_model(sbg, survivors).table``: ``actual_survival``,
        ``predicted_survival``, ``actual_retention``, ``predicted_retention``
        and ``holdout`` by period.
    kind : {"survival", "retention"}, default="survival"
        Share still active, or the retention rate of each period.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.plotting import plot_retention_check
    >>> t = pd.DataFrame({"actual_survival": [1.0, 0.6, 0.45],
    ...                   "predicted_survival": [1.0, 0.62, 0.44],
    ...                   "actual_retention": [float("nan"), 0.6, 0.75],
    ...                   "predicted_retention": [float("nan"), 0.62, 0.71],
    ...                   "holdout": [False, False, True]},
    ...                  index=pd.Index([0, 1, 2], name="period"))
    >>> plot_retention_check(t, kind="retention").get_ylabel()
    'retention rate'
    """
    from crmine.exceptions import SchemaError

    if kind not in ("survival", "retention"):
        raise SchemaError(f"kind must be 'survival' or 'retention', got {kind!r}.")
    ax = _axes(ax)
    x = table.index.to_numpy(dtype=float)
    a = table[f"actual_{kind}"].to_numpy(dtype=float)
    p = table[f"predicted_{kind}"].to_numpy(dtype=float)
    ax.plot(x, a, "o-", color="black", label="actual")
    ax.plot(x, p, "--", color="tab:blue", label="sBG")
    hold = table["holdout"].to_numpy(dtype=bool)
    if hold.any():
        ax.axvline(x[np.argmax(hold)] - 0.5, color="grey", linestyle=":",
                   label="end of calibration")
    ax.set_xlabel(str(table.index.name or "period"))
    ax.set_ylabel("share of the cohort still active" if kind == "survival" else "retention rate")
    if kind == "survival":
        ax.set_ylim(0.0, 1.02)
    ax.set_title("sBG: " + ("survival" if kind == "survival" else "retention rate") + " by period")
    ax.legend()
    return ax

"""MBG/NBD model (Batislam, Denizel & Filiztekin 2007): BG/NBD with dropout at time 0."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import gammaln

from crmine.lifetime._base import BTYDTransactionModel
from crmine.lifetime._bgnbd import bgnbd_expected

__all__ = ["ModifiedBetaGeoModel"]


class ModifiedBetaGeoModel(BTYDTransactionModel):
    r"""Modified BG/NBD (MBG/NBD) model of repeat purchasing.

    As :class:`BetaGeoModel`, but a customer may also drop out right after the
    first purchase, so customers without repeat purchases are not
    automatically alive: with dropout probability :math:`p \sim
    \mathrm{Beta}(a, b)` at time 0 and after every repeat purchase,

    * :math:`P(\text{alive} \mid x, t_x, T) = 1 / (1 + \frac{a}{b+x}
      (\frac{\alpha+T}{\alpha+t_x})^{r+x})`;
    * :math:`E[Y(t) \mid \text{alive}]` is the BG/NBD expression with
      :math:`b` replaced by :math:`b + 1`.

    Same parameters, input and API as :class:`BetaGeoModel` (one shared base
    class: likelihood, optimiser, standard errors, predictions, intervals).

    References
    ----------
    Batislam, E. P., Denizel, M. & Filiztekin, A. (2007). "Empirical
    validation and comparison of models for customer base analysis".
    *International Journal of Research in Marketing* 24(3), 201-209.

    Examples
    --------
    >>> from crmine.lifetime import ModifiedBetaGeoModel, simulate_btyd
    >>> table = simulate_btyd(2000, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5},
    ...                       random_state=0)
    >>> m = ModifiedBetaGeoModel().fit(table)
    >>> list(m.params_.index)
    ['r', 'alpha', 'a', 'b']
    >>> bool((m.predict_proba_alive(table) < 1).all())
    True
    """

    _param_names = ("r", "alpha", "a", "b")
    _model_name = "ModifiedBetaGeoModel"

    @staticmethod
    def _loglik_terms(
        params: np.ndarray,
        x: np.ndarray,
        t_x: np.ndarray,
        T: np.ndarray,
        prep: Any = None,
        grad: bool = False,
    ) -> np.ndarray:
        r, alpha, a, b = params
        a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        a2 = gammaln(a + b) + gammaln(b + x + 1.0) - gammaln(b) - gammaln(a + b + x + 1.0)
        a3 = -(r + x) * np.log(alpha + T)
        a4 = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        return a1 + a2 + a3 + np.logaddexp(a4, 0.0)

    def _initial_params(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray):
        rate = max(np.sum(w * x) / np.sum(w * T), 1e-6)
        return np.array([1.0, 1.0 / rate, 1.0, 1.0])

    @staticmethod
    def _degenerate(params: np.ndarray, t_max: float) -> list[str]:
        r, alpha, a, b = params
        if a / (a + b) < 1e-3:
            return [f"mean dropout probability a/(a+b)={a / (a + b):.2g} is driven to 0"]
        return []

    def _proba_alive(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        r, alpha, a, b = self.params_.to_numpy()
        log_odds = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        return np.exp(-np.logaddexp(0.0, log_odds))

    def _conditional_expected(
        self, t: float | np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
    ) -> np.ndarray:
        r, alpha, a, b = self.params_.to_numpy()
        alive_part = bgnbd_expected(np.array([r, alpha, a, b + 1.0]), t, x, T)
        return alive_part * self._proba_alive(x, t_x, T)

    def expected_purchases(self, t: float | np.ndarray) -> np.ndarray:
        r"""Expected number of purchases of a new customer in ``(0, t]``.

        Parameters
        ----------
        t : float or array-like
            Length(s) of the period, in the model's time unit.

        Returns
        -------
        numpy.ndarray
            :math:`\frac{b}{a-1}[1 - (\frac{\alpha}{\alpha+t})^r
            {}_2F_1(r, b+1; a+b; \frac{t}{\alpha+t})]`.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmine.lifetime import ModifiedBetaGeoModel
        >>> m = ModifiedBetaGeoModel()
        >>> m.params_ = pd.Series({"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5})
        >>> round(float(m.expected_purchases(39.0)[0]), 3)
        1.099
        """
        self._check_fitted()
        t = np.atleast_1d(np.asarray(t, dtype=float))
        zero = np.zeros_like(t)
        return self._conditional_expected(t, zero, zero, zero)

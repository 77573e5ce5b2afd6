"""Customer lifetime value: buy-till-you-die models and survival-based CLV.

* :class:`BetaGeoModel`, :class:`ParetoNBDModel` - repeat purchasing and dropout
  in non-contractual settings (maximum likelihood on numpy/scipy);
* :class:`ModifiedBetaGeoModel` (MBG/NBD) - BG/NBD with dropout at time 0;
* :class:`BetaGeoBetaBinomModel` (BG/BB) - discrete transaction opportunities;
* :class:`ShiftedBetaGeometricModel` (sBG) - contractual retention of a cohort;
* :class:`GammaGammaModel` - spend per transaction;
* :func:`fit_clv` - the one-liner: both fits, one table per customer;
* :func:`check_model` - tracking table, conditional expectations, P(alive) matrix;
* :func:`compare_models` - log-likelihood, BIC and holdout error in one table;
* :func:`calibration_holdout_split`, :func:`holdout_report`,
  :func:`holdout_frequency_table` - calibration / holdout validation;
* :class:`SurvivalCLV` - survival-based CLV through lifelines (contractual
  settings, covariates).
"""

from __future__ import annotations

from crmine.lifetime._bgbb import BetaGeoBetaBinomModel
from crmine.lifetime._bgnbd import BetaGeoModel
from crmine.lifetime._checking import ModelCheck, check_model, proba_alive_matrix, tracking_table
from crmine.lifetime._churn_table import inactivity_churn_table
from crmine.lifetime._common import FitSummary
from crmine.lifetime._compare import ModelComparison, compare_models
from crmine.lifetime._gamma_gamma import GammaGammaModel
from crmine.lifetime._mbgnbd import ModifiedBetaGeoModel
from crmine.lifetime._oneliner import fit_clv
from crmine.lifetime._pareto import ParetoNBDModel
from crmine.lifetime._sbg import ShiftedBetaGeometricModel
from crmine.lifetime._simulate import simulate_btyd, simulate_sbg
from crmine.lifetime._survival import SurvivalCLV
from crmine.lifetime._validation import (
    HoldoutReport,
    calibration_holdout_split,
    holdout_frequency_table,
    holdout_report,
)

__all__ = [
    "BetaGeoBetaBinomModel",
    "BetaGeoModel",
    "FitSummary",
    "GammaGammaModel",
    "HoldoutReport",
    "ModelCheck",
    "ModelComparison",
    "ModifiedBetaGeoModel",
    "ParetoNBDModel",
    "ShiftedBetaGeometricModel",
    "SurvivalCLV",
    "calibration_holdout_split",
    "check_model",
    "compare_models",
    "fit_clv",
    "holdout_frequency_table",
    "holdout_report",
    "inactivity_churn_table",
    "proba_alive_matrix",
    "simulate_btyd",
    "simulate_sbg",
    "tracking_table",
]

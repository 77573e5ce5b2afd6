"""crmine: customer data mining from transaction logs.

The public names are loaded lazily (PEP 562) so that ``import crmine`` stays
light: nothing heavier than the package itself is imported until a name is
used.  ``crmine.__all__`` lists every public name.
"""

from __future__ import annotations

import importlib
from typing import Any

from crmine._version import __version__

# public name -> submodule that defines it
_LAZY: dict[str, str] = {
    # schema and cleaning
    "TransactionSchema": "crmine.schema",
    "CleaningReport": "crmine.schema",
    "validate_transactions": "crmine.schema",
    "clean_transactions": "crmine.schema",
    "match_returns": "crmine.schema",
    # features
    "TransactionFeatures": "crmine.features",
    "TransactionAggregates": "crmine.features",
    "rfm_table": "crmine.features",
    "basket_matrix": "crmine.features",
    "BasketMatrix": "crmine.features",
    # data
    "make_retail": "crmine.datasets",
    # customer dynamics
    "cohort_table": "crmine.cohorts",
    "customer_cohorts": "crmine.cohorts",
    "SequenceMiner": "crmine.sequences",
    "sequential_patterns": "crmine.sequences",
    "sequence_rules": "crmine.sequences",
    "NextPurchaseRecommender": "crmine.sequences",
    "OutlierCustomers": "crmine.outliers",
    "outlier_customers": "crmine.outliers",
    "drop_outliers": "crmine.outliers",
    # value
    "RFMScorer": "crmine.value",
    "ValueTierClassifier": "crmine.value",
    "score_rfm": "crmine.value",
    "segment_summary": "crmine.value",
    "value_tiers": "crmine.value",
    "tier_migration": "crmine.value",
    "top_share": "crmine.value",
    "gini": "crmine.value",
    "lorenz_curve": "crmine.value",
    "pareto_table": "crmine.value",
    # customer scorecard (every score in one table)
    "customer_scorecard": "crmine.scorecard",
    # basket analysis
    "Apriori": "crmine.basket",
    "apriori": "crmine.basket",
    "association_rules": "crmine.basket",
    "BasketRecommender": "crmine.basket",
    "recommend_products": "crmine.basket",
    # segmentation
    "CustomerSegmenter": "crmine.segmentation",
    "segment_customers": "crmine.segmentation",
    # churn and evaluation
    "ChurnClassifier": "crmine.churn",
    "churn_labels": "crmine.churn",
    "make_churn_dataset": "crmine.churn",
    "churn_scores": "crmine.churn",
    "ChurnRules": "crmine.churn",
    "churn_rules": "crmine.churn",
    "gains_table": "crmine.evaluation",
    "cumulative_gains_curve": "crmine.evaluation",
    "lift_curve": "crmine.evaluation",
    "ks_statistic": "crmine.evaluation",
    "profit_curve": "crmine.evaluation",
    "best_contact_depth": "crmine.evaluation",
    "top_decile_lift": "crmine.evaluation",
    "churn_report": "crmine.evaluation",
    # lifetime value
    "BetaGeoModel": "crmine.lifetime",
    "ParetoNBDModel": "crmine.lifetime",
    "GammaGammaModel": "crmine.lifetime",
    "SurvivalCLV": "crmine.lifetime",
    "calibration_holdout_split": "crmine.lifetime",
    "holdout_report": "crmine.lifetime",
    "fit_clv": "crmine.lifetime",
    "ModifiedBetaGeoModel": "crmine.lifetime",
    "BetaGeoBetaBinomModel": "crmine.lifetime",
    "ShiftedBetaGeometricModel": "crmine.lifetime",
    "compare_models": "crmine.lifetime",
    # campaign
    "response_summary": "crmine.campaign",
    "sample_ratio_mismatch": "crmine.campaign",
    "TwoModelUplift": "crmine.campaign",
    "ClassTransformationUplift": "crmine.campaign",
    "qini_curve": "crmine.campaign",
    "uplift_curve": "crmine.campaign",
    "qini_auc_score": "crmine.campaign",
    "uplift_auc_score": "crmine.campaign",
    "uplift_at_k": "crmine.campaign",
    "uplift_by_percentile": "crmine.campaign",
    "uplift_scores": "crmine.campaign",
    "campaign_profit": "crmine.campaign",
    "MultiArmUplift": "crmine.campaign",
    "multiarm_uplift": "crmine.campaign",
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'crmine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


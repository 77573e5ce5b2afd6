"""crmine: customer data mining from transaction logs.

The public names are loaded lazily (PEP 562) so that ``import crmine`` stays
light: nothing heavier than the package itself is imported until a name is
used.  ``crmine.__all__`` lists every public name.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from crmine._version import __version__

# --- typing block start
if TYPE_CHECKING:  # static type checkers see the real names (generated from _LAZY)
    from crmine.basket import Apriori as Apriori
    from crmine.basket import BasketRecommender as BasketRecommender
    from crmine.basket import apriori as apriori
    from crmine.basket import association_rules as association_rules
    from crmine.basket import recommend_products as recommend_products
    from crmine.campaign import ClassTransformationUplift as ClassTransformationUplift
    from crmine.campaign import MultiArmUplift as MultiArmUplift
    from crmine.campaign import TwoModelUplift as TwoModelUplift
    from crmine.campaign import campaign_profit as campaign_profit
    from crmine.campaign import multiarm_uplift as multiarm_uplift
    from crmine.campaign import qini_auc_score as qini_auc_score
    from crmine.campaign import qini_curve as qini_curve
    from crmine.campaign import response_summary as response_summary
    from crmine.campaign import sample_ratio_mismatch as sample_ratio_mismatch
    from crmine.campaign import uplift_at_k as uplift_at_k
    from crmine.campaign import uplift_auc_score as uplift_auc_score
    from crmine.campaign import uplift_by_percentile as uplift_by_percentile
    from crmine.campaign import uplift_curve as uplift_curve
    from crmine.campaign import uplift_scores as uplift_scores
    from crmine.churn import ChurnClassifier as ChurnClassifier
    from crmine.churn import ChurnRules as ChurnRules
    from crmine.churn import churn_labels as churn_labels
    from crmine.churn import churn_rules as churn_rules
    from crmine.churn import churn_scores as churn_scores
    from crmine.churn import make_churn_dataset as make_churn_dataset
    from crmine.cohorts import cohort_table as cohort_table
    from crmine.cohorts import customer_cohorts as customer_cohorts
    from crmine.datasets import make_retail as make_retail
    from crmine.evaluation import best_contact_depth as best_contact_depth
    from crmine.evaluation import churn_report as churn_report
    from crmine.evaluation import cumulative_gains_curve as cumulative_gains_curve
    from crmine.evaluation import gains_table as gains_table
    from crmine.evaluation import ks_statistic as ks_statistic
    from crmine.evaluation import lift_curve as lift_curve
    from crmine.evaluation import profit_curve as profit_curve
    from crmine.evaluation import top_decile_lift as top_decile_lift
    from crmine.features import BasketMatrix as BasketMatrix
    from crmine.features import TransactionAggregates as TransactionAggregates
    from crmine.features import TransactionFeatures as TransactionFeatures
    from crmine.features import basket_matrix as basket_matrix
    from crmine.features import rfm_table as rfm_table
    from crmine.lifetime import BetaGeoBetaBinomModel as BetaGeoBetaBinomModel
    from crmine.lifetime import BetaGeoModel as BetaGeoModel
    from crmine.lifetime import GammaGammaModel as GammaGammaModel
    from crmine.lifetime import ModifiedBetaGeoModel as ModifiedBetaGeoModel
    from crmine.lifetime import ParetoNBDModel as ParetoNBDModel
    from crmine.lifetime import ShiftedBetaGeometricModel as ShiftedBetaGeometricModel
    from crmine.lifetime import SurvivalCLV as SurvivalCLV
    from crmine.lifetime import calibration_holdout_split as calibration_holdout_split
    from crmine.lifetime import compare_models as compare_models
    from crmine.lifetime import fit_clv as fit_clv
    from crmine.lifetime import holdout_report as holdout_report
    from crmine.outliers import OutlierCustomers as OutlierCustomers
    from crmine.outliers import drop_outliers as drop_outliers
    from crmine.outliers import outlier_customers as outlier_customers
    from crmine.schema import CleaningReport as CleaningReport
    from crmine.schema import TransactionSchema as TransactionSchema
    from crmine.schema import clean_transactions as clean_transactions
    from crmine.schema import match_returns as match_returns
    from crmine.schema import validate_transactions as validate_transactions
    from crmine.scorecard import customer_scorecard as customer_scorecard
    from crmine.segmentation import CustomerSegmenter as CustomerSegmenter
    from crmine.segmentation import segment_customers as segment_customers
    from crmine.sequences import NextPurchaseRecommender as NextPurchaseRecommender
    from crmine.sequences import SequenceMiner as SequenceMiner
    from crmine.sequences import sequence_rules as sequence_rules
    from crmine.sequences import sequential_patterns as sequential_patterns
    from crmine.value import RFMScorer as RFMScorer
    from crmine.value import ValueTierClassifier as ValueTierClassifier
    from crmine.value import gini as gini
    from crmine.value import lorenz_curve as lorenz_curve
    from crmine.value import pareto_table as pareto_table
    from crmine.value import score_rfm as score_rfm
    from crmine.value import segment_summary as segment_summary
    from crmine.value import tier_migration as tier_migration
    from crmine.value import top_share as top_share
    from crmine.value import value_tiers as value_tiers
# --- typing block end

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


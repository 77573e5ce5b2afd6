"""Campaign evaluation: response and lift, significance, uplift models and metrics.

After a campaign, marketing asks three questions, and this package answers each:

- *Did it work?*  :func:`response_summary` compares the arms of a randomised
  campaign (rates with Wilson intervals, lift with Newcombe intervals, z /
  Fisher tests, Holm correction, incremental responders and revenue, a
  sample-ratio-mismatch check).
- *For whom?*  :class:`TwoModelUplift` and :class:`ClassTransformationUplift`
  estimate the individual uplift (one-liner :func:`uplift_scores`);
  :func:`qini_curve`, :func:`uplift_curve`,
  :func:`qini_auc_score`, :func:`uplift_auc_score`, :func:`uplift_at_k` and
  :func:`uplift_by_percentile` evaluate it (same numbers as scikit-uplift),
  :func:`qini_auc_confint` and :func:`random_qini_band` say how sure.
- *Whom to contact next time?*  :func:`campaign_profit` finds the most
  profitable contact depth under a budget for a response model,
  :func:`incremental_profit` for an uplift model; :func:`gains_table` and the other
  response-model tables come from :mod:`crmine.evaluation`.
"""

from __future__ import annotations

from crmine.campaign._multiarm import (
    MultiArmUplift,
    arm_policy_value,
    multiarm_uplift,
    qini_by_arm,
)
from crmine.campaign._multiarm_budget import ArmAllocation, allocate_arms
from crmine.campaign._qini_intervals import QiniInterval, qini_auc_confint, random_qini_band
from crmine.campaign._response import ResponseSummary, response_summary
from crmine.campaign._significance import (
    SampleRatioMismatch,
    holm_adjust,
    newcombe_interval,
    sample_ratio_mismatch,
    wilson_interval,
)
from crmine.campaign._targeting import CampaignProfit, campaign_profit, incremental_profit
from crmine.campaign._uplift_metrics import (
    perfect_qini_curve,
    perfect_uplift_curve,
    qini_auc_score,
    qini_curve,
    uplift_at_k,
    uplift_auc_score,
    uplift_by_percentile,
    uplift_curve,
)
from crmine.campaign._uplift_models import ClassTransformationUplift, TwoModelUplift, uplift_scores

__all__ = [
    "ArmAllocation",
    "MultiArmUplift",
    "allocate_arms",
    "arm_policy_value",
    "multiarm_uplift",
    "qini_by_arm",
    "CampaignProfit",
    "campaign_profit",
    "incremental_profit",
    "ClassTransformationUplift",
    "QiniInterval",
    "ResponseSummary",
    "SampleRatioMismatch",
    "TwoModelUplift",
    "holm_adjust",
    "newcombe_interval",
    "perfect_qini_curve",
    "perfect_uplift_curve",
    "qini_auc_confint",
    "qini_auc_score",
    "qini_curve",
    "random_qini_band",
    "response_summary",
    "sample_ratio_mismatch",
    "uplift_at_k",
    "uplift_auc_score",
    "uplift_by_percentile",
    "uplift_curve",
    "uplift_scores",
    "wilson_interval",
]

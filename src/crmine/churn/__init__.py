"""Churn: labels from transaction history, a churn classifier and readable churn rules.

- :func:`churn_labels` / :func:`make_churn_dataset` -- features before a
  cutoff and the label "no purchase in the horizon after it", without leakage;
- :class:`ChurnClassifier` -- a scikit-learn classifier for raw, mixed-type
  customer tables; :func:`churn_scores` is its one-liner;
- :class:`ChurnRules` / :func:`churn_rules` -- a shallow decision tree read as
  IF-THEN rules with support, churn rate and lift on held-out customers.
"""

from __future__ import annotations

from crmine.churn._classifier import ChurnClassifier, PermutationImportance
from crmine.churn._importance import _auc  # noqa: F401 - used by the tests
from crmine.churn._labels import ChurnDataset, churn_labels, make_churn_dataset
from crmine.churn._rules import ChurnRuleList, ChurnRules, churn_rules
from crmine.churn._scores import churn_scores

__all__ = [
    "ChurnClassifier",
    "ChurnDataset",
    "ChurnRuleList",
    "ChurnRules",
    "PermutationImportance",
    "churn_labels",
    "churn_rules",
    "churn_scores",
    "make_churn_dataset",
]

"""crmine on Apache Spark: the row-level steps of a customer analysis at scale.

The heavy, row-level steps run on Spark: cleaning
(:func:`clean_transactions_spark`, also reached by
:func:`crmine.clean_transactions` given a Spark DataFrame), customer features
(:func:`customer_features`, :func:`rfm_table_spark`, and
:class:`crmine.TransactionFeatures` / :func:`crmine.rfm_table` given a Spark
DataFrame), frequent itemsets by MLlib's FP-growth (:func:`fpgrowth`, rules by
crmine's own :func:`crmine.basket.association_rules`), k-means over very large
customer tables (:class:`SparkKMeans`) and batch scoring of a fitted
single-node model (:func:`score_customers`).  Model fitting (churn, lifetime,
uplift) stays in memory on the collected customer table.

Importing this package does not import pyspark; every function imports it when
called (install it with ``pip install 'crmine[spark]'``).
"""

from __future__ import annotations

from crmine.spark._basket import fpgrowth, spark_association_rules
from crmine.spark._clean import clean_transactions_spark
from crmine.spark._detect import is_spark_dataframe
from crmine.spark._features import (
    SPARK_FEATURE_GROUPS,
    customer_features,
    rfm_table_spark,
    to_customer_table,
)
from crmine.spark._kmeans import SparkKMeans
from crmine.spark._score import score_customers

__all__ = [
    "SPARK_FEATURE_GROUPS",
    "SparkKMeans",
    "clean_transactions_spark",
    "customer_features",
    "fpgrowth",
    "is_spark_dataframe",
    "rfm_table_spark",
    "score_customers",
    "spark_association_rules",
    "to_customer_table",
]

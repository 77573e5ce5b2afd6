"""Customer segmentation: k-means with an explained choice of k, profiles and names.

:class:`CustomerSegmenter` is the estimator; :func:`segment_customers` the
one-liner returning a DataFrame indexed by customer id.
"""

from __future__ import annotations

from crmine.segmentation._naming import _name_segments, _tertile_level
from crmine.segmentation._oneliner import segment_customers
from crmine.segmentation._segmenter import DEFAULT_FEATURES, CustomerSegmenter
from crmine.segmentation._selection import _kneedle
from crmine.segmentation._transform import _signed_expm1, _signed_log1p

__all__ = ["DEFAULT_FEATURES", "CustomerSegmenter", "segment_customers"]

# private helpers re-exported for the plots and the tests
_PRIVATE = (_kneedle, _name_segments, _signed_expm1, _signed_log1p, _tertile_level)

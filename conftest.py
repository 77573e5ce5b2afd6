"""Root pytest configuration.

Doctests of modules whose optional extra is not installed are not collected (their tests
skip with the extra named; see tests/).
"""

from __future__ import annotations

import importlib.util

collect_ignore_glob: list[str] = []
if importlib.util.find_spec("lifelines") is None:  # the `survival` extra
    collect_ignore_glob += ["src/crmine/lifetime/_survival.py"]

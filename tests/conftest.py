"""Shared test fixtures and helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs every property test on the same examples (a red run does not land, so a chance
# failure must be reproducible); locally hypothesis explores new examples each run
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATASETS = REPO.parent / "shared" / "datasets"


def shared_dataset(name: str) -> Path:
    """Path of a public data set folder in ``../shared/datasets``, or skip the test."""
    path = SHARED_DATASETS / name
    if not path.is_dir():
        pytest.skip(f"public data set {name!r} not present at {path}")
    return path


@pytest.fixture
def shared_datasets_dir() -> Path:
    """Folder of the public data sets (skips when absent)."""
    if not SHARED_DATASETS.is_dir():
        pytest.skip(f"public data sets not present at {SHARED_DATASETS}")
    return SHARED_DATASETS

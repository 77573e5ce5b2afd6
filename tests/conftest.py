"""Shared test fixtures and helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

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

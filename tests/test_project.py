"""Project-level checks: README and CI agree, the import stays light, the API resolves."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import crmine

REPO = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", text)


def test_readme_opens_with_two_commands_and_ci_runs_the_test_one():
    commands = _readme_commands()
    assert len(commands) >= 2
    install_and_report, install_and_test = commands[0], commands[1]
    assert "crmine report" in install_and_report
    assert "pytest" in install_and_test
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert install_and_test in ci.splitlines()


def test_import_is_light():
    code = (
        "import sys, crmine; "
        "heavy = [m for m in ('lifelines', 'matplotlib', 'pyspark', 'mlxtend', 'sklearn') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


@pytest.mark.parametrize("name", crmine.__all__)
def test_public_names_resolve(name):
    assert getattr(crmine, name) is not None


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        crmine.nope  # noqa: B018


def test_single_version_string():
    from importlib.metadata import version

    assert version("crmine") == crmine.__version__

"""``python -m crmine.cli``: the same as the ``crmine`` command."""

from __future__ import annotations

import sys

from crmine.cli import main

sys.exit(main())

"""Make ``tests/strategies.py`` importable from the binding tests in this folder.

pytest puts each test's own folder on ``sys.path`` (rootdir import mode), so the
Hypothesis strategies one level up are found only when a test in ``tests/`` happens to
be collected first; adding the folder here makes ``from strategies import ...`` work
when this folder runs alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parents[1])
if _TESTS not in sys.path:
    sys.path.append(_TESTS)

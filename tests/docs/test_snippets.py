"""Every code block in the docs is a file under docs/snippets/: run each one."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

SNIPPETS = sorted((Path(__file__).parents[2] / "docs" / "snippets").glob("*.py"))


def test_snippets_exist() -> None:
    assert SNIPPETS, "docs/snippets/ holds no snippet"


@pytest.mark.parametrize("path", SNIPPETS, ids=lambda p: p.name)
def test_snippet_runs(path: Path) -> None:
    runpy.run_path(str(path), run_name="__main__")

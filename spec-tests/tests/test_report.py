"""The report generator runs and lists every case."""

from __future__ import annotations

from pathlib import Path

import pytest

from cesdk_spec_tests import Case, Result, load_cases
from cesdk_spec_tests.report import main, render


def test_report_lists_every_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "docs" / "conformance.md"
    assert main([str(output)]) == 0
    page = output.read_text(encoding="utf-8")
    assert all(f"`{case.id}`" in page for case in load_cases())
    assert "| **Total** |" in page
    assert "cases; cesdk" in capsys.readouterr().out


def test_notes_cannot_break_the_table() -> None:
    case = Case("core/naming/x", "Naming Conventions", "MUST", "create", {}, {"outcome": "valid"})
    page = render([case], [Result("pass")], [Result("fail", "a | b <tag> *x* `y`\nz")])
    row = next(line for line in page.splitlines() if line.startswith("| `core/naming/x`"))
    assert row.count(" | ") == 4
    assert r"a \| b &lt;tag&gt; \*x\* \`y\` z" in row

"""The pytest plugin runs the cases against an implementation named on the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cesdk_spec_tests import load_cases

IMPLEMENTATION = """
from cesdk_spec_tests import Implementation

class NothingSupported(Implementation):
    name = "nothing"

NotAnImplementation = object
"""

TEST = """
from cesdk_spec_tests.plugin import assert_conforms

def test_spec(spec_case, spec_implementation):
    assert_conforms(spec_implementation, spec_case)
"""


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "third_party_impl.py").write_text(IMPLEMENTATION)
    (tmp_path / "test_third_party.py").write_text(TEST)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_option_selects_a_third_party_implementation(tmp_path: Path) -> None:
    run = _pytest(tmp_path, "--cesdk-spec-impl", "third_party_impl:NothingSupported", "-rN")
    assert run.returncode == 0, run.stdout + run.stderr
    # UnsupportedOperationError operations skip, and no cesdk_xfail applies to another library.
    assert f"{len(load_cases())} skipped" in run.stdout


def test_option_must_name_an_implementation(tmp_path: Path) -> None:
    run = _pytest(tmp_path, "--cesdk-spec-impl", "third_party_impl:NotAnImplementation")
    assert run.returncode != 0
    assert "is not a cesdk_spec_tests.Implementation subclass" in run.stdout + run.stderr

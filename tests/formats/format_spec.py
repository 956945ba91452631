"""The spec files the format tests compare with (../shared beside the checkout)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SPEC_FORMATS = Path(__file__).resolve().parents[3] / "shared" / "spec" / "cloudevents" / "formats"


def spec_text(name: str) -> str:
    """A spec file's text; without the checkout a skip, but under CI=true a failure."""
    path = SPEC_FORMATS / name
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the spec text is missing: {path}")
        pytest.skip(f"the spec text is not checked out at {path}")
    return path.read_text(encoding="utf-8")

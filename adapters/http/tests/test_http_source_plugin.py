"""The source is found by name (`use: http`) and built from YAML options."""

from __future__ import annotations

from pathlib import Path

import cesdk
from cesdk import plugins
from cesdk_http import HttpSource


def test_entry_point_names_the_source() -> None:
    assert "http" in plugins.available("cesdk.sources")
    assert plugins.load("cesdk.sources", "http") is HttpSource


def test_yaml_options_are_checked_and_converted(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "source:\n  use: http\n  port: '8081'\n  max_body: 2048\n  rate_limit: 5\n"
        "  webhook_secret: [whsec_QUJD]\nsink: memory\n"
    )
    pipeline = cesdk.load_pipeline(path)
    source = pipeline.source
    assert isinstance(source, HttpSource)
    assert (source.port, source.max_body) == (8081, 2048)
    bad = tmp_path / "bad.yaml"
    bad.write_text("source:\n  use: http\n  mode: soap\nsink: memory\n")
    problems = cesdk.validate_file(bad)
    assert problems
    assert problems[0].key == "source.mode"

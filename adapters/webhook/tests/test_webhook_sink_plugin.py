"""The sink is found by name (`use: webhook`) and built from YAML options."""

from __future__ import annotations

from pathlib import Path

import cesdk
from cesdk import plugins
from cesdk_webhook import WebhookSink


def test_entry_point_names_the_sink() -> None:
    assert "webhook" in plugins.available("cesdk.sinks")
    assert plugins.load("cesdk.sinks", "webhook") is WebhookSink


def test_yaml_options_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "source: memory\nsink:\n  use: webhook\n  url: http://127.0.0.1:9/\n"
        "  mode: template\n  template: {text: '{type}'}\n  timeout: '2.5'\n"
    )
    pipeline = cesdk.load_pipeline(path)
    sink = pipeline.routes[0].sink
    assert isinstance(sink, WebhookSink)
    assert sink.timeout == 2.5
    bad = tmp_path / "bad.yaml"
    bad.write_text("source: memory\nsink:\n  use: webhook\n  url: http://x/\n  mode: fax\n")
    problems = cesdk.validate_file(bad)
    assert problems
    assert problems[0].key == "sink.mode"

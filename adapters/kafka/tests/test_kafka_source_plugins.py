"""The adapter is found by name (entry points) and its documented YAML validates."""

from __future__ import annotations

from pathlib import Path

import pytest

import cesdk
from cesdk import plugins
from cesdk_kafka import KafkaSink, KafkaSource

DOCS = Path(__file__).parents[3] / "docs" / "snippets"


def test_entry_points() -> None:
    assert plugins.load("cesdk.sources", "kafka") is KafkaSource
    assert plugins.load("cesdk.sinks", "kafka") is KafkaSink


def test_documented_pipeline_validates() -> None:
    assert cesdk.validate_file(DOCS / "kafka_pipeline.yaml", environ={}) == []


def test_source_options_are_checked() -> None:
    with pytest.raises(ValueError, match="topics or a pattern"):
        KafkaSource()
    with pytest.raises(ValueError, match="topics or a pattern"):
        KafkaSource("a", pattern="b.*")
    with pytest.raises(ValueError, match="start"):
        KafkaSource("a", start="middle")  # type: ignore[arg-type]
    assert KafkaSource(pattern=r"^events\..*").pattern == r"^events\..*"

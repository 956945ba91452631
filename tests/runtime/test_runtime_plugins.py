"""The plugin registry: entry-point groups, lazy loading, in-process registration,
``CESDK_DISABLED_PLUGINS``, helpful errors for missing and ambiguous names.

DESIGN.md "Layout" (entry-point groups); STYLE.md 8; issue 3 "Contracts and plugins".
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from types import SimpleNamespace

import pytest

import cesdk
from cesdk import plugins


@pytest.fixture(autouse=True)
def _clean_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("CESDK_DISABLED_PLUGINS", raising=False)
    plugins.refresh()
    yield
    plugins.refresh()  # forget any scan of faked entry points
    for group in plugins.GROUPS:
        plugins.unregister(group, "pager")


def _fake_entry_points(monkeypatch: pytest.MonkeyPatch, *eps: EntryPoint) -> None:
    def entry_points(*, group: str) -> list[EntryPoint]:
        return [ep for ep in eps if ep.group == group]

    monkeypatch.setattr(plugins, "entry_points", entry_points)
    plugins.refresh()


def _ep(name: str, value: str, group: str, distribution: str) -> EntryPoint:
    # What importlib.metadata gives for an installed distribution: the entry point
    # knows which distribution declared it.
    return EntryPoint(name, value, group)._for(SimpleNamespace(name=distribution))


def test_groups() -> None:
    assert plugins.GROUPS == ("cesdk.sources", "cesdk.sinks", "cesdk.formats", "cesdk.dedup_stores")


def test_builtin_names_are_available() -> None:
    assert {"memory", "file", "generator"} <= set(plugins.available("cesdk.sources"))
    assert {"memory", "console", "file"} <= set(plugins.available("cesdk.sinks"))
    assert "json" in plugins.available("cesdk.formats")
    assert {"memory", "redis"} <= set(plugins.available("cesdk.dedup_stores"))
    names = plugins.available("cesdk.sinks")
    assert names == sorted(names)


def test_available_lists_names_without_importing(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_entry_points(
        monkeypatch,
        _ep("pager", "cesdk_pager_not_installed.sink:PagerSink", "cesdk.sinks", "cesdk-pager"),
    )
    assert plugins.available("cesdk.sinks") == ["pager"]
    assert "cesdk_pager_not_installed" not in sys.modules
    # Only load imports, and then the broken import is reported as a plugin error.
    with pytest.raises(cesdk.PluginError, match="cesdk_pager_not_installed"):
        plugins.load("cesdk.sinks", "pager")


def test_load_builtins() -> None:
    assert plugins.load("cesdk.sinks", "console") is cesdk.ConsoleSink
    assert plugins.load("cesdk.sinks", "file") is cesdk.FileSink
    assert plugins.load("cesdk.sources", "memory") is cesdk.MemorySource
    assert plugins.load("cesdk.sources", "generator") is cesdk.GeneratorSource
    assert plugins.load("cesdk.dedup_stores", "redis") is cesdk.RedisDedupStore
    assert plugins.load("cesdk.formats", "json") is cesdk.formats.json


def test_register_wins_and_unregister_restores() -> None:
    class PagerSink:
        pass

    plugins.register("cesdk.sinks", "pager", PagerSink)
    assert "pager" in plugins.available("cesdk.sinks")
    assert plugins.load("cesdk.sinks", "pager") is PagerSink
    plugins.register("cesdk.sinks", "console", PagerSink)
    try:
        assert plugins.load("cesdk.sinks", "console") is PagerSink
    finally:
        plugins.unregister("cesdk.sinks", "console")
    assert plugins.load("cesdk.sinks", "console") is cesdk.ConsoleSink
    plugins.unregister("cesdk.sinks", "pager")
    assert "pager" not in plugins.available("cesdk.sinks")
    plugins.unregister("cesdk.sinks", "pager")  # twice is fine
    with pytest.raises(cesdk.PluginError):
        plugins.load("cesdk.sinks", "pager")


def test_disabled_plugins_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CESDK_DISABLED_PLUGINS", "console, generator")
    assert "console" not in plugins.available("cesdk.sinks")
    assert "generator" not in plugins.available("cesdk.sources")
    assert "file" in plugins.available("cesdk.sinks")
    with pytest.raises(cesdk.PluginError, match="CESDK_DISABLED_PLUGINS"):
        plugins.load("cesdk.sinks", "console")


def test_disabled_plugins_by_group_and_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CESDK_DISABLED_PLUGINS", "cesdk.sinks:file")
    assert "file" not in plugins.available("cesdk.sinks")
    assert "file" in plugins.available("cesdk.sources")  # other groups unaffected
    assert plugins.load("cesdk.sources", "file") is cesdk.FileSource
    with pytest.raises(cesdk.PluginError, match="disabled"):
        plugins.load("cesdk.sinks", "file")


def test_disabled_also_blocks_registered_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    plugins.register("cesdk.sinks", "pager", object())
    monkeypatch.setenv("CESDK_DISABLED_PLUGINS", "pager")
    assert "pager" not in plugins.available("cesdk.sinks")
    with pytest.raises(cesdk.PluginError, match="disabled"):
        plugins.load("cesdk.sinks", "pager")


@pytest.mark.parametrize(
    ("group", "name", "distribution"),
    [
        ("cesdk.sources", "kafka", "cesdk-kafka"),
        ("cesdk.sinks", "slack", "cesdk-slack"),
        ("cesdk.sinks", "smtp", "cesdk-smtp"),
        ("cesdk.sources", "nats", "cesdk-nats"),
        ("cesdk.sources", "kubernetes-events", "cesdk-kubernetes"),
    ],
)
def test_missing_plugin_names_the_distribution_to_install(
    group: str, name: str, distribution: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only core's own plugins are installed here, whatever this environment holds.
    real = plugins.entry_points

    def core_only(*, group: str) -> list[EntryPoint]:
        return [ep for ep in real(group=group) if plugins._distribution(ep) == "cesdk"]

    monkeypatch.setattr(plugins, "entry_points", core_only)
    plugins.refresh()
    with pytest.raises(cesdk.PluginError) as info:
        plugins.load(group, name)
    message = str(info.value)
    assert f'pip install "{distribution}"' in message
    assert "memory" in message  # and lists what is there


def test_unknown_plugin_without_a_known_provider() -> None:
    with pytest.raises(cesdk.PluginError, match="no plugin 'frobnicator'") as info:
        plugins.load("cesdk.sinks", "frobnicator")
    assert "pip install" not in str(info.value)
    assert isinstance(info.value, LookupError)


def test_unknown_group_is_refused() -> None:
    with pytest.raises(cesdk.PluginError, match=r"cesdk\.sinks"):
        plugins.available("cesdk.sinkz")
    with pytest.raises(cesdk.PluginError, match="unknown plugin group"):
        plugins.load("cesdk.sinkz", "memory")
    with pytest.raises(cesdk.PluginError):
        plugins.register("nope", "x", object())


def test_duplicate_names_across_distributions_name_both(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_entry_points(
        monkeypatch,
        _ep("pager", "cesdk_pager.sink:PagerSink", "cesdk.sinks", "cesdk-pager"),
        _ep("pager", "acme_pager:Sink", "cesdk.sinks", "acme-pager"),
    )
    assert plugins.available("cesdk.sinks") == ["pager"]
    with pytest.raises(cesdk.PluginError) as info:
        plugins.load("cesdk.sinks", "pager")
    message = str(info.value)
    assert "cesdk-pager" in message
    assert "acme-pager" in message
    assert "CESDK_DISABLED_PLUGINS" in message


def test_the_same_entry_point_seen_twice_is_not_a_conflict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One distribution found twice on sys.path must not count as two providers.
    _fake_entry_points(
        monkeypatch,
        _ep("console", "cesdk._adapters.console:ConsoleSink", "cesdk.sinks", "cesdk"),
        _ep("console", "cesdk._adapters.console:ConsoleSink", "cesdk.sinks", "cesdk"),
    )
    assert plugins.load("cesdk.sinks", "console") is cesdk.ConsoleSink


def test_default_dead_letter_goes_through_the_registry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[str] = []

    class RecordingFileSink:
        def __init__(self, path: str) -> None:
            made.append(path)

    plugins.register("cesdk.sinks", "file", RecordingFileSink)
    try:
        pipeline = cesdk.Pipeline(cesdk.MemorySource(), routes=[cesdk.Route(cesdk.MemorySink())])
    finally:
        plugins.unregister("cesdk.sinks", "file")
    assert made == ["deadletter.jsonl"]
    assert isinstance(pipeline.dead_letter, RecordingFileSink)


def test_refresh_forgets_the_cached_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plugin installed while the process runs shows up after refresh()."""
    assert "pager" not in plugins.available("cesdk.sinks")
    ep = _ep("pager", "cesdk._adapters.console:ConsoleSink", "cesdk.sinks", "cesdk-pager")

    def entry_points(*, group: str) -> list[EntryPoint]:
        return [ep] if group == "cesdk.sinks" else []

    monkeypatch.setattr(plugins, "entry_points", entry_points)
    assert "pager" not in plugins.available("cesdk.sinks")  # still the cached scan
    plugins.refresh()
    assert "pager" in plugins.available("cesdk.sinks")

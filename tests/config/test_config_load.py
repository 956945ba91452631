"""Valid YAML pipelines build the runtime objects they describe (DESIGN.md "Configuration
and command line"; Knative's delivery spec for the `delivery` block)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

import cesdk
from cesdk._config import load_pipeline, validate_file

WriteConfig = Callable[..., Path]
EXAMPLES = Path(__file__).parents[2] / "examples"


def run(pipeline: cesdk.Pipeline) -> None:
    asyncio.run(pipeline.run(handle_signals=False))


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_are_valid(example: Path) -> None:
    # Secrets have no default in the examples, on purpose: the user must set them.
    secrets = {"SLACK_BOT_TOKEN": "xoxb-example", "SMTP_PASSWORD": "example"}
    assert validate_file(example, environ=secrets) == []


def test_examples_name_their_missing_secrets() -> None:
    problems = validate_file(EXAMPLES / "http_to_slack.yaml", environ={})
    assert [p.key for p in problems] == ["routes[0].token"]
    assert "SLACK_BOT_TOKEN is not set" in problems[0].reason


def test_generator_to_memory_delivers_every_event(write_config: WriteConfig) -> None:
    path = write_config(
        """
        name: demo
        source: {use: generator, count: 3}
        sink: memory
        dead_letter: memory
        """
    )
    pipeline = load_pipeline(path, environ={})
    run(pipeline)
    assert pipeline.name == "demo"
    sink = pipeline.routes[0].sink
    assert isinstance(sink, cesdk.MemorySink)
    assert sorted(e.id for e in sink.events) == ["gen-0", "gen-1", "gen-2"]
    assert pipeline.metrics.total("delivered") == 3


def test_routes_keep_their_names_and_sink_options(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    path = write_config(
        f"""
        source: generator
        routes:
          - name: archive
            use: file
            path: {tmp_path / "a.jsonl"}
            fsync: true
          - use: console
            color: false
        """
    )
    pipeline = load_pipeline(path, environ={})
    archive, console = pipeline.routes
    assert archive.name == "archive"
    assert console.name == "route1"
    assert isinstance(archive.sink, cesdk.FileSink)
    assert archive.sink.path == tmp_path / "a.jsonl"
    assert archive.sink.fsync is True
    assert isinstance(console.sink, cesdk.ConsoleSink)
    assert console.sink.color is False
    # No dead_letter key: the runtime's default file sink.
    assert isinstance(pipeline.dead_letter, cesdk.FileSink)
    assert pipeline.dead_letter.path == Path("deadletter.jsonl")


def test_knative_delivery_vocabulary(write_config: WriteConfig, tmp_path: Path) -> None:
    path = write_config(
        f"""
        source: generator
        sink: memory
        delivery:
          retry: 3
          backoffPolicy: linear
          backoffDelay: PT0.5S
          timeout: PT2S
          deadLetterSink:
            use: file
            path: {tmp_path / "dl.jsonl"}
        """
    )
    pipeline = load_pipeline(path, environ={})
    retry = pipeline.routes[0].retry
    # Knative's retry counts retries; cesdk's max_attempts counts sends.
    assert retry.max_attempts == 4
    assert retry.backoff == "linear"
    assert retry.initial_delay == 0.5
    assert retry.timeout == 2.0
    assert isinstance(pipeline.dead_letter, cesdk.FileSink)
    assert pipeline.dead_letter.path == tmp_path / "dl.jsonl"


def test_route_retry_overrides_delivery_key_by_key(write_config: WriteConfig) -> None:
    path = write_config(
        """
        source: generator
        routes:
          - use: memory
            retry: {max_attempts: 2, max_elapsed: null}
          - use: memory
            name: plain
        delivery:
          retry: {initial_delay: 1.5, max_delay: PT1M, jitter: false}
        """
    )
    first, second = load_pipeline(path, environ={}).routes
    assert first.retry == cesdk.Retry(
        max_attempts=2, initial_delay=1.5, max_delay=60.0, jitter=False, max_elapsed=None
    )
    assert second.retry == cesdk.Retry(initial_delay=1.5, max_delay=60.0, jitter=False)


def test_no_delivery_block_keeps_runtime_defaults(write_config: WriteConfig) -> None:
    path = write_config("source: generator\nsink: memory\n")
    assert load_pipeline(path, environ={}).routes[0].retry == cesdk.Retry()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0.25", 0.25), ("3", 3.0), ("PT0.5S", 0.5), ("PT1M30S", 90.0), ("P1DT1H", 90000.0)],
)
def test_durations_are_seconds_or_iso_8601(
    write_config: WriteConfig, text: str, seconds: float
) -> None:
    path = write_config(f"source: generator\nsink: memory\nshutdown_timeout: {text}\n")
    assert load_pipeline(path, environ={}).shutdown_timeout == seconds


def test_environment_substitution(write_config: WriteConfig) -> None:
    path = write_config(
        """
        name: ${NAME}
        source:
          use: generator
          count: ${COUNT}
          type: ${TYPE:-dev.example.default}
          source: "${SOURCE:-/fallback}"
          id_prefix: "$${literal}"
        sink: memory
        concurrency: ${CONCURRENCY:-8}
        """
    )
    pipeline = load_pipeline(path, environ={"NAME": "env-demo", "COUNT": "2", "SOURCE": ""})
    assert pipeline.name == "env-demo"
    assert pipeline.concurrency == 8
    source = pipeline.source
    assert isinstance(source, cesdk.GeneratorSource)
    # A plain scalar is typed after substitution, as YAML would have typed it.
    assert source.count == 2
    assert source.type == "dev.example.default"
    # An empty variable takes the default, like the shell's ${NAME:-default}.
    assert source.source == "/fallback"
    assert source.id_prefix == "${literal}"


def test_plugin_options_are_converted_by_their_annotations(write_config: WriteConfig) -> None:
    path = write_config("source: {use: generator, count: '4', rate: '2.5'}\nsink: memory\n")
    source = load_pipeline(path, environ={}).source
    assert isinstance(source, cesdk.GeneratorSource)
    assert (source.count, source.rate) == (4, 2.5)


def test_filters_in_steps_and_routes(write_config: WriteConfig) -> None:
    path = write_config(
        """
        source: {use: generator, count: 6}
        steps:
          - filter: "type LIKE 'dev.cesdk.%'"
        routes:
          - name: even
            use: memory
            filter: {exact: {id: gen-0}}
          - name: cesql
            use: memory
            filter: "id IN ('gen-1', 'gen-2')"
          - name: list
            use: memory
            filter: [{prefix: {id: gen-}}, {suffix: {id: "5"}}]
        dead_letter: memory
        """
    )
    pipeline = load_pipeline(path, environ={})
    run(pipeline)
    seen = {r.name: sorted(e.id for e in r.sink.events) for r in pipeline.routes}  # type: ignore[attr-defined]
    assert seen == {"even": ["gen-0"], "cesql": ["gen-1", "gen-2"], "list": ["gen-5"]}


def test_python_steps_and_step_factories(write_config: WriteConfig) -> None:
    path = write_config(
        """
        source: {use: generator, count: 4}
        steps:
          - python: cesdk._pipeline._deadletter:strip_dead_letter
          - python: cesdk:threshold
            options: {count: 2, window: 60, key: type}
        sink: memory
        dead_letter: memory
        """
    )
    pipeline = load_pipeline(path, environ={})
    run(pipeline)
    # threshold(2, ...) passes the second event of the key only.
    assert [e.id for e in pipeline.routes[0].sink.events] == ["gen-1"]  # type: ignore[attr-defined]


def test_dedupe_defaults_apply_to_every_route(write_config: WriteConfig) -> None:
    path = write_config(
        """
        source: generator
        dedupe: {ttl: PT1H, lease: 5}
        routes:
          - {use: memory, name: a}
          - {use: memory, name: b, dedupe: {ttl: 60}}
          - {use: memory, name: c, dedupe: false}
        """
    )
    a, b, c = load_pipeline(path, environ={}).routes
    assert a.dedupe is not None
    assert b.dedupe is not None
    assert (a.dedupe.ttl, a.dedupe.lease) == (3600.0, 5.0)
    assert (b.dedupe.ttl, b.dedupe.lease) == (60.0, 5.0)
    assert c.dedupe is None
    assert isinstance(a.dedupe.store, cesdk.MemoryDedupStore)
    # Routes with one store configuration share the store.
    assert a.dedupe.store is b.dedupe.store


def test_redis_dedupe_store_options(write_config: WriteConfig) -> None:
    pytest.importorskip("redis", reason="the redis extra is not installed")
    path = write_config(
        """
        source: generator
        sink: {use: memory, dedupe: {store: redis, url: "redis://127.0.0.1:1/0", prefix: "p:"}}
        """
    )
    dedupe = load_pipeline(path, environ={}).routes[0].dedupe
    assert dedupe is not None
    assert isinstance(dedupe.store, cesdk.RedisDedupStore)
    assert (dedupe.store.url, dedupe.store.prefix) == ("redis://127.0.0.1:1/0", "p:")


def test_rate_limit_ordering_and_limits(write_config: WriteConfig) -> None:
    path = write_config(
        """
        source: generator
        sink:
          use: memory
          rate_limit: {rate: 1, burst: 2, per: subject, overall: 20}
        concurrency: 16
        ordering: partitionkey
        shutdown_timeout: PT5S
        """
    )
    pipeline = load_pipeline(path, environ={})
    assert pipeline.routes[0].rate_limit == cesdk.RateLimit(
        rate=1, burst=2, per="subject", overall=20
    )
    assert (pipeline.concurrency, pipeline.ordering, pipeline.shutdown_timeout) == (
        16,
        "partitionkey",
        5.0,
    )


def test_anchors_and_merge_keys(write_config: WriteConfig) -> None:
    path = write_config(
        """
        defaults: &retry {max_attempts: 2, jitter: false}
        source: generator
        routes:
          - use: memory
            retry: {<<: *retry, max_attempts: 7}
          - use: memory
            retry: *retry
        """
    )
    # `defaults` is not a pipeline key: anchors live in the keys that use them.
    problems = validate_file(path, environ={})
    assert [p.key for p in problems] == ["defaults"]
    path.write_text(path.read_text().replace("defaults: &retry", "delivery:\n  retry: &retry"))
    first, second = load_pipeline(path, environ={}).routes
    assert (first.retry.max_attempts, first.retry.jitter) == (7, False)
    assert (second.retry.max_attempts, second.retry.jitter) == (2, False)


def test_replacing_the_source(write_config: WriteConfig) -> None:
    path = write_config("source: {use: generator, count: 1}\nsink: memory\n")
    replacement = cesdk.MemorySource([cesdk.CloudEvent(type="t", source="/s")])
    assert load_pipeline(path, environ={}, source=replacement).source is replacement

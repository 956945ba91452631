"""Invalid YAML pipelines: every problem names the file, the line and the key path, and
hostile input is refused before it costs anything."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

import cesdk
from cesdk._config import ConfigError, load_pipeline, masked, resolved, validate_file
from cesdk._config_yaml import MAX_BYTES, MAX_DEPTH

WriteConfig = Callable[..., Path]


def problems_of(path: Path, environ: dict[str, str] | None = None) -> list[ConfigError]:
    found = validate_file(path, environ=environ or {})
    assert found, f"{path} should be invalid"
    for problem in found:
        assert problem.file == str(path)
    return found


def only(path: Path, environ: dict[str, str] | None = None) -> ConfigError:
    found = problems_of(path, environ)
    assert len(found) == 1, found
    return found[0]


def test_config_error_is_a_value_error_and_a_cesdk_error(write_config: WriteConfig) -> None:
    path = write_config("source: generator\nsink: memory\nconcurrency: 0\n")
    with pytest.raises(ConfigError) as caught:
        load_pipeline(path, environ={})
    error = caught.value
    assert isinstance(error, ValueError)
    assert isinstance(error, cesdk.CESDKError)
    assert (error.file, error.line, error.key) == (str(path), 3, "concurrency")
    assert str(error).startswith(f"{path}:3: concurrency: ")


def test_every_problem_is_reported_at_once(write_config: WriteConfig) -> None:
    path = write_config(
        """
        source:
          use: generator
          count: many
        routes:
          - use: console
            colour: true
          - use: memory
            retry: {max_attempts: 0}
        concurency: 3
        """
    )
    with pytest.raises(ConfigError) as caught:
        load_pipeline(path, environ={})
    # Schema problems and plugin problems come in one report, in line order.
    assert [(p.line, p.key) for p in caught.value.problems] == [
        (3, "source.count"),
        (6, "routes[0].colour"),
        (8, "routes[1].retry.max_attempts"),
        (9, "concurency"),
    ]
    assert "4 problems in" in str(caught.value)


def test_malformed_yaml_names_the_line(write_config: WriteConfig) -> None:
    path = write_config("source:\n  use: generator\n count: 3\nsink: memory\n")
    problem = only(path)
    assert problem.line == 3
    assert "not valid YAML" in problem.reason


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        ("concurrency: many", 3, "concurrency", "(got 'many')"),
        ("ordering: random", 3, "ordering", "'partitionkey'"),
        ("steps: {filter: x}", 3, "steps", "list"),
        ("routes: []", 3, "routes", "at least 1"),
        ("name: ''", 3, "name", "at least 1 character"),
    ],
)
def test_wrong_types(write_config: WriteConfig, text: str, line: int, key: str, words: str) -> None:
    base = (
        "source: generator\nsink: memory\n"
        if not text.startswith("routes")
        else "source: generator\n"
    )
    problems = problems_of(write_config(base + text + "\n"))
    assert (problems[0].line, problems[0].key) == (line if "routes" not in text else 2, key)
    assert words in problems[0].reason


@pytest.mark.parametrize(
    ("yaml_text", "key", "hint"),
    [
        ("source: generator\nsink: memory\nconcurency: 2\n", "concurency", "'concurrency'"),
        (
            "source: generator\nsink: {use: memory, retry: {max_attemps: 2}}\n",
            "sink.retry.max_attemps",
            "'max_attempts'",
        ),
        (
            "source: generator\nsink: memory\ndelivery: {backoffPolicies: linear}\n",
            "delivery.backoffPolicies",
            "'backoffPolicy'",
        ),
        ("source: generator\nsink: memory\nsteps: [{filtre: {}}]\n", "steps[0].filtre", "'filter'"),
    ],
)
def test_unknown_keys_suggest_the_known_one(
    write_config: WriteConfig, yaml_text: str, key: str, hint: str
) -> None:
    problem = problems_of(write_config(yaml_text))[0]
    assert problem.key == key
    assert f"did you mean {hint}?" in problem.reason


def test_unknown_plugin_lists_the_available_ones(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A known provider that is not installed: a made-up one, so that installing any real
    # first-party adapter (all of them are in this workspace) cannot change the test.
    monkeypatch.setitem(cesdk.plugins._PROVIDERS, "pigeon", "cesdk-pigeon")
    problem = only(write_config("source: generator\nsink:\n  use: pigeon\n  host: h\n"))
    assert (problem.line, problem.key) == (3, "sink.use")
    assert "no plugin 'pigeon'" in problem.reason
    assert "console" in problem.reason
    assert 'pip install "cesdk-pigeon"' in problem.reason


def test_unknown_plugin_option_names_the_plugin_and_its_options(
    write_config: WriteConfig,
) -> None:
    problem = only(write_config("source: generator\nsink:\n  use: console\n  colour: true\n"))
    assert (problem.line, problem.key) == (4, "sink.colour")
    assert "sink 'console' has no option 'colour'; did you mean 'color'?" in problem.reason
    assert "(it accepts: color, stream)" in problem.reason


def test_missing_plugin_option(write_config: WriteConfig) -> None:
    problem = only(write_config("source: generator\nsink: file\n"))
    assert (problem.line, problem.key) == (2, "sink")
    assert "sink 'file' needs the option 'path'" in problem.reason


def test_missing_required_key(write_config: WriteConfig) -> None:
    problem = only(write_config("sink: memory\n"))
    assert problem.key == "source"
    assert "missing required key 'source'" in problem.reason


@pytest.mark.parametrize(
    "text",
    ["source: generator\n", "source: generator\nsink: memory\nroutes: [memory]\n"],
    ids=["neither", "both"],
)
def test_routes_or_sink(write_config: WriteConfig, text: str) -> None:
    assert "either `routes`" in only(write_config(text)).reason


@pytest.mark.parametrize("value", ["5s", "P", "PT", "P1W", "-1", "-PT1S", "true", "[1]", "PTS"])
def test_bad_durations(write_config: WriteConfig, value: str) -> None:
    path = write_config(f"source: generator\nsink: memory\ndelivery:\n  backoffDelay: {value}\n")
    problem = only(path)
    assert (problem.line, problem.key) == (4, "delivery.backoffDelay")
    assert "duration" in problem.reason


def test_knative_and_cesdk_spellings_conflict(write_config: WriteConfig) -> None:
    path = write_config(
        "source: generator\nsink: memory\ndelivery:\n"
        "  backoffPolicy: linear\n  retry: {backoff: exponential}\n"
    )
    problem = only(path)
    assert problem.key == "delivery"
    assert "give backoffPolicy or retry.backoff, not both" in problem.reason


def test_missing_environment_variable(write_config: WriteConfig) -> None:
    path = write_config("source:\n  use: generator\n  type: ${EVENT_TYPE}\nsink: memory\n")
    problem = only(path)
    assert (problem.line, problem.key) == (3, "source.type")
    assert "environment variable EVENT_TYPE is not set" in problem.reason


@pytest.mark.parametrize("reference", ["${1X}", "${A B}", "${}", "${UNCLOSED"])
def test_malformed_environment_references(write_config: WriteConfig, reference: str) -> None:
    path = write_config(f"source:\n  use: generator\n  type: 'a{reference}'\nsink: memory\n")
    problem = problems_of(path, {"UNCLOSED": "x"})[0]
    assert (problem.line, problem.key) == (3, "source.type")


def test_invalid_filter(write_config: WriteConfig) -> None:
    path = write_config('source: generator\nsink: memory\nsteps:\n  - filter: "type LIKE"\n')
    problem = only(path)
    assert (problem.line, problem.key) == (4, "steps[0].filter")
    assert problem.reason.startswith("invalid filter:")


def test_invalid_filter_dialect(write_config: WriteConfig) -> None:
    path = write_config("source: generator\nsink:\n  use: memory\n  filter: {prefx: {type: a}}\n")
    problem = only(path)
    assert (problem.line, problem.key) == (4, "sink.filter")
    assert "prefx" in problem.reason


@pytest.mark.parametrize(
    ("step", "words"),
    [
        ("python: no_such_module_xyz:step", "cannot import 'no_such_module_xyz'"),
        ("python: json:no_such_function", "has no 'no_such_function'"),
        ("python: cesdk:__version__", "is not callable"),
        ("python: not-a-target", "String should match pattern"),
        ("{python: cesdk:threshold, options: {count: 2}}", "needs the option 'window'"),
        ("{filter: {}, python: json:dumps}", "either `filter:` or `python:`"),
    ],
)
def test_bad_python_steps(write_config: WriteConfig, step: str, words: str) -> None:
    problem = only(write_config(f"source: generator\nsink: memory\nsteps:\n  - {step}\n"))
    assert problem.line == 4
    assert problem.key.startswith("steps[0]")
    assert words in problem.reason


def test_memory_dedupe_store_takes_no_url(write_config: WriteConfig) -> None:
    path = write_config("source: generator\nsink: memory\ndedupe:\n  url: redis://x\n")
    problem = only(path)
    assert (problem.line, problem.key) == (4, "dedupe.url")
    assert "dedup store 'memory' has no option 'url'" in problem.reason


def test_duplicate_keys_and_route_names(write_config: WriteConfig) -> None:
    path = write_config(
        "source: generator\nroutes:\n  - {use: memory, name: a}\n  - {use: memory, name: a}\n"
        "source: file\n"
    )
    problem = only(path)
    assert (problem.line, problem.key) == (5, "source")
    assert "duplicate key (first at line 1)" in problem.reason
    path.write_text("\n".join(path.read_text().splitlines()[:-1]) + "\n")
    problem = only(path)
    assert (problem.line, problem.key) == (4, "routes[1].name")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "holds no YAML document"),
        (b"# only a comment\n", "holds no YAML document"),
        (b"- source\n- sink\n", "a mapping of keys"),
        (b"source: generator\n---\nsink: memory\n", "not valid YAML"),
        (b"source: generator\nsink: memory\nname: caf\xe9\n", "not UTF-8"),
        (b"source: generator\nsink: memory\n1: x\n", "keys must be strings"),
    ],
)
def test_files_that_are_no_pipeline(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(content)
    assert words in only(path).reason


def test_missing_file(tmp_path: Path) -> None:
    assert "cannot read the file" in only(tmp_path / "absent.yaml").reason


def test_truncated_file(write_config: WriteConfig, examples: Path) -> None:
    text = (examples / "file-to-file.yaml").read_text()
    # Cut inside a quoted flow mapping: a syntax error at the end of the file.
    path = write_config(text[: text.index("filter:") + 20])
    problem = only(path)
    assert problem.reason.startswith("not valid YAML")
    assert problem.line == len(path.read_text().splitlines()) + 1
    # Cut at a line boundary: valid YAML, but the pipeline is incomplete.
    path = write_config(text[: text.index("routes:")])
    assert "either `routes`" in only(path, {}).reason


def test_huge_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("w") as handle:
        handle.write("source: generator\nsink: memory\nname: ")
        handle.write("x" * (MAX_BYTES + 1))
    problem = only(path)
    assert f"the limit is {MAX_BYTES}" in problem.reason


def test_large_valid_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "large.yaml"
    routes = "".join(f"  - {{use: memory, name: r{i}}}\n" for i in range(500))
    path.write_text(f"source: generator\nroutes:\n{routes}")
    assert len(load_pipeline(path, environ={}).routes) == 500


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    lines = ['a0: &a0 "lol"']
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    lines.append("source: {use: generator, data: {x: *a9}}\nsink: memory")
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    problem = only(path)
    assert "billion laughs" in problem.reason


def test_merge_key_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["m0: &m0 {k: v}"]
    for level in range(1, 10):
        refs = ", ".join([f"*m{level - 1}"] * 10)
        lines.append(f"m{level}: &m{level} {{<<: [{refs}]}}")
    path = tmp_path / "merge.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert "billion laughs" in only(path).reason


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("source: &s {use: generator, data: {again: *s}}\nsink: memory\n")
    assert "refers to its own ancestor" in only(path).reason


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    depth = MAX_DEPTH + 10
    path.write_text(
        "source: {use: generator, data: " + "[" * depth + "]" * depth + "}\nsink: memory\n"
    )
    assert f"nested deeper than {MAX_DEPTH}" in only(path).reason
    path.write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert "not valid YAML" in only(path).reason


def test_python_object_tags_are_not_constructed(tmp_path: Path) -> None:
    path = tmp_path / "tags.yaml"
    path.write_text("source: !!python/object/apply:os.system ['echo pwned']\nsink: memory\n")
    assert "not valid YAML" in only(path).reason


SECRET = "s3cr3t-value-0042"


def test_secrets_are_masked_in_errors(write_config: WriteConfig) -> None:
    path = write_config(
        """
        source:
          use: generator
          rate: ${API_TOKEN}
          count: ${COUNT}
        sink:
          use: console
          password: "s3cr3t-value-0042"
          url: "redis://user:hunter22@localhost"
        concurrency: ${SECRET_CONCURRENCY}
        """
    )
    environ = {"API_TOKEN": SECRET, "COUNT": SECRET, "SECRET_CONCURRENCY": SECRET}
    with pytest.raises(ConfigError) as caught:
        load_pipeline(path, environ=environ)
    text = str(caught.value)
    assert SECRET not in text
    assert "(got ***)" in text
    path.write_text(path.read_text().replace("concurrency: ${SECRET_CONCURRENCY}\n", ""))
    with pytest.raises(ConfigError) as caught:
        load_pipeline(path, environ=environ)
    text = str(caught.value)
    assert "source.rate" in text
    assert "sink.password" in text
    assert "sink.url" in text
    assert SECRET not in text
    assert "hunter22" not in text


def test_masked_and_resolved_hide_secrets(write_config: WriteConfig) -> None:
    data = {"sink": {"token": "abc123", "auth": {"user": "u"}, "url": "https://u:pw@h/x"}}
    assert masked(data) == {
        "sink": {"token": "***", "auth": {"user": "***"}, "url": "https://u:***@h/x"}
    }
    path = write_config("source: {use: generator, id_prefix: '${SLACK_TOKEN}-x'}\nsink: memory\n")
    shown = resolved(path, environ={"SLACK_TOKEN": SECRET})
    assert shown["source"]["id_prefix"] == "***-x"


def test_debug_log_masks_secrets(
    write_config: WriteConfig, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_config("source: {use: generator, type: '${SECRET_TYPE}'}\nsink: {use: memory}\n")
    with caplog.at_level(logging.DEBUG, logger="cesdk.config"):
        load_pipeline(path, environ={"SECRET_TYPE": SECRET})
    assert "pipeline 'pipeline'" in caplog.text
    assert SECRET not in caplog.text


@pytest.fixture
def examples() -> Path:
    return Path(__file__).parents[2] / "examples"


def test_webhook_urls_are_secrets(write_config: WriteConfig) -> None:
    # A Slack incoming webhook URL is a credential: whoever has it can post.
    hook = "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX"
    assert masked({"sink": {"webhook_url": hook}}) == {"sink": {"webhook_url": "***"}}
    path = write_config("source: {use: generator, id_prefix: '${SLACK_WEBHOOK}'}\nsink: memory\n")
    assert resolved(path, environ={"SLACK_WEBHOOK": hook})["source"]["id_prefix"] == "***"

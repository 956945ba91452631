"""``cesdk validate``, ``plugins``, ``run`` and ``--help``, run as a user runs them."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_processes import cesdk_env

from cesdk._cli import main
from cesdk.testing import wait_until

Cesdk = Callable[..., subprocess.CompletedProcess[str]]
WriteConfig = Callable[..., Path]
EnvWith = Callable[..., dict[str, str]]
EXAMPLES = Path(__file__).parents[2] / "examples"
COMMANDS = ("run", "validate", "plugins", "send", "listen", "replay")


def test_help_lists_commands_and_exit_codes(cesdk: Cesdk) -> None:
    done = cesdk("--help")
    assert done.returncode == 0
    for command in COMMANDS:
        assert command in done.stdout
    for status in ("0 ", "1 ", "2 ", "130"):
        assert f"  {status}" in done.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(capsys: pytest.CaptureFixture[str], command: str) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    assert f"usage: cesdk {command}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [[], ["frobnicate"], ["send", "http://127.0.0.1:1/"]],
    ids=["none", "unknown", "no-type"],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "usage: cesdk" in capsys.readouterr().err


def test_validate_valid_files(cesdk: Cesdk) -> None:
    files = [str(p) for p in sorted(EXAMPLES.glob("*.yaml"))]
    # The examples leave secrets without defaults on purpose: the user must set them.
    secrets = cesdk_env(SLACK_BOT_TOKEN="xoxb-example", SMTP_PASSWORD="example")
    done = cesdk("validate", *files, env=secrets)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [f"{f}: ok" for f in files]


def test_validate_prints_every_problem_with_file_line_and_key(
    cesdk: Cesdk, write_config: WriteConfig
) -> None:
    path = write_config(
        """
        source: {use: generator, count: 2}
        sink:
          use: console
          colour: true
          retry: {max_attempts: 0}
        concurency: 2
        """
    )
    done = cesdk("validate", str(path))
    assert done.returncode == 2
    assert done.stdout.splitlines() == [
        f"{path}:4: sink.colour: sink 'console' has no option 'colour'; did you mean 'color'? "
        "(it accepts: color, stream)",
        f"{path}:5: sink.retry.max_attempts: Input should be greater than or equal to 1 (got 0)",
        f"{path}:6: concurency: unknown key 'concurency'; did you mean 'concurrency'?",
    ]


def test_validate_show_masks_secrets(
    cesdk: Cesdk, write_config: WriteConfig, env_with: EnvWith
) -> None:
    path = write_config(
        """
        source:
          use: generator
          id_prefix: "${PREFIX:-gen}"
          source: "https://bot:${REDIS_PASSWORD}@example.com/feed"
          data: {api_key: abc123}
        sink: memory
        """
    )
    done = cesdk("validate", "--show", str(path), env=env_with(REDIS_PASSWORD="hunter2-pw"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "hunter2-pw" not in done.stdout
    assert "abc123" not in done.stdout
    assert "source: https://bot:***@example.com/feed" in done.stdout
    assert "api_key: '***'" in done.stdout
    assert "id_prefix: gen" in done.stdout


def test_plugins_lists_names_without_importing(cesdk: Cesdk) -> None:
    done = cesdk("plugins")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert "cesdk.sources" in lines
    assert "cesdk.dedup_stores" in lines
    assert any(line.split() == ["generator", "cesdk"] for line in lines)
    listing = json.loads(cesdk("plugins", "--json").stdout)
    assert set(listing) == {"cesdk.sources", "cesdk.sinks", "cesdk.formats", "cesdk.dedup_stores"}
    assert listing["cesdk.sinks"]["console"] == "cesdk"


def test_plugins_honours_disabled_names(cesdk: Cesdk, env_with: EnvWith) -> None:
    listing = json.loads(
        cesdk("plugins", "--json", env=env_with(CESDK_DISABLED_PLUGINS="console")).stdout
    )
    assert "console" not in listing["cesdk.sinks"]


def test_run_generator_to_file(cesdk: Cesdk, write_config: WriteConfig, tmp_path: Path) -> None:
    path = write_config(
        """
        name: gen-to-file
        source: {use: generator, count: 25, type: dev.example.tick}
        sink: {use: file, path: out/events.jsonl}
        dead_letter: {use: file, path: out/dead.jsonl}
        """
    )
    done = cesdk("run", str(path))
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "out" / "events.jsonl").read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert sorted(e["id"] for e in events) == sorted(f"gen-{n}" for n in range(25))
    assert {e["type"] for e in events} == {"dev.example.tick"}
    assert not (tmp_path / "out" / "dead.jsonl").read_text()
    summary = done.stderr.strip().splitlines()[-1]
    assert summary.startswith("cesdk run: pipeline 'gen-to-file' stopped after ")
    assert "received=25 delivered=25 deadlettered=0" in summary


def test_run_example_to_console(cesdk: Cesdk, env_with: EnvWith) -> None:
    example = str(EXAMPLES / "generator-to-console.yaml")
    done = cesdk("run", example, "--health-port", "0", env=env_with(COUNT="3"))
    assert done.returncode == 0, done.stderr
    assert "cesdk run: /metrics, /healthz, /readyz on http://127.0.0.1:" in done.stderr
    assert done.stdout.count("☁  dev.cesdk.demo.tick") == 3
    assert "\x1b[" not in done.stdout  # not a terminal: no colour


def test_run_with_a_python_step_next_to_the_file(
    cesdk: Cesdk, write_config: WriteConfig, tmp_path: Path
) -> None:
    (tmp_path / "mysteps.py").write_text(
        "def tag(event):\n    return event.replace(subject='tagged')\n"
    )
    path = write_config(
        """
        source: {use: generator, count: 2}
        steps: [mysteps:tag]
        sink: {use: file, path: out.jsonl}
        """
    )
    done = cesdk("run", str(path))
    assert done.returncode == 0, done.stderr
    events = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [e["subject"] for e in events] == ["tagged", "tagged"]


def test_run_invalid_file_exits_2(cesdk: Cesdk, write_config: WriteConfig) -> None:
    path = write_config("source: {use: nope}\nsink: memory\n")
    done = cesdk("run", str(path))
    assert done.returncode == 2
    assert done.stderr.startswith(f"{path}:1: source.use: no plugin 'nope'")


def test_run_failing_sink_dead_letters(
    cesdk: Cesdk, write_config: WriteConfig, tmp_path: Path
) -> None:
    # Writes to /dev/full fail with ENOSPC: a sink that fails every send.
    path = write_config(
        """
        source: {use: generator, count: 3}
        sink: {use: file, path: /dev/full, name: full, retry: 1}
        delivery: {backoffDelay: PT0S}
        dead_letter: {use: file, path: dead.jsonl}
        """
    )
    done = cesdk("run", str(path))
    assert done.returncode == 0, done.stderr
    assert "retried=3" in done.stderr
    assert "deadlettered=3" in done.stderr
    dead = [json.loads(x) for x in (tmp_path / "dead.jsonl").read_text().splitlines()]
    assert {d["deadlettersink"] for d in dead} == {"full"}
    assert {d["deadletterattempts"] for d in dead} == {2}


def test_run_stops_gracefully_on_sigterm(write_config: WriteConfig, tmp_path: Path) -> None:
    path = write_config(
        """
        source: {use: generator, count: null, rate: 200}
        sink: {use: file, path: out.jsonl}
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "cesdk", "run", str(path)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out = tmp_path / "out.jsonl"
    try:
        wait_until(lambda: out.exists() and out.stat().st_size > 0, timeout=30, what="events")
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "stopped after" in err
    written = len(out.read_text().splitlines())
    delivered = int(err.split("delivered=")[1].split()[0])
    assert written == delivered > 0


def test_python_dash_m_and_main_agree() -> None:
    assert main(["plugins", "--json"]) == 0

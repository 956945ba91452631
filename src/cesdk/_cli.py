"""The ``cesdk`` command: run, validate, plugins, send, listen, replay.

Exit status: 0 success; 1 a runtime failure (a send refused, a dead letter that failed
again, a pipeline that crashed); 2 a usage or configuration error (bad options, an
invalid pipeline file, a missing plugin); 130 interrupted (Ctrl-C before the work was
done). ``cesdk run`` stopped by SIGTERM or Ctrl-C drains and exits 0: that is how a
service is meant to stop.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import Any

import orjson

from cesdk import _cli_listen, _cli_replay, _cli_send, plugins
from cesdk._pipeline._metrics import OUTCOMES
from cesdk._pipeline._observe import HealthServer
from cesdk._pipeline._pipeline import Pipeline

__all__ = ["EXIT_FAILURE", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

_EPILOG = """exit status:
  0    success
  1    runtime failure (a send refused, dead letters failing again, a crash)
  2    usage or configuration error (bad options, invalid pipeline file, missing plugin)
  130  interrupted

Every command has --help. Documentation: https://cesdk.dev/cli/"""


def _summary(pipeline: Pipeline, seconds: float) -> str:
    totals = {outcome: pipeline.metrics.total(outcome) for outcome in OUTCOMES}
    always = ("received", "delivered", "deadlettered")
    shown = " ".join(f"{o}={n}" for o, n in totals.items() if n or o in always)
    return f"cesdk run: pipeline {pipeline.name!r} stopped after {seconds:.2f}s: {shown}"


async def _run_until_stopped(pipeline: Pipeline) -> None:
    try:
        await pipeline.run()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        # Pipeline.run re-raises its cancelled fetch task after a signal stopped it;
        # that is the graceful end, not a failure.


async def _serve(pipeline: Pipeline, args: argparse.Namespace) -> None:
    if args.health_port is None:
        await _run_until_stopped(pipeline)
        return
    async with HealthServer([pipeline], host=args.health_host, port=args.health_port) as health:
        print(
            f"cesdk run: /metrics, /healthz, /readyz on http://{args.health_host}:{health.port}/",
            file=sys.stderr,
        )
        await _run_until_stopped(pipeline)


def print_problems(problems: Sequence[Exception]) -> int:
    """Print config problems, one a line, to standard error; return the usage status."""
    for problem in problems:
        print(problem, file=sys.stderr)
    return EXIT_USAGE


def _run(args: argparse.Namespace) -> int:
    # pydantic and the schema load only for the commands that read a pipeline file.
    from cesdk._config import ConfigError, load_pipeline

    try:
        pipeline = load_pipeline(args.file)
    except ConfigError as exc:
        return print_problems(exc.problems)
    started = time.monotonic()
    code = EXIT_OK
    try:
        asyncio.run(_serve(pipeline, args))
    except Exception as exc:
        logging.getLogger("cesdk.run").debug("pipeline failed", exc_info=True)
        print(f"cesdk run: pipeline {pipeline.name!r} failed: {exc!r}", file=sys.stderr)
        code = EXIT_FAILURE
    print(_summary(pipeline, time.monotonic() - started), file=sys.stderr)
    return code


def _validate(args: argparse.Namespace) -> int:
    from cesdk._config import resolved, validate_file

    code = EXIT_OK
    for file in args.files:
        problems = validate_file(file)
        for problem in problems:
            print(problem)
        if problems:
            code = EXIT_USAGE
            continue
        print(f"{file}: ok")
        if args.show:
            import yaml

            print(yaml.safe_dump(resolved(file), sort_keys=False).rstrip())
    return code


def _plugins(args: argparse.Namespace) -> int:
    listing: dict[str, dict[str, str]] = {}
    for group in plugins.GROUPS:
        # Read the distribution names from metadata: nothing is imported.
        where = {
            ep.name: getattr(ep.dist, "name", "") or ep.value for ep in entry_points(group=group)
        }
        listing[group] = {
            name: where.get(name, "(registered)") for name in plugins.available(group)
        }
    if args.json:
        print(orjson.dumps(listing, option=orjson.OPT_INDENT_2).decode())
        return EXIT_OK
    for group, names in listing.items():
        print(group)
        width = max((len(n) for n in names), default=0)
        for name, dist in names.items():
            print(f"  {name:<{width}}  {dist}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """Return the ``cesdk`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="cesdk",
        description="Run, check and exercise CloudEvents pipelines.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--log-level",
        default=os.environ.get("CESDK_LOG_LEVEL", "WARNING"),
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="log verbosity (default WARNING, or $CESDK_LOG_LEVEL)",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="run a YAML pipeline",
        description="Run the pipeline until its source ends, or until SIGTERM/Ctrl-C "
        "(which drain in-flight work; a second signal cancels it). Prints a summary "
        "of the counters to standard error at exit.",
    )
    run.add_argument("file", metavar="FILE", help="the pipeline (YAML)")
    run.add_argument(
        "--health-port", type=int, metavar="PORT", help="serve /metrics, /healthz, /readyz"
    )
    run.add_argument("--health-host", default="127.0.0.1", help="address for --health-port")
    run.set_defaults(handler=_run)

    validate = commands.add_parser(
        "validate",
        help="check YAML pipelines",
        description="Check each file: YAML, schema, plugins and their options, filters, "
        "steps. Prints every problem as FILE:LINE: KEY: MESSAGE. Exits 2 if any is invalid.",
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="pipelines (YAML)")
    validate.add_argument(
        "--show",
        action="store_true",
        help="print each valid file resolved (${ENV}), secrets masked",
    )
    validate.set_defaults(handler=_validate)

    listing = commands.add_parser(
        "plugins",
        help="list the installed plugins",
        description="List the names in each plugin group and the distribution providing "
        "each, without importing any plugin.",
    )
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_plugins)

    _cli_send.add_parser(commands)
    _cli_listen.add_parser(commands)
    _cli_replay.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``cesdk`` command; return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(levelname)s %(name)s: %(message)s")
    handler: Any = args.handler
    try:
        code: int = handler(args)
    except KeyboardInterrupt:
        print("cesdk: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (`cesdk listen | head`): not our failure.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  # silences the flush at exit
        return EXIT_OK
    return code

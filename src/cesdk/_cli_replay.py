"""``cesdk replay``: send dead letters back through a pipeline's routes.

A dead letter records where it failed (``deadlettersink``) and how far it got
(``deadletterattempts``), and replay resumes from there, so that nothing is done twice:

- a send that failed (attempts >= 1) carries the event as the route's steps left it:
  it goes to that route's sink only, without the route's filter and steps;
- a route filter or step that failed (attempts 0) carries the event as it entered the
  route: it goes through that route again, filter and steps included;
- a pipeline step that failed (``deadlettersink: steps``), or a plain event that is
  no dead letter, goes through the whole pipeline;
- undecodable input, and dead letters of routes this pipeline does not have, are
  skipped (they stay in the file).

The ``deadletter*`` extensions are removed before anything is sent. The routes keep
their retry, rate limit and dedup settings; what fails again goes to the dead letter
sink once more (``--dead-letter`` chooses another file).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Final

from cesdk._adapters.file import FileSink, FileSource
from cesdk._cli_progress import Progress
from cesdk._event import CloudEvent
from cesdk._pipeline._deadletter import UNDECODABLE_TYPE, strip_dead_letter
from cesdk._pipeline._pipeline import Pipeline, Route
from cesdk._pipeline._steps import Filter, Step, apply_steps

__all__ = ["add_parser", "replay_pipeline"]

log = logging.getLogger("cesdk.replay")

#: Marks, while replaying, which route an event is for: ``send:<route>`` (sink only),
#: ``route:<route>`` (filter and steps again) or ``all``. Removed before sending.
MARK: Final = "cesdkreplay"


def add_parser(commands: Any) -> None:
    """Add ``replay`` to the ``cesdk`` subcommands."""
    parser = commands.add_parser(
        "replay",
        help="send dead letters back through a pipeline",
        description="Read a dead-letter file (JSON Lines) and send each dead letter "
        "back through the routes of the pipeline in --to, resuming where it failed. "
        "Exits 1 when some fail again.",
    )
    parser.add_argument("deadletters", metavar="DEADLETTER.jsonl", help="the dead-letter file")
    parser.add_argument("--to", required=True, metavar="PIPELINE.yaml", help="the pipeline")
    parser.add_argument(
        "--dead-letter",
        metavar="FILE.jsonl",
        help="where dead letters that fail again go (default: the pipeline's dead letter sink)",
    )
    parser.set_defaults(handler=command)


class _Dispatcher:
    """Decide, per dead letter, where it resumes; count what is skipped."""

    def __init__(self, base: Pipeline) -> None:
        self.base = base
        self.routes = {route.name for route in base.routes}
        self.skipped: Counter[str] = Counter()

    async def dispatch(self, event: CloudEvent) -> list[CloudEvent] | CloudEvent | None:
        sink = event.get("deadlettersink")
        if event.type == UNDECODABLE_TYPE or sink == "decoder":
            self.skipped["undecodable"] += 1
            return None
        original = strip_dead_letter(event)
        if sink is None or sink == "steps":
            return [
                ev.replace(**{MARK: "all"}) for ev in await apply_steps(self.base.steps, original)
            ]
        if sink not in self.routes:
            self.skipped[f"route {sink!r} not in the pipeline"] += 1
            log.warning("skipping dead letter %s: no route named %r", event.id, sink)
            return None
        try:
            attempts = int(event.get("deadletterattempts", 0))
        except (TypeError, ValueError):
            attempts = 0
        return original.replace(**{MARK: f"{'send' if attempts >= 1 else 'route'}:{sink}"})

    def accepts(self, route: Route) -> Filter:
        def accepts(event: CloudEvent) -> bool:
            mark = event.get(MARK)
            if mark == f"send:{route.name}":
                return True
            if mark in (f"route:{route.name}", "all"):
                return route.filter is None or bool(route.filter(event.replace(**{MARK: None})))
            return False

        return accepts

    def prepare(self, route: Route) -> Step:
        async def prepare(event: CloudEvent) -> list[CloudEvent]:
            clean = event.replace(**{MARK: None})
            if str(event.get(MARK, "")).startswith("send:"):
                return [clean]
            return await apply_steps(route.steps, clean)

        return prepare


def replay_pipeline(
    deadletters: str | Path, config: str | Path, *, dead_letter: str | None = None
) -> tuple[Pipeline, _Dispatcher]:
    """Build the pipeline that replays ``deadletters`` through the routes of ``config``.

    Raises:
        ConfigError: ``config`` is invalid.
        ValueError: dead letters that fail again would be appended to the file read.
    """
    from cesdk._config import load_pipeline  # pydantic loads only when a file is read

    source = FileSource(deadletters)
    base = load_pipeline(config, source=source)
    sink = FileSink(dead_letter) if dead_letter is not None else base.dead_letter
    if isinstance(sink, FileSink) and sink.path.resolve() == Path(deadletters).resolve():
        raise ValueError(
            f"the pipeline's dead letter sink writes {deadletters}, the file being replayed; "
            "choose another with --dead-letter FILE.jsonl"
        )
    dispatcher = _Dispatcher(base)
    routes = [
        Route(
            route.sink,
            name=route.name,
            filter=dispatcher.accepts(route),
            steps=[dispatcher.prepare(route)],
            retry=route.retry,
            rate_limit=route.rate_limit,
            dedupe=route.dedupe,
        )
        for route in base.routes
    ]
    pipeline = Pipeline(
        source,
        steps=[dispatcher.dispatch],
        routes=routes,
        dead_letter=sink,
        concurrency=base.concurrency,
        ordering=base.ordering,
        shutdown_timeout=base.shutdown_timeout,
        name=base.name,
    )
    return pipeline, dispatcher


async def _run(pipeline: Pipeline, total: int, progress: Progress) -> None:
    task = asyncio.create_task(pipeline.run())
    try:
        while not task.done():
            progress.update(f"replay: {pipeline.metrics.total('received')}/{total}")
            # A redraw period, not synchronisation: the task's end is awaited below.
            await asyncio.wait({task}, timeout=0.1)
    finally:
        await task


def command(args: argparse.Namespace) -> int:
    """Run ``cesdk replay``; return the exit status."""
    path = Path(args.deadletters)
    try:
        total = sum(1 for line in path.open("rb") if line.strip())
    except OSError as exc:
        print(f"cesdk replay: {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    from cesdk._cli import print_problems
    from cesdk._config import ConfigError

    try:
        pipeline, dispatcher = replay_pipeline(path, args.to, dead_letter=args.dead_letter)
    except ConfigError as exc:
        return print_problems(exc.problems)
    except ValueError as exc:
        print(f"cesdk replay: {exc}", file=sys.stderr)
        return 2
    progress = Progress()
    asyncio.run(_run(pipeline, total, progress))
    metrics = pipeline.metrics
    if metrics.total("received") < total:
        progress.done(f"cesdk replay: interrupted after {metrics.total('received')}/{total}")
        return 130
    again = metrics.total("deadlettered") + metrics.total("failed")
    skipped = sum(dispatcher.skipped.values())
    why = ", ".join(f"{n} {reason}" for reason, n in sorted(dispatcher.skipped.items()))
    progress.done(
        f"cesdk replay: {metrics.total('received')} read, {metrics.total('delivered')} delivered, "
        f"{again} dead-lettered again, {skipped} skipped" + (f" ({why})" if why else "")
    )
    return 1 if again else 0

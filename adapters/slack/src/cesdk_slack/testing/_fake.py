"""A Slack Web API and incoming-webhook server on loopback that refuses what Slack refuses."""

from __future__ import annotations

import itertools
import math
import re
import secrets
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import orjson
from aiohttp import web

from cesdk.testing import until
from cesdk_slack._limits import Limits
from cesdk_slack.testing._checks import RefusalError, check_message

__all__ = ["Attempt", "Received", "SlackFake"]

_SPECIAL = re.compile(r"<[^<>\n]*>")


@dataclass(frozen=True, slots=True)
class Received:
    """A message the fake accepted.

    Attributes:
        channel: the channel ID (``C...``).
        channel_name: its name, without ``#``.
        payload: the arguments as received (form-encoded ``blocks`` decoded).
        time: ``time.monotonic()`` when the request arrived.
        ts: the timestamp the fake gave the message (unique, increasing).
        thread_ts: the thread it replied to, if any.
        via: ``"api"`` (``chat.postMessage``) or ``"webhook"``.
    """

    channel: str
    channel_name: str
    payload: dict[str, Any]
    time: float
    ts: str
    thread_ts: str | None
    via: str

    @property
    def text(self) -> str:
        """The top-level ``text`` (``""`` when absent)."""
        text = self.payload.get("text")
        return text if isinstance(text, str) else ""

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """The blocks (``[]`` when absent)."""
        blocks = self.payload.get("blocks")
        return blocks if isinstance(blocks, list) else []

    def mrkdwn(self) -> list[str]:
        """Every text Slack parses as mrkdwn: ``text`` and each ``mrkdwn`` text object."""
        out = [self.text] if self.text else []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                    out.append(node["text"])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(self.blocks)
        return out

    def special(self) -> list[str]:
        """The ``<...>`` sequences Slack would turn into mentions or links (``<!channel>``,
        ``<@U123>``, ``<https://x|click>``): none, when event text was escaped."""
        return [m.group(0) for text in self.mrkdwn() for m in _SPECIAL.finditer(text)]

    def section_texts(self) -> list[str]:
        """The texts of the section blocks, in order."""
        return [
            b["text"]["text"]
            for b in self.blocks
            if b.get("type") == "section" and isinstance(b.get("text"), dict)
        ]

    def context_text(self) -> str:
        """The text of the (last) context block, or ``""``."""
        for block in reversed(self.blocks):
            if block.get("type") == "context":
                return " ".join(str(e.get("text", "")) for e in block.get("elements", []))
        return ""


@dataclass(frozen=True, slots=True)
class Attempt:
    """A post to a channel the fake knows, accepted or not (for pacing assertions)."""

    channel: str
    time: float
    status: int
    error: str | None
    via: str


@dataclass
class _Failure:
    channel: str | None
    status: int | None
    error: str | None
    retry_after: float | None
    after: int = 0


@dataclass
class _Channel:
    id: str
    name: str
    member: bool = True
    archived: bool = False
    last: float | None = None  # arrival of the last accepted message
    messages: list[Received] = field(default_factory=list)


class SlackFake:
    """Slack's ``chat.postMessage`` and incoming webhooks, on ``127.0.0.1``, enforcing
    Slack's documented rules so that a test fails where Slack would refuse.

    Web API: ``POST {api_url}chat.postMessage`` with a JSON body and ``Authorization:
    Bearer <token>``, or form-encoded (``token`` may then be a field; ``blocks`` a JSON
    string). Without a token: ``not_authed``; another token: ``invalid_auth``; an unknown
    channel: ``channel_not_found``; one the bot is not in: ``not_in_channel``; archived:
    ``is_archived``; then the message rules (``no_text``, ``invalid_blocks``,
    ``invalid_blocks_format``, ``msg_too_long``; see ``cesdk_slack.testing._checks``).
    Errors are HTTP 200 with ``{"ok": false, "error": ...}``, as Slack answers them.
    Success: ``{"ok": true, "channel", "ts", "message"}``; ``thread_ts`` is recorded.

    Incoming webhooks (:meth:`add_webhook`): ``ok``, or the error as text with 400
    (``invalid_payload``, ``no_text``, ``invalid_blocks``, ``msg_too_long``), 404
    (``no_service`` for an unknown hook) or 410 (``channel_is_archived``).

    Rate limit: a channel's message that arrives less than ``1/rate`` seconds (minus
    ``tolerance``, for clock jitter) after its previous accepted one gets ``429`` with
    ``Retry-After`` and ``ratelimited`` (``rate_limited`` as a webhook's text), through
    either path; refused posts do not count.

    Args:
        token: the bot token it accepts.
        channels: channel names it knows, the bot a member of each.
        not_member: channel names it knows but the bot is not in.
        rate: messages per second per channel.
        tolerance: seconds of slack in the rate check.
        retry_after: the ``Retry-After`` of its 429s; the time left, rounded up, when
            ``None``.
        limits: the message limits (Slack's).
        host: the address to listen on.

    Example:
        >>> async with SlackFake(channels=["alerts"]) as slack:  # doctest: +SKIP
        ...     sink = SlackSink(token=slack.token, channel="alerts", api_url=slack.api_url)
    """

    def __init__(
        self,
        *,
        token: str = "xoxb-cesdk-fake-token",
        channels: Iterable[str] = ("general", "alerts"),
        not_member: Iterable[str] = (),
        rate: float = 1.0,
        tolerance: float = 0.02,
        retry_after: float | None = None,
        limits: Limits | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        if rate <= 0 or tolerance < 0:
            raise ValueError("rate must be > 0 and tolerance >= 0")
        self.token = token
        self.rate, self.tolerance, self.retry_after = rate, tolerance, retry_after
        self.limits = limits or Limits()
        self.host = host
        self.port = 0
        self._channels: dict[str, _Channel] = {}
        for name in channels:
            self._add_channel(name, member=True)
        for name in not_member:
            self._add_channel(name, member=False)
        self._hooks: dict[str, str] = {}  # path -> channel id
        self._failures: list[_Failure] = []
        self._last_ts = 0
        self.received: list[Received] = []
        self.attempts: list[Attempt] = []
        self.ratelimited = 0
        self.ratelimited_by_channel: Counter[str] = Counter()
        self._runner: web.AppRunner | None = None

    # -- set-up ---------------------------------------------------------------------

    def _add_channel(self, name: str, *, member: bool) -> _Channel:
        name = name.lstrip("#")
        channel = _Channel(id=f"C{len(self._channels) + 1:08X}", name=name, member=member)
        self._channels[channel.id] = channel
        return channel

    def _find(self, ref: str) -> _Channel | None:
        if ref in self._channels:
            return self._channels[ref]
        name = ref.lstrip("#")
        return next((c for c in self._channels.values() if c.name == name), None)

    def channel_id(self, name: str) -> str:
        """The ID of a channel the fake knows, by name (or ID)."""
        channel = self._find(name)
        if channel is None:
            raise KeyError(f"the fake knows no channel {name!r}")
        return channel.id

    def add_channel(self, name: str, *, member: bool = True) -> str:
        """Create a channel; return its ID."""
        return self._add_channel(name, member=member).id

    def archive(self, channel: str) -> None:
        """Archive a channel: posts to it are refused from now on."""
        found = self._find(channel)
        if found is None:
            raise KeyError(channel)
        found.archived = True

    def add_webhook(self, channel: str) -> str:
        """Create an incoming webhook posting to ``channel``; return its URL."""
        channel_id = self.channel_id(channel)
        path = (
            f"/services/T0000FAKE/B{len(self._hooks) + 1:08X}/"
            f"{secrets.token_urlsafe(18).replace('-', 'x').replace('_', 'y')}"
        )
        self._hooks[path] = channel_id
        return self.url + path

    def fail_next(
        self,
        channel: str | None = None,
        *,
        status: int | None = None,
        error: str | None = None,
        retry_after: float | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Make the next ``times`` posts (to ``channel``, or any) fail.

        Args:
            channel: a name or ID; ``None`` for any channel.
            status: 429 (``ratelimited`` with ``Retry-After``), a 5xx, or ``None``.
            error: the Slack error code (HTTP 200 for the Web API, 400 for a webhook,
                unless ``status`` says otherwise).
            retry_after: the ``Retry-After`` of a 429 (1 by default).
            times: how many posts fail.
            after: let this many matching posts through first.
        """
        if status is None and error is None:
            raise ValueError("give a status, an error, or both")
        target = self.channel_id(channel) if channel is not None else None
        for n in range(times):
            self._failures.append(
                _Failure(target, status, error, retry_after, after if n == 0 else 0)
            )

    # -- lifecycle ------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The Web API base, as ``SlackSink(api_url=...)`` takes it."""
        return f"{self.url}/api/"

    async def start(self) -> SlackFake:
        """Listen on a free port."""
        app = web.Application(client_max_size=4 << 20)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_post("/services/{team}/{bot}/{secret}", self._webhook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if not self.port:
            self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Stop listening."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> SlackFake:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- assertions -----------------------------------------------------------------

    def messages(self, channel: str | None = None) -> list[Received]:
        """The accepted messages, in arrival order; those of ``channel`` when given."""
        if channel is None:
            return list(self.received)
        return list(self.channel_messages(channel))

    def channel_messages(self, channel: str) -> list[Received]:
        """The accepted messages of one channel (a name or ID)."""
        found = self._find(channel)
        return list(found.messages) if found is not None else []

    def replies(self, ts: str) -> list[Received]:
        """The messages posted in the thread of ``ts``."""
        return [m for m in self.received if m.thread_ts == ts]

    async def wait_for(
        self, count: int, *, timeout: float = 10.0, channel: str | None = None
    ) -> list[Received]:
        """Wait until ``count`` messages (of ``channel``) were accepted; return them all."""
        await until(
            lambda: len(self.messages(channel)) >= count,
            timeout=timeout,
            what=f"{count} Slack messages" + (f" in {channel}" if channel else ""),
        )
        return self.messages(channel)

    def max_rate_seen(self, channel: str, *, window: float = 1.0) -> int:
        """The most posts to ``channel`` (refused ones included) that arrived within less
        than ``window`` seconds (minus the tolerance): 1 for a sink that paces itself."""
        channel_id = self.channel_id(channel)
        times = sorted(a.time for a in self.attempts if a.channel == channel_id)
        best, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= window - self.tolerance:
                start += 1
            best = max(best, end - start + 1)
        return best

    def gaps(self, channel: str) -> list[float]:
        """Seconds between consecutive posts to ``channel`` (refused ones included)."""
        channel_id = self.channel_id(channel)
        times = sorted(a.time for a in self.attempts if a.channel == channel_id)
        return [b - a for a, b in itertools.pairwise(times)]

    # -- the server -----------------------------------------------------------------

    def _next_ts(self) -> str:
        micros = max(time.time_ns() // 1000, self._last_ts + 1)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _failure_for(self, channel: _Channel) -> _Failure | None:
        for index, failure in enumerate(self._failures):
            if failure.channel in (None, channel.id):
                if failure.after:
                    failure.after -= 1
                    return None
                return self._failures.pop(index)
        return None

    def _throttle(self, channel: _Channel, now: float) -> float | None:
        """Seconds to wait if this post comes too soon after the channel's last one."""
        if channel.last is None:
            return None
        left = 1.0 / self.rate - (now - channel.last)
        if left <= self.tolerance:
            return None
        return self.retry_after if self.retry_after is not None else float(max(1, math.ceil(left)))

    def _count_429(self, channel: _Channel) -> None:
        self.ratelimited += 1
        self.ratelimited_by_channel[channel.name] += 1

    def _accept(self, channel: _Channel, payload: dict[str, Any], now: float, via: str) -> Received:
        thread_ts = payload.get("thread_ts")
        message = Received(
            channel=channel.id,
            channel_name=channel.name,
            payload=payload,
            time=now,
            ts=self._next_ts(),
            thread_ts=str(thread_ts) if thread_ts else None,
            via=via,
        )
        channel.last = now if channel.last is None else max(channel.last, now)
        channel.messages.append(message)
        self.received.append(message)
        return message

    @staticmethod
    def _answer(body: dict[str, Any], status: int = 200, **headers: str) -> web.Response:
        return web.Response(
            body=orjson.dumps(body),
            status=status,
            content_type="application/json",
            charset="utf-8",
            headers=headers,
        )

    async def _read_api_request(self, request: web.Request) -> tuple[dict[str, Any], str | None]:
        """The arguments and the token of a Web API call; raise RefusalError for a bad body."""
        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        kind = request.content_type
        if kind == "application/json":
            try:
                args = orjson.loads(await request.read())
            except orjson.JSONDecodeError:
                raise RefusalError("invalid_json") from None
            if not isinstance(args, dict):
                raise RefusalError("json_not_object")
            return args, token  # a JSON body cannot carry the token: Slack reads the header
        if kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            args = {k: v for k, v in form.items() if isinstance(v, str)}
            return args, token or args.pop("token", None)
        raise RefusalError("invalid_form_data")

    async def _api(self, request: web.Request) -> web.Response:
        now = time.monotonic()
        if request.match_info["method"] != "chat.postMessage":
            return self._answer({"ok": False, "error": "unknown_method"}, 404)
        try:
            args, token = await self._read_api_request(request)
        except RefusalError as refusal:
            return self._answer({"ok": False, "error": refusal.code})
        if not token:
            return self._answer({"ok": False, "error": "not_authed"})
        if token != self.token:
            return self._answer({"ok": False, "error": "invalid_auth"})
        channel = self._find(str(args.get("channel") or ""))
        if channel is None:
            return self._answer({"ok": False, "error": "channel_not_found"})
        status, error, headers, answer = self._decide_api(channel, args, now)
        self.attempts.append(Attempt(channel.id, now, status, error, "api"))
        return self._answer(answer, status, **headers)

    def _decide_api(
        self, channel: _Channel, args: dict[str, Any], now: float
    ) -> tuple[int, str | None, dict[str, str], dict[str, Any]]:
        if not channel.member:
            return 200, "not_in_channel", {}, {"ok": False, "error": "not_in_channel"}
        if channel.archived:
            return 200, "is_archived", {}, {"ok": False, "error": "is_archived"}
        failure = self._failure_for(channel)
        wait = self._throttle(channel, now) if failure is None else None
        if failure is not None and failure.status == 429:
            wait = failure.retry_after if failure.retry_after is not None else 1.0
        if wait is not None:
            self._count_429(channel)
            answer = {"ok": False, "error": "ratelimited"}
            return 429, "ratelimited", {"Retry-After": f"{wait:g}"}, answer
        if failure is not None:
            error = failure.error or "internal_error"
            return failure.status or 200, error, {}, {"ok": False, "error": error}
        try:
            payload = check_message(args, self.limits)
        except RefusalError as refusal:
            answer = {"ok": False, "error": refusal.code}
            if refusal.messages:
                answer["response_metadata"] = {"messages": refusal.messages}
            return 200, refusal.code, {}, answer
        received = self._accept(channel, payload, now, "api")
        message: dict[str, Any] = {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B0FAKEBOT",
            "text": received.text,
            "ts": received.ts,
        }
        if received.blocks:
            message["blocks"] = received.blocks
        if received.thread_ts:
            message["thread_ts"] = received.thread_ts
        answer = {"ok": True, "channel": channel.id, "ts": received.ts, "message": message}
        return 200, None, {}, answer

    async def _webhook(self, request: web.Request) -> web.Response:
        now = time.monotonic()
        channel_id = self._hooks.get(request.path)
        if channel_id is None:
            return web.Response(text="no_service", status=404)
        channel = self._channels[channel_id]
        raw = await request.read()
        if request.content_type == "application/x-www-form-urlencoded":
            form = await request.post()
            raw = str(form.get("payload", "")).encode()
        try:
            payload = orjson.loads(raw)
        except orjson.JSONDecodeError:
            payload = None
        status, text, headers = self._decide_webhook(channel, payload, now)
        self.attempts.append(
            Attempt(channel.id, now, status, None if status == 200 else text, "webhook")
        )
        return web.Response(text=text, status=status, headers=headers)

    def _decide_webhook(
        self, channel: _Channel, payload: Any, now: float
    ) -> tuple[int, str, dict[str, str]]:
        if not isinstance(payload, dict):
            return 400, "invalid_payload", {}
        if channel.archived:
            return 410, "channel_is_archived", {}
        failure = self._failure_for(channel)
        wait = self._throttle(channel, now) if failure is None else None
        if failure is not None and failure.status == 429:
            wait = failure.retry_after if failure.retry_after is not None else 1.0
        if wait is not None:
            self._count_429(channel)
            return 429, "rate_limited", {"Retry-After": f"{wait:g}"}
        if failure is not None:
            status = failure.status or 400
            default = "rollup_error" if status >= 500 else "invalid_payload"
            return status, failure.error or default, {}
        try:
            checked = check_message(payload, self.limits)
        except RefusalError as refusal:
            return 400, refusal.code, {}
        checked.pop("thread_ts", None)  # incoming webhooks do not thread
        self._accept(channel, checked, now, "webhook")
        return 200, "ok", {}

"""``SlackSink``: Block Kit messages through an incoming webhook or ``chat.postMessage``."""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

import cesdk
from cesdk import templates
from cesdk_slack._answers import RateLimitedError, check_api_answer, check_webhook_answer
from cesdk_slack._blocks import Message, plan_messages
from cesdk_slack._pacing import Lane, Pacer
from cesdk_slack._threads import KeyLocks, thread_state_key

__all__ = ["SlackSink", "TemplateSource"]

log = logging.getLogger("cesdk.slack")

TemplateSource = str | os.PathLike[str] | Callable[[cesdk.CloudEvent], str] | templates.Template
"""Inline Jinja2 text, a template file (``pathlib.Path``), a callable, or a compiled one."""

_WEBHOOK_LANE = "\x00webhook"  # a webhook posts to one channel: one lane
_MASK = "***"
_MAX_PROGRESS = 10_000


def _compile(
    source: TemplateSource | None,
    file: str | None,
    *,
    default: str,
    escape: templates.Escape,
    name: str,
) -> templates.Template:
    if source is not None and file is not None:
        raise ValueError(f"give {name} or {name}_file, not both")
    if file is not None:
        return templates.compile(Path(file), escape=escape)
    if source is None:
        return templates.default(default)
    if isinstance(source, str):
        return templates.compile(source, escape=escape, name=f"SlackSink.{name}")
    return templates.compile(source, escape=escape)


class SlackSink:
    """Post each event to Slack as a Block Kit message, paced per channel.

    Give either an incoming ``webhook_url`` or a bot ``token`` (``chat:write``) with a
    ``channel`` or a ``channel_template``. Each event becomes a header (from
    ``header_template``), one section per paragraph of ``template`` (Slack mrkdwn) and a
    context line naming the event, plus a ``text`` fallback for notifications. Messages
    that would break Slack's limits (50 blocks, 3,000 characters per section, 40,000 of
    text) go out as several messages, in order; a retry resumes after the parts already
    posted.

    Event values are escaped by the templates (``&``, ``<``, ``>``), so no event can
    mention ``<!channel>``, a user or post a link; the template's own text is not.

    Pacing: at most ``rate`` messages per second per channel (Slack's documented one per
    second), one at a time, and at most ``workspace_rate`` over all channels; the sink
    waits for its turn, it does not fail. A ``429`` pauses that channel only, for its
    ``Retry-After``; the message waits out the pause in its place and is posted again
    (``ratelimit_waits`` times, then ``RetryableDeliveryError`` with ``retry_after``
    hands it to the pipeline). ``ratelimited``, 5xx and network errors are retryable; every
    other Slack error (``invalid_auth``, ``channel_not_found``, ``not_in_channel``,
    ``no_text``, ``invalid_blocks``, ``msg_too_long``...) raises
    ``PermanentDeliveryError`` with Slack's code, so the event is dead-lettered.

    Threads (bot token only): with ``thread_key``, the first message for a key starts a
    thread and later ones reply in it; the thread's ``ts`` is kept in ``state`` (a
    ``cesdk.StateStore``; with ``state_url="redis://..."`` it survives restarts).

    The webhook URL and the token never appear in reprs, logs or error messages.

    Args:
        webhook_url: an incoming webhook (``https://hooks.slack.com/services/...``).
        token: a bot token (``xoxb-...``) for ``chat.postMessage``.
        channel: the channel ID or name to post to (with ``token``).
        channel_template: a template rendering the channel per event (with ``token``).
        template: the body (mrkdwn; event values escaped): inline Jinja2 text, a
            ``pathlib.Path``, or a callable ``(event) -> str`` whose output is used as is.
            ``templates.default("slack")`` when omitted.
        template_file: a template file for the body (the form YAML uses).
        header_template: the header (plain text, one line, cut at 150 characters);
            ``templates.default("slack_header")`` when omitted, ``""`` for no header.
        header_template_file: a template file for the header.
        context: end each message with a context line: the event's id and source.
        thread_key: a template giving the thread of an event (e.g. ``"{{ subject }}"``);
            an empty result posts outside any thread.
        thread_ttl: seconds a thread's ``ts`` is remembered after it started.
        state: where thread timestamps are kept; a ``cesdk.MemoryDedupStore`` by default.
        state_url: a Redis URL for a ``cesdk.RedisDedupStore`` instead (opened and closed
            with the sink).
        state_prefix: the key prefix in that Redis store.
        rate: messages per second per channel.
        workspace_rate: messages per second over all channels; no cap when ``None``.
        ratelimit_waits: 429s a message waits out in its place (keeping the channel's
            order) before ``RetryableDeliveryError`` hands it to the pipeline's retry.
        api_url: the Web API base (a Slack fake's ``api_url`` in tests).
        timeout: seconds one request may take, connecting included.
        max_connections: connections to Slack at most.
        session: an ``aiohttp.ClientSession`` to use instead of an own one (not closed).

    Example:
        >>> sink = SlackSink(token="xoxb-...", channel="#alerts", thread_key="{{ subject }}")
        ... # doctest: +SKIP
    """

    def __init__(
        self,
        webhook_url: str | None = None,
        *,
        token: str | None = None,
        channel: str | None = None,
        channel_template: str | None = None,
        template: TemplateSource | None = None,
        template_file: str | None = None,
        header_template: TemplateSource | None = None,
        header_template_file: str | None = None,
        context: bool = True,
        thread_key: str | Callable[[cesdk.CloudEvent], str] | None = None,
        thread_ttl: float = 7 * 24 * 3600.0,
        state: Any = None,
        state_url: str | None = None,
        state_prefix: str = "cesdk:slack:",
        rate: float = 1.0,
        workspace_rate: float | None = None,
        ratelimit_waits: int = 3,
        api_url: str = "https://slack.com/api/",
        timeout: float = 10.0,
        max_connections: int = 100,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        if (webhook_url is None) == (token is None):
            raise ValueError("give webhook_url (an incoming webhook) or token (a bot token)")
        if webhook_url is not None:
            if not webhook_url.lower().startswith(("https://", "http://")):
                raise ValueError("webhook_url must be an https:// URL (the incoming webhook)")
            unsupported = {
                "channel": channel,
                "channel_template": channel_template,
                "thread_key": thread_key,
                "state": state,
                "state_url": state_url,
            }
            given = [name for name, value in unsupported.items() if value is not None]
            if given:
                raise ValueError(
                    f"{', '.join(given)}: an incoming webhook posts to its own channel and "
                    "returns no message ts for threads; use token= with chat.postMessage"
                )
        elif (channel is None) == (channel_template is None):
            raise ValueError("with token=, give channel or channel_template (one of them)")
        if not token and token is not None:
            raise ValueError("token is empty")
        if state is not None and state_url is not None:
            raise ValueError("give state or state_url, not both")
        if state is not None and not all(
            callable(getattr(state, name, None)) for name in ("get", "put")
        ):
            raise ValueError(
                f"state must be a cesdk.StateStore (get and put), not {type(state).__name__}; "
                "in YAML give state_url: redis://..."
            )
        if rate <= 0 or timeout <= 0 or thread_ttl <= 0 or max_connections < 1:
            raise ValueError("rate, timeout and thread_ttl must be > 0, max_connections >= 1")
        if ratelimit_waits < 0:
            raise ValueError("ratelimit_waits must be >= 0")
        if workspace_rate is not None and workspace_rate <= 0:
            raise ValueError("workspace_rate must be > 0 (or None for no cap)")
        if not api_url.lower().startswith(("https://", "http://")):
            raise ValueError(f"api_url must be an http(s) URL, got {api_url!r}")
        self._webhook_url = webhook_url
        self._token = token
        self.channel = channel.strip() if channel is not None else None
        self.api_url = api_url.rstrip("/") + "/"
        self.timeout, self.max_connections = timeout, max_connections
        self.rate, self.workspace_rate = rate, workspace_rate
        self.ratelimit_waits = ratelimit_waits
        self.thread_ttl = thread_ttl
        self.context = context
        self.body_template = _compile(
            template, template_file, default="slack", escape="slack", name="template"
        )
        self.header_template = _compile(
            header_template,
            header_template_file,
            default="slack_header",
            escape="none",
            name="header_template",
        )
        self.channel_template = (
            templates.compile(channel_template, escape="none", name="SlackSink.channel_template")
            if channel_template is not None
            else None
        )
        self.thread_key = (
            templates.compile(thread_key, escape="none", name="SlackSink.thread_key")
            if thread_key is not None
            else None
        )
        self._state_url, self._state_prefix = state_url, state_prefix
        self._state: Any = state if state is not None else None
        if state is None and state_url is None:
            self._state = cesdk.MemoryDedupStore()
        self._secrets = [s for s in (webhook_url, token, state_url) if s]
        if webhook_url is not None:  # the path is the secret; its last part the key
            path = urlsplit(webhook_url).path
            self._secrets += [path, path.rstrip("/").rsplit("/", 1)[-1]]
        self._pacer = Pacer(rate, workspace_rate)
        self._thread_locks = KeyLocks()
        self._progress: OrderedDict[tuple[str, str, str], tuple[int, str | None]] = OrderedDict()
        self._given_session = session
        self._session: aiohttp.ClientSession | None = None
        self._owns_state = False

    @classmethod
    def from_url(cls, url: str, *, mode: str | None = None, **options: Any) -> SlackSink:
        """Return a sink posting to an incoming webhook URL (``mode`` is ignored).

        There is no ``slack://`` form: a bot token does not belong in a URL.
        """
        return cls(webhook_url=url, **options)

    def __repr__(self) -> str:
        if self._webhook_url is not None:
            return f"SlackSink(webhook_url={_MASK!r})"
        target = (
            f"channel={self.channel!r}"
            if self.channel is not None
            else f"channel_template={getattr(self.channel_template, 'name', '?')!r}"
        )
        return f"SlackSink(token={_MASK!r}, {target})"

    def _redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if len(secret) >= 4:
                text = text.replace(secret, _MASK)
        return text

    async def __aenter__(self) -> SlackSink:
        if self._given_session is not None:
            self._session = self._given_session
        elif self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.max_connections, keepalive_timeout=30),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            )
        if self._state is None and self._state_url is not None:
            self._state = cesdk.RedisDedupStore(self._state_url, prefix=self._state_prefix)
            self._owns_state = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        state, owned = self._state, self._owns_state
        if owned:
            self._state, self._owns_state = None, False
        try:
            if session is not None and session is not self._given_session:
                await session.close()
        finally:
            if owned and state is not None:
                await state.close()

    # -- rendering ------------------------------------------------------------------

    def _channel_of(self, event: cesdk.CloudEvent) -> str:
        if self._webhook_url is not None:
            return _WEBHOOK_LANE
        if self.channel_template is None:
            assert self.channel is not None  # checked in __init__
            return self.channel
        name = self.channel_template.render(event).strip()
        if not name or any(char.isspace() for char in name) or len(name) > 80:
            raise templates.TemplateError(
                f"rendered {name[:90]!r}, which is not a channel name or ID",
                template=self.channel_template.name,
                line=None,
                event_id=event.id,
            )
        return name

    def messages_for(self, event: cesdk.CloudEvent) -> list[Message]:
        """The messages (``text`` and ``blocks``) that carry ``event``, split to fit.

        Raises:
            cesdk.templates.TemplateError: a template failed on this event.
            cesdk.PermanentDeliveryError: the templates rendered nothing.
        """
        header = self.header_template.render(event)
        body = self.body_template.render(event)
        footer = f"event {event.id} · {event.source}" if self.context else ""
        messages = plan_messages(header, body, footer)
        if not messages:
            raise cesdk.PermanentDeliveryError(
                f"the Slack templates rendered no text for event {event.id!r}: nothing to post"
            )
        return messages

    def _thread_of(self, event: cesdk.CloudEvent) -> str | None:
        if self.thread_key is None:
            return None
        return self.thread_key.render(event).strip() or None

    # -- sending --------------------------------------------------------------------

    async def send(self, event: cesdk.CloudEvent) -> None:
        """Post ``event`` (as one message, or several when it is long).

        Raises:
            cesdk.RetryableDeliveryError: 429 (``retry_after`` set), ``ratelimited``,
                5xx, network errors, a failing state store.
            cesdk.PermanentDeliveryError: any other Slack error, with Slack's code.
            cesdk.templates.TemplateError: a template failed on this event.
        """
        session = self._session
        if session is None:
            raise cesdk.RetryableDeliveryError("the Slack sink is not open (use async with)")
        channel = self._channel_of(event)
        messages = self.messages_for(event)
        progress = (event.source, event.id, channel)
        key = self._thread_of(event)
        if key is None:
            await self._post_all(session, channel, messages, progress, None, None)
            return
        state_key = thread_state_key(channel, key)
        async with self._thread_locks.hold(state_key):
            thread_ts = await self._state_get(state_key)
            if thread_ts is None:  # the first for this key: post while holding the key
                await self._post_all(session, channel, messages, progress, None, state_key)
                return
        await self._post_all(session, channel, messages, progress, thread_ts, None)

    async def _post_all(
        self,
        session: aiohttp.ClientSession,
        channel: str,
        messages: list[Message],
        progress: tuple[str, str, str],
        thread_ts: str | None,
        start_thread: str | None,
    ) -> None:
        done, started = self._progress.get(progress, (0, None))
        thread_ts = thread_ts or started
        try:
            async with self._pacer.lane(channel) as lane:
                for index in range(done, len(messages)):
                    ts = await self._post_in_turn(
                        lane, session, channel, messages[index], thread_ts
                    )
                    if start_thread is not None and thread_ts is None and ts:
                        thread_ts = ts  # the rest of this event replies in the new thread
                        await self._state_put(start_thread, ts)
                    self._remember_progress(progress, index + 1, thread_ts)
        except cesdk.PermanentDeliveryError:
            self._progress.pop(progress, None)  # a replay starts afresh
            raise
        self._progress.pop(progress, None)
        if len(messages) > 1:
            log.debug("posted event %s in %d messages to %s", progress[1], len(messages), channel)

    async def _post_in_turn(
        self,
        lane: Lane,
        session: aiohttp.ClientSession,
        channel: str,
        message: Message,
        thread_ts: str | None,
    ) -> str | None:
        """Post when the channel's turn comes; after a 429, wait out the pause in place."""
        for attempt in range(1, self.ratelimit_waits + 2):
            await self._pacer.turn(lane)
            try:
                return await self._post(session, channel, message, thread_ts)
            except RateLimitedError:
                if attempt > self.ratelimit_waits:
                    raise  # the pipeline's retry policy takes over, with retry_after
            finally:
                self._pacer.answered(lane)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _remember_progress(self, key: tuple[str, str, str], done: int, ts: str | None) -> None:
        self._progress[key] = (done, ts)
        self._progress.move_to_end(key)
        if len(self._progress) > _MAX_PROGRESS:
            self._progress.popitem(last=False)

    async def _post(
        self,
        session: aiohttp.ClientSession,
        channel: str,
        message: Message,
        thread_ts: str | None,
    ) -> str | None:
        if self._webhook_url is not None:
            url, what = self._webhook_url, "the Slack webhook"
            headers = {"Content-Type": "application/json; charset=utf-8"}
            payload = message
        else:
            url, what = self.api_url + "chat.postMessage", f"chat.postMessage to {channel}"
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {self._token}",
            }
            payload = {"channel": channel, **message}
            if thread_ts is not None:
                payload["thread_ts"] = thread_ts
        try:
            async with session.post(
                url, data=orjson.dumps(payload), headers=headers, allow_redirects=False
            ) as response:
                status, answer_headers = response.status, response.headers
                body = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            # from None: aiohttp's errors may carry the URL, and so the webhook's secret.
            detail = self._redact(str(exc)) or "timed out"
            raise cesdk.RetryableDeliveryError(f"{what}: {type(exc).__name__}: {detail}") from None
        try:
            if self._webhook_url is not None:
                check_webhook_answer(status, answer_headers, body)
                return None
            answer = check_api_answer(status, answer_headers, body, what=what)
        except RateLimitedError as exc:
            self._pacer.pause(channel, exc.retry_after or 1.0)
            log.warning("Slack rate-limited %s: pausing it for %.1f s", what, exc.retry_after)
            raise
        ts = answer.get("ts")
        return str(ts) if ts else None

    async def _state_get(self, key: str) -> str | None:
        try:
            value: str | None = await self._state.get(key)
        except Exception as exc:
            raise cesdk.RetryableDeliveryError(
                f"the Slack thread state store failed: {type(exc).__name__}: "
                f"{self._redact(str(exc))}"
            ) from None
        return value

    async def _state_put(self, key: str, ts: str) -> None:
        try:
            stored = await self._state.put(key, ts, self.thread_ttl, only_if_absent=True)
        except Exception as exc:  # the message is posted: later ones start a new thread
            log.warning(
                "Slack thread not remembered (%s: %s); the next message for its key starts "
                "another thread",
                type(exc).__name__,
                self._redact(str(exc)),
            )
            return
        if not stored:
            log.info("another process started the thread for %s first; keeping both", key)

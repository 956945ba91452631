"""SmtpSink passes the sink contract of cesdk.testing, against a real aiosmtpd server.

Mail cannot carry a whole event, so the contract compares ids (``carries_full_events``
is False); the id travels in the ``X-CloudEvents-Id`` header.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import cesdk
from cesdk.testing import SinkContract, free_port
from cesdk_smtp import SmtpSink
from cesdk_smtp.testing import SmtpServer
from smtp_helpers import SENDER, as_event, plain_sink


class TestSmtpSinkContract(SinkContract):
    carries_full_events = False

    @pytest.fixture(autouse=True)
    async def _server(self) -> AsyncIterator[None]:
        async with SmtpServer() as server:
            self.server = server
            yield

    async def open_sink(self) -> cesdk.Sink:
        return plain_sink(self.server)

    async def received(self, count: int, timeout: float) -> list[cesdk.CloudEvent]:
        mails = await self.server.wait_for(count, timeout)
        return [as_event(mail) for mail in mails]

    async def open_unreachable_sink(self) -> cesdk.Sink | None:
        return SmtpSink(
            "127.0.0.1",
            free_port(),
            tls="none",
            from_addr=SENDER,
            to=["oncall@example.com"],
            timeout=2,
        )


class TestSmtpSinkStartTlsAuthContract(TestSmtpSinkContract):
    """The same contract over STARTTLS with AUTH, as a real submission server wants."""

    @pytest.fixture(autouse=True)
    async def _server(self) -> AsyncIterator[None]:
        async with SmtpServer(tls="starttls", auth={"alerts": "s3cret"}) as server:
            self.server = server
            yield

    async def open_sink(self) -> cesdk.Sink:
        return SmtpSink(
            self.server.host,
            self.server.port,
            tls="starttls",
            ca_file=self.server.ca_file,
            username="alerts",
            password="s3cret",
            from_addr=SENDER,
            to=["oncall@example.com"],
            timeout=5,
        )

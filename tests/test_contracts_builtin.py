"""The built-in adapters pass the public contract tests (cesdk.testing)."""

from __future__ import annotations

from pathlib import Path

import pytest

import cesdk
from cesdk.formats import json as json_format
from cesdk.testing import SinkContract, SourceContract


class TestMemorySinkContract(SinkContract):
    async def open_sink(self) -> cesdk.MemorySink:
        self.sink = cesdk.MemorySink()
        return self.sink

    async def received(self, count: int, timeout: float) -> list[cesdk.CloudEvent]:
        # MemorySink.send keeps the event before it returns: nothing to wait for.
        assert len(self.sink.events) >= count
        return self.sink.events


class TestMemorySourceContract(SourceContract):
    async def open_source(self) -> cesdk.MemorySource:
        self.source = cesdk.MemorySource(keep_open=True)
        return self.source

    async def publish(self, event: cesdk.CloudEvent) -> None:
        self.source.put(event)

    async def publish_raw(self, body: bytes) -> None:
        self.source.put(cesdk.RawMessage(body))


class TestFileSinkContract(SinkContract):
    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path: Path) -> None:
        self.path = tmp_path / "out.jsonl"

    async def open_sink(self) -> cesdk.FileSink:
        return cesdk.FileSink(self.path)

    async def open_unreachable_sink(self) -> cesdk.FileSink | None:
        return None  # a local file has no peer to be down

    async def received(self, count: int, timeout: float) -> list[cesdk.CloudEvent]:
        lines = self.path.read_bytes().splitlines() if self.path.exists() else []
        assert len(lines) >= count, f"{len(lines)} lines written, expected {count}"
        return [json_format.decode(line) for line in lines]


class TestFileSourceContract(SourceContract):
    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path: Path) -> None:
        self.path = tmp_path / "in.jsonl"
        self.path.touch()

    async def open_source(self) -> cesdk.FileSource:
        return cesdk.FileSource(self.path, follow=True, poll_interval=0.01)

    async def publish(self, event: cesdk.CloudEvent) -> None:
        with self.path.open("ab") as handle:
            handle.write(json_format.encode(event) + b"\n")

    async def publish_raw(self, body: bytes) -> None:
        with self.path.open("ab") as handle:
            handle.write(body + b"\n")

"""What the simulator proofs share (tests/test_sim*.py): a reference CSMS that records what each
station sent it, and an MQTT watcher with awaitable conditions, both over real connections."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from pytest_ocpp.reference.csms import ReferenceCsms
from pytest_ocpp.reference.runner import BackgroundLoop
from pytest_ocpp.sim import topics
from pytest_ocpp.sim.broker import MqttAddress
from pytest_ocpp.sim.mqtt import mqtt_client
from pytest_ocpp.sim.station import WireTap


# -- a reference CSMS that keeps what it received ---------------------------------------------
class RecordingCsms(ReferenceCsms):
    """The reference CSMS, recording every frame each station sent it (its own view)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.received: list[tuple[str, list[Any]]] = []

    async def _handle_connection(self, connection: Any) -> None:
        path = connection.request.path if connection.request is not None else ""
        station = path.rstrip("/").rpartition("/")[2]

        def record(direction: str, text: str) -> None:
            if direction == "received":
                self.received.append((station, json.loads(text)))

        await super()._handle_connection(WireTap(connection, record))

    def calls(self, station: str, action: str) -> list[dict[str, Any]]:
        return [
            frame[3]
            for who, frame in self.received
            if who == station and frame[0] == 2 and frame[2] == action
        ]


@contextmanager
def hosted_csms() -> Iterator[tuple[RecordingCsms, BackgroundLoop]]:
    csms = RecordingCsms(port=0)
    with BackgroundLoop("sim-csms") as loop:
        loop.run(csms.start())
        try:
            yield csms, loop
        finally:
            loop.run(csms.stop())


class Watcher:
    """Everything published under some topics, in order, with awaitable conditions."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.messages: list[tuple[str, str]] = []
        self._changed = asyncio.Event()

    async def run(self) -> None:
        async for message in self.client.messages:
            payload = message.payload
            text = payload.decode() if isinstance(payload, bytes | bytearray) else str(payload)
            self.messages.append((str(message.topic), text))
            self._changed.set()

    def values(self, topic: str) -> list[str]:
        return [text for t, text in self.messages if t == topic]

    def last(self, topic: str) -> str | None:
        found = self.values(topic)
        return found[-1] if found else None

    async def until(self, predicate: Any, what: str, timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} not seen within {timeout} s: {self.messages[-20:]}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), 0.2)
            except asyncio.TimeoutError:
                pass

    def ack(self, prefix: str, station: str, request_id: str) -> dict[str, Any] | None:
        for text in self.values(topics.ack(prefix, station)):
            answer = json.loads(text)
            if answer.get("request_id") == request_id:
                return answer
        return None


@asynccontextmanager
async def watching(address: MqttAddress, *filters: str) -> AsyncIterator[Watcher]:
    async with mqtt_client(address) as client:
        for topic_filter in filters:
            await client.subscribe(topic_filter, qos=1)
        watcher = Watcher(client)
        task = asyncio.ensure_future(watcher.run())
        try:
            yield watcher
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def command(
    watcher: Watcher, station: str, action: str, body: dict[str, Any] | str, request_id: str
) -> dict[str, Any]:
    """Publish a command as any MQTT client would, and wait for its acknowledgement."""
    text = body if isinstance(body, str) else json.dumps({**body, "request_id": request_id})
    await watcher.client.publish(topics.command("ocpp", station, action), text, qos=1)
    return await watcher.until(
        lambda: watcher.ack("ocpp", station, request_id), f"ack of {action} {request_id}"
    )

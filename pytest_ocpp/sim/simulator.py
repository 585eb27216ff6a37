"""Many simulated stations in one asyncio loop, driven and watched over MQTT.

One MQTT connection serves every station: one subscription to ``<prefix>/+/cmd/+``, commands
queued per station (so a station's commands keep their order while stations proceed
independently), state changes published by one writer task. The topic tree is
:mod:`pytest_ocpp.sim.topics`.

Nothing a command carries may crash the simulator: bad JSON, an unknown station or action,
bad parameters, a bug of ours: each becomes an acknowledgement with outcome ``failed`` (or
``not-possible``) and a sentence on the station's error topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterable
from typing import Any

from pytest_ocpp.sim import topics
from pytest_ocpp.sim.broker import BrokerError, MqttAddress, explain_mqtt_error
from pytest_ocpp.sim.mqtt import mqtt_client
from pytest_ocpp.sim.station import CommandError, NotPossible, SimStation

__all__ = ["Simulator", "mqtt_client", "station_id_problem"]

LOGGER = logging.getLogger("pytest_ocpp.sim")

TICK = 1.0
"""Seconds between re-reads of every station's state: energy flows between frames."""

_NOT_IN_IDS = ("/", "+", "#", "?")
"""Characters a station id cannot hold here: MQTT topic separators and wildcards (the id is a
topic level) and the URL query mark (the id is the last segment of the CSMS URL)."""


def station_id_problem(station_id: str) -> str | None:
    """Why ``station_id`` cannot name a simulated station, or None: checked before anything
    starts, so a bad id is a sentence rather than a failure half-way through."""
    if not station_id:
        return "a station id cannot be empty"
    bad = [c for c in _NOT_IN_IDS if c in station_id]
    if bad:
        return (
            f"{station_id!r} cannot be a station id: it is an MQTT topic level and the last "
            f"segment of the CSMS URL, so it cannot contain {' '.join(bad)}"
        )
    if any(c.isspace() for c in station_id):
        return f"{station_id!r} cannot be a station id: it contains white space"
    return None


class Simulator:
    """Simulated stations connected to ``csms_url``, with MQTT control when ``mqtt`` is given.

    ``station_options`` go to every reference station. Use as ``async with``; stations can
    also be added while it runs (:meth:`station`)."""

    def __init__(
        self,
        csms_url: str,
        version: str = "1.6",
        stations: Iterable[str] = (),
        *,
        mqtt: MqttAddress | None = None,
        prefix: str = "ocpp",
        publish_frames: bool = True,
        mqtt_timeout: float = 10.0,
        connect_timeout: float = 10.0,
        **station_options: Any,
    ) -> None:
        self.csms_url = csms_url.rstrip("/")
        self.mqtt_timeout = mqtt_timeout
        """Seconds a connection to the broker (and each of its operations) may take."""
        self.connect_timeout = connect_timeout
        """Seconds a station may take to be connected and accepted by the CSMS: commands wait
        that long for a station's first boot, then a station never connected refuses them."""
        self.version = version
        self.mqtt = mqtt
        self.prefix = prefix.strip("/") or "ocpp"
        self.publish_frames = publish_frames
        self.station_options = station_options
        self.stations: dict[str, SimStation] = {}
        self._outbox: asyncio.Queue[tuple[str, str, bool]] = asyncio.Queue()
        self._queues: dict[str, asyncio.Queue[tuple[str, str, bytes]]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._client: Any = None
        self._ready = asyncio.Event()
        self._failure: Exception | None = None
        self._initial = list(stations)

    # -- life ------------------------------------------------------------------------------
    async def start(self) -> None:
        if self.mqtt is not None:
            self._spawn(self._mqtt_loop())
            await self._ready.wait()
            if self._failure is not None:
                raise self._failure
        for station_id in self._initial:
            self.station(station_id)
        self._spawn(self._tick())

    async def stop(self) -> None:
        for station in list(self.stations.values()):
            await station.shutdown()
        # Let the final state (online false) reach the broker before the client goes.
        if self._client is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._drained(), 2.0)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _drained(self) -> None:
        await self._outbox.join()

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def station(self, station_id: str) -> SimStation:
        """The simulated station ``station_id``, created and started on first use."""
        found = self.stations.get(station_id)
        if found is not None:
            return found
        problem = station_id_problem(station_id)
        if problem is not None:
            raise ValueError(problem)
        station = SimStation(
            station_id,
            self.csms_url,
            self.version,
            on_change=self._changed,
            on_frame=self._frame,
            **self.station_options,
        )
        station.first_boot_wait = self.connect_timeout
        self.stations[station_id] = station
        self._queues[station_id] = asyncio.Queue()
        self._spawn(self._worker(station))
        self._spawn(station.launch())
        return station

    async def wait_online(self, timeout: float = 10.0) -> None:
        await asyncio.gather(*(s.wait_online(timeout) for s in self.stations.values()))

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK)
            for station in list(self.stations.values()):
                station.refresh()

    # -- publishing ------------------------------------------------------------------------
    def _publish(self, topic: str, payload: str, retain: bool = False) -> None:
        if self.mqtt is not None:
            self._outbox.put_nowait((topic, payload, retain))

    def _changed(self, station: SimStation, n: int | None, key: str, value: Any) -> None:
        if n is None:
            self._publish(
                topics.online(self.prefix, station.station_id), json.dumps(value), retain=True
            )
            return
        text = value if isinstance(value, str) else json.dumps(value)
        self._publish(topics.connector(self.prefix, station.station_id, n, key), text, retain=True)

    def _frame(self, station: SimStation, direction: str, text: str) -> None:
        if self.publish_frames:
            self._publish(topics.wire(self.prefix, station.station_id, direction), text, True)

    # -- MQTT ------------------------------------------------------------------------------
    async def _mqtt_loop(self) -> None:
        """Connect, subscribe, then read commands; reconnect if the broker goes away."""
        import aiomqtt

        assert self.mqtt is not None
        while True:
            try:
                async with mqtt_client(
                    self.mqtt, f"pytest-ocpp-sim-{id(self):x}", timeout=self.mqtt_timeout
                ) as client:
                    self._client = client
                    await client.subscribe(topics.command_filter(self.prefix), qos=1)
                    writer = self._spawn(self._writer(client))
                    # Retained state published before a reconnect is the broker's already;
                    # what changed meanwhile is still queued in _outbox.
                    self._ready.set()
                    try:
                        async for message in client.messages:
                            self._received(str(message.topic), message.payload)
                    finally:
                        writer.cancel()
            except (aiomqtt.MqttError, OSError, BrokerError) as exc:
                # OSError: a TLS failure can surface as ssl.SSLError itself.
                self._client = None
                if not self._ready.is_set():
                    self._failure = ConnectionError(
                        str(exc)
                        if isinstance(exc, BrokerError)
                        else explain_mqtt_error(exc, self.mqtt)
                    )
                    self._ready.set()
                    return
                LOGGER.warning("MQTT connection lost (%s); reconnecting in 1 s", exc)
                await asyncio.sleep(1.0)

    async def _writer(self, client: Any) -> None:
        while True:
            topic, payload, retain = await self._outbox.get()
            try:
                await client.publish(topic, payload, qos=0, retain=retain)
            finally:
                self._outbox.task_done()

    def _received(self, topic: str, payload: Any) -> None:
        where = topics.split_command(self.prefix, topic)
        if where is None:
            return
        station_id, action = where
        raw = payload if isinstance(payload, bytes) else str(payload or "").encode()
        queue = self._queues.get(station_id)
        if queue is None:
            self._refuse(
                station_id,
                action,
                topic,
                raw,
                None,
                f"no simulated station {station_id!r} here; stations: {', '.join(self.stations)}",
            )
            return
        queue.put_nowait((topic, action, raw))

    async def _worker(self, station: SimStation) -> None:
        queue = self._queues[station.station_id]
        while True:
            topic, action, raw = await queue.get()
            await self._carry_out(station, topic, action, raw)

    async def _carry_out(self, station: SimStation, topic: str, action: str, raw: bytes) -> None:
        request_id: Any = None
        try:
            text = raw.decode("utf-8") if raw else ""
            body = json.loads(text) if text.strip() else {}
        except (UnicodeDecodeError, ValueError) as exc:
            self._refuse(station.station_id, action, topic, raw, None, f"not JSON: {exc}")
            return
        if not isinstance(body, dict):
            self._refuse(
                station.station_id,
                action,
                topic,
                raw,
                None,
                f"the body must be a JSON object of parameters, not {type(body).__name__}",
            )
            return
        request_id = body.get("request_id")
        try:
            await station.command(action, body)
        except CommandError as exc:
            self._refuse(station.station_id, action, topic, raw, request_id, str(exc))
        except NotPossible as exc:
            self._refuse(
                station.station_id, action, topic, raw, request_id, str(exc), "not-possible"
            )
        except Exception as exc:  # our bug: said on the error topic, never a crash
            LOGGER.exception("%s: command %s failed", station.station_id, action)
            self._refuse(
                station.station_id,
                action,
                topic,
                raw,
                request_id,
                f"the simulator failed: {type(exc).__name__}: {exc}",
            )
        else:
            self._ack(station.station_id, action, request_id, "ok")

    def _ack(
        self, station_id: str, action: str, request_id: Any, outcome: str, error: str = ""
    ) -> None:
        message: dict[str, Any] = {"action": action, "request_id": request_id, "outcome": outcome}
        if error:
            message["error"] = error
        self._publish(topics.ack(self.prefix, station_id), json.dumps(message))

    def _refuse(
        self,
        station_id: str,
        action: str,
        topic: str,
        raw: bytes,
        request_id: Any,
        error: str,
        outcome: str = "failed",
    ) -> None:
        LOGGER.info("%s: %s", topic, error)
        self._publish(
            topics.error(self.prefix, station_id),
            json.dumps(
                {"topic": topic, "payload": raw.decode("utf-8", "replace")[:2000], "error": error}
            ),
        )
        self._ack(station_id, action, request_id, outcome, error)

"""The one way pytest-ocpp opens an MQTT connection (simulator, ``ocpp_sim``, MQTT operator).

aiomqtt with TCP_NODELAY (without it QoS 0 latency is ~20 ms at p99, Nagle holding small
packets; with it ~1 ms: DESIGN.md "MQTT brokers", measured), the address's login and TLS.

One failure needs help to be seen at once: a broker that requires a client certificate ends a
TLS 1.3 connection *after* the handshake (the alert comes with the first read), before its
CONNACK. paho-mqtt then reports the disconnection, which aiomqtt 2.5 ignores while it is not
connected yet, so ``async with`` would wait out its own 10 s timeout and say only "timed out".
:func:`mqtt_client` fails the connection attempt at that moment instead, with paho's own
reason ("tlsv13 alert certificate required"). Where aiomqtt's internals differ (another
version), the hook is left out and the attempt is bounded by the callers' timeouts as before.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

from pytest_ocpp.sim.broker import MqttAddress

__all__ = ["mqtt_client"]


class _Recorder(logging.Logger):
    """paho's and aiomqtt's logger, remembering the last error (the socket's reason)."""

    def __init__(self) -> None:
        super().__init__("pytest_ocpp.sim.mqtt")
        self.parent = logging.getLogger("pytest_ocpp.sim")
        self.last_error = ""

    def _log(self, level: int, msg: object, args: Any, *rest: Any, **kwargs: Any) -> None:
        if level >= logging.ERROR:
            try:
                self.last_error = str(msg) % args if args else str(msg)
            except (TypeError, ValueError):
                self.last_error = str(msg)
        super()._log(level, msg, args, *rest, **kwargs)


def mqtt_client(address: MqttAddress, identifier: str | None = None, **options: Any) -> Any:
    """An aiomqtt client for ``address`` (use as ``async with``)."""
    import aiomqtt

    recorder = _Recorder()
    client = aiomqtt.Client(
        address.host,
        address.port,
        identifier=identifier,
        username=address.username,
        password=address.password,
        tls_context=address.tls_context(),
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
        logger=recorder,
        **options,
    )
    paho = getattr(client, "_client", None)
    original = getattr(paho, "on_disconnect", None)
    if paho is None or original is None or not hasattr(client, "_connected"):
        return client

    def on_disconnect(*args: Any, **kwargs: Any) -> None:
        connected = client._connected
        if isinstance(connected, asyncio.Future) and not connected.done():
            reason = recorder.last_error or "the broker closed the connection before its CONNACK"
            connected.set_exception(aiomqtt.MqttError(reason))
        original(*args, **kwargs)

    paho.on_disconnect = on_disconnect
    return client

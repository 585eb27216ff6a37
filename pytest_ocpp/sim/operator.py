"""``--ocpp-station-operator=mqtt://host:1883/prefix``: operator actions as MQTT commands.

Each action of the station operator (:data:`pytest_ocpp.operators.STATION_ACTIONS`, or the
2.0.1 vocabulary) is published as its JSON job on ``<prefix>/<station id>/cmd/<action>``
with a fresh ``request_id``; the rig answers on ``<prefix>/<station id>/ack`` with
``{"request_id", "outcome", "error"?}`` (:mod:`pytest_ocpp.sim.topics`). The four outcomes
are the operator contract's (:mod:`pytest_ocpp.operators`):

=================  =====================================  ==========================
outcome            means                                  verdict of the case
=================  =====================================  ==========================
``ok``             done                                   the scenario goes on
``refused``        the target refused                     fail
``not-possible``   not possible on this rig               not applicable
``failed``         the rig could not do it                error
=================  =====================================  ==========================

No acknowledgement within the operator timeout is the rig's failure (error), and the message
names the topic the suite listened on. The simulator (``pytest-ocpp-sim``) speaks this very
protocol, so a simulated station can be the station under test of the whole station-side
catalogue.

One MQTT connection per action: cases run on loops of their own (pytest-asyncio's function
scope), and a connection to a local broker costs about a millisecond.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from pytest_ocpp.operators import Performer
from pytest_ocpp.sim import topics
from pytest_ocpp.sim.broker import BrokerError, explain_mqtt_error, parse_mqtt_url
from pytest_ocpp.verdicts import NotApplicable, OperatorFailed, OperatorRefused

__all__ = ["mqtt_performer"]


def mqtt_performer(url: str, timeout: float) -> Performer:
    """The performer behind ``--ocpp-station-operator=mqtt[s]://[user:password@]...`` (prefix
    default ``ocpp``; TLS files as the URL's ``?ca=&cert=&key=``, which the configuration's
    ``mqtt_*_file`` settings fill in)."""
    address = parse_mqtt_url(url)
    prefix = address.prefix or "ocpp"

    async def perform(job: dict[str, Any]) -> None:
        import aiomqtt

        from pytest_ocpp.sim.mqtt import mqtt_client

        station = str(job.get("station_id") or "")
        action = str(job["action"])
        request_id = uuid.uuid4().hex
        command_topic = topics.command(prefix, station, action)
        ack_topic = topics.ack(prefix, station)
        body = json.dumps({**job, "request_id": request_id})

        async def exchange() -> dict[str, Any]:
            async with mqtt_client(address, f"pytest-ocpp-op-{request_id[:12]}") as client:
                await client.subscribe(ack_topic, qos=1)
                await client.publish(command_topic, body, qos=1)
                async for message in client.messages:
                    answer = _parse_ack(message.payload)
                    if answer is not None and answer.get("request_id") == request_id:
                        return answer
            raise aiomqtt.MqttError("the broker closed the connection")

        try:
            answer = await asyncio.wait_for(exchange(), timeout)
        except (TimeoutError, asyncio.TimeoutError):
            raise OperatorFailed(
                f"no acknowledgement of {action} on MQTT topic {ack_topic} within {timeout:g} s "
                f"(--ocpp-operator-timeout) after publishing it on {command_topic} at "
                f"{address.url}: is the rig or simulator subscribed?"
            ) from None
        except BrokerError as exc:
            raise OperatorFailed(f"the MQTT station operator: {exc}") from None
        except (aiomqtt.MqttError, OSError) as exc:
            # OSError: a TLS failure can surface as ssl.SSLError itself.
            raise OperatorFailed(
                f"the MQTT station operator could not publish {action} on {command_topic}: "
                f"{explain_mqtt_error(exc, address)}"
            ) from None
        _judge(answer, action, ack_topic)

    return perform


def _parse_ack(payload: Any) -> dict[str, Any] | None:
    try:
        text = payload.decode() if isinstance(payload, bytes | bytearray) else str(payload)
        answer = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        return None
    return answer if isinstance(answer, dict) else None


def _judge(answer: dict[str, Any], action: str, ack_topic: str) -> None:
    """The acknowledgement's outcome as the operator contract's verdict."""
    outcome = answer.get("outcome")
    said = str(answer.get("error") or "(no message)")
    if outcome == "ok":
        return
    if outcome == "not-possible":
        raise NotApplicable(f"the operator cannot {action} on this rig: {said}")
    if outcome == "refused":
        raise OperatorRefused(f"the target refused {action} (MQTT operator): {said}")
    if outcome == "failed":
        raise OperatorFailed(f"the MQTT operator could not {action}: {said}")
    raise OperatorFailed(
        f"the acknowledgement of {action} on {ack_topic} has outcome {outcome!r}; expected one "
        f"of {', '.join(topics.OUTCOMES)}"
    )

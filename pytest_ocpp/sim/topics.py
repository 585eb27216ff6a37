"""The simulator's MQTT topic tree: a public interface (README "Simulator").

Everything lives under ``<prefix>/<station id>/`` (default prefix ``ocpp``), so one
wildcard subscription (``ocpp/CP_1/#``) shows a station's whole life:

===============================================  ========  ======================================
topic                                            retained  payload
===============================================  ========  ======================================
``<prefix>/<station>/cmd/<action>``              no        a command: JSON object of parameters
                                                           (``connector_id``, ``id_token``, ...)
                                                           and an optional ``request_id``
``<prefix>/<station>/ack``                       no        one per command: ``{"action",
                                                           "request_id", "outcome", "error"?}``,
                                                           outcome ``ok`` / ``refused`` /
                                                           ``not-possible`` / ``failed``
``<prefix>/<station>/error``                     no        a command that could not be carried
                                                           out: ``{"topic", "payload", "error"}``
``<prefix>/<station>/online``                    yes       ``true`` / ``false``: connected and
                                                           accepted by the CSMS
``<prefix>/<station>/connector/<n>/status``      yes       1.6 ChargePointStatus / 2.0.1
                                                           ConnectorStatusEnumType
``<prefix>/<station>/connector/<n>/charging_state``  yes   2.0.1 only: ChargingStateEnumType
``<prefix>/<station>/connector/<n>/transaction`` yes       transaction id, empty when none
``<prefix>/<station>/connector/<n>/energy``      yes       energy register in Wh (integer)
``<prefix>/<station>/ocpp/sent``                 yes       last OCPP-J frame the station sent
``<prefix>/<station>/ocpp/received``             yes       last OCPP-J frame it received
===============================================  ========  ======================================

Status, charging state and transaction id are what the CSMS has been told: published when
the CSMS answers the StatusNotification, StartTransaction / StopTransaction or
TransactionEvent that carried them (a test that sees ``Charging`` and then asks the CSMS's own
API finds it informed). The energy register is the station's meter, re-read every second and
after every frame. An empty retained ``transaction`` clears the topic (MQTT's way to say none).

In 2.0.1 ``<n>`` is the EVSE id (the simulated stations have one connector per EVSE).
The acknowledgement outcomes are those of the operator contract
(:mod:`pytest_ocpp.operators`): the same four answers as a command operator's exit codes 0,
78, 77 and anything else, so one rig speaks to the simulator and to the suite alike.
"""

from __future__ import annotations

__all__ = [
    "OUTCOMES",
    "ack",
    "command",
    "command_filter",
    "connector",
    "error",
    "online",
    "split_command",
    "wire",
]

OUTCOMES = ("ok", "refused", "not-possible", "failed")
"""The four answers an acknowledgement may carry (the operator contract's verdicts)."""


def command(prefix: str, station: str, action: str) -> str:
    return f"{prefix}/{station}/cmd/{action}"


def command_filter(prefix: str) -> str:
    """The subscription that sees every station's commands."""
    return f"{prefix}/+/cmd/+"


def split_command(prefix: str, topic: str) -> tuple[str, str] | None:
    """(station, action) of a command topic under ``prefix``, else None."""
    head = f"{prefix}/"
    if not topic.startswith(head):
        return None
    parts = topic[len(head) :].split("/")
    if len(parts) != 3 or parts[1] != "cmd" or not parts[0] or not parts[2]:
        return None
    return parts[0], parts[2]


def ack(prefix: str, station: str) -> str:
    return f"{prefix}/{station}/ack"


def error(prefix: str, station: str) -> str:
    return f"{prefix}/{station}/error"


def online(prefix: str, station: str) -> str:
    return f"{prefix}/{station}/online"


def connector(prefix: str, station: str, n: int, what: str) -> str:
    """``what``: status, charging_state, transaction or energy."""
    return f"{prefix}/{station}/connector/{n}/{what}"


def wire(prefix: str, station: str, direction: str) -> str:
    """``direction``: sent or received."""
    return f"{prefix}/{station}/ocpp/{direction}"

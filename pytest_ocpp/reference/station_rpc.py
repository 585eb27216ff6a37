"""OCPP-J framing for both reference stations: the answers the ``ocpp`` library gets wrong.

The library (see DESIGN.md "Known traps") stays silent on frames it cannot parse, answers an
unknown action with NotSupported and a known one without a handler with NotImplemented (the
reverse of OCPP-J 1.6 §4.2.3 and 2.0.1 Part 4 §4.3), validates payloads with a draft-4
validator that never checks date-times and sends FormatViolation for an enumeration and
ProtocolError for a missing property, and in 1.6 spells FormationViolation the 2.x way.
:class:`ConformantRpc`, mixed in right before the library's ``ChargePoint``, replaces that with
:mod:`pytest_ocpp.reference.validation`, which says per version and per class of error what a
conformant receiver answers; the fuzz variants (``fuzz_*`` entries of both stations' DEFECTS)
break one of those answers each.

Reference code: built on the ``ocpp`` library and :mod:`~pytest_ocpp.reference.validation`,
never on the core (``pytest_ocpp.rpc``, ``.schemas``, ``.link``, ``.fuzz``, ``.versions``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from ocpp.exceptions import (
    FormationViolationError,
    FormatViolationError,
    NotSupportedError,
    OCPPError,
)
from ocpp.exceptions import NotImplementedError as OcppNotImplementedError
from ocpp.messages import Call, MessageType

from pytest_ocpp.reference.validation import (
    call_error,
    frame_error,
    known_action,
    minimal_response,
)

LOGGER = logging.getLogger("pytest_ocpp.reference.station_rpc")

__all__ = [
    "FUZZ_DEFECTS",
    "ConformantRpc",
    "is_well_formed",
]

FUZZ_DEFECTS: dict[str, str] = {
    "fuzz_accepts_invalid": "Answers a Call whose payload breaks the official schema with a "
    "CallResult (a minimal valid response), not the CallError OCPP-J §4.2.3 assigns.",
    "fuzz_generic_error": "Answers every payload that breaks the schema with GenericError "
    "instead of the code OCPP-J §4.2.3 assigns to its class of error.",
    "fuzz_closes_on_unknown_action": "Closes the websocket when a Call names an unknown "
    "action, instead of answering NotImplemented (OCPP-J §4.2.3).",
    "fuzz_silent_on_bad_frame": "Answers nothing to a frame it cannot parse as a well-formed "
    "Call, where OCPP-J says which CallError to send.",
}
"""The fuzz variants, the same in both stations' DEFECTS tables (issue 15 "How we will
know")."""


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (RFC 8259 §6)")


def is_well_formed(raw: str | bytes) -> bool:
    """True for a frame the library can route: a JSON text (OCPP-J sends text frames, and JSON
    has no NaN or Infinity) holding [2, id, action, {payload}], [3, id, payload] or
    [4, id, code, description, {details}] with a string message id (OCPP-J 1.6 §4.1.3, 2.0.1
    Part 4 §4.2). Asked only when :func:`frame_error` has no answer, to tell a well-formed
    frame from one the version says to drop silently."""
    if not isinstance(raw, str):
        return False
    try:
        frame = json.loads(raw, parse_constant=_not_json)
    except ValueError:
        return False
    if not isinstance(frame, list) or len(frame) < 3 or not isinstance(frame[1], str):
        return False
    kind = frame[0]
    if type(kind) is not int:
        return False
    if kind == MessageType.Call:
        return len(frame) == 4 and isinstance(frame[2], str) and isinstance(frame[3], dict)
    if kind == MessageType.CallResult:
        return len(frame) == 3
    if kind == MessageType.CallError:
        return (
            len(frame) == 5
            and isinstance(frame[2], str)
            and isinstance(frame[3], str)
            and isinstance(frame[4], dict)
        )
    return False


# -- the mixin -------------------------------------------------------------------------------

_ERRORS: dict[str, type[OCPPError]] = {
    cls.code: cls  # type: ignore[attr-defined]
    for cls in OCPPError.__subclasses__()
    if isinstance(getattr(cls, "code", None), str)
}


def _error(code: str, description: str) -> OCPPError:
    """The library's exception class for ``code`` (it builds the CallError from ``.code``)."""
    cls = _ERRORS.get(code)
    if cls is None:
        cls = type(f"{code}Error", (OCPPError,), {"code": code})
    return cls(description=description)


class ConformantRpc:
    """Conformant RPC answers for an ``ocpp`` ChargePoint; list it right before the library's
    ``ChargePoint`` among the bases. The station object (``self.station``) says which fuzz
    defects are on (``has``)."""

    station: Any
    _ocpp_version: str
    route_map: dict[str, dict[str, Any]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Payloads are judged by validation.call_error before any handler runs; the library's
        # own check (draft-4, no date-times, other codes) would answer first otherwise.
        # A handler declared with skip_schema_validation judges its payload itself (e.g.
        # N03.FR.02: an unknown monitoringBase is answered NotSupported, not refused).
        self._judges_itself = {
            action
            for action, handlers in self.route_map.items()
            if handlers.get("_skip_schema_validation")
        }
        for handlers in self.route_map.values():
            handlers["_skip_schema_validation"] = True

    async def route_message(self, raw_msg: str | bytes) -> None:
        """Answer a malformed frame as the version says (the library stays silent), drop
        what the version says to drop, route the rest through the library."""
        answer = frame_error(self._ocpp_version, raw_msg)
        if answer is not None:
            if self.station.has("fuzz_silent_on_bad_frame"):
                LOGGER.info(
                    "%s: ignores the malformed frame %.200r", self.station.station_id, raw_msg
                )
                return
            unique_id, code, description = answer
            await self._send(json.dumps([4, unique_id, code, description, {}]))  # type: ignore[attr-defined]
            return
        if not is_well_formed(raw_msg):
            LOGGER.info("%s: drops the frame %.200r", self.station.station_id, raw_msg)
            return
        await super().route_message(raw_msg)  # type: ignore[misc]

    async def _handle_call(self, msg: Call) -> Any:
        """OCPP-J 1.6 §4.2.3, 2.0.1 Part 4 §4.3: NotImplemented for an unknown action,
        NotSupported for a known one without a handler, the class's code for a payload that
        breaks the schema; then the library's handler."""
        version = self._ocpp_version
        st = self.station
        if not known_action(version, msg.action):
            if st.has("fuzz_closes_on_unknown_action"):
                LOGGER.info("%s: closes on the unknown action %r", st.station_id, msg.action)
                await self._connection.close()  # type: ignore[attr-defined]
                return None
            raise OcppNotImplementedError(
                description=f"{msg.action!r} is not an OCPP {version} action"
            )
        handlers = self.route_map.get(msg.action, {})
        if "_on_action" not in handlers:
            raise NotSupportedError(description=f"{msg.action} is not supported by this station")
        found = None
        if msg.action not in self._judges_itself:
            found = call_error(version, msg.action, msg.payload)
        if found is not None:
            code, description = found
            if st.has("fuzz_accepts_invalid"):
                payload = minimal_response(version, msg.action) or {}
                await self._send(msg.create_call_result(payload).to_json())  # type: ignore[attr-defined]
                return None
            if st.has("fuzz_generic_error"):
                code = "GenericError"
            raise _error(code, description)
        try:
            return await super()._handle_call(msg)  # type: ignore[misc]
        except OCPPError as error:
            raise self._conformant(error) from None

    def _conformant(self, error: OCPPError) -> OCPPError:
        """A handler's own error, in the version's spelling: 1.6 writes FormationViolation
        (OCPP-J 1.6 §4.2.3; the library raises 2.x's FormatViolation). A handler's
        NotSupported is right as it is: the action is known (checked above)."""
        if self._ocpp_version == "1.6" and isinstance(error, FormatViolationError):
            return FormationViolationError(description=error.description)
        return error

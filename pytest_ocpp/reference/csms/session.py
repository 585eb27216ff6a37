"""What the 1.6 and the 2.0.1 sessions of the reference CSMS share.

:class:`_ReferenceSession` is mixed in before the ``ocpp`` library's ``ChargePoint`` by both
:class:`~pytest_ocpp.reference.csms.v16.Session16` and every 2.0.1 block mixin
(:mod:`pytest_ocpp.reference.csms.v201`). Anything here must be true of both versions; a
behaviour of one version belongs in that version's module, so that 1.6 and 2.0.1 never share
handler code.

Also here: the id-tag knowledge (:class:`IdTagSpec`, :data:`DEFAULT_ID_TAGS`), the handful of
value-twisting helpers both versions' defects use, and :func:`merge_defects`, which assembles the
per-module defect tables into the public :data:`~pytest_ocpp.reference.csms.DEFECTS`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import json
import logging
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ocpp.charge_point import (
    camel_to_snake_case,
    remove_nones,
    serialize_as_dict,
    snake_to_camel_case,
)
from ocpp.exceptions import (
    FormationViolationError,
    FormatViolationError,
    OCPPError,
    ValidationError,
)
from ocpp.messages import Call, MessageType, unpack, validate_payload
from websockets.asyncio.server import ServerConnection

from pytest_ocpp.reference.validation import (
    call_error,
    frame_error,
    known_action,
    minimal_response,
    response_error,
)

if TYPE_CHECKING:
    from pytest_ocpp.reference.csms.server import ReferenceCsms

__all__ = [
    "DEFAULT_ID_TAGS",
    "DEFECTS_FUZZ",
    "LOGGER",
    "IdTagSpec",
    "_ReferenceSession",
    "merge_defects",
]

#: One logger for the whole package, under the name the single module used to have, so log
#: filters and ``--log-level`` settings written for it keep working.
LOGGER = logging.getLogger("pytest_ocpp.reference.csms")


def merge_defects(*tables: Mapping[str, str]) -> dict[str, str]:
    """One catalogue from several defect tables, in the order given.

    Each module declares the defects it implements next to the code they break; a defect is
    toggled by name alone, so a name declared twice would silently switch on two behaviours.
    That is a programming error, reported when the package is imported rather than when the
    wrong test case starts failing.
    """
    merged: dict[str, str] = {}
    for table in tables:
        clashes = sorted(set(merged) & set(table))
        if clashes:
            raise ValueError(f"Defect name(s) declared twice: {', '.join(clashes)}.")
        merged.update(table)
    return merged


#: Defects of the fuzz properties (issue 15). Unlike the unprefixed (1.6 only) and ``v201_``
#: (2.0.1 only) defects, the ``fuzz_`` ones act on both versions, except where their text says
#: otherwise. Part of the public :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_FUZZ: dict[str, str] = {
    "fuzz_accepts_invalid": (
        "A Call whose payload breaks the schema is answered with a CallResult (the action's "
        "minimal valid response) instead of a CallError."
    ),
    "fuzz_generic_error": (
        "A Call whose payload breaks the schema is answered with GenericError instead of the "
        "code of its class (TypeConstraintViolation, PropertyConstraintViolation, ...)."
    ),
    "fuzz_closes_on_unknown_action": (
        "A Call naming an action the version does not know closes the websocket instead of "
        "getting a CallError NotImplemented."
    ),
    "fuzz_silent_on_bad_frame": (
        "A frame that is not a well-formed Call (not JSON, wrong arity, payload not an object, "
        "message id too long, unknown message type, ...) gets no answer at all."
    ),
    "fuzz_repeats_transaction_ids": (
        "OCPP 1.6 only (a 2.0.1 station chooses its transaction ids): every "
        "StartTransaction.conf carries the transactionId of the station's first one."
    ),
    "fuzz_meter_values_error": "Every MeterValues is answered with a CallError InternalError.",
}

_ID_TAG_STATUSES = ("Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx", "Unknown")


@dataclasses.dataclass(frozen=True)
class IdTagSpec:
    """What the CSMS knows about one id tag (1.6 ``IdTagInfo``, 2.0.1 ``IdTokenInfoType``).

    ``parent_id_tag`` becomes ``parentIdTag`` in 1.6 and ``groupIdToken`` in 2.0.1;
    ``expiry_date`` becomes ``expiryDate`` in 1.6 and ``cacheExpiryDateTime`` in 2.0.1.
    """

    status: str = "Accepted"
    parent_id_tag: str | None = None
    expiry_date: str | None = None

    def __post_init__(self) -> None:
        if self.status not in _ID_TAG_STATUSES:
            raise ValueError(
                f"Id tag status {self.status!r} is not one of {', '.join(_ID_TAG_STATUSES)}."
            )

    @classmethod
    def from_mapping(cls, data: str | Mapping[str, Any] | IdTagSpec) -> IdTagSpec:
        """Build a spec from a status string or a mapping.

        Accepts ``"Blocked"``, ``{"status": "Accepted", "parent_id_tag": "GROUP"}`` or the
        camelCase keys ``parentIdTag`` / ``expiryDate`` as they appear in a config file.
        """
        if isinstance(data, IdTagSpec):
            return data
        if isinstance(data, str):
            return cls(status=data)
        return cls(
            status=str(data.get("status", "Accepted")),
            parent_id_tag=data.get("parent_id_tag", data.get("parentIdTag")),
            expiry_date=data.get("expiry_date", data.get("expiryDate")),
        )


#: Tags known to the reference when none are given.
DEFAULT_ID_TAGS: dict[str, IdTagSpec] = {
    # The same values as the suite's default [tags] (README, "The config file"), so the
    # README's standalone example works as written; anything else (UNKNOWN_TAG) is Invalid.
    "VALID_TAG_1": IdTagSpec("Accepted"),
    "VALID_TAG_2": IdTagSpec("Accepted"),
    "GROUP_TAG": IdTagSpec("Accepted"),
    "CHILD_TAG": IdTagSpec("Accepted", parent_id_tag="GROUP_TAG"),
    "CHILD_TAG_2": IdTagSpec("Accepted", parent_id_tag="GROUP_TAG"),
    "MASTERPASS_TAG": IdTagSpec("Accepted", parent_id_tag="MASTERPASS_GROUP"),
    "NLPYTC000000010": IdTagSpec("Accepted"),  # the eMAID
    "BLOCKED_TAG": IdTagSpec("Blocked"),
    "EXPIRED_TAG": IdTagSpec("Expired", expiry_date="2020-01-01T00:00:00.000Z"),
}


def _other_tag(tag: str) -> str:
    """A tag that is surely not ``tag``: what a "wrong id tag" defect sends instead."""
    return "WRONG_TAG" if tag.casefold() != "wrong_tag" else "OTHER_TAG"


def _altered_value(value: str) -> str:
    """A value that is surely not ``value`` yet keeps its kind (number stays number)."""
    try:
        return str(int(value) + 1)
    except ValueError:
        return value + "X"


class _ReferenceSession:
    """Behaviour shared by the 1.6 and 2.0.1 sessions; mixed in before the library class.

    Overrides the library where it is too forgiving to be a *conformant* peer:
    error codes are remapped to the version's names, and requests the CSMS is asked to send
    do not block the caller until the station replies.

    :meth:`intercept_call` and :meth:`adjust_outgoing` are the hooks defects use. A 2.0.1
    block mixin overriding them must end with ``super()``'s answer, so that every block's
    defects apply (see :mod:`pytest_ocpp.reference.csms.v201.session`).
    """

    _ocpp_version: ClassVar[str]
    _call: ClassVar[Any]
    _connection: ServerConnection
    _response_queue: asyncio.Queue[Any]
    _call_lock: asyncio.Lock
    _response_timeout: float
    id: str

    def __init__(self, station_id: str, connection: ServerConnection, csms: ReferenceCsms) -> None:
        super().__init__(  # type: ignore[call-arg]
            station_id, connection, response_timeout=csms.response_timeout, logger=LOGGER
        )
        self.csms = csms
        self._pending: set[asyncio.Task[None]] = set()
        self._after_tasks: set[asyncio.Future[Any]] = set()

    # --- helpers ---------------------------------------------------------------------------

    def defect(self, name: str) -> bool:
        """Whether the CSMS was started with the defect ``name`` switched on."""
        return name in self.csms.defects

    def setting(self, name: str, default: Any = None) -> Any:
        """The per-station setting ``name`` (a ``"kind": "setup"`` control command), else
        ``default``.

        Settings live in the server, not in the session, so they survive the station
        reconnecting; they are read at the moment of use, so a setup sent while the station is
        connected applies to its next message. A setting sent for this session's OCPP version
        wins over one sent without a version. See :meth:`ReferenceCsms.setup`.
        """
        return self.csms.station_setting(self.id, self._ocpp_version, name, default)

    def tag_spec(self, id_tag: str) -> IdTagSpec | None:
        """What the CSMS knows about ``id_tag``; None for a tag it does not know."""
        return self.csms.lookup_id_tag(id_tag)

    async def send_raw(self, frame: str) -> None:
        """Write a frame as is: defects need frames the library refuses to build."""
        LOGGER.info("%s: send raw %s", self.id, frame)
        await self._connection.send(frame)

    def _conformant_error(self, error: OCPPError) -> OCPPError:
        """The error a handler raised, in the version's spelling: 1.6 spells the syntax error
        ``FormationViolation`` (OCPP-J 1.6 §4.2.3), the library's exception says 2.0.1's
        ``FormatViolation``.

        NotImplemented and NotSupported never come from the library here: ``ocpp`` 2.1.0 swaps
        them (DESIGN.md "Known traps"), so :meth:`_route_call` decides both itself.
        """
        if self._ocpp_version == "1.6" and isinstance(error, FormatViolationError):
            return FormationViolationError(description=error.description, details=error.details)
        return error

    # --- receiving ------------------------------------------------------------------------------

    async def route_message(self, raw_msg: str | bytes) -> None:
        """Replaces the library's router: strict framing and payload checks
        (:mod:`pytest_ocpp.reference.validation`), then :meth:`intercept_call`, then the
        ``@on`` handler.

        The library stays silent on frames it cannot parse, answers an unknown action with
        NotSupported and maps schema errors to codes of its own (FormatViolation for an enum,
        no date-time check); see DESIGN.md "Known traps". The connection stays open whatever
        arrives.
        """
        version = self._ocpp_version
        fault = frame_error(version, raw_msg)
        if fault is not None:
            await self._reject_frame(raw_msg, *fault)
            return
        if isinstance(raw_msg, bytes):
            LOGGER.warning("%s: binary frame dropped (OCPP-J carries text frames only)", self.id)
            return
        try:
            msg = unpack(raw_msg)
        except OCPPError as error:
            # Malformed, and the version defines no answer (1.6 without a readable id, or a
            # malformed CallResult/CallError, which is never answered with an error).
            LOGGER.warning("%s: unparsable frame %r dropped: %s", self.id, raw_msg, error)
            return
        if msg.message_type_id in (MessageType.CallResult, MessageType.CallError):
            if isinstance(msg.unique_id, str):
                self._response_queue.put_nowait(msg)
            return
        if msg.message_type_id != MessageType.Call or not isinstance(msg.unique_id, str):
            LOGGER.warning("%s: frame %r dropped: its message id is unreadable", self.id, raw_msg)
            return
        await self._route_call(msg)

    async def _route_call(self, msg: Call) -> None:
        """A well-formed Call: the action, then the payload, then the handler."""
        version, action = self._ocpp_version, msg.action
        if not known_action(version, action):
            if self.defect("fuzz_closes_on_unknown_action"):
                LOGGER.info("%s: deliberate defect: closing on unknown action %r", self.id, action)
                await self._connection.close()
                return
            # OCPP-J 1.6 §4.2.3, 2.0.1 Part 4 §4.3: "Requested Action is not known by receiver".
            await self._send_error(
                msg, "NotImplemented", f"{action} is not an OCPP {version} action."
            )
            return
        if action == "MeterValues" and self.defect("fuzz_meter_values_error"):
            await self._send_error(msg, "InternalError", "Deliberate defect: MeterValues fails.")
            return
        invalid = call_error(version, action, msg.payload)
        if invalid is not None:
            code, description = invalid
            LOGGER.info("%s: %s payload invalid: %s %s", self.id, action, code, description)
            if self.defect("fuzz_accepts_invalid"):
                body = minimal_response(version, action) or {}
                await self.send_raw(json.dumps([3, msg.unique_id, body]))
                return
            if self.defect("fuzz_generic_error"):
                code = "GenericError"
            await self._send_error(msg, code, description)
            return
        if await self.intercept_call(msg):
            return
        await self._dispatch(msg)

    async def _dispatch(self, msg: Call) -> None:
        """Run the ``@on`` handler and send its answer, like the library's ``_handle_call``
        but without its validation (done above, strictly) and with conformant error codes.

        A handler raising an OCPPError answers with that error (defects raise InternalError);
        any other exception is a reference bug, answered with InternalError (OCPP-J §4.2.3)
        and logged with its traceback. A response that breaks its schema is logged, and sent
        anyway: some defects answer invalid values on purpose.
        """
        handlers = self.route_map.get(msg.action, {})  # type: ignore[attr-defined]
        handler = handlers.get("_on_action")
        if handler is None:
            # OCPP-J 1.6 §4.2.3, 2.0.1 Part 4 §4.3: "recognized but not supported".
            await self._send_error(
                msg, "NotSupported", f"{msg.action} is not supported by this CSMS."
            )
            return
        kwargs = camel_to_snake_case(msg.payload)
        takes_id = "call_unique_id" in inspect.signature(handler).parameters
        if takes_id:
            kwargs["call_unique_id"] = msg.unique_id
        try:
            response = handler(**kwargs)
            if inspect.isawaitable(response):
                response = await response
        except OCPPError as error:
            LOGGER.info("%s: %s answered with %s", self.id, msg.action, error.code)
            error = self._conformant_error(error)
            await self._send_error(msg, error.code, error.description)
            return
        except Exception:
            LOGGER.exception("%s: the %s handler failed on %s", self.id, msg.action, msg.payload)
            await self._send_error(msg, "InternalError", f"The {msg.action} handler failed.")
            return
        body = snake_to_camel_case(remove_nones(serialize_as_dict(response)))
        problem = response_error(self._ocpp_version, msg.action, body)
        if problem is not None:
            LOGGER.warning(
                "%s: the %s response breaks its schema: %s", self.id, msg.action, problem
            )
        await self._send(msg.create_call_result(body).to_json())  # type: ignore[attr-defined]
        self._notify("from_station", msg.action, msg.payload, body)
        after = handlers.get("_after_action")
        if after is not None:
            kwargs.pop("call_unique_id", None)
            if "call_unique_id" in inspect.signature(after).parameters:
                kwargs["call_unique_id"] = msg.unique_id
            try:
                outcome = after(**kwargs)
            except Exception:
                LOGGER.exception("%s: the %s after-handler failed", self.id, msg.action)
                return
            if inspect.isawaitable(outcome):
                # Not awaited: an after-handler may send a Call whose reply comes through here.
                task = asyncio.ensure_future(outcome)
                self._after_tasks.add(task)
                task.add_done_callback(self._after_tasks.discard)

    async def _send_error(self, msg: Call, code: str, description: str) -> None:
        await self.send_raw(json.dumps([4, msg.unique_id, code, description[:255], {}]))

    async def _reject_frame(
        self, raw_msg: str | bytes, message_id: str, code: str, description: str
    ) -> None:
        """Answer a frame that is not a well-formed Call as the version says
        (:func:`~pytest_ocpp.reference.validation.frame_error`: 2.0.1 Part 4 §4.2.3, §4.4;
        OCPP-J 1.6 §4.2.3)."""
        LOGGER.warning("%s: malformed frame %r: %s %s", self.id, raw_msg, code, description)
        if self.defect("fuzz_silent_on_bad_frame"):
            LOGGER.info("%s: deliberate defect: the malformed frame is not answered", self.id)
            return
        await self.send_raw(json.dumps([4, message_id, code, description, {}]))

    async def intercept_call(self, msg: Call) -> bool:
        """Answer a Call with a raw frame when a defect asks for it, or with what one of the
        CSMS's ``interceptors`` answers (the reference OCPI CPO's real-time authorization of an
        OCPI Token: it must ask the eMSP before the Authorize is answered); True when handled.
        """
        for intercept in getattr(self.csms, "interceptors", ()):
            answer = await intercept(self.id, self._ocpp_version, msg.action, msg.payload)
            if answer is not None:
                await self.send_raw(json.dumps([3, msg.unique_id, answer]))
                return True
        return False

    # --- sending --------------------------------------------------------------------------

    def transaction_event_extras(self, **request: Any) -> dict[str, Any]:
        """Extra 2.0.1 TransactionEventResponse fields (snake_case, as ``call_result`` takes
        them) for the request whose snake_case fields are given: none by default; a block
        (tariff: ``total_cost``) adds its own and merges ``super()``'s."""
        return {}

    def adjust_outgoing(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Apply the outgoing-request defects; the conformant reference sends what it is asked.
        None: a defect swallows the request (it is never sent)."""
        return payload

    async def send_call(self, action: str, payload: Mapping[str, Any]) -> None:
        """Send a Call and return once it is written; the reply is awaited in a task.

        OCPP-J 1.6 §4.1.1: at most one outstanding Call per connection, so this waits for the
        library's call lock (held until the previous Call is answered or times out).
        """
        if not hasattr(self._call, action):
            raise ValueError(
                f"{action!r} is not an OCPP {self._ocpp_version} action; "
                "use the CamelCase action name, e.g. 'RemoteStartTransaction'."
            )
        body = self.adjust_outgoing(action, json.loads(json.dumps(dict(payload))))
        if body is None:
            LOGGER.info("%s: deliberate defect: %s is not sent", self.id, action)
            return
        call = Call(unique_id=str(uuid.uuid4()), action=action, payload=body)
        try:
            await validate_payload(call, self._ocpp_version)
        except (OCPPError, ValidationError) as error:
            raise ValueError(
                f"The {action} payload {body} is not valid OCPP {self._ocpp_version}: {error}"
            ) from error
        await self._call_lock.acquire()
        try:
            await self._send(call.to_json())  # type: ignore[attr-defined]
        except BaseException:
            self._call_lock.release()
            raise
        task = asyncio.get_running_loop().create_task(self._await_reply(call))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _await_reply(self, call: Call) -> None:
        """Record the station's reply in :attr:`ReferenceCsms.responses`, then free the call
        lock for the next Call."""
        try:
            reply = await self._get_specific_response(  # type: ignore[attr-defined]
                call.unique_id, self._response_timeout
            )
        except asyncio.TimeoutError:
            LOGGER.warning("%s: no reply to %s within %ss", self.id, call.action, self._timeout)
            return
        finally:
            self._call_lock.release()
        LOGGER.info("%s: reply to %s: %s", self.id, call.action, reply)
        kind = "CallError" if reply.message_type_id == MessageType.CallError else "CallResult"
        body = reply.payload if kind == "CallResult" else reply.error_code
        self.csms.responses.append((self.id, call.action, kind, body))
        self._notify("to_station", call.action, call.payload, (kind, body))

    def _notify(self, direction: str, action: str, request: Any, response: Any) -> None:
        """Tell the CSMS's observers (the reference OCPI CPO interface, which turns OCPP
        transactions into OCPI Sessions and CDRs) about a handled Call or a station's reply."""
        for observe in getattr(self.csms, "observers", ()):
            try:
                observe(self.id, direction, action, request, response)
            except Exception:
                LOGGER.exception("%s: an observer failed on %s", self.id, action)

    @property
    def _timeout(self) -> float:
        return self._response_timeout

    def cancel_pending(self) -> None:
        """Stop waiting for replies: the connection is gone or replaced."""
        for task in list(self._pending):
            task.cancel()

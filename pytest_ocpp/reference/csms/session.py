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
import contextlib
import dataclasses
import json
import logging
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ocpp.exceptions import (
    FormationViolationError,
    FormatViolationError,
    NotSupportedError,
    OCPPError,
    ValidationError,
)
from ocpp.exceptions import (
    NotImplementedError as OcppNotImplementedError,
)
from ocpp.messages import Call, MessageType, unpack, validate_payload
from websockets.asyncio.server import ServerConnection

if TYPE_CHECKING:
    from pytest_ocpp.reference.csms.server import ReferenceCsms

__all__ = [
    "DEFAULT_ID_TAGS",
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
        """Fix the library's error codes (see DESIGN.md "Known traps").

        OCPP-J 1.6 §4.2.3 and 2.0.1 Part 4 §4.3: NotImplemented means the action is not known,
        NotSupported means it is known but not supported; ``ocpp`` 2.1.0 swaps them. 1.6
        spells the syntax error ``FormationViolation``; the library sends 2.0.1's
        ``FormatViolation``.
        """
        if isinstance(error, OcppNotImplementedError):
            return NotSupportedError(description=error.description, details=error.details)
        if isinstance(error, NotSupportedError):
            return OcppNotImplementedError(description=error.description, details=error.details)
        if self._ocpp_version == "1.6" and isinstance(error, FormatViolationError):
            return FormationViolationError(description=error.description, details=error.details)
        return error

    # --- receiving ------------------------------------------------------------------------------

    async def route_message(self, raw_msg: str | bytes) -> None:
        """The library's router, plus :meth:`intercept_call`, conformant error codes and an
        answer to frames it cannot parse."""
        try:
            msg = unpack(raw_msg)
        except OCPPError as error:
            await self._reject_unparsable(raw_msg, error)
            return
        if msg.message_type_id == MessageType.Call:
            if await self.intercept_call(msg):
                return
            try:
                await self._handle_call(msg)  # type: ignore[attr-defined]
            except OCPPError as error:
                LOGGER.info("%s: %s answered with %s", self.id, msg.action, error.code)
                error = self._conformant_error(error)
                # The library puts the offending message object into details: keep only text.
                cause = error.details.get("cause") if isinstance(error.details, dict) else None
                error.details = {"cause": str(cause)} if cause is not None else {}
                await self._send(msg.create_call_error(error).to_json())  # type: ignore[attr-defined]
        elif msg.message_type_id in (MessageType.CallResult, MessageType.CallError):
            self._response_queue.put_nowait(msg)

    async def _reject_unparsable(self, raw_msg: str | bytes, error: OCPPError) -> None:
        """Answer a malformed Call where the version says how (the library stays silent).

        2.0.1 Part 4 §4.3: a message that is not a valid RPC frame gets an RpcFrameworkError,
        with message id "-1" when the id cannot be read. 1.6 only defines errors for a Call
        whose id could be read, so only those are answered.
        """
        LOGGER.warning("%s: unparsable frame %r: %s", self.id, raw_msg, error)
        unique_id: str | None = None
        is_call = False
        with contextlib.suppress(ValueError, TypeError):
            frame = json.loads(raw_msg)
            if isinstance(frame, list) and len(frame) > 1 and isinstance(frame[1], str):
                unique_id = frame[1]
                is_call = frame[0] == MessageType.Call
        if self._ocpp_version == "1.6":
            if unique_id is not None and is_call:
                await self.send_raw(
                    json.dumps([4, unique_id, "FormationViolation", "Malformed Call.", {}])
                )
            return
        await self.send_raw(
            json.dumps([4, unique_id or "-1", "RpcFrameworkError", "Malformed message.", {}])
        )

    async def intercept_call(self, msg: Call) -> bool:
        """Answer a Call with a raw frame when a defect asks for it; True when handled."""
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

    @property
    def _timeout(self) -> float:
        return self._response_timeout

    def cancel_pending(self) -> None:
        """Stop waiting for replies: the connection is gone or replaced."""
        for task in list(self._pending):
            task.cancel()

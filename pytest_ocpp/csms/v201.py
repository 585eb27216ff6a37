"""The fake CSMS speaking OCPP 2.0.1: its answers to everything a station may send, the
general pre/post conditions of 2.0.1 Part 6 §2.1, and the station-side reusable states of
Part 6 §2.18 (Tables 422-435), one method per table.

A 2.0.1 station reports a connector's state with a StatusNotificationRequest and, where it
monitors AvailabilityState, a NotifyEventRequest (G01, N07); Part 6 lists both in its
states. A station that sends only one of them is conformant (G01.FR.01 asks for the
StatusNotification; the NotifyEvent follows from a monitor), so a state waits for the
StatusNotification and judges a NotifyEvent when one comes, never requiring it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping
from dataclasses import replace
from typing import Any

from pytest_ocpp.case import starting_state, step, warn
from pytest_ocpp.csms.base import FakeCsms, StationConnection
from pytest_ocpp.csms.states201 import StationStates201
from pytest_ocpp.csms.states201_certificates import CertificateStates201
from pytest_ocpp.csms.states201_firmware import FirmwareStates201
from pytest_ocpp.csms.states201_memory import MemoryStates201
from pytest_ocpp.csms.states201_security import SecurityStates201
from pytest_ocpp.csms.states201_session import SessionStates201
from pytest_ocpp.csms.states201_smart_charging import SmartChargingStates201
from pytest_ocpp.link import ANY_ACTION, Handler, IncomingCall
from pytest_ocpp.station import now
from pytest_ocpp.station.device_model import parse_key
from pytest_ocpp.verdicts import TargetFailure, TargetTimeout, not_applicable

FIRST_MESSAGE_GRACE = 3.0
"""Seconds a fresh connection may stay silent before it counts as a registered station that
reconnected without rebooting (it need not boot again, B01)."""

GENERAL_VARIABLES: dict[str, str] = {"AuthCtrlr.LocalPreAuthorize": "false"}
"""Part 6 §2.1 general preconditions that are variables: set for the whole run where the
station has them, put back when the run ends."""

TRANSACTION_ACTIVE = ("EVConnected", "Charging", "SuspendedEV", "SuspendedEVSE")


def _component_variable(text: str) -> dict[str, Any]:
    key = parse_key(text)
    return {"component": key.component_json(), "variable": key.variable_json()}


class FakeCsms201(
    StationStates201,
    SessionStates201,
    MemoryStates201,
    SmartChargingStates201,
    FirmwareStates201,
    CertificateStates201,
    SecurityStates201,
    FakeCsms,
):
    """The fake CSMS speaking OCPP 2.0.1; its reusable states are :class:`StationStates201`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_transactions: dict[str, int] = {}
        """transactionId → EVSE of every transaction started and not yet Ended."""
        self.connector_statuses: dict[tuple[int, int], str] = {}
        """(evseId, connectorId) → last connectorStatus reported, across cases."""
        self.variables: dict[str, str | None] = {}
        """Variable (``Component.Variable`` text) → value, as read or set."""
        self.changed_variables: dict[str, str | None] = {}
        """Variable → value before a case first changed it, until restored."""
        self.reservations201: set[int] = set()
        self.inoperative201: set[tuple[int, int | None]] = set()
        """(evseId, connectorId) a case made Inoperative; (0, None) is the station."""
        self.general_done = False
        self.general_originals201: dict[str, str] = {}
        self.transaction_id: str | None = None
        """The transaction the running state follows (on the configured EVSE)."""
        self.state: str | None = None
        """The last reusable state reached (Part 6 §2.18 names)."""
        self.ev_connected = False
        self._per_evse: dict[int, dict[str, Any]] = {}
        """Progress of the states on other EVSEs (:meth:`on_evse`), by EVSE."""
        self.undo: dict[str, Callable[[StationConnection], Awaitable[Any]]] = {}
        """What a case left on the station that only a request undoes (a charging profile, a
        monitor, a display message, a certificate), by description: :meth:`ready` runs each
        at the start of the next case, so a failed case cannot leave it behind."""

    def after_case(self, what: str, undo: Callable[[StationConnection], Awaitable[Any]]) -> None:
        """Register ``undo`` to run when the next case establishes the general
        preconditions (Part 6 §2.1 are pre- and post-conditions); ``what`` names it in the
        cascade message if undoing fails. Registering the same ``what`` again replaces it."""
        self.undo[what] = undo

    @contextlib.contextmanager
    def on_evse(self, evse_id: int, connector_id: int = 1) -> Iterator[None]:
        """Run reusable states "for EVSE.id = ``evse_id``" (TC_B_41_CS, TC_F_14_CS): the
        states follow the configured EVSE and one session, so this points them at
        ``evse_id``/``connector_id`` and keeps each EVSE's progress apart until the next
        case starts."""
        original = self.config
        self.config = replace(
            original,
            station=replace(original.station, evse_id=evse_id, connector_id=connector_id),
        )
        outer = {name: getattr(self, name) for name in _PER_EVSE}
        for name, value in self._per_evse.get(evse_id, _PER_EVSE).items():
            setattr(self, name, value)
        try:
            yield
        finally:
            self._per_evse[evse_id] = {name: getattr(self, name) for name in _PER_EVSE}
            for name, value in outer.items():
                setattr(self, name, value)
            self.config = original

    # -- configuration the scenarios read -------------------------------------------------
    @property
    def evse(self) -> int:
        """OCTT's <Configured evseId> (``[station] evse_id``)."""
        return self.config.station.evse_id

    @property
    def connector(self) -> int:
        """OCTT's <Configured connectorId> (``[station] connector_id``)."""
        return self.config.station.connector_id

    @property
    def retry_backoff_wait_minimum(self) -> int:
        """OCTT's <Configured RetryBackOffWaitMinimum_duration> (``[station]
        retry_backoff_wait_minimum``, default 2 s): what the offline cases set
        OCPPCommCtrlr.RetryBackOffWaitMinimum to, so a station comes back within seconds."""
        return int(self.config.station.extra.get("retry_backoff_wait_minimum", 2))

    def id_token(self, value: str | None = None) -> dict[str, str]:
        """OCTT's <Configured valid_idtoken_idtoken> and its type (``[tags.types]``)."""
        tags = self.config.tags
        token = value or tags.valid
        return {"idToken": token, "type": tags.type_of(token)}

    # -- answers to the station -----------------------------------------------------------
    def id_token_info(self, token: Mapping[str, Any]) -> dict[str, Any]:
        """IdTokenInfoType for ``token`` as the configured tags say: valid ones Accepted
        (with their group), blocked Blocked, expired Expired, anything else Unknown; a case
        overrides a token through ``behaviour.id_tag_status``."""
        tags = self.config.tags
        value = str(token.get("idToken", ""))
        status = self.behaviour.id_tag_status.get(value)
        if status is None:
            accepted = {
                tags.valid,
                tags.valid_2,
                tags.parent,
                tags.valid_with_parent,
                tags.valid_2_with_parent,
                tags.masterpass,
                tags.emaid,
            }
            if value in accepted or token.get("type") == "NoAuthorization":
                status = "Accepted"
            elif value == tags.blocked:
                status = "Blocked"
            elif value == tags.expired:
                status = "Expired"
            else:
                status = "Unknown"
        info: dict[str, Any] = {"status": status}
        group = self.behaviour.parent_id_tag.get(value)
        if group is None and value in (tags.valid_with_parent, tags.valid_2_with_parent):
            group = tags.parent
        if group is None and value == tags.masterpass:
            group = tags.masterpass_group
        if group is not None:
            info["groupIdToken"] = {"idToken": group, "type": tags.type_of(group)}
        return info

    def default_handlers(self) -> dict[str, Handler]:
        """A conformant answer to every message a 2.0.1 station may send (Part 2 §1.x
        responses): a case changes what it needs through :attr:`behaviour` or claims the
        request itself."""

        def boot(call: IncomingCall) -> dict[str, Any]:
            return {
                "currentTime": now(self.version),
                "interval": self.behaviour.heartbeat_interval,
                "status": self.behaviour.boot_status,
            }

        def status(call: IncomingCall) -> dict[str, Any]:
            key = (int(call.payload["evseId"]), int(call.payload["connectorId"]))
            self.connector_statuses[key] = str(call.payload["connectorStatus"])
            return {}

        def transaction(call: IncomingCall) -> dict[str, Any]:
            payload = call.payload
            tx_id = str(payload["transactionInfo"]["transactionId"])
            if payload["eventType"] == "Ended":
                self.open_transactions.pop(tx_id, None)
                if tx_id == self.transaction_id:
                    self.transaction_id = None  # the states follow a running transaction only
                    self.session_authorized = False
            else:
                evse = (payload.get("evse") or {}).get("id")
                if evse is not None or tx_id not in self.open_transactions:
                    self.open_transactions[tx_id] = int(evse or 0)
            token = payload.get("idToken")
            return {} if token is None else {"idTokenInfo": self.id_token_info(token)}

        empty: Handler = lambda call: {}  # noqa: E731 - a table of answers reads best inline
        return {
            "BootNotification": boot,
            "Heartbeat": lambda call: {"currentTime": now(self.version)},
            "StatusNotification": status,
            "NotifyEvent": empty,
            "Authorize": lambda call: {"idTokenInfo": self.id_token_info(call.payload["idToken"])},
            "TransactionEvent": transaction,
            "MeterValues": empty,
            "NotifyReport": empty,
            "NotifyMonitoringReport": empty,
            "NotifyCustomerInformation": empty,
            "NotifyDisplayMessages": empty,
            "ReportChargingProfiles": empty,
            "NotifyChargingLimit": empty,
            "ClearedChargingLimit": empty,
            "ReservationStatusUpdate": empty,
            "LogStatusNotification": empty,
            "FirmwareStatusNotification": empty,
            "PublishFirmwareStatusNotification": empty,
            "SecurityEventNotification": empty,
            "NotifyEVChargingNeeds": lambda call: {"status": "Accepted"},
            "NotifyEVChargingSchedule": lambda call: {"status": "Accepted"},
            "DataTransfer": lambda call: {"status": self.behaviour.data_transfer_status},
            "SignCertificate": lambda call: {"status": "Accepted"},
            "GetCertificateStatus": lambda call: {"status": "Failed"},
            "Get15118EVCertificate": lambda call: {"status": "Failed", "exiResponse": ""},
        }

    def observe_call(self, action: str, payload: dict[str, Any], answer: dict[str, Any]) -> None:
        """What a request the fake CSMS sent changed on the station, for the post-conditions:
        variables, reservations, availability."""
        status = answer.get("status")
        if action == "GetVariables":
            for item in answer.get("getVariableResult") or []:
                if (
                    item.get("attributeStatus") == "Accepted"
                    and item.get("attributeType", "Actual") == "Actual"  # echoing it is legal
                ):
                    self.variables[_key_text(item)] = item.get("attributeValue")
        elif action == "SetVariables":
            sent = {_key_text(item): item["attributeValue"] for item in payload["setVariableData"]}
            for item in answer.get("setVariableResult") or []:
                if item.get("attributeStatus") in ("Accepted", "RebootRequired"):
                    text = _key_text(item)
                    self.changed_variables.setdefault(text, self.variables.get(text))
                    self.variables[text] = sent.get(text)
        elif action == "CertificateSigned" and status == "Accepted":
            if payload.get("certificateType", "ChargingStationCertificate") != "V2GCertificate":
                self.station_certificate_signed = True  # TC_A_21_CS's prerequisite is gone
        elif action == "ReserveNow" and status == "Accepted":
            self.reservations201.add(int(payload["id"]))
        elif action == "CancelReservation" and status == "Accepted":
            self.reservations201.discard(int(payload["reservationId"]))
        elif action == "ChangeAvailability" and status in ("Accepted", "Scheduled"):
            evse = payload.get("evse") or {}
            where = (int(evse.get("id", 0)), evse.get("connectorId"))
            if payload["operationalStatus"] == "Inoperative":
                self.inoperative201.add(where)
            else:
                self.inoperative201.discard(where)
                if where == (0, None):
                    self.inoperative201.clear()

    # -- general pre/post conditions (Part 6 §2.1) ------------------------------------------
    async def ready(
        self, operator: Any = None, *, timeout: float | None = None
    ) -> StationConnection:
        """The general preconditions of Part 6 §2.1, established rather than assumed: the
        station connected with its boot Accepted, no transaction (RequestStopTransaction,
        then the ``operator`` unplugs), no reservation, everything Operative, the variables
        earlier cases changed put back, AuthCtrlr.LocalPreAuthorize false, every connector
        Available. What a previous case left that cannot be undone fails this case as "could
        not reach the starting state: the previous case left ...", a cascade."""
        self.state = None
        self.transaction_id = None
        self.ev_connected = False
        self.session_authorized = False
        self._per_evse.clear()
        async with starting_state():
            left = self.left_behind()
            try:
                return await self._restore(operator, timeout=timeout)
            except TargetFailure as exc:
                if left and exc.args and isinstance(exc.args[0], str):
                    exc.args = (f"the previous case left {left}: {exc.args[0]}", *exc.args[1:])
                raise

    def left_behind(self) -> str:
        parts: list[str] = []
        if self.open_transactions:
            parts.append(f"transaction(s) {', '.join(self.open_transactions)} running")
        if self.reservations201:
            parts.append(f"reservation(s) {', '.join(map(str, sorted(self.reservations201)))}")
        if self.inoperative201:
            parts.append("Inoperative EVSE(s)/connector(s)")
        parts.extend(self.undo)
        changed = [k for k, v in self.changed_variables.items() if self.variables.get(k) != v]
        if changed:
            parts.append(f"variable(s) {', '.join(changed)} changed")
        busy = [
            f"{e}/{c} {s}"
            for (e, c), s in sorted(self.connector_statuses.items())
            if s != "Available"
        ]
        if busy:
            parts.append(f"connector(s) {', '.join(busy)}")
        return "; ".join(parts)

    async def _restore(self, operator: Any, *, timeout: float | None) -> StationConnection:
        if timeout is None and self.connection is not None:
            timeout = self.config.timeouts.reboot  # it was connected: a reboot may be under way
        sut = await self.station(timeout)
        sut = await self._registered(sut)
        mark = sut.mark()
        await self._general_conditions(sut)
        unplugged = await self._end_transactions(sut, operator, mark)
        for reservation in sorted(self.reservations201):
            await sut.link.call(
                "CancelReservation", {"reservationId": reservation}, allow_error=True
            )
        self.reservations201.clear()
        for evse, connector in sorted(self.inoperative201, key=str):
            target: dict[str, Any] = {"operationalStatus": "Operative"}
            if evse:
                target["evse"] = {"id": evse, **({"connectorId": connector} if connector else {})}
            await sut.link.call("ChangeAvailability", target, allow_error=True)
        self.inoperative201.clear()
        for what, undo in list(self.undo.items()):
            del self.undo[what]  # undone once: a station refusing it fails one case only
            await undo(sut)
            if self.connection is not None and self.connection is not sut:
                sut = await self._registered(self.connection)  # the undo spanned a reboot
                mark = sut.mark()
        await self._restore_variables(sut)
        await self._connectors_free(sut, operator, mark, unplugged)
        if self.open_transactions:
            # A transaction started while the last one was being stopped (an authorization
            # of the previous case arriving late, with TxStartPoint Authorized): end it too.
            mark = sut.mark()
            unplugged = await self._end_transactions(sut, operator, mark)
            await self._connectors_free(sut, operator, mark, unplugged)
        return sut

    async def back_to_idle(self, sut: StationConnection, operator: Any) -> None:
        """No transaction and every connector Available, as at the start of a case, without
        touching the case's configuration: what a memory state ends in before the case's own
        states run (a transaction still running is stopped, a cable still in unplugged)."""
        mark = sut.mark()
        unplugged = await self._end_transactions(sut, operator, mark)
        await self._connectors_free(sut, operator, mark, unplugged)
        self.state, self.transaction_id, self.ev_connected = None, None, False
        self.session_authorized = False

    async def _end_transactions(
        self, sut: StationConnection, operator: Any, mark: int
    ) -> set[tuple[int, int]]:
        """RequestStopTransaction for every open transaction (unplugging first where
        TxStopPoint waits for the EV to leave) and each one's Ended awaited. A transaction the
        station refuses to stop may be ending already (its Ended on the way): that Ended is
        awaited too, and if none comes the transaction is taken as over, with a warning.
        Returns the connectors unplugged."""
        refused: set[str] = set()
        for tx_id in list(self.open_transactions):
            answer = await sut.link.call(
                "RequestStopTransaction", {"transactionId": tx_id}, allow_error=True
            )
            if answer.get("status") != "Accepted":
                refused.add(tx_id)
        unplugged: set[tuple[int, int]] = set()
        if operator is not None and set(self.open_transactions) - refused:
            # With TxStopPoint EVConnected a stopped transaction ends only when the EV is
            # unplugged (E06): unplug before waiting for its Ended.
            for (evse, connector), status in sorted(self.connector_statuses.items()):
                if status == "Occupied":
                    await operator.perform("plug_out", evse_id=evse, connector_id=connector)
                    unplugged.add((evse, connector))
        try:
            for tx_id in list(self.open_transactions):
                ends = lambda p, t=tx_id: (  # noqa: E731
                    p["eventType"] == "Ended" and p["transactionInfo"]["transactionId"] == t
                )
                if tx_id not in refused:
                    await sut.wait_for(
                        "TransactionEvent",
                        ends,
                        since=mark,
                        describe=f"TransactionEventRequest Ended for transaction {tx_id} "
                        "(answer to RequestStopTransactionRequest; precondition: no "
                        "transaction running)",
                    )
                    continue
                try:
                    await sut.wait_for("TransactionEvent", ends, since=mark, describe="")
                except TargetTimeout:
                    self.open_transactions.pop(tx_id, None)
                    warn(
                        f"transaction {tx_id}: RequestStopTransaction not Accepted and no "
                        "TransactionEventRequest Ended came; taken as over"
                    )
        except TargetFailure:
            self.open_transactions.clear()  # reported once, by this case
            raise
        return unplugged

    async def _connectors_free(
        self, sut: StationConnection, operator: Any, mark: int, unplugged: set[tuple[int, int]]
    ) -> None:
        """Every connector Available: faults cleared and cables unplugged by the operator,
        each connector's StatusNotification Available awaited."""
        busy = {k: s for k, s in self.connector_statuses.items() if s != "Available"}
        if operator is not None:
            for (evse, connector), status in sorted(busy.items()):
                if status == "Faulted":
                    await operator.perform("clear_fault", evse_id=evse, connector_id=connector)
                elif status == "Occupied" and (evse, connector) not in unplugged:
                    await operator.perform("plug_out", evse_id=evse, connector_id=connector)
        for (evse, connector), status in sorted(busy.items()):
            if self.connector_statuses.get((evse, connector)) == "Available":
                continue
            # Unavailable after our ChangeAvailability Operative: the station's own doing, a
            # reset it scheduled or a firmware install; it is back when its reboot is done.
            slow = status == "Unavailable"
            await sut.wait_for(
                "StatusNotification",
                lambda p, e=evse, c=connector: (
                    p["evseId"] == e
                    and p["connectorId"] == c
                    and p["connectorStatus"] == "Available"
                ),
                since=mark,
                timeout=self.config.timeouts.reboot if slow else None,
                describe=f"StatusNotificationRequest Available for EVSE {evse} connector "
                f"{connector} (precondition: connectors Available; it is {status}"
                + (", --ocpp-reboot-timeout)" if slow else ")"),
            )

    async def _registered(self, sut: StationConnection) -> StationConnection:
        """Its boot Accepted; after a fresh boot, every connector reported once."""
        if not sut.link.inbox:
            grace = min(FIRST_MESSAGE_GRACE, self.config.timeouts.message)
            try:
                await sut.link.wait_for(ANY_ACTION, timeout=grace, describe="the first message")
            except TargetTimeout:
                self.trace.event(sut.station_id, "a registered station reconnected without a boot")
        boots = [c for c in sut.link.inbox if c.action == "BootNotification"]
        if boots and (boots[-1].reply_payload or {}).get("status") != "Accepted":
            await sut.wait_for(
                "BootNotification",
                since=sut.link.inbox.index(boots[-1]) + 1,
                describe="an accepted BootNotificationRequest (precondition: station accepted)",
            )
        accepted = [
            c
            for c in sut.link.inbox
            if c.action == "BootNotification"
            and (c.reply_payload or {}).get("status") == "Accepted"
        ]
        if accepted:
            since = sut.link.inbox.index(accepted[-1]) + 1
            for evse in range(1, self.config.station.connectors + 1):
                reported = any(
                    c.action == "StatusNotification" and c.payload.get("evseId") == evse
                    for c in sut.link.inbox[since:]
                )
                if not reported and (evse, 1) not in self.connector_statuses:
                    await sut.link.wait_for(
                        "StatusNotification",
                        lambda p, e=evse: p["evseId"] == e,
                        since=since,
                        describe=f"the StatusNotificationRequest of EVSE {evse} after the boot "
                        "(precondition: connectors Available)",
                    )
        return sut

    async def _general_conditions(self, sut: StationConnection) -> None:
        """Part 6 §2.1 variables, once per run; a station without the variable or refusing
        it gets a warning (its cases then run as the station is configured)."""
        if self.general_done:
            return
        self.general_done = True
        for text, wanted in GENERAL_VARIABLES.items():
            current_value = await self.get_variable(sut, text, step_name="")
            if current_value is None or current_value.lower() == wanted:
                continue
            answer = await self._set(sut, text, wanted)
            if answer in ("Accepted", "RebootRequired"):
                self.general_originals201[text] = current_value
                self.changed_variables.pop(text, None)  # a run-wide change, undone at stop
            else:
                warn(f"general precondition not met: {text} is {current_value} ({answer})")

    async def _restore_variables(self, sut: StationConnection) -> None:
        for text, original in list(self.changed_variables.items()):
            if original is not None and self.variables.get(text) != original:
                await self._set(sut, text, original)
                self.variables[text] = original  # _set bypasses observe_call
            self.changed_variables.pop(text, None)

    async def stop(self) -> None:
        """Post-conditions of the last case (best effort) and the run-wide variables back."""
        connection = self.connection
        if connection is not None and not connection.closed:
            with contextlib.suppress(Exception):
                await self._restore_variables(connection)
                for text, value in self.general_originals201.items():
                    await self._set(connection, text, value)
        await super().stop()

    # -- variables --------------------------------------------------------------------------
    async def get_variable(
        self, sut: StationConnection, text: str, *, step_name: str | None = None
    ) -> str | None:
        """The Actual value of ``Component.Variable`` (see :func:`parse_key`), or None when
        the station does not have it (UnknownComponent/UnknownVariable)."""
        if step_name:
            step(step_name)
        answer = await sut.call("GetVariables", {"getVariableData": [_component_variable(text)]})
        for item in answer.get("getVariableResult") or []:
            if item.get("attributeStatus") == "Accepted":
                return item.get("attributeValue")
        return None

    async def _set(self, sut: StationConnection, text: str, value: str) -> str:
        entry = {**_component_variable(text), "attributeValue": value}
        answer = await sut.link.call("SetVariables", {"setVariableData": [entry]}, allow_error=True)
        results = answer.get("setVariableResult") or [{}]
        return str(results[0].get("attributeStatus") or answer.get("errorCode"))

    async def configure(self, sut: StationConnection, values: Mapping[str, str]) -> None:
        """A case's "Configuration State": set each variable (restored when a later case
        starts, Part 6 §2.1 post-conditions). A variable the station does not have or
        refuses makes the case not applicable: its scenario needs that configuration."""
        for text, value in values.items():
            if text not in self.variables:
                await self.get_variable(sut, text)
            step(f"(Configuration State) SetVariablesRequest {text} = {value}")
            answer = await sut.call(
                "SetVariables",
                {"setVariableData": [{**_component_variable(text), "attributeValue": value}]},
            )
            result = (answer.get("setVariableResult") or [{}])[0]
            status = result.get("attributeStatus")
            if status not in ("Accepted", "RebootRequired"):
                raise not_applicable(
                    f"the station answered {status} to {text} = {value}, which this case's "
                    "configuration state needs"
                )

    async def tx_start_points(self, sut: StationConnection) -> list[str]:
        """TxCtrlr.TxStartPoint as the station reports it (the states branch on it)."""
        text = self.variables.get("TxCtrlr.TxStartPoint") or await self.get_variable(
            sut, "TxCtrlr.TxStartPoint"
        )
        return [p.strip() for p in (text or "EVConnected,Authorized").split(",") if p.strip()]

    async def tx_stop_points(self, sut: StationConnection) -> list[str]:
        text = self.variables.get("TxCtrlr.TxStopPoint") or await self.get_variable(
            sut, "TxCtrlr.TxStopPoint"
        )
        return [p.strip() for p in (text or "EVConnected").split(",") if p.strip()]

    # -- waiting for the station's reports ------------------------------------------------
    async def connector_reported(
        self,
        sut: StationConnection,
        status: str | Collection[str],
        *,
        since: int,
        evse: int | None = None,
        connector: int | None = None,
        label: str = "",
    ) -> IncomingCall:
        """The station "notifies the CSMS about the status change of the connector": a
        StatusNotificationRequest with ``status`` (or one of several a case allows) for the
        EVSE/connector (see the module docstring for the NotifyEvent, which is judged when
        present, never required)."""
        e = self.evse if evse is None else evse
        c = self.connector if connector is None else connector
        wanted = {status} if isinstance(status, str) else set(status)
        shown = " or ".join(sorted(wanted))
        item = await sut.wait_for(
            "StatusNotification",
            lambda p: p["evseId"] == e and p["connectorId"] == c and p["connectorStatus"] in wanted,
            since=since,
            describe=f"StatusNotificationRequest connectorStatus {shown} for evseId {e}, "
            f"connectorId {c}{label}",
        )
        status = str(item.payload["connectorStatus"])
        for event in sut.link.inbox[since:]:
            if event.action != "NotifyEvent" or event.problems:
                continue
            for data in event.payload.get("eventData") or []:
                component = data.get("component") or {}
                where = component.get("evse") or {}
                if (
                    component.get("name") == "Connector"
                    and data.get("variable", {}).get("name") == "AvailabilityState"
                    and where.get("id") == e
                    and where.get("connectorId", c) == c
                    and data.get("actualValue") != status
                    and data.get("trigger") == "Delta"
                    and event.received_at >= item.received_at
                ):
                    warn(
                        f"NotifyEventRequest reported Connector {e}/{c} AvailabilityState "
                        f"{data.get('actualValue')} right after StatusNotification {status}"
                    )
        return item

    async def transaction_event(
        self, sut: StationConnection, *, since: int, label: str, predicate: Any = None
    ) -> IncomingCall:
        """The next TransactionEventRequest (matching ``predicate``) from ``since``."""
        return await sut.wait_for(
            "TransactionEvent", predicate, since=since, describe=f"TransactionEventRequest {label}"
        )


_PER_EVSE: dict[str, Any] = {
    "transaction_id": None,
    "state": None,
    "ev_connected": False,
    "session_authorized": False,
    "auth_mark": 0,
    "stop_mark": 0,
}
"""What the states track for the one EVSE they follow, and its starting value."""


def _key_text(item: Mapping[str, Any]) -> str:
    """``Component(evse,connector).Variable[instance]`` of a GetVariable/SetVariable result."""
    component = item.get("component") or {}
    variable = item.get("variable") or {}
    text = str(component.get("name"))
    if component.get("instance"):
        text += f":{component['instance']}"
    evse = component.get("evse") or {}
    if evse:
        text += f"({evse.get('id')}" + (
            f",{evse['connectorId']})" if "connectorId" in evse else ")"
        )
    text += f".{variable.get('name')}"
    if variable.get("instance"):
        text += f"[{variable['instance']}]"
    return text

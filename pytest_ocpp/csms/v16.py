"""The fake OCPP 1.6J CSMS: its default answers, the OCTT general preconditions, and the
station-side reusable states of OCTT 1.6 §2.25-2.26."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from pytest_ocpp.case import current, starting_state, step, warn
from pytest_ocpp.csms.base import FakeCsms, StationConnection
from pytest_ocpp.csms.keys16 import is_required, missing_key
from pytest_ocpp.csms.states16_security import SecurityStates16
from pytest_ocpp.link import ANY_ACTION, Handler, IncomingCall
from pytest_ocpp.station import now
from pytest_ocpp.verdicts import (
    ConnectFailed,
    NotApplicable,
    TargetFailure,
    TargetTimeout,
    check,
)

FIRST_MESSAGE_GRACE = 3.0
"""Seconds a freshly connected station gets to start booting before the fake CSMS treats it
as registered and merely reconnected."""

TUNABLE_KEYS: dict[str, str] = {
    "MeterValueSampleInterval": "meter_value_sample_interval",
    "ClockAlignedDataInterval": "clock_aligned_data_interval",
    "HeartbeatInterval": "heartbeat_interval",
    "ConnectionTimeOut": "connection_timeout",
}
"""Numeric keys whose scenario value comes from a ``[station]`` setting: a station may
legitimately refuse a value outside its range (OCPP 1.6 §5.3 Rejected), so a refusal is "set
a value it accepts", not a failure."""

GENERAL_CONFIGURATION: dict[str, str] = {"MinimumStatusDuration": "0"}
"""OCTT 1.6 §1.3 general conditions that are configuration keys (optional ones: applied only
where the station has the key)."""


@dataclass
class OfflineWindow:
    """When the fake CSMS cut the station off (``start``) and accepted it again (``end``), on
    our clock; ``generation`` is the connection to reconnect after; ``hold`` how long the
    window stayed open after the driver's actions."""

    generation: int
    start: datetime
    end: datetime | None = None
    hold: float = 0.0


def parse_timestamp(text: str) -> datetime | None:
    """An OCPP 1.6 dateTime (ISO 8601 with offset, any number of fraction digits), or None."""
    trimmed = re.sub(r"(\.\d{6})\d+", r"\1", text.replace("Z", "+00:00").replace("z", "+00:00"))
    try:
        stamp = datetime.fromisoformat(trimmed)
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else None


def _clock(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _same_value(current: str | None, before: str) -> bool:
    """Configuration values compare as text; booleans case-insensitively (OCPP 1.6 §9)."""
    return current is not None and (current == before or current.lower() == before.lower())


def _accepted(call: IncomingCall) -> bool:
    return bool(call.reply_payload and call.reply_payload.get("status") == "Accepted")


class FakeCsms16(SecurityStates16, FakeCsms):
    """The fake CSMS speaking OCPP 1.6J."""

    async def ready(
        self, operator: Any = None, *, timeout: float | None = None
    ) -> StationConnection:
        """The OCTT general preconditions (OCTT 1.6 §1.3): the station is connected, its boot
        is Accepted, no transaction runs and its connectors are Available.

        OCTT lists them as pre- and post-conditions, so what an earlier case left behind,
        whatever its verdict, is undone here the way a tester would (:meth:`restore`). A
        station that cannot be brought back fails this case with "could not reach the
        starting state: the previous case left ..." (a cascade, not this case's own step).
        Returns the connection."""
        if not self.reviewing:
            self.reviewing = True
            with contextlib.suppress(RuntimeError):  # outside a case nobody reviews
                current().checks.append(self.review_statuses)
        async with starting_state():
            left = self.left_behind()
            try:
                sut = await self.restore(operator, timeout=timeout)
            except TargetFailure as exc:
                if left and exc.args and isinstance(exc.args[0], str):
                    exc.args = (f"the previous case left {left}: {exc.args[0]}", *exc.args[1:])
                raise
        if left:
            # What arrived while undoing the previous case's state (a StartTransaction and
            # Charging that a failed case no longer waited for) belongs to that case, which
            # already has its verdict: this case's status review starts here.
            self.case_connections = [sut]
            self.case_start = len(sut.link.inbox)
        return sut

    def left_behind(self) -> str:
        """What the cases so far left that the general conditions exclude, in words (empty
        when nothing): open transactions, a running transfer, reservations, Inoperative
        connectors, changed configuration keys, connectors not Available."""
        parts: list[str] = []
        if self.transactions:
            parts.append(
                "transaction(s) "
                + ", ".join(f"{t} on connector {c}" for t, c in self.transactions.items())
                + " running"
            )
        if self.firmware_running:
            parts.append("a firmware update running")
        if self.diagnostics_running:
            parts.append("a diagnostics upload running")
        if self.reservations:
            parts.append(f"reservation(s) {', '.join(map(str, self.reservations))}")
        if self.inoperative:
            parts.append(
                f"connector(s) {', '.join(map(str, sorted(self.inoperative)))} Inoperative"
            )
        changed = [k for k, v in self.changed_config.items() if self.known_config.get(k) != v]
        if changed:
            parts.append(f"configuration key(s) {', '.join(changed)} changed")
        busy = [f"{c} {s}" for c, s in sorted(self.statuses.items()) if s != "Available"]
        if busy:
            parts.append(f"connector(s) {', '.join(busy)}")
        return "; ".join(parts)

    async def restore(
        self, operator: Any = None, *, timeout: float | None = None
    ) -> StationConnection:
        """Bring the station back to the general conditions (OCTT 1.6 §1.3), reading the
        state before waiting for a change (a station reports a status only when it changes,
        OCPP 1.6 §4.9): wait out a firmware update or diagnostics upload
        (--ocpp-transfer-timeout), wait for the station (after a reboot:
        --ocpp-reboot-timeout) and its accepted boot, stop open transactions
        (RemoteStopTransaction, then the ``operator`` unplugs), cancel reservations, make
        connectors Operative, restore changed configuration keys, clear faults, and check
        every connector is Available. Returns the connection."""
        timeouts = self.config.timeouts
        await self._transfers_done()
        if timeout is None and self.connection is not None:
            timeout = timeouts.reboot  # it was connected: a reboot may be under way
            waited = "--ocpp-reboot-timeout"
        else:
            waited = "--ocpp-connect-timeout" if timeout is None else ""
        try:
            sut = await self.station(timeout)
        except ConnectFailed as exc:
            if waited and exc.args and isinstance(exc.args[0], str) and waited not in exc.args[0]:
                exc.args = (f"{exc.args[0]} ({waited})", *exc.args[1:])
            raise
        sut = await self._registered(sut)
        mark = sut.mark()
        if self.baseline_read is False:
            # Every key's value once, so a case's ChangeConfiguration can be undone.
            self.baseline_read = True
            await sut.call("GetConfiguration", {})
        await self._stop_transactions(sut, mark)
        for reservation_id in list(self.reservations):
            await sut.link.call(
                "CancelReservation", {"reservationId": reservation_id}, allow_error=True
            )
            self.reservations.pop(reservation_id, None)
        unavailable = {c for c, s in self.statuses.items() if s == "Unavailable"}
        for connector in sorted(self.inoperative | unavailable):
            await sut.link.call(
                "ChangeAvailability",
                {"connectorId": connector, "type": "Operative"},
                allow_error=True,
            )
            self.inoperative.discard(connector)
        await self._restore_configuration(sut)
        await self._general_conditions(sut)
        busy = [c for c, st in sorted(self.statuses.items()) if c > 0 and st != "Available"]
        if operator is not None:
            for connector in busy:
                status = self.statuses.get(connector)
                if status == "Faulted":
                    # The fault may hide a cable still in: clear it, then unplug.
                    await operator.perform("clear_fault", connector_id=connector)
                    await operator.plug_out(connector)
                elif status in (
                    "Preparing",
                    "Charging",
                    "SuspendedEV",
                    "SuspendedEVSE",
                    "Finishing",
                ):
                    await operator.plug_out(connector)
            if self.statuses.get(0) == "Faulted":
                await operator.perform("clear_fault", connector_id=0)
        for connector, status in sorted(self.statuses.items()):
            if status != "Available":
                try:
                    await sut.next_status(
                        connector,
                        "Available",
                        since=self._since_status(sut, connector, mark),
                        warn=False,
                        why=f"(precondition: every connector Available; it is {status})",
                    )
                except TargetFailure:
                    if not self.transactions:
                        raise
                    # A StartTransaction.req the previous case no longer waited for came in
                    # during this restore: stop that transaction too, then wait again.
                    await self._stop_transactions(sut, mark)
                    await sut.next_status(
                        connector,
                        "Available",
                        since=self._since_status(sut, connector, mark),
                        warn=False,
                        why=f"(precondition: every connector Available; it is {status})",
                    )
        return sut

    async def _stop_transactions(self, sut: StationConnection, mark: int) -> None:
        """RemoteStopTransaction for every transaction known to run, and its
        StopTransaction.req awaited (the precondition: no transaction running)."""
        for transaction_id in list(self.transactions):
            answer = await sut.link.call(
                "RemoteStopTransaction", {"transactionId": transaction_id}, allow_error=True
            )
            if answer.get("status") != "Accepted":
                # Rejected: the station runs no such transaction (OCPP 1.6 §5.12), e.g. its
                # StopTransaction.req carried another id; nothing to wait for.
                self.transactions.pop(transaction_id, None)
        try:
            for transaction_id in list(self.transactions):
                await sut.wait_for(
                    "StopTransaction",
                    lambda p, t=transaction_id: p["transactionId"] == t,
                    since=mark,
                    describe=f"StopTransaction.req for transaction {transaction_id} (answer "
                    "to RemoteStopTransaction.req; precondition: no transaction running)",
                )
        except TargetFailure:
            self.transactions.clear()  # reported once, by this case; not by every later one
            raise

    def _since_status(self, sut: StationConnection, connector: int, mark: int) -> int:
        """Where to look for the next status of ``connector``: right after its last report
        (it may have come before ``mark``, and a station reports a change only once)."""
        for position in range(len(sut.link.inbox) - 1, -1, -1):
            item = sut.link.inbox[position]
            if item.action == "StatusNotification" and item.payload.get("connectorId") == connector:
                return position + (0 if item.payload.get("status") == "Available" else 1)
        return mark

    async def _registered(self, sut: StationConnection) -> StationConnection:
        """Its boot Accepted and, after a fresh boot, every connector reported once."""
        if not sut.link.inbox:
            # A fresh connection: a rebooted station boots at once; a registered station that
            # only reconnected (e.g. to the next pytest run) may send nothing until its next
            # heartbeat (OCPP 1.6 §4.2 asks a boot only after a reboot). Give a boot a short
            # grace, then go on with a station that is simply connected.
            grace = min(FIRST_MESSAGE_GRACE, self.config.timeouts.message)
            try:
                await sut.link.wait_for(
                    ANY_ACTION, timeout=grace, describe="the station's first message"
                )
            except TargetTimeout:
                self.trace.event(
                    sut.station_id,
                    f"nothing sent within {grace:g} s of connecting: a registered station "
                    "that reconnected without rebooting",
                )
        boots = [c for c in sut.link.inbox if c.action == "BootNotification"]
        if boots and not _accepted(boots[-1]):
            await sut.wait_for(
                "BootNotification",
                since=sut.link.inbox.index(boots[-1]) + 1,
                describe="an accepted BootNotification (precondition: station registered)",
            )
        accepted = [c for c in sut.link.inbox if c.action == "BootNotification" and _accepted(c)]
        if accepted:
            # A freshly booted station reports its connectors right after the Accepted boot;
            # a case must not start before those reports, or they land in the middle of its
            # first steps (a ChangeAvailability answered, then the boot's "Available").
            since = sut.link.inbox.index(accepted[-1]) + 1
            for connector in range(1, self.config.station.connectors + 1):
                reported = any(
                    c.action == "StatusNotification" and c.payload.get("connectorId") == connector
                    for c in sut.link.inbox[since:]
                )
                if not reported and connector not in self.statuses:
                    await sut.wait_for(
                        "StatusNotification",
                        lambda p, c=connector: p["connectorId"] == c,
                        since=since,
                        describe=f"the first StatusNotification.req of connector {connector} "
                        "after the boot (precondition: connectors Available)",
                    )
        return sut

    async def _transfers_done(self) -> None:
        """Wait out a firmware update or diagnostics upload a case started and did not see
        end (OCTT 1.6 §1.3: no update running), within --ocpp-transfer-timeout."""
        limit = self.config.timeouts.transfer
        for what, final, running in (
            (
                "firmware update",
                "FirmwareStatusNotification.req Installed, DownloadFailed or InstallationFailed",
                lambda: self.firmware_running,
            ),
            (
                "diagnostics upload",
                "DiagnosticsStatusNotification.req Uploaded or UploadFailed",
                lambda: self.diagnostics_running,
            ),
        ):
            if not running():
                continue
            deadline = asyncio.get_running_loop().time() + limit
            try:
                while running():
                    self._transfer_changed.clear()
                    remaining = deadline - asyncio.get_running_loop().time()
                    await asyncio.wait_for(self._transfer_changed.wait(), max(0.0, remaining))
            except asyncio.TimeoutError:
                self.firmware_running = self.diagnostics_running = False
                raise TargetTimeout(
                    f"the {what} an earlier case started did not end: no {final} within "
                    f"{limit:g} s (--ocpp-transfer-timeout)"
                ) from None

    async def _restore_configuration(self, sut: StationConnection) -> None:
        """Set back every key a case changed with ChangeConfiguration to the value it held
        before (read by GetConfiguration), unless the case already did."""
        for key, before in list(self.changed_config.items()):
            if before is not None and not _same_value(self.known_config.get(key), before):
                answer = await sut.link.call(
                    "ChangeConfiguration", {"key": key, "value": before}, allow_error=True
                )
                if answer.get("status") in ("Accepted", "RebootRequired"):
                    self.known_config[key] = before
            self.changed_config.pop(key, None)

    def check_change_accepted(self, key: str, value: str, reply: Mapping[str, Any]) -> None:
        """A scenario's ChangeConfiguration must be Accepted, except that a numeric key whose
        value the user configures may be Rejected as out of the station's range: then the case
        is not applicable and says which setting to change."""
        status = reply.get("status")
        if status == "Accepted":
            return
        if status == "Rejected" and key in TUNABLE_KEYS:
            raise NotApplicable(
                f"the station rejected {key} = {value} (OCPP 1.6 §5.3 lets it refuse a value "
                f"outside its range); set [station] {TUNABLE_KEYS[key]} to a value it accepts"
            )
        check(
            False,
            f"ChangeConfiguration.conf status Accepted for {key} = {value} (a valid value for "
            "a read-write key, OCPP 1.6 §5.3)",
            reply,
        )

    async def _general_conditions(self, sut: StationConnection) -> None:
        """OCTT 1.6 §1.3 general conditions that are configuration: MinimumStatusDuration 0
        (where the station has the optional key), so a status lasting shorter is still
        reported and a case does not wait for a report the station holds back. Set for the
        whole session, bypassing the per-case undo; :meth:`stop` puts the original back."""
        for key, wanted in GENERAL_CONFIGURATION.items():
            current_value = self.known_config.get(key)
            if current_value is None or _same_value(current_value, wanted):
                continue
            answer = await sut.link.call(
                "ChangeConfiguration", {"key": key, "value": wanted}, allow_error=True
            )
            if answer.get("status") in ("Accepted", "RebootRequired"):
                self.general_originals.setdefault(key, current_value)
                self.known_config[key] = wanted
            else:
                warn(
                    f"general condition not met: {key} is {current_value} and the station "
                    f"answered {answer.get('status') or answer.get('errorCode')} to {key} = "
                    f"{wanted} (OCTT 1.6 §1.3); statuses shorter than that may go unreported"
                )

    async def stop(self) -> None:
        """The last case's post-conditions (OCTT 1.6 §1.3, as far as no operator is needed:
        no case follows to run them), put back what the general conditions changed for the
        session, then stop. Best effort, bounded: the verdicts are already in."""
        connection = self.connection
        if connection is not None and not connection.closed and self.left_behind():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.restore(None), 3 * self.config.timeouts.message)
        connection = self.connection
        if connection is not None and not connection.closed:
            for key, value in self.general_originals.items():
                with contextlib.suppress(Exception):
                    await connection.link.call(
                        "ChangeConfiguration", {"key": key, "value": value}, allow_error=True
                    )
        self.general_originals.clear()
        await super().stop()

    def observe_call(self, action: str, payload: dict[str, Any], answer: dict[str, Any]) -> None:
        """What every request the fake CSMS sent changed on the station, kept so
        :meth:`restore` can undo it: configuration keys (old values from GetConfiguration
        answers), reservations, availability, transfers."""
        status = answer.get("status")
        if action == "GetConfiguration":
            for item in answer.get("configurationKey") or []:
                self.known_config[item["key"]] = item.get("value")
        elif action == "ChangeConfiguration" and status in ("Accepted", "RebootRequired"):
            key = payload["key"]
            self.changed_config.setdefault(key, self.known_config.get(key))
            self.known_config[key] = payload["value"]
        elif action == "ReserveNow" and status == "Accepted":
            self.reservations[payload["reservationId"]] = payload["connectorId"]
        elif action == "CancelReservation" and status == "Accepted":
            self.reservations.pop(payload["reservationId"], None)
        elif action == "ChangeAvailability" and status in ("Accepted", "Scheduled"):
            if payload["type"] == "Inoperative":
                self.inoperative.add(payload["connectorId"])
            else:
                self.inoperative.discard(payload["connectorId"])
        elif action == "GetDiagnostics" and not answer.get("fileName"):
            self.diagnostics_running = False  # no diagnostics: nothing is uploaded (§5.9)
        elif action == "UpdateFirmware" and "errorCode" in answer:
            self.firmware_running = False  # refused with a CallError: no update runs

    def before_call(self, action: str, payload: dict[str, Any]) -> None:
        """A transfer runs from the moment it is asked for: its final status notification may
        arrive (and be handled) before the request's caller sees the answer."""
        if action in ("UpdateFirmware", "SignedUpdateFirmware"):
            self.firmware_running = True
        elif action == "GetDiagnostics":
            self.diagnostics_running = True

    # -- OCTT 1.6 reusable states (station side) --------------------------------------------
    # OCTT 1.6 test case document §2.25. Each state drives the station under test into the
    # named state and performs the state's own tool validations: a station that cannot reach
    # it fails the case at that step, as under OCTT.
    async def get_configuration(self, sut: StationConnection, key: str) -> str | None:
        """Reusable state GetConfiguration: the value of one configuration key, or None when
        the station reports it in ``unknownKey`` (or omits it)."""
        step(f"[GetConfiguration] GetConfiguration.req key {key}")
        response = await sut.call("GetConfiguration", {"key": [key]})
        for item in response.get("configurationKey") or []:
            if item.get("key") == key:
                value = item.get("value")
                return None if value is None else str(value)
        return None

    @property
    def connector(self) -> int:
        """OCTT's <Configured ConnectorId> (``[station] connector_id``): the connector every
        station-side scenario uses unless its table names another."""
        return self.config.station.connector_id

    def attach(self, ctx: Any) -> None:
        super().attach(ctx)
        self._cache_emptied = False
        self._cache_refusal = ""

    async def empty_cache(self, sut: StationConnection) -> None:
        """General precondition "Charge Point has an empty authorization cache" (OCTT 1.6
        §1.3): ClearCache.req, once per case. Established by every state whose table expects
        an Authorize.req (Authorized, Charging) and by the cases whose own steps do, so a tag an
        earlier case cached cannot excuse a missing Authorize.req. The answer is judged by
        TC_061_CS, not here (a station without a cache may refuse it)."""
        if getattr(self, "_cache_emptied", False):
            return
        step("(general precondition: empty authorization cache) ClearCache.req")
        answer = await sut.call("ClearCache", {}, allow_error=True)
        self._cache_emptied = True
        self._cache_refusal = (
            ""
            if answer.get("status") == "Accepted"
            else (
                f"; note: the station answered the precondition's ClearCache.req with {answer} "
                "(expected ClearCache.conf status Accepted), so the general precondition 'empty "
                "authorization cache' could not be established (OCTT 1.6 §1.3, OCPP 1.6 §5.4)"
            )
        )

    async def authorized(
        self,
        sut: StationConnection,
        operator: Any,
        *,
        id_tag: str | None = None,
        connector_id: int | None = None,
    ) -> int:
        """Reusable state Authorized (OCTT 1.6 §2.25, Table 104): a valid card is presented;
        the station sends Authorize.req for it (step 1) and, unless already Preparing,
        StatusNotification Preparing (step 3), in either order. Returns the connector that went
        Preparing (``connector_id`` if given): a shared card reader binds no connector in
        advance. The cache is emptied first (OCTT 1.6 §1.3), so the Authorize.req is due."""
        tag = id_tag or self.config.tags.valid
        connector = connector_id or self.connector
        await self.empty_cache(sut)
        was_preparing = self.statuses.get(connector) == "Preparing"
        mark = sut.mark()
        step(f"[Authorized] present idTag {tag}")
        await operator.present_id_tag(tag, connector_id)
        step("[Authorized] 1. Authorize.req")
        authorize = await sut.wait_for("Authorize", since=mark)
        check(authorize.payload["idTag"] == tag, f"Authorize.req idTag {tag}", authorize.payload)
        if not was_preparing:
            step("[Authorized] 3. StatusNotification.req Preparing")
            status = await sut.wait_for(
                "StatusNotification",
                lambda p: (
                    p["connectorId"] == connector_id if connector_id else p["connectorId"] != 0
                ),
                since=mark,
                describe="StatusNotification.req for the connector (Preparing)",
            )
            check(
                status.payload["status"] == "Preparing",
                "StatusNotification.req status Preparing",
                status.payload,
            )
            connector = int(status.payload["connectorId"])
        return connector

    async def charging(
        self,
        sut: StationConnection,
        operator: Any,
        connector_id: int | None = None,
        id_tag: str | None = None,
        *,
        authorize_optional: bool = False,
    ) -> int:
        """Reusable state Charging (OCTT 1.6 §2.25, Table 105): cable plugged in first, then
        RemoteStartTransaction. Returns the transactionId we assigned. ``authorize_optional``
        is for the tables that say so where they call the state (TC_049_CS step 5: "Sending an
        Authorize.req is optional"); an Authorize.req that is sent is still checked.

        With AuthorizeRemoteTxRequests true the station must send Authorize.req (step 9): a
        remote start then behaves as a local one (OCPP 1.6 §5.11) and the general precondition
        "empty authorization cache" (OCTT 1.6 §1.3, established here) leaves it nothing to
        authorize locally, so LocalPreAuthorize does not excuse the request. Each check is
        announced under the step of the table it belongs to."""
        tag = id_tag or self.config.tags.valid
        connector = connector_id or self.connector
        await self.empty_cache(sut)
        step("[Charging] 1. GetConfiguration.req AuthorizeRemoteTxRequests")
        response = await sut.call("GetConfiguration", {"key": ["AuthorizeRemoteTxRequests"]})
        reported = {
            item["key"]: str(item.get("value")).lower()
            for item in response.get("configurationKey") or []
        }
        if "AuthorizeRemoteTxRequests" not in reported:
            raise missing_key("AuthorizeRemoteTxRequests", self.config.station.features, "")
        authorize_remote = reported["AuthorizeRemoteTxRequests"] == "true"
        was_reserved = self.statuses.get(connector) == "Reserved"
        mark = sut.mark()
        step(f"[Charging] plug in the cable on connector {connector}")
        await operator.plug_in(connector)
        if not was_reserved:
            step("[Charging] 3. StatusNotification.req Preparing")
            await self._status(sut, connector, "Preparing", mark)
        mark = sut.mark()
        step(f"[Charging] 5. RemoteStartTransaction.req connectorId {connector} idTag {tag}")
        response = await sut.call(
            "RemoteStartTransaction", {"connectorId": connector, "idTag": tag}
        )
        step("[Charging] 6. RemoteStartTransaction.conf")
        check(
            response.get("status") == "Accepted",
            "RemoteStartTransaction.conf status Accepted",
            response,
        )
        charging_since = mark
        if was_reserved:
            step("[Charging] 7. StatusNotification.req Preparing")
            preparing = await self._status(sut, connector, "Preparing", mark)
            charging_since = sut.link.inbox.index(preparing) + 1
        step("[Charging] 11. StartTransaction.req")
        start = await sut.wait_for("StartTransaction", since=mark)
        if authorize_remote:
            step("[Charging] 9. Authorize.req (AuthorizeRemoteTxRequests is true)")
            position = sut.link.inbox.index(start)
            asked = [c for c in sut.link.inbox[mark:position] if c.action == "Authorize"]
            check(
                bool(asked) or authorize_optional,
                f"Authorize.req idTag {tag} before StartTransaction.req (AuthorizeRemoteTxRequests "
                "is true: the remote start is authorized like a local one, OCPP 1.6 §5.11; the "
                "authorization cache was emptied, OCTT 1.6 §1.3)",
                f"StartTransaction.req {start.payload} without Authorize.req"
                + getattr(self, "_cache_refusal", ""),
            )
            for authorize in asked:
                check(
                    authorize.payload["idTag"] == tag,
                    f"Authorize.req idTag {tag}",
                    authorize.payload,
                )
        step("[Charging] 11. StartTransaction.req connectorId and idTag")
        check(
            start.payload["connectorId"] == connector and start.payload["idTag"] == tag,
            f"StartTransaction.req connectorId {connector} idTag {tag}",
            start.payload,
        )
        step("[Charging] 13. StatusNotification.req Charging")
        await self._status(sut, connector, "Charging", charging_since)
        assert start.reply_payload is not None
        return int(start.reply_payload["transactionId"])

    async def set_connector_faulted(
        self,
        sut: StationConnection,
        operator: Any,
        connector_id: int | None = None,
        error_code: str = "OtherError",
    ) -> None:
        """Reusable state SetConnectorFaulted: the connector is put in a fault by hand and
        reports Faulted (OCTT 1.6 §2.25, SetConnectorFaulted)."""
        connector_id = connector_id or self.connector
        mark = sut.mark()
        step(f"[SetConnectorFaulted] put connector {connector_id} into a Faulted state")
        await operator.perform("set_fault", connector_id=connector_id, error_code=error_code)
        step("[SetConnectorFaulted] 1. StatusNotification.req Faulted")
        await self._status(sut, connector_id, "Faulted", mark)

    async def set_connector_unavailable(
        self, sut: StationConnection, connector_id: int | None = None
    ) -> None:
        """Reusable state SetConnectorUnavailable: ChangeAvailability Inoperative for one
        connector, Accepted, StatusNotification Unavailable (OCTT 1.6 §2.25)."""
        connector_id = connector_id or self.connector
        mark = sut.mark()
        step(f"[SetConnectorUnavailable] 1. ChangeAvailability.req Inoperative {connector_id}")
        response = await sut.call(
            "ChangeAvailability", {"connectorId": connector_id, "type": "Inoperative"}
        )
        check(
            response.get("status") == "Accepted",
            "ChangeAvailability.conf status Accepted",
            response,
        )
        step("[SetConnectorUnavailable] 3. StatusNotification.req Unavailable")
        await self._status(sut, connector_id, "Unavailable", mark)

    async def set_charge_point_unavailable(self, sut: StationConnection) -> None:
        """Reusable state SetChargePointUnavailable: ChangeAvailability Inoperative for
        connectorId 0, Accepted, StatusNotification Unavailable for every connector and for
        connectorId 0, in any order (OCTT 1.6 §2.25)."""
        mark = sut.mark()
        step("[SetChargePointUnavailable] 1. ChangeAvailability.req Inoperative, connectorId 0")
        response = await sut.call("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"})
        check(
            response.get("status") == "Accepted",
            "ChangeAvailability.conf status Accepted",
            response,
        )
        step("[SetChargePointUnavailable] 3. StatusNotification.req Unavailable per connector")
        for connector in range(self.config.station.connectors + 1):
            await self._status(sut, connector, "Unavailable", mark)

    async def set_connector_occupied(
        self, sut: StationConnection, operator: Any, connector_id: int | None = None
    ) -> None:
        """Reusable state SetConnectorOccupied: the EV driver plugs in; the connector reports
        Preparing (OCTT 1.6 §2.25)."""
        connector_id = connector_id or self.connector
        mark = sut.mark()
        step(f"[SetConnectorOccupied] plug in the cable on connector {connector_id}")
        await operator.plug_in(connector_id)
        step("[SetConnectorOccupied] 1. StatusNotification.req Preparing")
        await self._status(sut, connector_id, "Preparing", mark)

    async def reserved(
        self,
        sut: StationConnection,
        connector_id: int | None = None,
        id_tag: str | None = None,
        *,
        reservation_id: int = 1,
        expiry_seconds: int = 3600,
        parent_id_tag: str | None = None,
    ) -> int:
        """Reusable state Reserved: ReserveNow for the valid tag, Accepted, StatusNotification
        Reserved (OCTT 1.6 §2.25). Returns the reservationId."""
        connector_id = connector_id or self.connector
        tag = id_tag or self.config.tags.valid
        expiry = datetime.now(timezone.utc) + timedelta(seconds=expiry_seconds)
        payload: dict[str, Any] = {
            "connectorId": connector_id,
            "expiryDate": expiry.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "idTag": tag,
            "reservationId": reservation_id,
        }
        if parent_id_tag:
            payload["parentIdTag"] = parent_id_tag
        mark = sut.mark()
        step(f"[Reserved] 1. ReserveNow.req connectorId {connector_id} idTag {tag}")
        response = await sut.call("ReserveNow", payload)
        check(response.get("status") == "Accepted", "ReserveNow.conf status Accepted", response)
        step("[Reserved] 3. StatusNotification.req Reserved")
        await self._status(sut, connector_id, "Reserved", mark)
        return reservation_id

    async def id_tag_cached(
        self,
        sut: StationConnection,
        operator: Any,
        connector_id: int | None = None,
        id_tag: str | None = None,
    ) -> None:
        """Memory state IdTagCached (OCTT 1.6 §2.26, Table 112): state Charging with the tag,
        stopped by presenting it, so the station caches its idTagInfo (OCPP 1.6 §3.5.1); then
        the cable is unplugged. Its configuration state, AuthorizationCacheEnabled true, is the
        caller's (it is part of the case's own "Before")."""
        connector_id = connector_id or self.connector
        tag = id_tag or self.config.tags.valid
        transaction_id = await self.charging(sut, operator, connector_id, tag)
        mark = sut.mark()
        step(f"[IdTagCached] present idTag {tag} to stop the transaction")
        await operator.present_id_tag(tag, connector_id)
        step("[IdTagCached] 1. StopTransaction.req")
        stop = await sut.wait_for("StopTransaction", since=mark)
        check(
            stop.payload["transactionId"] == transaction_id,
            f"StopTransaction.req transactionId {transaction_id}",
            stop.payload,
        )
        step("[IdTagCached] 3. StatusNotification.req Finishing (steps 1 and 3 may be reversed)")
        await self._status(sut, connector_id, "Finishing", mark)
        mark = sut.mark()
        step("[IdTagCached] unplug the cable; 5. StatusNotification.req Available")
        await operator.plug_out(connector_id)
        await self._status(sut, connector_id, "Available", mark)

    async def id_tag_local_auth_list(
        self, sut: StationConnection, id_tag: str | None = None, status: str = "Accepted"
    ) -> None:
        """Memory state IdTagLocalAuthList (OCTT 1.6 §2.26, Table 113): SendLocalList.req
        listVersion 1 holding the tag, answered Accepted. Its configuration state,
        LocalAuthListEnabled true, is the caller's. ``status`` is the entry's idTagInfo.status
        (Accepted in the table; the offline cases with an invalid tag list it as such)."""
        tag = id_tag or self.config.tags.valid
        step(f"[IdTagLocalAuthList] 1. SendLocalList.req listVersion 1 Full, idTag {tag}")
        answer = await sut.call(
            "SendLocalList",
            {
                "listVersion": 1,
                "updateType": "Full",
                "localAuthorizationList": [{"idTag": tag, "idTagInfo": {"status": status}}],
            },
        )
        step("[IdTagLocalAuthList] 2. SendLocalList.conf")
        check(answer.get("status") == "Accepted", "SendLocalList.conf status Accepted", answer)

    @contextlib.asynccontextmanager
    async def configured(
        self,
        sut: StationConnection,
        required: Mapping[str, str] = {},
        optional: Mapping[str, str] = {},
        prerequisites: Mapping[str, str] = {},
    ) -> AsyncIterator[dict[str, str]]:
        """A scenario's "Before: Configuration State(s)": set each key with
        ChangeConfiguration (skipped when it already holds the value), restore the changed
        ones when the block ends. Yields the keys that now hold the wanted value. The one
        implementation every station-side case uses, so one rule decides every verdict:

        - a key the station reports as unknown: a failure when OCPP 1.6 §9 requires it of this
          station (Core, or a profile it declares), worded the same way everywhere (see
          :mod:`pytest_ocpp.csms.keys16`); else skipped for an ``optional`` key (the table's
          "(If implemented)"), not applicable for the others;
        - a read-only key holding another value: not applicable (the station cannot be put in
          the scenario's state); skipped for an ``optional`` key;
        - a refused ChangeConfiguration: a failure for a ``required`` key (a valid value of a
          read-write key, OCPP 1.6 §5.3) unless it is a numeric key whose value the user sets
          (:data:`TUNABLE_KEYS`: not applicable, naming the setting), not applicable for a
          ``prerequisites`` key, skipped for an ``optional`` one.

        The restore after a failed scenario is best effort (the failure is the verdict); after
        a pass a broken restore fails the case, since the next case would inherit it."""
        wanted = {**optional, **prerequisites, **required}
        declared = self.config.station.features
        answer = await sut.call("GetConfiguration", {"key": list(wanted)})
        known = {item["key"]: item for item in answer.get("configurationKey") or []}
        holding: dict[str, str] = {}
        changed: list[tuple[str, str]] = []

        def skip(key: str, why: str) -> None:
            self.trace.event("note", f"(if implemented) {key}: {why}; skipped")

        async def restore() -> None:
            for key, value in reversed(changed):
                station = await self.station()
                await station.call("ChangeConfiguration", {"key": key, "value": value})

        try:
            for key, value in wanted.items():
                item = known.get(key)
                if item is None:
                    if key in optional and not is_required(key, declared):
                        skip(key, "not implemented")
                        continue
                    raise missing_key(key, declared, f" = {value}")
                if str(item.get("value")).lower() == value.lower():
                    holding[key] = value
                    continue
                if item.get("readonly"):
                    if key in optional:
                        skip(key, f"read-only with value {item.get('value')!r}")
                        continue
                    raise NotApplicable(
                        f"{key} is read-only with value {item.get('value')!r}; the scenario "
                        f"needs {key} = {value}"
                    )
                step(f"(configuration state) ChangeConfiguration.req {key} = {value}")
                reply = await sut.call("ChangeConfiguration", {"key": key, "value": value})
                status = reply.get("status")
                if status == "Accepted":
                    holding[key] = value
                    if item.get("value") is not None:
                        changed.append((key, str(item["value"])))
                elif key in required:
                    self.check_change_accepted(key, value, reply)
                elif key in prerequisites:
                    raise NotApplicable(
                        f"prerequisite: {key} = {value}; the station answered {status} "
                        f"(it holds {item.get('value')!r})"
                    )
                else:
                    skip(key, f"ChangeConfiguration answered {status}")
            yield holding
        except BaseException:
            # A failure (or "not applicable") is the verdict: the restore must not hide it.
            with contextlib.suppress(Exception):
                await restore()
            raise
        await restore()

    # -- being offline (OCTT "[Remove connectivity ...]") -----------------------------------
    async def go_offline(self) -> OfflineWindow:
        """[Remove the connectivity between the Charge Point and the Central System]: close
        the websocket and refuse reconnections. Returns the window, open until
        :meth:`come_online`."""
        window = OfflineWindow(generation=self.generation, start=datetime.now(timezone.utc))
        self.behaviour.refuse_connections = True
        await self.drop_connection()
        return window

    async def come_online(self, window: OfflineWindow, *, hold: float = 0.0) -> StationConnection:
        """[Restore the connectivity]: after ``hold`` more seconds offline (so what the driver
        did and the reconnection are seconds apart, and the frames can tell them apart), accept
        connections again and wait for the station's. Closes ``window``."""
        if hold:
            await asyncio.sleep(hold)
        self.behaviour.refuse_connections = False
        sut = await self.next_connection(after=window.generation)
        window.end = datetime.now(timezone.utc)
        window.hold = hold
        return sut

    def clock_offset(self, sut: StationConnection, *, exclude: IncomingCall) -> float:
        """How far the station's clock is ahead of ours, in seconds: the median of
        (its timestamp - our receive time) over the StatusNotification.req it sent while
        connected (sent at once, so the difference is its clock offset plus a few ms)."""
        samples = sorted(
            (stamp - datetime.fromtimestamp(call.received_at, timezone.utc)).total_seconds()
            for call in sut.link.inbox
            if call is not exclude
            and call.action == "StatusNotification"
            and (stamp := parse_timestamp(str(call.payload.get("timestamp", "")))) is not None
        )
        return samples[len(samples) // 2] if samples else 0.0

    def check_done_offline(
        self,
        sut: StationConnection,
        message: IncomingCall,
        window: OfflineWindow,
        *,
        id_tag: str | None = None,
    ) -> None:
        """Evidence that what ``message`` reports (a StartTransaction.req or StopTransaction.req
        queued while offline) happened offline, as the scenario says the driver acted then:

        - its ``timestamp`` lies inside the offline window: a transaction-related message is
          queued while offline and delivered later with the time it happened (OCPP 1.6 §3.7;
          StartTransaction/StopTransaction timestamp: when the transaction started/stopped,
          §6.46/§6.50). The window's end is held ``window.hold`` s after the driver's action,
          and half of that is allowed for clock offset and the station's reaction time;
        - with ``id_tag``, no Authorize.req for it preceded the message on the restored
          connection: the station authorized the driver offline (OCPP 1.6 §3.5), it did not
          wait for the Central System."""
        assert window.end is not None, "come_online() closes the window"
        what = f"{message.action}.req"
        stamp = parse_timestamp(str(message.payload.get("timestamp", "")))
        # Judge the station's timestamp on the station's own clock: a real charger's clock
        # may be seconds off ours, which must not turn an offline start into a failure.
        offset = timedelta(seconds=self.clock_offset(sut, exclude=message))
        slack = timedelta(seconds=max(window.hold / 2, 0.5))
        earliest = window.start + offset - timedelta(seconds=1)
        latest = window.end + offset - slack
        check(
            stamp is not None and earliest <= stamp <= latest,
            f"{what} timestamp inside the offline window {_clock(window.start)} to "
            f"{_clock(window.end)} (the driver acted offline; a queued transaction-related "
            "message keeps the time it happened, OCPP 1.6 §3.7)",
            f"timestamp {message.payload.get('timestamp')!r}",
        )
        if id_tag is not None:
            position = sut.link.inbox.index(message)
            online = [
                c
                for c in sut.link.inbox[:position]
                if c.action == "Authorize" and c.payload.get("idTag") == id_tag
            ]
            check(
                not online,
                f"no Authorize.req for {id_tag} before {what} once the connection was restored "
                "(the transaction was started offline, authorized locally: OCPP 1.6 §3.5)",
                f"Authorize.req {online[0].payload} sent online before {what}" if online else None,
            )

    async def _status(
        self, sut: StationConnection, connector_id: int, status: str, since: int
    ) -> IncomingCall:
        """The next StatusNotification of ``connector_id`` from ``since`` on, which must say
        ``status`` (a different status there fails with what the station said instead)."""
        return await sut.next_status(connector_id, status, since=since)

    def require_profile(self, profile: str) -> None:
        """Not applicable unless the station declares the ``profile`` feature profile
        ([station] features): the optional-profile cases share this prerequisite."""
        if profile not in self.config.station.features:
            raise NotApplicable(f"the station does not declare the {profile} feature profile")

    async def stop_transactions(self, sut: StationConnection, since: int, why: str) -> None:
        """Clean-up shared by the cases that leave the station idle (OCTT 1.6 §1.3): stop every
        transaction still running with RemoteStopTransaction, then wait (from inbox position
        ``since``) for each StopTransaction.req; ``why`` ends the expectation's wording."""
        running = list(self.transactions)
        for transaction_id in running:
            await sut.call(
                "RemoteStopTransaction", {"transactionId": transaction_id}, allow_error=True
            )
        for transaction_id in running:
            if transaction_id in self.transactions:
                await sut.wait_for(
                    "StopTransaction",
                    lambda p, t=transaction_id: p["transactionId"] == t,
                    since=since,
                    describe=f"StopTransaction.req for transaction {transaction_id} ({why})",
                )

    @contextlib.asynccontextmanager
    async def undoing(self, undo: Callable[[], Awaitable[None]]) -> AsyncIterator[None]:
        """Run a case's clean-up ``undo`` when the block ends. After a failure it is best
        effort (the failure is the verdict, a broken clean-up must not hide it); after a pass a
        broken clean-up fails the case, since the next case would inherit the mess."""
        try:
            yield
        except Exception:
            with contextlib.suppress(Exception):
                await undo()
            raise
        await undo()

    # -- default answers -------------------------------------------------------------------
    def id_tag_info(self, id_tag: str) -> dict[str, Any]:
        tags = self.config.tags
        known = {
            tags.valid: "Accepted",
            tags.valid_2: "Accepted",
            tags.parent: "Accepted",
            tags.valid_with_parent: "Accepted",
            tags.blocked: "Blocked",
            tags.expired: "Expired",
        }
        status = self.behaviour.id_tag_status.get(id_tag) or known.get(id_tag, "Invalid")
        info: dict[str, Any] = {"status": status}
        parent = self.behaviour.parent_id_tag.get(id_tag) or (
            tags.parent if id_tag == tags.valid_with_parent else None
        )
        if parent:
            info["parentIdTag"] = parent
        return info

    def default_handlers(self) -> dict[str, Handler]:
        """A conformant CSMS's answers to everything a 1.6 charge point may send."""
        b = lambda: self.behaviour  # noqa: E731 - read at call time, behaviour is replaced per case

        def boot(call: IncomingCall) -> dict[str, Any]:
            return {
                "status": b().boot_status,
                "currentTime": now(self.version),
                "interval": b().heartbeat_interval,
            }

        def start(call: IncomingCall) -> dict[str, Any]:
            transaction_id = next(self._tx_ids)
            self.transactions[transaction_id] = call.payload["connectorId"]
            self.reservations.pop(call.payload.get("reservationId"), None)  # §5.13: used up
            return {
                "transactionId": transaction_id,
                "idTagInfo": self.id_tag_info(call.payload["idTag"]),
            }

        def stop(call: IncomingCall) -> dict[str, Any]:
            self.transactions.pop(call.payload["transactionId"], None)
            tag = call.payload.get("idTag")
            return {"idTagInfo": self.id_tag_info(tag)} if tag else {}

        def status(call: IncomingCall) -> dict[str, Any]:
            self.statuses[call.payload["connectorId"]] = call.payload["status"]
            self.reported[f"StatusNotification/{call.payload['connectorId']}"] = call.payload[
                "status"
            ]
            return {}

        def firmware(call: IncomingCall) -> dict[str, Any]:
            self.reported["FirmwareStatusNotification"] = call.payload["status"]
            if call.payload["status"] in ("Installed", "DownloadFailed", "InstallationFailed"):
                self.firmware_running = False
            self._transfer_changed.set()
            return {}

        def diagnostics(call: IncomingCall) -> dict[str, Any]:
            self.reported["DiagnosticsStatusNotification"] = call.payload["status"]
            if call.payload["status"] in ("Uploaded", "UploadFailed"):
                self.diagnostics_running = False
            self._transfer_changed.set()
            return {}

        empty: Callable[[IncomingCall], dict[str, Any]] = lambda call: {}  # noqa: E731
        return {
            "BootNotification": boot,
            "Heartbeat": lambda call: {"currentTime": now(self.version)},
            "StatusNotification": status,
            "Authorize": lambda call: {"idTagInfo": self.id_tag_info(call.payload["idTag"])},
            "StartTransaction": start,
            "StopTransaction": stop,
            "MeterValues": empty,
            "DataTransfer": lambda call: {"status": b().data_transfer_status},
            "FirmwareStatusNotification": firmware,
            "DiagnosticsStatusNotification": diagnostics,
            **self.security_handlers(),
        }

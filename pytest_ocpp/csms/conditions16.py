"""The OCTT 1.6 general conditions (§1.3) of the fake 1.6 CSMS, as pre- and post-conditions.

Every station-side case starts with :meth:`GeneralConditions16.ready`: whatever the previous
case left (a transaction, a reservation, an Inoperative connector, a changed key, a transfer
under way) is undone the way a tester would, so one failure never turns the next cases red.
Kept apart from the reusable states in :mod:`pytest_ocpp.csms.v16`, which drive a station into
a scenario's state; this module only brings it back.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from pytest_ocpp.case import current, starting_state, warn
from pytest_ocpp.csms.base import FakeCsms, StationConnection
from pytest_ocpp.link import ANY_ACTION, IncomingCall
from pytest_ocpp.verdicts import ConnectFailed, TargetFailure, TargetTimeout

FIRST_MESSAGE_GRACE = 3.0
"""Seconds a freshly connected station gets to start booting before the fake CSMS treats it
as registered and merely reconnected."""

GENERAL_CONFIGURATION: dict[str, str] = {"MinimumStatusDuration": "0"}
"""OCTT 1.6 §1.3 general conditions that are configuration keys (optional ones: applied only
where the station has the key)."""


def _same_value(current: str | None, before: str) -> bool:
    """Configuration values compare as text; booleans case-insensitively (OCPP 1.6 §9)."""
    return current is not None and (current == before or current.lower() == before.lower())


def _accepted(call: IncomingCall) -> bool:
    return bool(call.reply_payload and call.reply_payload.get("status") == "Accepted")


class GeneralConditions16(FakeCsms):
    """The general pre- and post-conditions; mixed into :class:`~pytest_ocpp.csms.v16.FakeCsms16`."""

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
            if status == "Available":
                continue
            for last_try in (False, True):
                try:
                    await sut.next_status(
                        connector,
                        "Available",
                        since=self._since_status(sut, connector, mark),
                        warn=False,
                        why=f"(precondition: every connector Available; it is {status})",
                    )
                    break
                except TargetFailure:
                    if last_try or not self.transactions:
                        raise
                    # A StartTransaction.req the previous case no longer waited for came in
                    # during this restore: stop that transaction too, then wait again.
                    await self._stop_transactions(sut, mark)
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

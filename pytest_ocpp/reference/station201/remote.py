"""Remote control and availability of the reference 2.0.1 station (Part 2 B11-B12, F01-F06,
G03-G04).

Each ``@on`` handler answers from the station's state and hands the work that must follow the
answer to ``defer``: the station's ChargePoint runs it once the CallResult is on the wire, so
a triggered message never overtakes the TriggerMessageResponse (F06.FR.04) and a transaction
never starts before the RequestStartTransactionResponse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ocpp.routing import on
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from pytest_ocpp.reference.station201.model import Evse, Session

if TYPE_CHECKING:
    from pytest_ocpp.reference.station201.station import ReferenceStation201

__all__ = ["RemoteHandlers", "RemoteMixin"]


class RemoteMixin:
    """Resets, availability and remote starts as station behaviour; mixed into the station."""

    cs_inoperative: bool
    reset_scheduled: bool

    def sessions(self: ReferenceStation201) -> list[tuple[Evse | None, Session]]:
        """Every session, the EVSE-less one last."""
        found: list[tuple[Evse | None, Session]] = [
            (e, e.session) for e in self.evses.values() if e.session is not None
        ]
        if self.floating is not None:
            found.append((None, self.floating))
        return found

    def busy(self: ReferenceStation201, evses: list[Evse] | None = None) -> bool:
        """Is a transaction running (on these EVSEs)?"""
        scope = [(e, s) for e, s in self.sessions() if evses is None or e in evses]
        return any(s.tx is not None for _, s in scope)

    async def remote_start_flow(
        self: ReferenceStation201,
        evse: Evse,
        session: Session,
        token: dict[str, Any],
        remote_start_id: int,
        group: dict[str, Any] | None,
    ) -> None:
        """Authorize the remote idToken when AuthorizeRemoteStart (F01.FR.01, F02.FR.09),
        else take it as it is (F01.FR.02, F02.FR.10); then as a local start."""
        if self.model.get_bool("AuthCtrlr.AuthorizeRemoteStart"):
            info, offline_unknown = await self.decide(token, remote=True)
            if evse.session is not session or not session.remote_claim:
                return
            if info is None or info.get("status") != "Accepted":
                session.remote_claim = False
                self._drop_if_idle(evse, session)
                return
        else:
            info, offline_unknown = {"status": "Accepted"}, False
            if group:
                info["group_id_token"] = group
        self.authorize_session(
            evse, token, info, offline_unknown=offline_unknown, remote_start_id=remote_start_id
        )
        if self.has("f_no_ev_connection_timeout") and session.timer is not None:
            session.timer.cancel()
            session.timer = None

    def transaction_finished(self: ReferenceStation201, evse: Evse | None) -> None:
        """A transaction ended: a scheduled EVSE reset (B12.FR.07) or station reset
        (B12.FR.01/03: reboot once all have ended) happens now; statuses follow (G01.FR.05)."""
        if evse is not None and evse.reset_scheduled:
            evse.reset_scheduled = False
        if self.reset_scheduled and not self.busy():
            self.spawn(self._scheduled_reboot())
        self.refresh()

    async def _scheduled_reboot(self: ReferenceStation201) -> None:
        await self.drain(5.0)
        if self.reset_scheduled and not self.busy():
            self.request_reboot("ScheduledReset")

    def immediate_reset_reasons(self: ReferenceStation201) -> tuple[str, str]:
        """triggerReason and stoppedReason of a transaction a Reset Immediate ends
        (B12.FR.04/08, E07.FR.03)."""
        if self.has("b_immediate_reset_power_loss"):
            return "AbnormalCondition", "PowerLoss"
        return "ResetCommand", "ImmediateReset"

    async def immediate_reset(self: ReferenceStation201) -> None:
        """Reset Immediate: end every transaction (ResetCommand, ImmediateReset, B12.FR.04),
        try to deliver the Ended events, reboot; undelivered ones wait (B12.FR.05)."""
        trigger, reason = self.immediate_reset_reasons()
        for evse, session in self.sessions():
            self.abort(evse, session, trigger, reason)
        self.refresh()
        await self.drain(5.0)
        self.request_reboot("RemoteReset")

    def set_availability(
        self: ReferenceStation201, evse: Evse | None, connector_id: int | None, inoperative: bool
    ) -> None:
        """Apply ChangeAvailability flags now; a running transaction keeps its connector
        Occupied until it ends (G03.FR.05), then the connector becomes Unavailable."""
        if evse is None:
            self.cs_inoperative = inoperative
            targets = list(self.evses.values())
        elif connector_id is None:
            evse.inoperative = inoperative
            targets = [evse]
        else:
            evse.connectors[connector_id].inoperative = inoperative
            targets = [evse]
        if not inoperative:
            return
        for e in targets:  # G03.FR.06: no new sessions; cancel authorizations without a transaction
            session = e.session
            if session is not None and session.tx is None and not self.evse_usable(e):
                session.auth = None
                session.remote_claim = False
                if session.timer is not None:
                    session.timer.cancel()
                    session.timer = None
                self._drop_if_idle(e, session)

    def availability_changed(
        self: ReferenceStation201, evse: Evse | None, connector_id: int | None
    ) -> None:
        """After a ChangeAvailabilityResponse: the AvailabilityState of the station or EVSE in
        a NotifyEvent, then a StatusNotification and NotifyEvent per connector (G03.FR.04,
        G04.FR.05; re-sent even if unchanged, Part 6 TC_G_12/13)."""
        if evse is None:
            self.notify_availability("ChargingStation", None, None, self.station_availability())
            for e in self.evses.values():
                self.notify_availability("EVSE", e.id, None, self.evse_availability(e.id))
            targets = [(e, c) for e in self.evses.values() for c in e.connectors.values()]
        elif connector_id is None:
            self.notify_availability("EVSE", evse.id, None, self.evse_availability(evse.id))
            targets = [(evse, c) for c in evse.connectors.values()]
        else:
            targets = [(evse, evse.connectors[connector_id])]
        for e, connector in targets:
            connector.reported = None
            if self.has("g_availability_change_unreported"):
                connector.reported = self.connector_status(e.id, connector.id)
        self.refresh()


class RemoteHandlers:
    """RequestStart/StopTransaction, UnlockConnector, TriggerMessage, Reset,
    ChangeAvailability; mixed into the station's ChargePoint."""

    station: ReferenceStation201
    defer: Callable[[Callable[[], None]], None]

    @on(Action.request_start_transaction)
    def on_request_start_transaction(
        self,
        id_token: dict[str, Any],
        remote_start_id: int,
        evse_id: int | None = None,
        group_id_token: dict[str, Any] | None = None,
        charging_profile: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        """Rejected while not Accepted (B02.FR.05), on an unknown, unusable or authorized EVSE
        (F01.FR.23/24), or with an invalid chargingProfile (K05.FR.05); otherwise Accepted with
        the transactionId of a transaction already running unauthorized there (F01.FR.13). The
        chargingProfile is kept for the transaction (K05.FR.03, :mod:`.smart_charging`)."""
        st = self.station
        rejected = call_result.RequestStartTransaction(status="Rejected")
        if st.boot_status != "Accepted" or st.has("remote_start_rejected"):
            return rejected
        if evse_id is not None and evse_id not in st.evses:
            return rejected
        target = st.start_target(evse_id)
        if target is False:
            return rejected
        if target is None or target is True:  # F01.FR.20: the station picks an EVSE
            free = [
                e
                for e in st.evses.values()
                if st.evse_usable(e) and (e.session is None or e.session.auth is None)
            ]
            if not free:
                return rejected
            target = free[0]
        assert isinstance(target, Evse)
        if st.reservation_refuses(target, id_token, group_id_token):
            return rejected  # H03.FR.01-06: the EVSE is reserved for another idToken
        if not st.remote_start_profile(target, charging_profile):
            return rejected  # K05.FR.05
        session = st.session_of(target)
        session.remote_claim = True
        transaction_id = session.tx.id if session.tx is not None else None
        evse = target
        self.defer(
            lambda: st.spawn(
                st.remote_start_flow(evse, session, id_token, remote_start_id, group_id_token)
            )
        )
        return call_result.RequestStartTransaction(status="Accepted", transaction_id=transaction_id)

    @on(Action.request_stop_transaction)
    def on_request_stop_transaction(self, transaction_id: str, **_: Any) -> Any:
        """Accepted for a running transaction (F03.FR.07), else Rejected (F03.FR.08, B02.FR.05);
        then RemoteStop, stoppedReason Remote (F03.FR.02/03)."""
        st = self.station
        if st.boot_status == "Accepted":
            for evse, session in st.sessions():
                if session.tx is not None and session.tx.id == transaction_id:
                    if not st.has("f_remote_stop_ignored"):
                        self.defer(
                            lambda e=evse, s=session: st.end_authorization(
                                e, s, "RemoteStop", "Remote"
                            )
                        )
                    return call_result.RequestStopTransaction(status="Accepted")
            if st.has("f_remote_stop_unknown_accepted"):
                return call_result.RequestStopTransaction(status="Accepted")
        return call_result.RequestStopTransaction(status="Rejected")

    @on(Action.unlock_connector)
    def on_unlock_connector(self, evse_id: int, connector_id: int, **_: Any) -> Any:
        """F05.FR.02-06."""
        st = self.station
        evse = st.evses.get(evse_id)
        if evse is None or connector_id not in evse.connectors:
            failed = st.has("f_unlock_unknown_connector")
            return call_result.UnlockConnector(
                status="UnlockFailed" if failed else "UnknownConnector"
            )
        session = evse.session
        if session is not None and session.tx is not None and session.auth is not None:
            if not st.has("f_unlock_during_transaction"):
                return call_result.UnlockConnector(status="OngoingAuthorizedTransaction")
        if evse.connectors[connector_id].unlock_failing or st.has("f_unlock_fails"):
            return call_result.UnlockConnector(status="UnlockFailed")
        evse.locked_for = None
        return call_result.UnlockConnector(status="Unlocked")

    @on(Action.trigger_message)
    def on_trigger_message(
        self, requested_message: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> Any:
        """F06: Accepted messages are sent after the answer (F06.FR.04/10), also while the
        boot is Pending (B02.FR.02); BootNotification once Accepted is Rejected (F06.FR.17)."""
        st = self.station
        pre = st.boot_status != "Accepted"
        evse_id = evse.get("id") if evse else None
        connector_id = evse.get("connector_id") if evse else None
        accepted = call_result.TriggerMessage(status="Accepted")
        rejected = call_result.TriggerMessage(status="Rejected")
        scoped = requested_message in ("StatusNotification", "MeterValues", "TransactionEvent")
        if scoped and evse_id is not None and evse_id not in st.evses:
            return rejected
        targets = [st.evses[evse_id]] if evse_id is not None else list(st.evses.values())
        silent = st.has("f_trigger_not_sent")  # defect: Accepted, never sent
        if requested_message == "BootNotification":
            if st.boot_status == "Accepted":
                return accepted if st.has("f_trigger_boot_accepted") else rejected
            self.defer(st.trigger_boot)
            return accepted
        if requested_message == "Heartbeat":
            if not silent:
                self.defer(lambda: st.enqueue(lambda _i: call.Heartbeat(), pre_boot=True))
            return accepted
        if requested_message == "StatusNotification":
            if evse_id is None or connector_id is None:
                return rejected  # F06.FR.12
            if connector_id not in st.evses[evse_id].connectors:
                return rejected
            if st.has("f_trigger_status_rejected"):
                return rejected
            if st.has("f_trigger_status_stale"):
                stale = call.StatusNotification(
                    timestamp=st.ts(),
                    connector_status="Available",
                    evse_id=evse_id,
                    connector_id=connector_id,
                )
                self.defer(lambda: st.enqueue(lambda _i: stale, pre_boot=pre))
                return accepted
            self.defer(lambda: st.report_connector(evse_id, connector_id, pre_boot=pre))
            return accepted
        if requested_message == "MeterValues":
            context = "Sample.Periodic" if st.has("f_trigger_meter_values_context") else "Trigger"
            for target in targets:
                self.defer(lambda t=target: st.send_meter_values(t, context, pre_boot=pre))
            return accepted
        if requested_message == "TransactionEvent":
            running = [t for t in targets if t.session is not None and t.session.tx is not None]
            if not running or st.has("f_trigger_transaction_event_rejected"):
                return rejected  # nothing to report: an Accepted message must be sent (F06.FR.10)
            for target in running:
                self.defer(lambda t=target: st.trigger_transaction_event(t))
            return accepted
        if requested_message == "LogStatusNotification":
            if not silent:
                self.defer(lambda: st.enqueue(lambda _i: st.log_notification(), pre_boot=True))
            return accepted  # F06.FR.15: Idle unless an upload is in progress
        if requested_message == "FirmwareStatusNotification":
            if not silent:
                self.defer(lambda: st.enqueue(lambda _i: st.firmware_notification(), pre_boot=True))
            return accepted  # F06.FR.16, L01.FR.25/26: the last status sent, else Idle
        if requested_message in ("SignChargingStationCertificate", "SignV2GCertificate"):
            status = st.trigger_sign_certificate(requested_message, evse_id, self.defer)  # A02, M
            return call_result.TriggerMessage(status=status)
        if st.has("f_trigger_unknown_rejected"):
            return rejected
        return call_result.TriggerMessage(status="NotImplemented")  # F06.FR.08

    @on(Action.reset)
    def on_reset(self, type: str, evse_id: int | None = None, **_: Any) -> Any:
        """B11/B12: Accepted and reboot (RemoteReset); OnIdle during a transaction Scheduled,
        rebooting once all ended (ScheduledReset); Immediate ends transactions first; an EVSE
        reset is Rejected when not supported (B11.FR.09, B12.FR.09)."""
        st = self.station
        accepted = call_result.Reset(status="Accepted")
        if st.has("reset_without_reboot"):
            return accepted
        if evse_id is not None:
            if st.has("no_evse_reset") or evse_id not in st.evses:
                return call_result.Reset(status="Rejected")
            evse = st.evses[evse_id]
            session = evse.session
            if session is not None and session.tx is not None:
                if type == "OnIdle":
                    evse.reset_scheduled = True
                    self.defer(st.refresh)
                    if st.has("b_reset_on_idle_not_scheduled"):
                        return accepted
                    return call_result.Reset(status="Scheduled")  # B12.FR.07
                trigger, reason = st.immediate_reset_reasons()
                self.defer(lambda: st.abort(evse, session, trigger, reason))
            return accepted  # B11.FR.08: the EVSE restarts, keeping its availability
        if type == "OnIdle" and st.busy():
            st.reset_scheduled = True
            self.defer(st.refresh)  # B12 3a: idle EVSEs become Unavailable meanwhile
            if st.has("b_reset_on_idle_not_scheduled"):
                return accepted
            return call_result.Reset(status="Scheduled")  # B12.FR.01
        if type == "OnIdle":
            self.defer(lambda: st.request_reboot("RemoteReset"))
        else:
            self.defer(lambda: st.spawn(st.immediate_reset()))
        return accepted

    @on(Action.change_availability)
    def on_change_availability(
        self, operational_status: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> Any:
        """G03/G04: Rejected for an unknown EVSE/connector; Scheduled when going Inoperative
        while a transaction runs there (G03.FR.05, G04.FR.06); Accepted otherwise, also for
        the state it is already in (G03.FR.03, G04.FR.04). Persisted (G03.FR.08)."""
        st = self.station
        inoperative = operational_status == "Inoperative"
        target: Evse | None = None
        connector_id = None
        if evse is not None:
            target = st.evses.get(evse.get("id", -1))
            connector_id = evse.get("connector_id")
            if target is None or (
                connector_id is not None and connector_id not in target.connectors
            ):
                return call_result.ChangeAvailability(status="Rejected")
        if target is None:
            current, scope = st.cs_inoperative, None
        elif connector_id is None:
            current, scope = target.inoperative, [target]
        else:
            current, scope = target.connectors[connector_id].inoperative, [target]
        if current == inoperative and st.has("g_same_state_rejected"):
            return call_result.ChangeAvailability(status="Rejected")
        status = "Accepted"
        if (
            inoperative
            and current != inoperative
            and st.busy(scope)
            and not st.has("change_availability_ignores_transaction")
        ):
            status = "Scheduled"
        if status == "Scheduled" and st.has("g_scheduled_change_dropped"):
            return call_result.ChangeAvailability(status=status)
        st.set_availability(target, connector_id, inoperative)
        self.defer(lambda: st.availability_changed(target, connector_id))
        return call_result.ChangeAvailability(status=status)

"""Transactions of the reference 2.0.1 station (Part 2 E01-E15, J02).

Every physical or authorization event (cable, parking bay, idToken, remote start/stop, EV
suspending) goes through :meth:`TransactionsMixin.advance`, which sends at most one
TransactionEventRequest for it:

* Started when a condition of TxStartPoint *becomes* true (E01.FR.01-06), Ended when one of
  TxStopPoint stops being true (E06.FR.01-07), Updated otherwise, with the triggerReason of
  the event (E01.FR.15, E02.FR.17);
* the fields owed once are sent once: evse after the EV connected (E01.FR.16), idToken after
  authorization (E03.FR.01, E07.FR.02), remoteStartId with triggerReason RemoteStart after a
  RequestStartTransaction (F01.FR.19/25, F02.FR.01/21), chargingState whenever it changed
  (E01.FR.18), TxStartedMeasurands with context Transaction.Begin (E01.FR.09/17);
* the relay follows afterwards as its own step: energy offered or withdrawn is a separate
  ChargingStateChanged event (E07 alternative flow, Part 6 EnergyTransferStarted,
  EVConnectedPostSession), which itself may start (EnergyTransfer) or end a transaction.

Events are queued in order with seqNo from 0 (E01.FR.07), flagged offline when created while
offline (E04.FR.03), and a non-Accepted idTokenInfo in a response deauthorizes once the queue
has been emptied (E05.FR.09, C15.FR.03/04, TC_E_16).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Collection
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ocpp.routing import on
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from pytest_ocpp.reference.station201.model import (
    Authorization,
    Evse,
    Outgoing,
    Session,
    Transaction,
    same_token,
)

if TYPE_CHECKING:
    from pytest_ocpp.reference.station201.station import ReferenceStation201

__all__ = ["TransactionHandlers", "TransactionsMixin"]

_AUTH_GONE = frozenset({"Authorized", "PowerPathClosed", "EnergyTransfer"})
_EV_GONE = frozenset({"EVConnected", "PowerPathClosed", "EnergyTransfer"})


class TransactionsMixin:
    """Sessions, transactions and meter values; mixed into the station."""

    evses: dict[int, Evse]
    floating: Session | None
    """A session authorized before any EVSE is known (E01.FR.17: no cable anywhere yet)."""
    transactions: dict[str, Transaction]

    # ------------------------------------------------------------------ state

    @property
    def transaction_ids(self) -> dict[int, str]:
        """evseId → transactionId of the transaction running there."""
        return {
            evse.id: evse.session.tx.id
            for evse in self.evses.values()
            if evse.session is not None and evse.session.tx is not None
        }

    def points(self: ReferenceStation201, which: str) -> set[str]:
        return set(self.model.members(f"TxCtrlr.{which}"))

    def charging_state(
        self: ReferenceStation201, evse: Evse | None, session: Session | None
    ) -> str:
        """ChargingStateEnumType of an EVSE (E01.FR.18-20)."""
        if evse is None or evse.ev_connector is None:
            if evse is not None and self.has("e3_ev_side_charging_state"):
                if any(c.plugged for c in evse.connectors.values()):
                    return "SuspendedEV"
            return "Idle"
        if not evse.relay_closed:
            return "EVConnected"
        if session is not None and session.suspended_invalid:
            return "SuspendedEVSE"
        suspended = evse.ev_suspended and not self.has("e_ev_suspend_ignored")
        return "SuspendedEV" if suspended else "Charging"

    def evse_usable(self: ReferenceStation201, evse: Evse) -> bool:
        """May a new session start here (F01.FR.23, G03.FR.06, B12 scheduled reset)?"""
        return (
            not self.cs_inoperative
            and not evse.inoperative
            and not evse.reset_scheduled
            and not self.reset_scheduled
            and not any(c.fault or c.inoperative for c in evse.connectors.values())
            and not self.firmware_blocks(evse)  # L01.FR.07
        )

    def session_of(self, evse: Evse) -> Session:
        if evse.session is None:
            evse.session = Session(evse.id)
        return evse.session

    def evse_of(self, session: Session) -> Evse | None:
        return self.evses.get(session.evse_id) if session.evse_id is not None else None

    def _drop_if_idle(self, evse: Evse | None, session: Session) -> None:
        if session.tx is not None or session.auth is not None or session.remote_claim:
            return
        if evse is None:
            if self.floating is session:
                self.floating = None
        elif evse.session is session and evse.ev_connector is None and not evse.parked:
            evse.session = None

    def _may_deliver(self, evse: Evse | None, session: Session) -> bool:
        return (
            evse is not None
            and evse.ev_connector is not None
            and session.auth is not None
            and not any(c.fault for c in evse.connectors.values())
            and not self.lock_failed(evse)  # G05.FR.01
            and not (
                self.has("e3_reconnect_not_resumed")
                and session.tx is not None
                and session.tx.id in self.__dict__.get("_ev_left", ())
            )
        )

    def _orphaned(self, evse: Evse | None, session: Session) -> bool:
        """Nothing holds the transaction any more (no EV, no parked car, no authorization):
        end it whatever TxStopPoint says, so it cannot stay open forever (E §1.1 WARNING)."""
        if session.auth is not None:
            return False
        return evse is None or (evse.ev_connector is None and not evse.parked)

    # ------------------------------------------------------------------ the event engine

    def advance(
        self: ReferenceStation201,
        evse: Evse | None,
        session: Session,
        trigger: str,
        *,
        rising: Collection[str] = (),
        falling: Collection[str] = (),
        reason: str | None = None,
        id_token: dict[str, Any] | None = None,
        force_end: bool = False,
    ) -> None:
        """One event: maybe start, then report (Updated/Ended), then the relay step."""
        tx = session.tx
        if tx is None:
            usable = evse is None or self.evse_usable(evse)
            if not (set(rising) & self.points("TxStartPoint")) or not usable or not self.powered:
                self._relay_step(evse, session)
                self._drop_if_idle(evse, session)
                return
            tx = self._begin(evse, session)
            event_type = "Started"
        else:
            event_type = "Updated"
        ending = event_type == "Updated" and (
            force_end
            or bool(set(falling) & self.points("TxStopPoint"))
            or self._orphaned(evse, session)
        )
        if ending:
            event_type = "Ended"
            if evse is not None:
                evse.relay_closed = False  # energy stops with the transaction
        state = self.charging_state(evse, session)
        if trigger == "ChargingStateChanged" and event_type == "Updated":
            if state == tx.charging_state:
                self._relay_step(evse, session)
                return
        self.emit(evse, session, tx, event_type, trigger, reason=reason, id_token=id_token)
        if ending:
            self._finish(evse, session)
            return
        self._relay_step(evse, session)

    def _relay_step(self: ReferenceStation201, evse: Evse | None, session: Session) -> None:
        if evse is None:
            return
        want = self._may_deliver(evse, session)
        if want == evse.relay_closed:
            return
        evse.relay_closed = want
        self.energy_changed(evse, session)

    def energy_changed(self: ReferenceStation201, evse: Evse, session: Session) -> None:
        """The charging state moved on its own (relay, EV suspending): ChargingStateChanged
        (E02.FR.13), starting at EnergyTransfer (E01.FR.06) or ending there (E06.FR.07)."""
        state = self.charging_state(evse, session)
        was_charging = session.tx is not None and session.tx.charging_state == "Charging"
        self.advance(
            evse,
            session,
            "ChargingStateChanged",
            rising={"EnergyTransfer"} if state == "Charging" else (),
            falling={"EnergyTransfer"} if was_charging and state != "Charging" else (),
            reason=session.auth_ended_reason or "StoppedByEV",
        )

    def _begin(self: ReferenceStation201, evse: Evse | None, session: Session) -> Transaction:
        tx = Transaction(
            id=str(uuid.uuid4()),
            started_at=datetime.now(timezone.utc),
            evse_id=evse.id if evse is not None else None,
        )
        session.tx = tx
        self.transactions[tx.id] = tx
        if evse is not None:
            begin = self.sample(evse, "SampledDataCtrlr.TxEndedMeasurands", "Transaction.Begin")
            tx.begin_values = [begin] if begin else []
        tx.tasks.append(self.spawn(self._periodic(session, tx)))
        tx.tasks.append(self.spawn(self._ended_sampler(session, tx)))
        return tx

    def emit(
        self: ReferenceStation201,
        evse: Evse | None,
        session: Session,
        tx: Transaction,
        event_type: str,
        trigger: str,
        *,
        reason: str | None = None,
        id_token: dict[str, Any] | None = None,
        meter: list[dict[str, Any]] | None = None,
        with_state: bool = False,
    ) -> None:
        """Queue one TransactionEventRequest with everything it owes the CSMS; Started and
        Ended always state the chargingState (Part 6 TC_B_22/27 check it at Ended)."""
        state = self.charging_state(evse, session)
        info: dict[str, Any] = {"transaction_id": tx.id}
        if with_state or event_type != "Updated" or state != tx.charging_state:
            info["charging_state"] = state
            tx.charging_state = state
        if session.pending_trigger and not self.has("remote_start_no_remote_start_id"):
            trigger = session.pending_trigger
            info["remote_start_id"] = session.pending_remote_start_id
        session.pending_trigger = None
        session.pending_remote_start_id = None
        if event_type == "Ended":
            wrong = self.has("tx_wrong_stopped_reason")
            info["stopped_reason"] = "Other" if wrong else (reason or "Local")
            if reason == "Remote" and self.has("e_remote_stop_reason_local"):
                info["stopped_reason"] = "Local"
        fields: dict[str, Any] = {
            "event_type": event_type,
            "timestamp": self.ts(),
            "trigger_reason": trigger,
            "seq_no": tx.seq_no,
            "transaction_info": info,
        }
        if not self.has("tx_seq_no_frozen"):
            tx.seq_no += 1
        token = id_token or session.pending_id_token
        authorizing = session.authorizing and session.pending_id_token is not None
        session.pending_id_token = None
        session.authorizing = False
        if token:
            fields["id_token"] = token
        if session.reservation_id is not None:  # H01.FR.15: once, with the authorization
            fields["reservation_id"] = session.reservation_id
            session.reservation_id = None
        if evse is not None and (session.pending_evse or event_type == "Started"):
            if not self.has("tx_no_evse_after_plug_in"):
                where: dict[str, Any] = {"id": evse.id}
                if evse.ev_connector is not None:
                    where["connector_id"] = evse.ev_connector
                fields["evse"] = where
            if evse.ev_connector is not None:
                session.pending_evse = False
        values: list[dict[str, Any]] = []
        if (
            evse is not None
            and not tx.begin_sent
            and (event_type == "Started" or state == "Charging")
        ):
            tx.begin_sent = True
            begin = self.sample(evse, "SampledDataCtrlr.TxStartedMeasurands", "Transaction.Begin")
            values += [begin] if begin and not self.has("j_no_begin_value") else []
        values += meter or []
        if event_type == "Ended" and evse is not None:
            end = self.sample(evse, "SampledDataCtrlr.TxEndedMeasurands", "Transaction.End")
            # clock-aligned TxEnded samples go out even when TxEndedMeasurands is empty (J01.FR.14)
            values += [*tx.begin_values, *tx.ended_samples, *([end] if end else [])]
        if values:
            fields["meter_value"] = values

        def build(item: Outgoing) -> Any:
            offline = item.offline and not self.has("offline_flag_missing")
            if item.offline and self.has("e2_offline_timestamp_at_send"):
                fields["timestamp"] = self.ts()
            return call.TransactionEvent(**fields, offline=True if offline else None)

        def answered(response: Any) -> None:
            self._tx_response(tx, session, token, authorizing, response)

        offline = not self.online.is_set()
        if offline and event_type == "Started" and self.has("e3_offline_started_dropped"):
            return
        self.enqueue(
            build,
            kind="tx",
            transaction_id=tx.id,
            offline=offline,
            on_result=answered,
        )

    def _finish(self: ReferenceStation201, evse: Evse | None, session: Session) -> None:
        tx = session.tx
        if tx is not None:
            tx.ended = True
            for task in tx.tasks:
                if task is not asyncio.current_task():
                    task.cancel()
        session.tx = None
        if session.timer is not None and session.timer is not asyncio.current_task():
            session.timer.cancel()
        session.timer = None
        if evse is None:
            if self.floating is session:
                self.floating = None
        else:
            evse.relay_closed = False
            if evse.session is session:
                evse.session = None
            plugged = any(c.plugged for c in evse.connectors.values())
            if (
                plugged
                and evse.ev_connector is None
                and session.auth_ended_reason == "EVDisconnected"
                and session.auth is None
                and not self.model.get_bool("OCPPCommCtrlr.UnlockOnEVSideDisconnect", True)
                and tx is not None
            ):
                evse.locked_for = self.last_token.get(tx.id)
        self.transaction_finished(evse)

    def _tx_response(
        self: ReferenceStation201,
        tx: Transaction,
        session: Session,
        token: dict[str, Any] | None,
        authorizing: bool,
        response: Any,
    ) -> None:
        """C10.FR.05: cache what the CSMS says; a non-Accepted answer to the event that
        carried the authorizing idToken deauthorizes, after the queue (E05, C15). Cost and
        messages for the driver go to the display (tariff.py, I02/I03/I06)."""
        self.tariff_response(tx, response)
        info = getattr(response, "id_token_info", None)
        if token is None or not isinstance(info, dict):
            return
        if not self.has("c_tx_response_not_cached"):
            self.cache_store(token, info)
        if authorizing and info.get("status") != "Accepted":
            self.enqueue_action(lambda: self._deauthorize(tx, session, token))

    def _deauthorize(
        self: ReferenceStation201, tx: Transaction, session: Session, token: dict[str, Any]
    ) -> None:
        auth = session.auth
        if tx.ended or session.tx is not tx or auth is None or not same_token(auth.id_token, token):
            return
        if self.has("stop_tx_on_invalid_id_ignored"):
            return
        evse = self.evse_of(session)
        if self.model.get_bool("TxCtrlr.StopTxOnInvalidId", True):
            self.end_authorization(evse, session, "Deauthorized", "DeAuthorized")
        else:
            session.suspended_invalid = True  # E05.FR.02: SuspendedEVSE, no deauthorization
            self.advance(evse, session, "ChargingStateChanged")

    # ------------------------------------------------------------------ authorization hooks

    def authorize_session(
        self: ReferenceStation201,
        evse: Evse | None,
        token: dict[str, Any],
        info: dict[str, Any],
        *,
        offline_unknown: bool = False,
        remote_start_id: int | None = None,
        report_token: bool = True,
    ) -> None:
        """The idToken is authorized for this EVSE (or the next one an EV connects to);
        ``report_token`` false only for the defect c_preauthorized_without_id_token."""
        if evse is None:
            session = self.floating or Session(None)
            self.floating = session
        else:
            session = self.session_of(evse)
        session.auth = Authorization(token, info, remote_start_id, offline_unknown)
        session.auth_ended_reason = None
        session.suspended_invalid = False
        session.remote_claim = False
        session.pending_id_token = token if report_token else None
        session.authorizing = True
        if remote_start_id is not None:
            session.pending_trigger = "RemoteStart"
            session.pending_remote_start_id = remote_start_id
        connected = evse is not None and evse.ev_connector is not None
        if not connected:
            self._arm_connection_timeout(session)
        rising = {"Authorized", "PowerPathClosed"} if connected else {"Authorized"}
        if self.has("e_power_path_at_authorization"):
            rising = {"Authorized", "PowerPathClosed"}
        trigger = "CablePluggedIn" if self.has("e_authorized_wrong_trigger") else "Authorized"
        self.advance(evse, session, trigger, rising=rising)
        self.refresh()

    def end_authorization(
        self: ReferenceStation201,
        evse: Evse | None,
        session: Session,
        trigger: str,
        reason: str,
        token: dict[str, Any] | None = None,
    ) -> None:
        """Authorization ends (StopAuthorized, RemoteStop, Deauthorized...): E06.FR.03/04,
        E07.FR.01/02, F03.FR.02/03."""
        if session.auth is not None and session.tx is not None:
            self.last_token[session.tx.id] = session.auth.id_token
        session.auth = None
        session.auth_ended_reason = reason
        if session.timer is not None and session.timer is not asyncio.current_task():
            session.timer.cancel()
        session.timer = None
        self.advance(evse, session, trigger, falling=_AUTH_GONE, reason=reason, id_token=token)
        self._drop_if_idle(evse, session)
        self.refresh()

    def _arm_connection_timeout(self: ReferenceStation201, session: Session) -> None:
        """EVConnectionTimeOut (E03.FR.05/15, F02.FR.07/08)."""
        if session.timer is not None:
            session.timer.cancel()

        async def expire() -> None:
            await asyncio.sleep(max(1, self.model.get_int("TxCtrlr.EVConnectionTimeOut", 60)))
            if self.has("e_connection_timeout_ignored"):
                return
            evse = self.evse_of(session)
            if session.auth is None or (evse is not None and evse.ev_connector is not None):
                return
            session.timer = None
            session.auth = None
            session.auth_ended_reason = "Timeout"
            end = session.tx is not None and "ParkingBayOccupancy" not in self.points("TxStopPoint")
            self.advance(
                evse,
                session,
                "EVConnectTimeout",
                falling=_AUTH_GONE,
                reason="Timeout",
                force_end=end,
            )
            self._drop_if_idle(evse, session)
            self.refresh()

        session.timer = self.spawn(expire())

    def start_target(self: ReferenceStation201, evse_id: int | None) -> Evse | bool | None:
        """Where a new authorization goes: the EVSE named, else one with an EV waiting, else
        none yet (the next EVSE an EV connects to); False when nowhere (F01.FR.23/24)."""
        if not self.can_charge():
            return False

        def free(evse: Evse) -> bool:
            s = evse.session
            return self.evse_usable(evse) and (s is None or (s.auth is None and not s.remote_claim))

        if evse_id is not None:
            return self.evses[evse_id] if free(self.evses[evse_id]) else False
        for evse in self.evses.values():
            if evse.ev_connector is not None and free(evse):
                return evse
        if self.floating is not None and self.floating.auth is not None:
            return False
        return None if any(free(e) for e in self.evses.values()) else False

    # ------------------------------------------------------------------ physical hooks

    def ev_connected(self: ReferenceStation201, evse: Evse, connector_id: int) -> None:
        """Cable in at both ends: Occupied (E02.FR.05), then CablePluggedIn (E02.FR.06)."""
        connector = evse.connectors[connector_id]
        if evse.ev_connector is not None:
            return
        connector.plugged = True
        evse.ev_connector = connector_id
        evse.ev_plugs += 1
        self.refresh()
        if evse.session is None and self.floating is not None and self.evse_usable(evse):
            session = self.floating
            self.floating = None
            session.evse_id = evse.id
            if session.tx is not None:
                session.tx.evse_id = evse.id
            evse.session = session
        session = self.session_of(evse)
        session.pending_evse = True
        if session.timer is not None:
            session.timer.cancel()
            session.timer = None
        rising = {"EVConnected", "PowerPathClosed"} if session.auth else {"EVConnected"}
        self.advance(evse, session, "CablePluggedIn", rising=rising)
        if (
            session.auth is None
            and not self.model.get_bool("AuthCtrlr.Enabled", True)
            and self.evse_usable(evse)
            and self.can_charge()
        ):  # C01.FR.01 reversed: no authorization needed, as with a start button (C02.FR.01)
            no_auth = {"id_token": "", "type": "NoAuthorization"}
            self.authorize_session(evse, no_auth, {"status": "Accepted"})
        self.refresh()

    def ev_disconnected(self: ReferenceStation201, evse: Evse, *, unplug: bool) -> None:
        """The EV goes (EVCommunicationLost, E06.FR.02, E09/E10); ``unplug`` also takes the
        cable out of the socket (Available, G01.FR.04)."""
        connector_id = evse.ev_connector
        if unplug:
            for connector in evse.connectors.values():
                connector.plugged = False
            evse.locked_for = None
        if connector_id is None:
            self.refresh()
            return
        evse.ev_connector = None
        evse.ev_suspended = False
        self.refresh()
        session = evse.session
        if session is None:
            return
        if session.tx is not None and self.has("e3_reconnect_not_resumed"):
            self.__dict__.setdefault("_ev_left", set()).add(session.tx.id)
        falling = set(_EV_GONE)
        reason = session.auth_ended_reason or "EVDisconnected"
        if session.auth is not None and self.model.get_bool("TxCtrlr.StopTxOnEVSideDisconnect"):
            if session.tx is not None:
                self.last_token[session.tx.id] = session.auth.id_token
            session.auth = None  # E09.FR.01: deauthorized
            session.auth_ended_reason = "EVDisconnected"
            falling |= {"Authorized"}
        trigger = "EVCommunicationLost"
        if not unplug and self.has("e_ev_side_disconnect_wrong_trigger"):
            trigger = "EVDeparted"
        self.advance(evse, session, trigger, falling=falling, reason=reason)
        self._drop_if_idle(evse, session)
        self.refresh()

    def set_parked(self: ReferenceStation201, evse: Evse, parked: bool) -> None:
        """ParkingBayOccupancy: EVDetected (E01.FR.01) / EVDeparted (E06.FR.01)."""
        if evse.parked == parked:
            return
        evse.parked = parked
        session = self.session_of(evse) if parked else evse.session
        if session is None:
            return
        if parked:
            trigger = "CablePluggedIn" if self.has("e_parking_wrong_trigger") else "EVDetected"
            self.advance(evse, session, trigger, rising={"ParkingBayOccupancy"})
        else:
            reason = session.auth_ended_reason or "Local"
            trigger = (
                "EVCommunicationLost" if self.has("e3_departure_wrong_trigger") else "EVDeparted"
            )
            self.advance(evse, session, trigger, falling={"ParkingBayOccupancy"}, reason=reason)
            self._drop_if_idle(evse, session)
        self.refresh()

    def set_ev_suspended(self: ReferenceStation201, evse: Evse, suspended: bool) -> None:
        """The EV stops or resumes drawing energy: SuspendedEV / Charging (E01.FR.19)."""
        if evse.ev_suspended == suspended:
            return
        evse.ev_suspended = suspended
        if evse.session is not None and evse.relay_closed:
            self.energy_changed(evse, evse.session)

    def abort(
        self: ReferenceStation201, evse: Evse | None, session: Session, trigger: str, reason: str
    ) -> None:
        """End the transaction now (Reset Immediate: ResetCommand/ImmediateReset, B12.FR.04;
        power loss, faults: AbnormalCondition, E06.FR.16) and drop the session."""
        if session.tx is not None:
            if session.auth is not None:
                self.last_token[session.tx.id] = session.auth.id_token
            session.auth = None
            self.advance(evse, session, trigger, force_end=True, reason=reason)
        session.auth = None
        session.remote_claim = False
        if session.timer is not None and session.timer is not asyncio.current_task():
            session.timer.cancel()
        session.timer = None
        if evse is not None:
            evse.relay_closed = False
            if evse.session is session:
                evse.session = None
        elif self.floating is session:
            self.floating = None

    def trigger_transaction_event(self: ReferenceStation201, evse: Evse) -> bool:
        """TriggerMessage(TransactionEvent): Updated, triggerReason Trigger, chargingState and
        TxUpdatedMeasurands with context Trigger (F06.FR.07)."""
        session = evse.session
        if session is None or session.tx is None:
            return False
        value = self.sample(evse, "SampledDataCtrlr.TxUpdatedMeasurands", "Trigger")
        self.emit(
            evse,
            session,
            session.tx,
            "Updated",
            "Trigger",
            meter=[value] if value else None,
            with_state=True,
        )
        return True

    def transaction_status(
        self: ReferenceStation201, transaction_id: str | None
    ) -> tuple[bool | None, bool]:
        """(ongoingIndicator, messagesInQueue) for GetTransactionStatus (E14.FR.01-08)."""
        queued = any(
            item.kind == "tx" and (transaction_id is None or item.transaction_id == transaction_id)
            for item in self.outbox
        )
        queued = queued and not self.has("e2_status_queue_ignored")
        if transaction_id is None:
            return (False if self.has("e2_status_ongoing_without_id") else None), queued
        tx = self.transactions.get(transaction_id)
        ongoing = (tx is not None and not tx.ended) or self.has("e2_status_ongoing_always")
        ongoing = ongoing or (queued and self.has("e3_status_ongoing_after_offline_end"))
        return ongoing, queued or (ongoing and self.has("e2_status_queue_while_ongoing"))


SETTLE_TURNS = 50
"""Event-loop turns from a CallResult read off the socket to its message leaving the outbox
(queue get, wait_for, the library's call, the writer)."""


class TransactionHandlers:
    """GetTransactionStatus (E14); mixed into the station's ChargePoint."""

    station: ReferenceStation201
    defer: Callable[[Callable[[], None]], None]

    @on(Action.get_transaction_status)
    async def on_get_transaction_status(self, transaction_id: str | None = None, **_: Any) -> Any:
        # The CSMS's answer to our last message may have come just before this request: the
        # library hands it to the outbox writer, which takes the message off the queue a few
        # event-loop turns later. Messages count in the order they came: give it those turns.
        for _ in range(SETTLE_TURNS):
            await asyncio.sleep(0)
        ongoing, queued = self.station.transaction_status(transaction_id)
        return call_result.GetTransactionStatus(messages_in_queue=queued, ongoing_indicator=ongoing)

"""E. Transactions block of the 2.0.1 session (Part 2 E01-E14): the TransactionEventRequest
handler, the requests about transactions the reference is asked to send
(RequestStopTransaction for E06/F03, GetTransactionStatus for E14) and the defects that break
them.

A conformant CSMS answers every TransactionEventRequest (J02.FR.19: "a TransactionEventRequest
cannot be rejected"), whatever its start or stop point, its seqNo, its offline flag or the
order in which queued events arrive (E04, E12), and returns idTokenInfo whenever the request
carries an idToken (E01.FR.11/12, E02.FR.02, E03.FR.02). The handler keeps a little memory of
each station's transactions (last seqNo, idToken, whether an EVSE was named, whether it ended)
only so that the defects can misuse it the way real CSMSs do; the conformant reference never
refuses on its account.

The meterValue checks of the J block live in :mod:`.meter_values`
(:func:`~pytest_ocpp.reference.csms.v201.meter_values.meter_value_fault`), called from here.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ocpp.exceptions import (
    InternalError,
    OccurrenceConstraintViolationError,
    OCPPError,
    PropertyConstraintViolationError,
)
from ocpp.routing import on
from ocpp.v201 import call_result as result201

from pytest_ocpp.reference.csms.session import _ReferenceSession
from pytest_ocpp.reference.csms.v201.meter_values import meter_value_fault

__all__ = ["DEFECTS_TRANSACTIONS", "TransactionsMixin"]

#: The defects :class:`TransactionsMixin` implements; part of the public
#: :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_TRANSACTIONS: dict[str, str] = {
    "v201_transaction_event_missing_id_token_info": (
        "TransactionEventResponse omits idTokenInfo even when the request carries an idToken."
    ),
    "v201_requires_evse_at_started": (
        "A TransactionEventRequest Started without evse is answered with a CallError "
        "OccurrenceConstraintViolation, although E01.FR.16 only requires evse once the EV is "
        "connected (the authorization-first path of E03)."
    ),
    "v201_tx_started_without_id_token_info": (
        "TransactionEventResponse to eventType Started omits idTokenInfo although the request "
        "carries an idToken (E01.FR.12); Updated events still get it."
    ),
    "v201_tx_accepts_invalid_id_token": (
        "An idToken the CSMS does not know is answered idTokenInfo.status Accepted in a "
        "TransactionEventResponse (E01.FR.11: the CSMS verifies it); AuthorizeResponse stays "
        "right."
    ),
    "v201_tx_concurrent_tx_own_transaction": (
        "An idToken sent again in a TransactionEventRequest of the very transaction it "
        "authorized (StopAuthorized) is answered ConcurrentTx, as if it were busy elsewhere."
    ),
    "v201_tx_ended_call_error": (
        "Every TransactionEventRequest with eventType Ended is answered with CallError "
        "InternalError."
    ),
    "v201_tx_rejects_seq_no_gap": (
        "A TransactionEventRequest whose seqNo is not the transaction's previous seqNo + 1 is "
        "answered with CallError PropertyConstraintViolation (queued events arrive out of "
        "order after an outage, E04/E12)."
    ),
    "v201_tx_rejects_offline": (
        "A TransactionEventRequest with offline true is answered with CallError "
        "PropertyConstraintViolation (E04.FR.03, E12.FR.02 make the flag normal)."
    ),
    "v201_tx_rejects_seq_no_restart": (
        "A TransactionEventRequest whose seqNo is not above every seqNo seen on the connection "
        "is answered with CallError PropertyConstraintViolation: the CSMS wants one sequence "
        "per connection, not one per transaction starting at 0 (E01.FR.07, TC_E_53)."
    ),
    "v201_tx_rejects_event_after_ended": (
        "A TransactionEventRequest for a transaction that already ended is answered with "
        "CallError PropertyConstraintViolation (queued events may follow the Ended, E04/E12)."
    ),
    "v201_tx_rejects_updated_idle": (
        "A TransactionEventRequest Updated with chargingState Idle (cable disconnected on the "
        "EV side, transaction suspended: E10) is answered with CallError."
    ),
    "v201_tx_rejects_suspended_ev": (
        "A TransactionEventRequest with chargingState SuspendedEV is answered with CallError."
    ),
    "v201_tx_requires_id_token_at_started": (
        "A TransactionEventRequest Started without idToken is answered with CallError "
        "OccurrenceConstraintViolation, although E01 lets a transaction start before "
        "authorization (TxStartPoint EVConnected, ParkingBayOccupancy)."
    ),
    "v201_tx_rejects_ended_without_evse": (
        "A TransactionEventRequest Ended for a transaction that never named an EVSE is "
        "answered with CallError OccurrenceConstraintViolation (E03.FR.05 EVConnectTimeout, "
        "E06.FR.04 deauthorized)."
    ),
    "v201_tx_rejects_parking_bay_triggers": (
        "TransactionEventRequests with triggerReason EVDetected or EVDeparted (start/stop "
        "point ParkingBayOccupancy, E01.FR.01, E06.FR.01) are answered with CallError."
    ),
    "v201_tx_request_stop_wrong_transaction_id": (
        "RequestStopTransactionRequest is sent with another transactionId than asked for."
    ),
    "v201_tx_get_status_wrong_transaction_id": (
        "GetTransactionStatusRequest is sent with another transactionId than asked for."
    ),
    "v201_tx_get_status_adds_transaction_id": (
        "GetTransactionStatusRequest asked for without transactionId is sent with the "
        "station's last transactionId."
    ),
}


@dataclass
class _Transaction:
    """What the reference remembers of one transaction (for the defects only)."""

    seq_no: int
    id_token: str | None
    evse_known: bool
    ended: bool = False


_TRANSACTIONS: weakref.WeakKeyDictionary[Any, dict[str, dict[str, _Transaction]]] = (
    weakref.WeakKeyDictionary()
)
"""ReferenceCsms -> station id -> transactionId -> what is known of it. Held beside the
server, not in a session, because a station's queued events arrive on its next connection."""


class TransactionsMixin(_ReferenceSession):
    """TransactionEventRequest (E01-E14, J02) and the outgoing-request defects of
    RequestStopTransaction and GetTransactionStatus."""

    BLOCK_DEFECTS: ClassVar[Mapping[str, str]] = DEFECTS_TRANSACTIONS

    _highest_seq_no: int = -1
    """The highest seqNo seen on this connection (``v201_tx_rejects_seq_no_restart``)."""

    def station_transactions(self) -> dict[str, _Transaction]:
        """This station's transactions, across its connections."""
        return _TRANSACTIONS.setdefault(self.csms, {}).setdefault(self.id, {})

    def adjust_outgoing(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The defects of RequestStopTransaction and GetTransactionStatus."""
        if action == "RequestStopTransaction" and self.defect(
            "v201_tx_request_stop_wrong_transaction_id"
        ):
            payload["transactionId"] = str(uuid.uuid4())
        elif action == "GetTransactionStatus":
            if "transactionId" in payload:
                if self.defect("v201_tx_get_status_wrong_transaction_id"):
                    payload["transactionId"] = str(uuid.uuid4())
            elif self.defect("v201_tx_get_status_adds_transaction_id"):
                known = list(self.station_transactions())
                payload["transactionId"] = known[-1] if known else str(uuid.uuid4())
        # Cooperative hook: the other blocks' defects apply too.
        return super().adjust_outgoing(action, payload)

    @on("TransactionEvent")
    def on_transaction_event(
        self,
        event_type: str = "",
        trigger_reason: str = "",
        seq_no: int = 0,
        transaction_info: Mapping[str, Any] | None = None,
        id_token: Mapping[str, Any] | None = None,
        evse: Mapping[str, Any] | None = None,
        meter_value: list[Mapping[str, Any]] | None = None,
        offline: bool = False,
        **_: Any,
    ) -> result201.TransactionEvent:
        """Answer every event; idTokenInfo whenever the request carries an idToken (E01.FR.12,
        E02.FR.02, E03.FR.02, from the authorization block's :meth:`id_token_info`)."""
        tx_info = transaction_info or {}
        tx_id = str(tx_info.get("transaction_id", ""))
        known = self.station_transactions().get(tx_id)
        fault = self._transaction_fault(
            event_type,
            trigger_reason,
            seq_no,
            tx_info,
            known,
            has_id_token=id_token is not None,
            has_evse=evse is not None,
            offline=offline,
        ) or meter_value_fault(self.defect, event_type, trigger_reason, meter_value or [])
        if fault is not None:
            raise fault
        token = None if id_token is None else str(id_token.get("id_token", ""))
        info = None
        if id_token is not None:
            info = self._transaction_id_token_info(id_token, event_type, known, token)
        self._remember_transaction(tx_id, known, event_type, seq_no, token, evse is not None)
        extras = self.transaction_event_extras(
            event_type=event_type, transaction_info=tx_info, meter_value=meter_value
        )
        return result201.TransactionEvent(id_token_info=info, **extras)

    def _transaction_id_token_info(
        self,
        id_token: Mapping[str, Any],
        event_type: str,
        known: _Transaction | None,
        token: str | None,
    ) -> dict[str, Any] | None:
        """idTokenInfo for a TransactionEventResponse, with this block's defects."""
        if self.defect("v201_transaction_event_missing_id_token_info") or (
            event_type == "Started" and self.defect("v201_tx_started_without_id_token_info")
        ):
            return None
        info = dict(self.id_token_info(id_token))
        if info.get("status") in ("Invalid", "Unknown") and self.defect(
            "v201_tx_accepts_invalid_id_token"
        ):
            info["status"] = "Accepted"
        if (
            known is not None
            and token is not None
            and known.id_token is not None
            and known.id_token.casefold() == token.casefold()
            and self.defect("v201_tx_concurrent_tx_own_transaction")
        ):
            info["status"] = "ConcurrentTx"
        return info

    def _transaction_fault(
        self,
        event_type: str,
        trigger_reason: str,
        seq_no: int,
        tx_info: Mapping[str, Any],
        known: _Transaction | None,
        *,
        has_id_token: bool,
        has_evse: bool,
        offline: bool,
    ) -> OCPPError | None:
        """The CallError a defect answers this event with; None for the conformant answer."""
        highest = self._highest_seq_no
        self._highest_seq_no = max(highest, seq_no)
        state = tx_info.get("charging_state")
        refusals: tuple[tuple[str, bool, OCPPError], ...] = (
            (
                "v201_requires_evse_at_started",
                event_type == "Started" and not has_evse,
                OccurrenceConstraintViolationError(
                    description="evse is required in TransactionEventRequest Started"
                ),
            ),
            (
                "v201_tx_requires_id_token_at_started",
                event_type == "Started" and not has_id_token,
                OccurrenceConstraintViolationError(
                    description="idToken is required in TransactionEventRequest Started"
                ),
            ),
            (
                "v201_tx_ended_call_error",
                event_type == "Ended",
                InternalError(description="cannot end the transaction"),
            ),
            (
                "v201_tx_rejects_offline",
                offline,
                PropertyConstraintViolationError(description="offline events are not accepted"),
            ),
            (
                "v201_tx_rejects_seq_no_gap",
                known is not None and seq_no != known.seq_no + 1,
                PropertyConstraintViolationError(
                    description=f"seqNo {seq_no} does not follow {known and known.seq_no}"
                ),
            ),
            (
                "v201_tx_rejects_seq_no_restart",
                seq_no <= highest,
                PropertyConstraintViolationError(
                    description=f"seqNo {seq_no} is not above {highest} seen before"
                ),
            ),
            (
                "v201_tx_rejects_event_after_ended",
                known is not None and known.ended,
                PropertyConstraintViolationError(description="the transaction has ended"),
            ),
            (
                "v201_tx_rejects_updated_idle",
                event_type == "Updated" and state == "Idle",
                PropertyConstraintViolationError(description="chargingState Idle while running"),
            ),
            (
                "v201_tx_rejects_suspended_ev",
                state == "SuspendedEV",
                PropertyConstraintViolationError(description="chargingState SuspendedEV"),
            ),
            (
                "v201_tx_rejects_ended_without_evse",
                event_type == "Ended" and not has_evse and not (known and known.evse_known),
                OccurrenceConstraintViolationError(description="the transaction has no evse"),
            ),
            (
                "v201_tx_rejects_parking_bay_triggers",
                trigger_reason in ("EVDetected", "EVDeparted"),
                PropertyConstraintViolationError(
                    description=f"triggerReason {trigger_reason} is not handled"
                ),
            ),
        )
        for defect, applies, error in refusals:
            if applies and self.defect(defect):
                return error
        return None

    def _remember_transaction(
        self,
        tx_id: str,
        known: _Transaction | None,
        event_type: str,
        seq_no: int,
        token: str | None,
        has_evse: bool,
    ) -> None:
        """Keep what the defects need of this event."""
        if known is None:
            known = _Transaction(seq_no=seq_no, id_token=token, evse_known=has_evse)
            self.station_transactions()[tx_id] = known
        known.seq_no = max(known.seq_no, seq_no)
        known.id_token = known.id_token or token
        known.evse_known = known.evse_known or has_evse
        known.ended = known.ended or event_type == "Ended"

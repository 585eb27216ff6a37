"""J. MeterValues block of the 2.0.1 session (Part 2 J01-J02): the MeterValuesRequest handler
and the meter-value defects, including those felt by the meterValue field of a
TransactionEventRequest (checked by :func:`meter_value_fault`, which the transactions block's
handler calls).

A conformant CSMS answers every MeterValuesRequest (J01.FR.18) and every TransactionEventRequest
(J02.FR.19), whatever the EVSE (0 is the main meter, J01.FR.03), the reading context
(Sample.Clock, Sample.Periodic, Transaction.Begin/End), the number of meterValue elements (an
Ended may carry every sample of the transaction, J02.FR.10) or a signedMeterValue it cannot
read (Part 5: "must at least be able to receive a signed MeterValue").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar

from ocpp.exceptions import OccurrenceConstraintViolationError, OCPPError
from ocpp.exceptions import PropertyConstraintViolationError as PropertyError
from ocpp.messages import Call
from ocpp.routing import on
from ocpp.v201 import call_result as result201

from pytest_ocpp.reference.csms.session import LOGGER, _ReferenceSession

__all__ = ["DEFECTS_METER_VALUES", "MeterValuesMixin", "meter_value_fault"]

#: The defects this module implements; part of the public
#: :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_METER_VALUES: dict[str, str] = {
    "v201_meter_values_no_response": "MeterValuesRequests are never answered.",
    "v201_meter_values_rejects_evse_zero": (
        "A MeterValuesRequest for evseId 0 (the main meter, J01.FR.03) is answered with "
        "CallError PropertyConstraintViolation."
    ),
    "v201_meter_rejects_signed_values": (
        "A MeterValuesRequest or TransactionEventRequest with a signedMeterValue is answered "
        "with CallError PropertyConstraintViolation."
    ),
    "v201_meter_rejects_multiple_meter_values": (
        "A TransactionEventRequest with more than one meterValue element (the samples of a "
        "whole transaction in its Ended, J02.FR.10) is answered with CallError "
        "OccurrenceConstraintViolation."
    ),
    "v201_meter_rejects_meter_value_triggers": (
        "TransactionEventRequests with triggerReason MeterValueClock or MeterValuePeriodic "
        "(J01.FR.22, J02.FR.11) are answered with CallError PropertyConstraintViolation."
    ),
    "v201_meter_rejects_started_meter_values": (
        "A TransactionEventRequest Started with a meterValue (Transaction.Begin, E01.FR.09) is "
        "answered with CallError PropertyConstraintViolation."
    ),
    "v201_meter_rejects_begin_on_updated": (
        "A TransactionEventRequest Updated whose meterValue has context Transaction.Begin (the "
        "start values sent once the EVSE is known) is answered with CallError "
        "PropertyConstraintViolation."
    ),
}


def _sampled(meter_value: list[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Every sampledValue of ``meter_value`` (snake_case keys, as the ``ocpp`` router passes)."""
    for element in meter_value:
        yield from element.get("sampled_value") or []


def meter_value_fault(
    defect: Callable[[str], bool],
    event_type: str,
    trigger_reason: str,
    meter_value: list[Mapping[str, Any]],
) -> OCPPError | None:
    """The CallError a meter-value defect answers a request with: a TransactionEventRequest,
    or a MeterValuesRequest when ``event_type`` and ``trigger_reason`` are ""; None for the
    conformant answer."""
    sampled = list(_sampled(meter_value))
    contexts = {sample.get("context") for sample in sampled}
    refusals: tuple[tuple[str, bool, OCPPError], ...] = (
        (
            "v201_meter_rejects_signed_values",
            any(sample.get("signed_meter_value") for sample in sampled),
            PropertyError(description="signed meter values are not supported"),
        ),
        (
            "v201_meter_rejects_multiple_meter_values",
            bool(event_type) and len(meter_value) > 1,
            OccurrenceConstraintViolationError(description="only one meterValue is accepted"),
        ),
        (
            "v201_meter_rejects_meter_value_triggers",
            trigger_reason in ("MeterValueClock", "MeterValuePeriodic"),
            PropertyError(description=f"triggerReason {trigger_reason} is not handled"),
        ),
        (
            "v201_meter_rejects_started_meter_values",
            event_type == "Started" and bool(meter_value),
            PropertyError(description="no meterValue expected at Started"),
        ),
        (
            "v201_meter_rejects_begin_on_updated",
            event_type == "Updated" and "Transaction.Begin" in contexts,
            PropertyError(description="Transaction.Begin outside Started"),
        ),
    )
    for name, applies, error in refusals:
        if applies and defect(name):
            return error
    return None


class MeterValuesMixin(_ReferenceSession):
    """MeterValuesRequest (J01.FR.18) and the defects that break its answer."""

    BLOCK_DEFECTS: ClassVar[Mapping[str, str]] = DEFECTS_METER_VALUES

    async def intercept_call(self, msg: Call) -> bool:
        """``v201_meter_values_no_response``: swallow every MeterValuesRequest."""
        if msg.action == "MeterValues" and self.defect("v201_meter_values_no_response"):
            LOGGER.info("%s: deliberate defect: MeterValues is not answered", self.id)
            return True
        # Cooperative hook: the other blocks' defects apply too.
        return await super().intercept_call(msg)

    @on("MeterValues")
    def on_meter_values(
        self, evse_id: int = 0, meter_value: list[Mapping[str, Any]] | None = None, **_: Any
    ) -> result201.MeterValues:
        """J01.FR.18: an (empty) MeterValuesResponse to every request."""
        if evse_id == 0 and self.defect("v201_meter_values_rejects_evse_zero"):
            raise PropertyError(description="evseId 0 is not an EVSE")
        fault = meter_value_fault(self.defect, "", "", meter_value or [])
        if fault is not None:
            raise fault
        return result201.MeterValues()

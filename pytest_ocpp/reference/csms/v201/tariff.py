"""I. Tariff and Cost of the 2.0.1 session (Part 2 I02, I03): the running cost of a charging
transaction (CostUpdatedRequest, I02.FR.01) and its final cost (totalCost in the
TransactionEventResponse that answers eventType Ended, I03.FR.02).

The reference knows a cost only when it was configured with a tariff for the station: the
per-station setting ``energy_tariff`` (a ``"kind": "setup"`` control command, the
``energy_tariff`` entry of :data:`pytest_ocpp.operators.CSMS_SETTINGS`), a price per kWh, as in
TC_I_02_CSMS's memory state "CSMS is configured with a tariff which is based on energy
consumed". Without it the cost is not known, so none is sent (I03.FR.02 applies "when Total
Cost is known to the CSMS").

The energy comes from the transaction's Energy.Active.Import.Register meter values: the first
reading seen for the transaction is its start, the latest its current register.

The TransactionEventRequest handler belongs to another block (transactions); this block
answers through two seams: :meth:`TariffMixin.transaction_event_extras`, the extra
TransactionEventResponse fields that handler merges into its answer, and an ``@after``
TransactionEvent hook (the ``ocpp`` library runs it once the response is sent) that records
the meter values and sends the CostUpdatedRequest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ocpp.routing import after

from pytest_ocpp.reference.csms.session import LOGGER, _ReferenceSession

__all__ = ["DEFECTS_TARIFF", "TariffMixin"]

#: The defects :class:`TariffMixin` implements; part of the public
#: :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_TARIFF: dict[str, str] = {
    "v201_total_cost_missing": (
        "The TransactionEventResponse to eventType Ended omits totalCost although a tariff "
        "makes the cost known (I03.FR.02)."
    ),
    "v201_cost_updated_never_sent": (
        "No CostUpdatedRequest during a charging transaction under a tariff, and no totalCost "
        "in the TransactionEventResponses either (I02.FR.01)."
    ),
    "v201_cost_updated_wrong_transaction": (
        "CostUpdatedRequest names another transactionId than the running transaction."
    ),
}

_ENERGY = "Energy.Active.Import.Register"
"""The default measurand (2.0.1 SampledValueType: measurand absent means this one)."""

_UNIT_TO_WH = {"Wh": 1.0, "kWh": 1000.0}


def _energy_wh(meter_value: Any) -> float | None:
    """The last Energy.Active.Import.Register reading (total over the phases) of a
    TransactionEventRequest's meterValue, in Wh; None when it carries none."""
    found: float | None = None
    for sample in meter_value or ():
        for value in sample.get("sampled_value") or ():
            if value.get("measurand", _ENERGY) != _ENERGY or value.get("phase"):
                continue
            unit = value.get("unit_of_measure") or {}
            scale = _UNIT_TO_WH.get(str(unit.get("unit", "Wh")))
            if scale is None:
                continue
            found = float(value["value"]) * scale * 10 ** int(unit.get("multiplier", 0))
    return found


class TariffMixin(_ReferenceSession):
    """Running and final cost of the station's transactions under the configured tariff."""

    BLOCK_DEFECTS: ClassVar[Mapping[str, str]] = DEFECTS_TARIFF

    # -- state -------------------------------------------------------------------------------
    def _price_per_kwh(self) -> float | None:
        """The ``energy_tariff`` setting, or None: no tariff, so no cost is known."""
        price = self.setting("energy_tariff")
        if isinstance(price, bool) or not isinstance(price, (int, float)):
            return None
        return float(price)

    def _meter_book(self) -> dict[str, tuple[float, float]]:
        """transactionId -> (first, latest) energy register in Wh, for this connection."""
        book: dict[str, tuple[float, float]] = self.__dict__.setdefault("_tariff_meter_book", {})
        return book

    def _tariff_cost(self, transaction_id: str, latest: float | None = None) -> float | None:
        """The cost of the energy charged so far (to ``latest`` Wh if given), or None when no
        tariff is configured or no energy reading is known."""
        price = self._price_per_kwh()
        if price is None:
            return None
        reading = self._meter_book().get(transaction_id)
        first = reading[0] if reading is not None else latest
        last = latest if latest is not None else (reading[1] if reading is not None else None)
        if first is None or last is None:
            return None
        return round(max(last - first, 0.0) / 1000.0 * price, 2)

    # -- the seam in the TransactionEvent handler -----------------------------------------
    def transaction_event_extras(
        self,
        event_type: str = "",
        transaction_info: Mapping[str, Any] | None = None,
        meter_value: Any = None,
        **_: Any,
    ) -> dict[str, Any]:
        """Extra TransactionEventResponse fields (snake_case, as ``call_result`` takes them)
        for the request whose snake_case fields are given: ``total_cost`` at eventType Ended
        when the cost is known (I03.FR.02; 0.00 for a free transaction, I03.FR.04)."""
        extras = super().transaction_event_extras(
            event_type=event_type, transaction_info=transaction_info, meter_value=meter_value
        )
        if event_type != "Ended" or self.defect("v201_total_cost_missing"):
            return extras
        transaction_id = str((transaction_info or {}).get("transaction_id", ""))
        cost = self._tariff_cost(transaction_id, _energy_wh(meter_value))
        return extras if cost is None else {**extras, "total_cost": cost}

    # -- after the response ------------------------------------------------------------------
    @after("TransactionEvent")
    async def after_transaction_event_cost(
        self,
        event_type: str = "",
        trigger_reason: str = "",
        transaction_info: Mapping[str, Any] | None = None,
        meter_value: Any = None,
        **_: Any,
    ) -> None:
        """Record the energy register; on a periodic meter value of a running transaction
        under a tariff, send the running cost in a CostUpdatedRequest (I02.FR.01: at a
        relevant interval, here every MeterValuePeriodic event)."""
        transaction_id = str((transaction_info or {}).get("transaction_id", ""))
        book = self._meter_book()
        if event_type == "Ended":
            book.pop(transaction_id, None)
            return
        energy = _energy_wh(meter_value)
        if energy is not None:
            first = book[transaction_id][0] if transaction_id in book else energy
            book[transaction_id] = (first, energy)
        if trigger_reason != "MeterValuePeriodic" or self.defect("v201_cost_updated_never_sent"):
            return
        cost = self._tariff_cost(transaction_id)
        if cost is None:
            return
        if self.defect("v201_cost_updated_wrong_transaction"):
            transaction_id = f"{transaction_id[:30]}-OTHER"
        try:
            await self.send_call(
                "CostUpdated", {"totalCost": cost, "transactionId": transaction_id}
            )
        except Exception as error:  # a task of its own: nobody else would see the error
            LOGGER.warning("%s: CostUpdated not sent: %s", self.id, error)

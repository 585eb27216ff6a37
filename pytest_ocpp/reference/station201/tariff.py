"""The reference station's tariff and cost display (Part 2 I02 running cost, I03 final cost,
I06 updated tariff information).

The station has a display per EVSE: what it shows the driver is kept in
:attr:`TariffMixin.display` (EVSE id → the last text), the evidence a test of this module can
read. The CSMS tells cost and tariff three ways:

* a CostUpdatedRequest (totalCost of a transaction, I02.FR.02/03), answered with an (empty)
  CostUpdatedResponse;
* a TransactionEventResponse carrying totalCost (running cost, I02.FR.04; the final cost in
  the response to Ended, I03.FR.03 — not shown when the driver left already, TxStopPoint
  ParkingBayOccupancy, I03.FR.05) and/or updatedPersonalMessage (I06.FR.03);
* the personalMessage of an idTokenInfo (AuthorizeResponse, TransactionEventResponse).

TariffCostCtrlr (defaults.py) says tariffs and costs are available and enabled, in EUR.

``TariffHandlers`` holds the ``@on`` handler (mixed into the ChargePoint of one connection),
``TariffMixin`` the display (mixed into
:class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ocpp.exceptions import InternalError
from ocpp.routing import on
from ocpp.v201 import call_result
from ocpp.v201.enums import Action

if TYPE_CHECKING:
    from pytest_ocpp.reference.station201.model import Transaction
    from pytest_ocpp.reference.station201.station import ReferenceStation201

__all__ = ["TariffHandlers", "TariffMixin"]


class TariffMixin:
    """The driver's display; mixed into the station."""

    @property
    def display(self: ReferenceStation201) -> dict[int | None, str]:
        """EVSE id (None: the station's own display) → the text shown last."""
        return self.__dict__.setdefault("_display", {})

    def show(self: ReferenceStation201, evse_id: int | None, text: str) -> None:
        self.display[evse_id] = text

    def show_cost(
        self: ReferenceStation201, transaction_id: str, total: float, *, final: bool = False
    ) -> None:
        """I02.FR.03/04, I03.FR.03: the running or final total cost of a transaction."""
        tx = self.transactions.get(transaction_id)
        evse_id = tx.evse_id if tx is not None else None
        currency = self.model.find("TariffCostCtrlr.Currency")
        unit = currency.actual if currency is not None else "EUR"
        label = "Total cost" if final else "Cost so far"
        self.show(evse_id, f"{label}: {total:.2f} {unit}")

    def tariff_response(self: ReferenceStation201, tx: Transaction, response: Any) -> None:
        """What a TransactionEventResponse tells the driver (I02.FR.04, I03.FR.03, I06.FR.03);
        called for every response to this transaction's events."""
        total = getattr(response, "total_cost", None)
        message = getattr(response, "updated_personal_message", None)
        info = getattr(response, "id_token_info", None)
        personal = info.get("personal_message") if isinstance(info, dict) else None
        for shown in (personal, message):
            if isinstance(shown, dict) and shown.get("content"):
                self.show(tx.evse_id, str(shown["content"]))
        if total is not None:
            left = tx.ended and "ParkingBayOccupancy" in self.points("TxStopPoint")
            if not left:  # I03.FR.05: the driver has gone
                self.show_cost(tx.id, float(total), final=tx.ended)
        if (total is not None or message) and self.has("i_running_cost_stops_updates"):
            for task in tx.tasks[:1]:  # the TxUpdatedInterval loop (metering._periodic)
                task.cancel()


class TariffHandlers:
    """CostUpdated (I02); mixed into the ChargePoint."""

    station: ReferenceStation201

    @on(Action.cost_updated)
    def on_cost_updated(self, total_cost: float, transaction_id: str, **_: Any) -> Any:
        """I02.FR.02/03: answer, and show the total cost of that transaction."""
        st = self.station
        if st.has("i_cost_updated_error"):
            raise InternalError(description="cost display unavailable")
        st.show_cost(transaction_id, float(total_cost))
        return call_result.CostUpdated()

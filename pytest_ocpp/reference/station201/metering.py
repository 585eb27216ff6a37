"""Meter values of the reference 2.0.1 station (Part 2 J01-J02, E02.FR.09/10, E06.FR.11).

A simulated meter per EVSE (energy register integrating ``power_w`` while Charging) sampled for
the measurand lists of SampledDataCtrlr and AlignedDataCtrlr: Transaction.Begin at Started,
Sample.Periodic every TxUpdatedInterval (an Updated MeterValuePeriodic event) and every
TxEndedInterval (kept for the Ended event), Transaction.End at Ended, Sample.Clock every
AlignedDataCtrlr.Interval, Trigger on TriggerMessage.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ocpp.v201 import call

from pytest_ocpp.reference.station201.model import Evse, Session, Transaction

if TYPE_CHECKING:
    from pytest_ocpp.reference.station201.station import ReferenceStation201

__all__ = ["MeteringMixin"]

_UNITS = {
    "Energy.Active.Import.Register": "Wh",
    "Power.Active.Import": "W",
    "Current.Import": "A",
    "Voltage": "V",
}


class MeteringMixin:
    """The meter and the meter value loops; mixed into the station."""

    power_w: float

    def meter(self: ReferenceStation201, evse: Evse) -> float:
        """The EVSE's energy register (Wh), integrating the power while Charging."""
        now = time.monotonic()
        if evse.metered_at and self.charging_state(evse, evse.session) == "Charging":
            evse.energy_wh += self.power_w * (now - evse.metered_at) / 3600
        evse.metered_at = now
        return evse.energy_wh

    def sample(
        self: ReferenceStation201, evse: Evse, measurands_path: str, context: str
    ) -> dict[str, Any] | None:
        """A MeterValueType of the measurands a variable lists, or None if it lists none."""
        charging = self.charging_state(evse, evse.session) == "Charging"
        energy = round(self.meter(evse), 1)
        power = self.power_w if charging else 0.0
        numbers = {
            "Energy.Active.Import.Register": energy,
            "Power.Active.Import": power,
            "Current.Import": round(power / 230 / 3, 1),
            "Voltage": 230.0,
        }
        sampled = [
            {
                "value": numbers[m],
                "context": context,
                "measurand": m,
                "unit_of_measure": {"unit": _UNITS[m]},
            }
            for m in self.model.members(measurands_path)
            if m in numbers
        ]
        if not sampled:
            return None
        return {"timestamp": self.ts(), "sampled_value": sampled}

    async def _periodic(self: ReferenceStation201, session: Session, tx: Transaction) -> None:
        """Updated/MeterValuePeriodic every SampledDataCtrlr.TxUpdatedInterval (E02.FR.10)."""
        while not tx.ended:
            interval = self.model.get_int("SampledDataCtrlr.TxUpdatedInterval", 0)
            if await self.config_changed_within(interval if interval > 0 else None):
                continue
            evse = self.evse_of(session)
            if evse is None or tx.ended or session.tx is not tx:
                continue
            value = self.sample(evse, "SampledDataCtrlr.TxUpdatedMeasurands", "Sample.Periodic")
            if value is not None:
                self.emit(evse, session, tx, "Updated", "MeterValuePeriodic", meter=[value])

    async def _ended_sampler(self: ReferenceStation201, session: Session, tx: Transaction) -> None:
        """Samples every SampledDataCtrlr.TxEndedInterval, for the Ended event (E06.FR.11)."""
        while not tx.ended:
            interval = self.model.get_int("SampledDataCtrlr.TxEndedInterval", 0)
            if await self.config_changed_within(interval if interval > 0 else None):
                continue
            evse = self.evse_of(session)
            if evse is not None and not tx.ended:
                value = self.sample(evse, "SampledDataCtrlr.TxEndedMeasurands", "Sample.Periodic")
                if value is not None:
                    tx.ended_samples.append(value)

    async def aligned_loop(self: ReferenceStation201) -> None:
        """Clock-aligned meter values every AlignedDataCtrlr.Interval seconds from midnight:
        a MeterValueClock TransactionEvent during a transaction, MeterValues when idle and
        SendDuringIdle (J01, J02)."""
        while True:
            interval = self.model.get_int("AlignedDataCtrlr.Interval", 0)
            if interval <= 0:
                await self.config_changed_within(None)
                continue
            now = datetime.now(timezone.utc)
            midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
            elapsed = (now - midnight).total_seconds()
            wait = interval - elapsed % interval
            if await self.config_changed_within(wait):
                continue
            for evse in self.evses.values():
                session = evse.session
                if session is not None and session.tx is not None:
                    value = self.sample(evse, "AlignedDataCtrlr.Measurands", "Sample.Clock")
                    if value is not None:
                        self.emit(
                            evse, session, session.tx, "Updated", "MeterValueClock", meter=[value]
                        )
                elif self.model.get_bool("AlignedDataCtrlr.SendDuringIdle"):
                    self.send_meter_values(evse, "Sample.Clock")
            await asyncio.sleep(0.05)  # past the boundary before computing the next one

    def send_meter_values(
        self: ReferenceStation201, evse: Evse, context: str, *, pre_boot: bool = False
    ) -> None:
        """MeterValuesRequest with the AlignedDataCtrlr.Measurands (F06.FR.06, J01)."""
        value = self.sample(evse, "AlignedDataCtrlr.Measurands", context) or {
            "timestamp": self.ts(),
            "sampled_value": [
                {
                    "value": round(self.meter(evse), 1),
                    "context": context,
                    "measurand": "Energy.Active.Import.Register",
                    "unit_of_measure": {"unit": "Wh"},
                }
            ],
        }
        payload = call.MeterValues(evse_id=evse.id, meter_value=[value])
        self.enqueue(lambda _item: payload, pre_boot=pre_boot)

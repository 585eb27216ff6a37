"""Meter values of the reference 2.0.1 station (Part 2 J01-J02, E02.FR.09/10, E06.FR.11).

A simulated meter per EVSE (energy register integrating ``power_w`` while Charging) sampled for
the measurand lists of SampledDataCtrlr and AlignedDataCtrlr: Transaction.Begin at Started,
Sample.Periodic every TxUpdatedInterval (an Updated MeterValuePeriodic event) and every
TxEndedInterval (kept for the Ended event), Transaction.End at Ended, Sample.Clock every
AlignedDataCtrlr.Interval (a MeterValueClock event during a transaction, MeterValues
otherwise; nothing during a transaction when SendDuringIdle, J01.FR.?) and every
AlignedDataCtrlr.TxEndedInterval (kept for the Ended event), Trigger on TriggerMessage.
Readings are signed when the controller's SignReadings is true (J01.FR.21, J02.FR.21).
"""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timedelta, timezone
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
        self: ReferenceStation201,
        evse: Evse,
        measurands_path: str,
        context: str,
        moment: datetime | None = None,
    ) -> dict[str, Any] | None:
        """A MeterValueType of the measurands a variable lists, or None if it lists none;
        signed when the controller of ``measurands_path`` has SignReadings true."""
        charging = self.charging_state(evse, evse.session) == "Charging"
        energy = round(self.meter(evse), 1)
        power = self.power_w if charging else 0.0
        numbers = {
            "Energy.Active.Import.Register": energy,
            "Power.Active.Import": power,
            "Current.Import": round(power / 230 / 3, 1),
            "Voltage": 230.0,
        }
        if context == "Sample.Clock" and self.has("j_aligned_wrong_context"):
            context = "Sample.Periodic"
        controller = measurands_path.split(".", 1)[0]
        signed = self.model.get_bool(f"{controller}.SignReadings") and not self.has(
            "j_unsigned_readings"
        )
        timestamp = self.ts(moment)
        sampled = []
        for m in self.model.members(measurands_path):
            if m not in numbers:
                continue
            value: dict[str, Any] = {
                "value": numbers[m],
                "context": context,
                "measurand": m,
                "unit_of_measure": {"unit": _UNITS[m]},
            }
            if signed:
                value["signed_meter_value"] = self._signed(m, numbers[m], timestamp)
            sampled.append(value)
        if not sampled:
            return None
        return {"timestamp": timestamp, "sampled_value": sampled}

    def _signed(self: ReferenceStation201, measurand: str, value: float, at: str) -> dict[str, Any]:
        """A SignedMeterValueType of one reading (a simulated meter's signature: the data
        base64, the public key only when PublicKeyWithSignedMeterValue asks for it)."""
        data = json.dumps({"measurand": measurand, "value": value, "timestamp": at})
        key_policy = "Never"
        try:
            key_policy = self.model.value("OCPPCommCtrlr.PublicKeyWithSignedMeterValue")
        except KeyError:
            pass
        return {
            "signed_meter_data": base64.b64encode(data.encode()).decode(),
            "signing_method": "ECDSA-secp256r1-SHA256",
            "encoding_method": "OCMF",
            "public_key": "" if key_policy == "Never" else base64.b64encode(b"reference").decode(),
        }

    async def _periodic(self: ReferenceStation201, session: Session, tx: Transaction) -> None:
        """Updated/MeterValuePeriodic every SampledDataCtrlr.TxUpdatedInterval (E02.FR.10)."""
        trigger = (
            "MeterValueClock" if self.has("j_periodic_wrong_trigger") else "MeterValuePeriodic"
        )
        while not tx.ended:
            interval = self.model.get_int("SampledDataCtrlr.TxUpdatedInterval", 0)
            if await self.config_changed_within(interval if interval > 0 else None):
                continue
            evse = self.evse_of(session)
            if evse is None or tx.ended or session.tx is not tx:
                continue
            value = self.sample(evse, "SampledDataCtrlr.TxUpdatedMeasurands", "Sample.Periodic")
            if value is not None:
                self.emit(evse, session, tx, "Updated", trigger, meter=[value])

    async def _ended_sampler(self: ReferenceStation201, session: Session, tx: Transaction) -> None:
        """Samples every SampledDataCtrlr.TxEndedInterval, for the Ended event (E06.FR.11)."""
        while not tx.ended:
            interval = self.model.get_int("SampledDataCtrlr.TxEndedInterval", 0)
            if await self.config_changed_within(interval if interval > 0 else None):
                continue
            evse = self.evse_of(session)
            if evse is not None and not tx.ended and not self.has("j_ended_without_samples"):
                value = self.sample(evse, "SampledDataCtrlr.TxEndedMeasurands", "Sample.Periodic")
                if value is not None:
                    tx.ended_samples.append(value)

    async def aligned_loop(self: ReferenceStation201) -> None:
        """Clock-aligned readings at every multiple of AlignedDataCtrlr.Interval and of
        AlignedDataCtrlr.TxEndedInterval seconds from midnight (J01), timestamped with that
        boundary."""
        handled: datetime | None = None  # the last boundary reported
        while True:
            interval = self.model.get_int("AlignedDataCtrlr.Interval", 0)
            tx_interval = self.model.get_int("AlignedDataCtrlr.TxEndedInterval", 0)
            periods = [p for p in (interval, tx_interval) if p > 0]
            if not periods:
                await self.config_changed_within(None)
                continue
            now = datetime.now(timezone.utc)
            midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
            elapsed = (now - midnight).total_seconds()
            # The next boundary after now and after the last one reported: the timer may
            # wake a little early, and each boundary is reported once.
            if handled is not None and handled.date() == now.date():
                elapsed = max(elapsed, (handled - midnight).total_seconds())
            boundary = min((elapsed // p + 1) * p for p in periods)
            moment = midnight + timedelta(seconds=boundary)
            if await self.config_changed_within(max(0.0, (moment - now).total_seconds())):
                continue
            handled = moment
            if interval > 0 and boundary % interval == 0:
                self._clock_report(moment)
            if tx_interval > 0 and boundary % tx_interval == 0:
                self._clock_tx_ended_sample(moment)

    def _clock_report(self: ReferenceStation201, moment: datetime) -> None:
        """AlignedDataCtrlr.Interval: a MeterValueClock TransactionEvent for an EVSE with a
        transaction, MeterValues for the others; nothing at all while a transaction runs if
        SendDuringIdle (AlignedDataSendDuringIdle, C-28)."""
        busy = any(
            e.session is not None and e.session.tx is not None and not e.session.tx.ended
            for e in self.evses.values()
        )
        if (
            busy
            and self.model.get_bool("AlignedDataCtrlr.SendDuringIdle")
            and not self.has("j_aligned_ignores_idle_only")
        ):
            return
        for evse in self.evses.values():
            session = evse.session
            if session is not None and session.tx is not None and not session.tx.ended:
                value = self.sample(evse, "AlignedDataCtrlr.Measurands", "Sample.Clock", moment)
                if value is not None:
                    self.emit(
                        evse, session, session.tx, "Updated", "MeterValueClock", meter=[value]
                    )
            elif not self.has("j_aligned_idle_silent"):
                self.send_meter_values(evse, "Sample.Clock", moment=moment)

    def _clock_tx_ended_sample(self: ReferenceStation201, moment: datetime) -> None:
        """AlignedDataCtrlr.TxEndedInterval: a Sample.Clock reading of TxEndedMeasurands kept
        for the transaction's Ended event (J01.FR.14)."""
        if self.has("j_ended_without_samples"):
            return
        for evse in self.evses.values():
            session = evse.session
            if session is not None and session.tx is not None and not session.tx.ended:
                value = self.sample(
                    evse, "AlignedDataCtrlr.TxEndedMeasurands", "Sample.Clock", moment
                )
                if value is not None:
                    session.tx.ended_samples.append(value)

    def send_meter_values(
        self: ReferenceStation201,
        evse: Evse,
        context: str,
        *,
        pre_boot: bool = False,
        moment: datetime | None = None,
    ) -> None:
        """MeterValuesRequest with the AlignedDataCtrlr.Measurands (F06.FR.06, J01)."""
        value = self.sample(evse, "AlignedDataCtrlr.Measurands", context, moment) or {
            "timestamp": self.ts(moment),
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

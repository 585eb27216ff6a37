"""Metering of the reference charge point: the energy register and MeterValues (OCPP 1.6 §4.7).

Sampled data every MeterValueSampleInterval from the start of a transaction, clock-aligned
data every ClockAlignedDataInterval from midnight, triggered values, and StopTransaction's
transactionData; all transaction-bound values travel in the station's ordered outbox, so they
are queued while offline and delivered in order afterwards (OCPP 1.6 §4.1, TC_036_CS).
Mixed into :class:`~pytest_ocpp.reference.station.ReferenceStation`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from ocpp.v16 import call

from pytest_ocpp.reference.station_config import csl_items, split_measurand
from pytest_ocpp.reference.station_model import Connector, Transaction

CHARGE_POWER_W = 11000.0


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class MeteringMixin:
    """Meter readings and MeterValues; expects the ReferenceStation attributes."""

    def _meter(self, c: Connector) -> float:
        """The connector's energy register in Wh, advanced while energy flows."""
        now = time.monotonic()
        if c.metered_at and self._status_of(c)[0] == "Charging":
            amps = self._offered_amps(c)
            watts = min(CHARGE_POWER_W, amps * 230 * 3)
            c.energy_wh += watts * (now - c.metered_at) / 3600
        c.metered_at = now
        return c.energy_wh

    def _offered_amps(self, c: Connector) -> float:
        tx = c.transaction
        return self.profiles.limit_at(c.id, _utcnow(), tx.started_at if tx else None, "A")

    def _stop_txn_data(
        self, c: Connector, tx: Transaction, at: datetime, meter_stop: int
    ) -> list[dict[str, Any]]:
        """transactionData for StopTransaction from StopTxnSampledData (OCPP 1.6 §9.1.27)."""
        items = csl_items(self.config.get("StopTxnSampledData"))
        if not items:
            return []
        begin = self._sampled_values(c, items, "Transaction.Begin", energy=tx.meter_start)
        end = self._sampled_values(c, items, "Transaction.End", energy=meter_stop)
        return [
            {"timestamp": self.ts(tx.started_at), "sampled_value": begin},
            {"timestamp": self.ts(at), "sampled_value": end},
        ]

    # ------------------------------------------------------------------ meter values

    def _sampled_values(
        self, c: Connector, items: list[str], context: str, energy: float | None = None
    ) -> list[dict[str, Any]]:
        """One sampledValue per configured measurand (OCPP 1.6 §4.7, §7.43)."""
        if energy is None:
            energy = self._meter(c)
        charging = self._status_of(c)[0] == "Charging"
        amps = min(self._offered_amps(c), CHARGE_POWER_W / 690) if charging else 0.0
        values = []
        for item in items or ["Energy.Active.Import.Register"]:
            measurand, phase = split_measurand(item)
            value, unit = {
                "Energy.Active.Import.Register": (f"{energy:.0f}", "Wh"),
                "Power.Active.Import": (f"{amps * 690:.0f}", "W"),
                "Power.Offered": (f"{self._offered_amps(c) * 690:.0f}", "W"),
                "Current.Import": (f"{amps:.1f}", "A"),
                "Current.Offered": (f"{self._offered_amps(c):.1f}", "A"),
                "Voltage": ("230.0", "V"),
                "SoC": ("50", "Percent"),
                "Temperature": ("25.0", "Celsius"),
                "Frequency": ("50.0", None),
            }.get(measurand, ("0", None))
            entry: dict[str, Any] = {
                "value": value,
                "context": context,
                "format": "Raw",
                "measurand": measurand,
                "location": "Outlet",
            }
            if unit:
                entry["unit"] = unit
            if phase:
                entry["phase"] = phase
            values.append(entry)
        return values

    def _meter_values_payload(
        self, c: Connector, context: str, at: datetime, items: list[str], tx: Transaction | None
    ) -> Callable[[], Any | None]:
        sampled = self._sampled_values(c, items, context)
        stamp = self.ts(at)

        def build() -> Any | None:
            if tx is not None and tx.id is None:
                return None
            return call.MeterValues(
                connector_id=c.id,
                transaction_id=tx.id if tx is not None else None,
                meter_value=[{"timestamp": stamp, "sampled_value": sampled}],
            )

        return build

    async def _sample_loop(self, c: Connector, tx: Transaction) -> None:
        """Sampled data every MeterValueSampleInterval from the start of the transaction,
        queued like every transaction message when offline (OCPP 1.6 §4.7, TC_036/070_CS)."""
        origin_mono, origin = tx.started_mono, tx.started_at
        count = 0
        while c.transaction is tx:
            changed = self._config_changed
            interval = self.config.get_int("MeterValueSampleInterval", 0)
            if interval <= 0:
                await changed.wait()
                origin_mono, origin, count = time.monotonic(), _utcnow(), 0
                continue
            count += 1
            delay = origin_mono + count * interval - time.monotonic()
            try:
                await asyncio.wait_for(changed.wait(), max(0, delay))
            except asyncio.TimeoutError:
                if c.transaction is tx and not self.has("meter_values_not_sent"):
                    items = csl_items(self.config.get("MeterValuesSampledData"))
                    at = origin + timedelta(seconds=count * interval)
                    self._enqueue(
                        self._meter_values_payload(c, "Sample.Periodic", at, items, tx), tx=True
                    )
                continue
            if self.config.get_int("MeterValueSampleInterval", 0) != interval:
                origin_mono, origin, count = time.monotonic(), _utcnow(), 0

    async def _clock_aligned_loop(self) -> None:
        """Clock-aligned data every ClockAlignedDataInterval from midnight (OCPP 1.6 §9.1.5),
        for connectors with a transaction."""
        while True:
            changed = self._config_changed
            interval = self.config.get_int("ClockAlignedDataInterval", 0)
            if interval <= 0:
                await changed.wait()
                continue
            now = _utcnow()
            midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
            elapsed = (now - midnight).total_seconds()
            boundary = midnight + timedelta(seconds=(math.floor(elapsed / interval) + 1) * interval)
            try:
                await asyncio.wait_for(changed.wait(), (boundary - _utcnow()).total_seconds())
                continue
            except asyncio.TimeoutError:
                pass
            if self.has("meter_values_not_sent"):
                continue
            items = csl_items(self.config.get("MeterValuesAlignedData"))
            for c in self.connectors[1:]:
                if c.transaction is not None:
                    self._enqueue(
                        self._meter_values_payload(
                            c, "Sample.Clock", boundary, items, c.transaction
                        ),
                        tx=True,
                    )

    def trigger_meter_values(self, connector_id: int | None) -> None:
        if self.has("meter_values_not_sent"):
            return
        items = csl_items(self.config.get("MeterValuesSampledData"))
        targets = [connector_id] if connector_id else range(1, self.connector_count + 1)
        for cid in targets:
            c = self.connectors[cid]
            self._enqueue(self._meter_values_payload(c, "Trigger", _utcnow(), items, c.transaction))

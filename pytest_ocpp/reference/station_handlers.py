"""CSMS→charge point request handlers of the reference station (OCPP 1.6 §5).

Each ``@on`` handler answers from the station's state; work that must follow the answer
(a StatusNotification, a StopTransaction, a reboot) goes in the matching ``@after`` handler,
which the ``ocpp`` library runs only once the CallResult is on the wire, so the order the
Central System sees is the order the specification describes.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ocpp.exceptions import NotSupportedError
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action

from pytest_ocpp.reference.station_rpc import ConformantRpc
from pytest_ocpp.reference.station_smart import parse_datetime

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

    from pytest_ocpp.reference.station import ReferenceStation


def _now() -> datetime:
    return datetime.now(timezone.utc)


class StationClient(ConformantRpc, ChargePoint):
    """The ``ocpp`` library's charge point, one per websocket connection; framing, unknown
    actions and payload errors are answered by :class:`ConformantRpc` (OCPP-J 1.6 §4.2.3)."""

    def __init__(
        self, station: ReferenceStation, ws: ClientConnection, response_timeout: float
    ) -> None:
        super().__init__(station.station_id, ws, response_timeout=response_timeout)
        self.station = station

    async def route_message(self, raw_msg: str) -> None:
        """Registered from the moment an Accepted BootNotification.conf arrives: the waiting
        call() resumes only turns of the loop later, and a request the Central System sent
        right after the .conf (a TriggerMessage) must already see the station registered."""
        with contextlib.suppress(ValueError, TypeError, KeyError, IndexError):
            message = json.loads(raw_msg)
            reply = message[2] if message[0] == 3 else None
            boot_conf = isinstance(reply, dict) and {"currentTime", "interval"} <= reply.keys()
            if boot_conf and reply.get("status") == "Accepted":
                self.station.registered = True
        await super().route_message(raw_msg)

    def _require(self, profile: str, action: str) -> None:
        if profile not in self.station.features:
            raise NotSupportedError(
                description=f"{action} belongs to the {profile} profile, which this charge "
                f"point does not support"
            )

    # -------------------------------------------------------------- Core

    @on(Action.change_availability)
    def on_change_availability(self, connector_id: int, type: str) -> Any:
        """ChangeAvailability (OCPP 1.6 §5.2): Scheduled while a transaction runs."""
        st = self.station
        if not 0 <= connector_id <= st.connector_count:
            return call_result.ChangeAvailability(status="Rejected")
        inoperative = type == "Inoperative"
        targets = st.connectors[1:] if connector_id == 0 else [st.connectors[connector_id]]
        scheduled = False
        for c in targets:
            if c.transaction is not None and inoperative:
                c.scheduled_inoperative = True
                scheduled = True
            else:
                c.inoperative = inoperative
                c.scheduled_inoperative = None
                if inoperative:
                    st._cancel_pending(c, refresh=False)
        if connector_id == 0:
            cp = st.connectors[0]
            if scheduled:
                cp.scheduled_inoperative = True
            else:
                cp.inoperative = inoperative
                cp.scheduled_inoperative = None
        return call_result.ChangeAvailability(status="Scheduled" if scheduled else "Accepted")

    @after(Action.change_availability)
    def after_change_availability(self, connector_id: int, type: str) -> None:
        self.station.refresh()

    @on(Action.change_configuration)
    def on_change_configuration(self, key: str, value: str) -> Any:
        """ChangeConfiguration (OCPP 1.6 §5.3): NotSupported for unknown keys, Rejected for
        read-only keys and invalid values (TC_040_CS)."""
        st = self.station
        entry = st.config.entry(key)
        if entry is None:
            status = (
                "Accepted" if st.has("change_configuration_accepts_unknown_key") else "NotSupported"
            )
            return call_result.ChangeConfiguration(status=status)
        if entry.readonly:
            return call_result.ChangeConfiguration(status="Rejected")
        if not entry.validate(value) and not st.has("change_configuration_accepts_invalid_value"):
            return call_result.ChangeConfiguration(status="Rejected")
        entry.value = value
        return call_result.ChangeConfiguration(status="Accepted")

    @after(Action.change_configuration)
    def after_change_configuration(self, key: str, value: str) -> None:
        self.station.config_changed()
        self.station.refresh()

    @on(Action.clear_cache)
    def on_clear_cache(self) -> Any:
        """ClearCache (OCPP 1.6 §5.4)."""
        if self.station.has("clear_cache_rejected"):
            return call_result.ClearCache(status="Rejected")
        self.station.auth_cache.clear()
        return call_result.ClearCache(status="Accepted")

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **_: Any) -> Any:
        """DataTransfer (OCPP 1.6 §5.6): no vendor extensions here (TC_062_CS)."""
        return call_result.DataTransfer(status="UnknownVendorId")

    @on(Action.get_configuration)
    def on_get_configuration(self, key: list[str] | None = None) -> Any:
        """GetConfiguration (OCPP 1.6 §5.8): all keys, or the ones asked plus unknownKey."""
        st = self.station
        if not key or st.has("get_configuration_ignores_key_filter"):
            entries = list(st.config)
            unknown: list[str] = []
        else:
            entries = [e for k in key if (e := st.config.entry(k)) is not None]
            unknown = [k for k in key if k not in st.config]
        return call_result.GetConfiguration(
            configuration_key=[
                {"key": e.key, "readonly": e.readonly, "value": e.value} for e in entries
            ],
            unknown_key=unknown or None,
        )

    @on(Action.remote_start_transaction)
    def on_remote_start_transaction(
        self,
        id_tag: str,
        connector_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
    ) -> Any:
        """RemoteStartTransaction (OCPP 1.6 §5.11): never on connector 0 (TC_027_CS), only
        with a TxProfile (§5.11, TC_060_CS), not on a busy connector (TC_026_CS)."""
        st = self.station
        if st.has("remote_start_rejected"):
            return call_result.RemoteStartTransaction(status="Rejected")
        if charging_profile is not None and (
            charging_profile.get("charging_profile_purpose") != "TxProfile"
            or "SmartCharging" not in st.features
        ):
            return call_result.RemoteStartTransaction(status="Rejected")
        target = st.remote_start(id_tag, connector_id, charging_profile)
        return call_result.RemoteStartTransaction(
            status="Accepted" if target is not None else "Rejected"
        )

    @after(Action.remote_start_transaction)
    def after_remote_start_transaction(
        self,
        id_tag: str,
        connector_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
    ) -> None:
        st = self.station
        for c in st.connectors[1:]:
            if c.pending is not None and c.pending.remote and c.pending.id_tag == id_tag:
                if c.transaction is None and (connector_id is None or c.id == connector_id):
                    st.spawn(st.remote_start_flow(c))
                    return

    @on(Action.remote_stop_transaction)
    def on_remote_stop_transaction(self, transaction_id: int) -> Any:
        """RemoteStopTransaction (OCPP 1.6 §5.12): Rejected for unknown ids (TC_028_CS)."""
        found = self.station.stop_by_id(transaction_id)
        return call_result.RemoteStopTransaction(status="Accepted" if found else "Rejected")

    @after(Action.remote_stop_transaction)
    def after_remote_stop_transaction(self, transaction_id: int) -> None:
        st = self.station
        c = st.stop_by_id(transaction_id)
        if c is not None and not st.has("ignores_remote_stop"):
            st.stop_transaction(c, "Remote")

    @on(Action.reset)
    def on_reset(self, type: str) -> Any:
        """Reset (OCPP 1.6 §5.14)."""
        return call_result.Reset(status="Accepted")

    @after(Action.reset)
    def after_reset(self, type: str) -> None:
        self.station.after_reset(type)

    @on(Action.unlock_connector)
    def on_unlock_connector(self, connector_id: int) -> Any:
        """UnlockConnector (OCPP 1.6 §5.17): NotSupported for a fixed cable or an unknown
        connector (TC_017_2/031_CS), UnlockFailed when the lock jams (TC_030_CS)."""
        st = self.station
        if not 1 <= connector_id <= st.connector_count or st.fixed_cable:
            return call_result.UnlockConnector(status="NotSupported")
        if st.has("unlock_always_fails") or st.connectors[connector_id].unlock_failing:
            return call_result.UnlockConnector(status="UnlockFailed")
        return call_result.UnlockConnector(status="Unlocked")

    @after(Action.unlock_connector)
    def after_unlock_connector(self, connector_id: int) -> None:
        st = self.station
        if not 1 <= connector_id <= st.connector_count or st.fixed_cable:
            return
        c = st.connectors[connector_id]
        if st.has("unlock_always_fails") or c.unlock_failing:
            return
        if c.transaction is not None:
            st.stop_transaction(c, "UnlockCommand")

    # -------------------------------------------------------------- Local Auth List Management

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self) -> Any:
        """GetLocalListVersion (OCPP 1.6 §5.10): -1 without a usable list (TC_042_1_CS),
        0 for an empty one (TC_042_2_CS)."""
        st = self.station
        if st.has("local_list_version_not_updated"):  # "always 0", even without a usable list
            return call_result.GetLocalListVersion(list_version=0)
        if "LocalAuthListManagement" not in st.features or not st.config.get_bool(
            "LocalAuthListEnabled", True
        ):
            return call_result.GetLocalListVersion(list_version=-1)
        if not st.local_list:
            return call_result.GetLocalListVersion(list_version=0)
        return call_result.GetLocalListVersion(list_version=st.local_list_version)

    @on(Action.send_local_list)
    def on_send_local_list(
        self,
        list_version: int,
        update_type: str,
        local_authorization_list: list[dict[str, Any]] | None = None,
    ) -> Any:
        """SendLocalList (OCPP 1.6 §5.15): Full replaces, Differential needs a newer version
        (VersionMismatch, TC_043_2_CS)."""
        st = self.station
        if "LocalAuthListManagement" not in st.features:
            return call_result.SendLocalList(status="NotSupported")
        entries = local_authorization_list or []
        if st.failing["local_list"] or len(entries) > st.config.get_int(
            "SendLocalListMaxLength", 100
        ):
            return call_result.SendLocalList(status="Failed")
        if update_type == "Full":
            new_list = {
                e["id_tag"]: dict(e["id_tag_info"]) for e in entries if e.get("id_tag_info")
            }
        else:
            if list_version <= st.local_list_version:
                return call_result.SendLocalList(status="VersionMismatch")
            new_list = dict(st.local_list)
            for e in entries:
                if e.get("id_tag_info"):
                    new_list[e["id_tag"]] = dict(e["id_tag_info"])
                else:
                    new_list.pop(e["id_tag"], None)
        if len(new_list) > st.config.get_int("LocalAuthListMaxLength", 100):
            return call_result.SendLocalList(status="Failed")
        st.local_list = new_list
        st.local_list_version = list_version
        return call_result.SendLocalList(status="Accepted")

    # -------------------------------------------------------------- Reservation

    @on(Action.reserve_now)
    def on_reserve_now(
        self,
        connector_id: int,
        expiry_date: str,
        id_tag: str,
        reservation_id: int,
        parent_id_tag: str | None = None,
    ) -> Any:
        """ReserveNow (OCPP 1.6 §5.13, TC_046..050_CS)."""
        status = self.station.reserve(
            reservation_id, connector_id, id_tag, parent_id_tag, parse_datetime(expiry_date)
        )
        return call_result.ReserveNow(status=status)

    @after(Action.reserve_now)
    def after_reserve_now(self, **_: Any) -> None:
        self.station.refresh()

    @on(Action.cancel_reservation)
    def on_cancel_reservation(self, reservation_id: int) -> Any:
        """CancelReservation (OCPP 1.6 §5.1): Rejected for unknown ids (TC_052_CS)."""
        st = self.station
        if "Reservation" not in st.features:
            return call_result.CancelReservation(status="Rejected")
        found = st.cancel_reservation(reservation_id)
        if not found and st.has("cancel_reservation_unknown_accepted"):
            found = True
        return call_result.CancelReservation(status="Accepted" if found else "Rejected")

    @after(Action.cancel_reservation)
    def after_cancel_reservation(self, reservation_id: int) -> None:
        self.station.refresh()

    # -------------------------------------------------------------- Smart Charging

    @on(Action.set_charging_profile)
    def on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any]
    ) -> Any:
        """SetChargingProfile (OCPP 1.6 §5.16): purpose/connector rules, a TxProfile only for
        the running transaction (TC_058_CS), limits from §9.4."""
        st = self.station
        if "SmartCharging" not in st.features:
            return call_result.SetChargingProfile(status="NotSupported")
        profile = cs_charging_profiles
        purpose = profile.get("charging_profile_purpose")
        schedule = profile.get("charging_schedule") or {}
        allowed_units = {
            {"Current": "A", "Power": "W"}.get(u.strip(), u.strip())
            for u in st.config.get("ChargingScheduleAllowedChargingRateUnit").split(",")
        }
        rejected = (
            st.has("charging_profile_rejected")
            or not 0 <= connector_id <= st.connector_count
            or profile.get("stack_level", 0) > st.config.get_int("ChargeProfileMaxStackLevel", 10)
            or len(schedule.get("charging_schedule_period", []))
            > st.config.get_int("ChargingScheduleMaxPeriods", 24)
            or schedule.get("charging_rate_unit") not in allowed_units
            or (purpose == "ChargePointMaxProfile" and connector_id != 0)
        )
        if not rejected and purpose == "TxProfile":
            c = st.connectors[connector_id] if connector_id > 0 else None
            tx = c.transaction if c is not None else None
            wanted = profile.get("transaction_id")
            rejected = tx is None or (wanted is not None and wanted != tx.id)
            if wanted is None and st.has("tx_profile_requires_transaction_id"):
                rejected = True
        if not rejected:
            others = [p for p in st.profiles.profiles if p.id != profile["charging_profile_id"]]
            rejected = len(others) + 1 > st.config.get_int("MaxChargingProfilesInstalled", 10)
        if rejected:
            return call_result.SetChargingProfile(status="Rejected")
        st.profiles.install(connector_id, profile, _now())
        return call_result.SetChargingProfile(status="Accepted")

    @after(Action.set_charging_profile)
    def after_set_charging_profile(self, **_: Any) -> None:
        self.station.refresh()

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(
        self,
        id: int | None = None,
        connector_id: int | None = None,
        charging_profile_purpose: str | None = None,
        stack_level: int | None = None,
    ) -> Any:
        """ClearChargingProfile (OCPP 1.6 §5.5, TC_067_CS)."""
        st = self.station
        if "SmartCharging" not in st.features:
            return call_result.ClearChargingProfile(status="Unknown")
        removed = st.profiles.clear(
            profile_id=id,
            connector_id=connector_id,
            purpose=charging_profile_purpose,
            stack_level=stack_level,
        )
        return call_result.ClearChargingProfile(status="Accepted" if removed else "Unknown")

    @after(Action.clear_charging_profile)
    def after_clear_charging_profile(self, **_: Any) -> None:
        self.station.refresh()

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(
        self, connector_id: int, duration: int, charging_rate_unit: str | None = None
    ) -> Any:
        """GetCompositeSchedule (OCPP 1.6 §5.7, TC_056/057/066/067/072_CS)."""
        st = self.station
        if "SmartCharging" not in st.features or not 0 <= connector_id <= st.connector_count:
            return call_result.GetCompositeSchedule(status="Rejected")
        tx = st.connectors[connector_id].transaction if connector_id > 0 else None
        _, schedule = st.profiles.composite(
            connector_id,
            duration,
            charging_rate_unit or "A",
            _now(),
            tx.started_at if tx is not None else None,
        )
        return call_result.GetCompositeSchedule(
            status="Accepted",
            connector_id=connector_id,
            schedule_start=schedule["start_schedule"],
            charging_schedule=schedule,
        )

    # -------------------------------------------------------------- Remote Trigger

    @on(Action.trigger_message)
    def on_trigger_message(self, requested_message: str, connector_id: int | None = None) -> Any:
        """TriggerMessage (OCPP 1.6 §5.17): Rejected for an unknown connector (TC_055_CS);
        while not Accepted only a BootNotification may be triggered (§4.2.1)."""
        st = self.station
        self._require("RemoteTrigger", "TriggerMessage")
        if connector_id is not None and not 0 <= connector_id <= st.connector_count:
            return call_result.TriggerMessage(status="Rejected")
        if requested_message == "MeterValues" and connector_id == 0:
            return call_result.TriggerMessage(status="Rejected")
        if not st.registered and requested_message != "BootNotification":
            return call_result.TriggerMessage(status="Rejected")
        return call_result.TriggerMessage(status="Accepted")

    @after(Action.trigger_message)
    def after_trigger_message(
        self, requested_message: str, connector_id: int | None = None
    ) -> None:
        st = self.station
        if self.on_trigger_message(requested_message, connector_id).status != "Accepted":
            return
        if st.has("trigger_message_not_sent"):
            return
        if requested_message == "BootNotification":
            st.trigger_boot()
        elif requested_message == "Heartbeat":
            st.enqueue_heartbeat()
        elif requested_message == "MeterValues":
            st.trigger_meter_values(connector_id)
        elif requested_message == "StatusNotification":
            st.trigger_status(connector_id)
        elif requested_message == "DiagnosticsStatusNotification":
            st.notify_diagnostics(st.diagnostics_status)
        elif requested_message == "FirmwareStatusNotification":
            st.notify_firmware(st.firmware_status)

    # -------------------------------------------------------------- Firmware Management

    @on(Action.update_firmware)
    def on_update_firmware(
        self,
        location: str,
        retrieve_date: str,
        retries: int | None = None,
        retry_interval: int | None = None,
    ) -> Any:
        """UpdateFirmware (OCPP 1.6 §5.19): the answer is empty; the work follows."""
        self._require("FirmwareManagement", "UpdateFirmware")
        return call_result.UpdateFirmware()

    @after(Action.update_firmware)
    def after_update_firmware(
        self,
        location: str,
        retrieve_date: str,
        retries: int | None = None,
        retry_interval: int | None = None,
    ) -> None:
        self.station.spawn(
            self.station.firmware_flow(
                location, parse_datetime(retrieve_date), retries or 0, retry_interval or 0
            )
        )

    @on(Action.get_diagnostics)
    def on_get_diagnostics(self, location: str, **options: Any) -> Any:
        """GetDiagnostics (OCPP 1.6 §5.9): name the file now, upload after answering."""
        self._require("FirmwareManagement", "GetDiagnostics")
        self._diagnostics_file = self.station.diagnostics_file_name()
        return call_result.GetDiagnostics(file_name=self._diagnostics_file)

    @after(Action.get_diagnostics)
    def after_get_diagnostics(
        self,
        location: str,
        retries: int | None = None,
        retry_interval: int | None = None,
        **_: Any,
    ) -> None:
        st = self.station
        if st.has("diagnostics_no_upload"):
            return
        st.spawn(
            st.diagnostics_flow(location, self._diagnostics_file, retries or 0, retry_interval or 0)
        )

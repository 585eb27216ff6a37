"""CSMS→station requests of functional blocks this station does not implement yet.

A charging station answers every OCPP 2.0.1 request it receives; for a feature it lacks, the
schema offers a status that says so (Rejected, NotSupported, Unknown, NotFound, ...), which is
conformant, where a CALLERROR NotImplemented would not be. Later blocks replace these handlers
(H reservations, I tariffs, K smart charging, L firmware, M certificates, N diagnostics and
monitoring, O display messages, P data transfer, B09/B10 network profiles).
"""

from __future__ import annotations

from typing import Any

from ocpp.routing import on
from ocpp.v201 import call_result
from ocpp.v201.enums import Action

__all__ = ["UnsupportedHandlers"]


class UnsupportedHandlers:
    """Answers for the requests of blocks not implemented; mixed into the ChargePoint."""

    @on(Action.cancel_reservation)
    def on_cancel_reservation(self, **_: Any) -> Any:
        """H02.FR.02: no reservation with this id (none can exist: ReserveNow is Rejected)."""
        return call_result.CancelReservation(status="Rejected")

    @on(Action.reserve_now)
    def on_reserve_now(self, **_: Any) -> Any:
        """H01.FR.01: not configured to accept reservations (ReservationCtrlr.Enabled false)."""
        return call_result.ReserveNow(status="Rejected")

    @on(Action.certificate_signed)
    def on_certificate_signed(self, **_: Any) -> Any:
        return call_result.CertificateSigned(status="Rejected")

    @on(Action.install_certificate)
    def on_install_certificate(self, **_: Any) -> Any:
        return call_result.InstallCertificate(status="Rejected")

    @on(Action.delete_certificate)
    def on_delete_certificate(self, **_: Any) -> Any:
        return call_result.DeleteCertificate(status="NotFound")

    @on(Action.get_installed_certificate_ids)
    def on_get_installed_certificate_ids(self, **_: Any) -> Any:
        return call_result.GetInstalledCertificateIds(status="NotFound")

    @on(Action.set_charging_profile)
    def on_set_charging_profile(self, **_: Any) -> Any:
        """K01: SmartChargingCtrlr.Enabled is false."""
        return call_result.SetChargingProfile(status="Rejected")

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(self, **_: Any) -> Any:
        return call_result.ClearChargingProfile(status="Unknown")

    @on(Action.get_charging_profiles)
    def on_get_charging_profiles(self, **_: Any) -> Any:
        return call_result.GetChargingProfiles(status="NoProfiles")

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(self, **_: Any) -> Any:
        return call_result.GetCompositeSchedule(status="Rejected")

    @on(Action.set_display_message)
    def on_set_display_message(self, **_: Any) -> Any:
        return call_result.SetDisplayMessage(status="Rejected")

    @on(Action.get_display_messages)
    def on_get_display_messages(self, **_: Any) -> Any:
        return call_result.GetDisplayMessages(status="Unknown")

    @on(Action.clear_display_message)
    def on_clear_display_message(self, **_: Any) -> Any:
        return call_result.ClearDisplayMessage(status="Unknown")

    @on(Action.cost_updated)
    def on_cost_updated(self, **_: Any) -> Any:
        """I06: nothing to show the driver on; the answer has no status."""
        return call_result.CostUpdated()

    @on(Action.customer_information)
    def on_customer_information(self, **_: Any) -> Any:
        return call_result.CustomerInformation(status="Rejected")

    @on(Action.data_transfer)
    def on_data_transfer(self, **_: Any) -> Any:
        """P01.FR.06: no vendor-specific extension is known."""
        return call_result.DataTransfer(status="UnknownVendorId")

    @on(Action.get_log)
    def on_get_log(self, **_: Any) -> Any:
        return call_result.GetLog(status="Rejected")

    @on(Action.update_firmware)
    def on_update_firmware(self, **_: Any) -> Any:
        return call_result.UpdateFirmware(status="Rejected")

    @on(Action.publish_firmware)
    def on_publish_firmware(self, **_: Any) -> Any:
        """L03: this station is no local controller."""
        return call_result.PublishFirmware(status="Rejected")

    @on(Action.unpublish_firmware)
    def on_unpublish_firmware(self, **_: Any) -> Any:
        return call_result.UnpublishFirmware(status="NoFirmware")

    @on(Action.get_monitoring_report)
    def on_get_monitoring_report(self, **_: Any) -> Any:
        return call_result.GetMonitoringReport(status="NotSupported")

    @on(Action.set_monitoring_base)
    def on_set_monitoring_base(self, **_: Any) -> Any:
        return call_result.SetMonitoringBase(status="NotSupported")

    @on(Action.set_monitoring_level)
    def on_set_monitoring_level(self, **_: Any) -> Any:
        return call_result.SetMonitoringLevel(status="Rejected")

    @on(Action.set_variable_monitoring)
    def on_set_variable_monitoring(
        self, set_monitoring_data: list[dict[str, Any]], **_: Any
    ) -> Any:
        """N04: one result per item; no component supports monitoring here."""
        results = [
            {
                "status": "Rejected",
                "type": item["type"],
                "severity": item["severity"],
                "component": item["component"],
                "variable": item["variable"],
            }
            for item in set_monitoring_data
        ]
        return call_result.SetVariableMonitoring(set_monitoring_result=results)

    @on(Action.clear_variable_monitoring)
    def on_clear_variable_monitoring(self, id: list[int], **_: Any) -> Any:
        results = [{"id": number, "status": "NotFound"} for number in id]
        return call_result.ClearVariableMonitoring(clear_monitoring_result=results)

    @on(Action.set_network_profile)
    def on_set_network_profile(
        self, configuration_slot: int, connection_data: dict[str, Any], **_: Any
    ) -> Any:
        """B09: see :meth:`ReferenceStation201.set_network_profile` (slots 1 and 2)."""
        data = {
            "ocppCsmsUrl": connection_data.get("ocpp_csms_url"),
            "ocppVersion": connection_data.get("ocpp_version"),
            "ocppTransport": connection_data.get("ocpp_transport"),
            "securityProfile": connection_data.get("security_profile", 0),
        }
        status = self.station.set_network_profile(int(configuration_slot), data)
        return call_result.SetNetworkProfile(status=status)

"""The reference 2.0.1 station's device model contents (Part 2 Referenced Components and
Variables; ``dm_components_vars.csv``).

The required variables of the controllers of the blocks this station implements (Required? =
yes), the optional ones it honours (AuthCacheCtrlr, LocalAuthListCtrlr, RetryBackOff*,
AuthCtrlr.OfflineTxForUnknownIdEnabled...), ReservationCtrlr and SmartChargingCtrlr saying
Available false, one EVSE component per EVSE and one Connector component per connector. Values
follow the Part 6 §2.1 general preconditions (AuthCtrlr.LocalPreAuthorize false) and the most
common transaction configuration (TxStartPoint EVConnected,Authorized; E §1.1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_ocpp.reference.station201.device_model import (
    AVAILABILITY,
    MEASURANDS,
    TX_POINTS,
    DeviceModel,
    valid_password,
)
from pytest_ocpp.reference.station201.display import (
    MAX_DISPLAY_MESSAGES,
    SUPPORTED_FORMATS,
    SUPPORTED_PRIORITIES,
)

if TYPE_CHECKING:
    from pytest_ocpp.reference.station201.station import ReferenceStation201

__all__ = ["build_model"]


def build_model(st: ReferenceStation201) -> DeviceModel:
    """The station's device model: required variables (``dm_components_vars.csv``), the
    optional ones it honours, Part 6 §2.1 defaults, live getters into ``st``."""
    m = DeviceModel()
    ro, rw = "ReadOnly", "ReadWrite"
    members = ",".join(MEASURANDS)
    sec = {"unit": "s", "min_limit": 0}
    m.add(
        "ChargingStation.AvailabilityState",
        mutability=ro,
        data_type="OptionList",
        values_list=AVAILABILITY,
        getter=st.station_availability,
    )
    m.add("ChargingStation.Available", True, ro)
    m.add("ChargingStation.Problem", False, ro, getter=lambda: _flag(st.any_fault()))
    m.add("ChargingStation.SupplyPhases", 3, ro)
    m.add("ChargingStation.Model", "ReferenceStation201", ro)
    m.add("ChargingStation.VendorName", "pytest-ocpp", ro)
    m.add("ChargingStation.AllowNewSessionsPendingFirmwareUpdate", False, rw)  # C-20, L01.FR.07
    for evse in st.evses.values():
        e = evse.id
        m.add(
            f"EVSE({e}).AvailabilityState",
            mutability=ro,
            data_type="OptionList",
            values_list=AVAILABILITY,
            getter=lambda e=e: st.evse_availability(e),
        )
        m.add(f"EVSE({e}).Available", True, ro)
        m.add(f"EVSE({e}).AllowReset", not st.has("no_evse_reset"), ro)
        m.add(
            f"EVSE({e}).Power",
            0.0,
            ro,
            unit="W",
            max_limit=22000.0,
            getter=lambda e=e: st.evse_power(e),  # live, for monitors (N07)
        )
        m.add(f"EVSE({e}).Problem", False, ro, getter=lambda e=e: _flag(st.any_fault(e)))
        m.add(f"EVSE({e}).SupplyPhases", 3, ro)
        for name, value in (  # ISO15118Ctrlr per EVSE (block M, A02/A03, C07, M01/M02)
            ("SeccId", f"{st.station_id}-{e}"),
            ("CountryName", "NL"),
            ("OrganizationName", "pytest-ocpp"),
            ("V2GCertificateInstallationEnabled", True),
            ("ContractCertificateInstallationEnabled", True),
            ("PnCEnabled", True),
            ("CentralContractValidationAllowed", False),
            ("ContractValidationOffline", True),
        ):
            m.add(f"ISO15118Ctrlr({e}).{name}", value, ro if name == "SeccId" else rw)
        for c in evse.connectors:
            where = f"Connector({e},{c})"
            m.add(
                f"{where}.AvailabilityState",
                mutability=ro,
                data_type="OptionList",
                values_list=AVAILABILITY,
                getter=lambda e=e, c=c: st.connector_status(e, c),
            )
            m.add(f"{where}.Available", True, ro)
            m.add(f"{where}.ConnectorType", "cType2", ro)
            m.add(f"{where}.Problem", False, ro, getter=lambda e=e, c=c: _flag(st.any_fault(e, c)))
            m.add(f"{where}.SupplyPhases", 3, ro)
            m.add(
                f"ConnectorPlugRetentionLock({e},{c}).Problem",
                False,
                ro,
                getter=lambda e=e, c=c: _flag(st.evses[e].connectors[c].lock_problem),
            )
    m.add("AlignedDataCtrlr.Enabled", True, ro)
    m.add("AlignedDataCtrlr.Interval", 0, rw, **sec)
    m.add(
        "AlignedDataCtrlr.Measurands",
        MEASURANDS[0],
        rw,
        data_type="MemberList",
        values_list=members,
    )
    m.add("AlignedDataCtrlr.SendDuringIdle", False, rw)
    m.add("AlignedDataCtrlr.TxEndedInterval", 0, rw, **sec)
    m.add(
        "AlignedDataCtrlr.TxEndedMeasurands",
        MEASURANDS[0],
        rw,
        data_type="MemberList",
        values_list=members,
    )
    m.add("AlignedDataCtrlr.SignReadings", False, rw)
    m.add("AuthCacheCtrlr.Available", True, ro)
    m.add("AuthCacheCtrlr.Enabled", True, rw)
    m.add("AuthCacheCtrlr.LifeTime", 86400, rw, **sec)
    m.add("AuthCacheCtrlr.Policy", "LRU", ro, data_type="OptionList", values_list="LRU")
    m.add("AuthCacheCtrlr.DisablePostAuthorize", False, rw)
    m.add("AuthCtrlr.Enabled", True, rw)
    m.add("AuthCtrlr.AuthorizeRemoteStart", False, rw)
    m.add("AuthCtrlr.LocalAuthorizeOffline", True, rw)
    m.add("AuthCtrlr.LocalPreAuthorize", False, rw)
    m.add("AuthCtrlr.OfflineTxForUnknownIdEnabled", False, rw)
    m.add("AuthCtrlr.DisableRemoteAuthorization", False, rw)
    m.add("AuthCtrlr.MasterPassGroupId", "", rw, max_limit=36)
    m.add("ClockCtrlr.DateTime", mutability=ro, data_type="dateTime", getter=st.ts)
    m.add(
        "ClockCtrlr.TimeSource",
        "Heartbeat",
        rw,
        data_type="SequenceList",
        values_list="Heartbeat,RealTimeClock",
    )
    for which, items in (("GetReport", 20), ("GetVariables", 50), ("SetVariables", 50)):
        m.add(f"DeviceDataCtrlr.BytesPerMessage[{which}]", 65000, ro)
        m.add(f"DeviceDataCtrlr.ItemsPerMessage[{which}]", items, ro)
    m.add("DisplayMessageCtrlr.Available", True, ro)
    m.add("DisplayMessageCtrlr.Enabled", True, rw)
    m.add(
        "DisplayMessageCtrlr.DisplayMessages",
        mutability=ro,
        data_type="integer",
        max_limit=MAX_DISPLAY_MESSAGES,
        getter=st.display_count,
    )
    m.add("DisplayMessageCtrlr.PersonalMessageSize", 0, ro)
    for name, listed, values in (
        ("SupportedFormats", SUPPORTED_FORMATS, "ASCII,HTML,URI,UTF8"),
        ("SupportedPriorities", SUPPORTED_PRIORITIES, "AlwaysFront,InFront,NormalCycle"),
    ):
        m.add(f"DisplayMessageCtrlr.{name}", listed, ro, data_type="MemberList", values_list=values)
    m.add("LocalAuthListCtrlr.Available", True, ro)
    m.add("LocalAuthListCtrlr.Enabled", True, rw)
    m.add(
        "LocalAuthListCtrlr.Entries",
        mutability=ro,
        data_type="integer",
        max_limit=1000,
        getter=lambda: str(len(st.local_list)),
    )
    m.add("LocalAuthListCtrlr.ItemsPerMessage", 100, ro)
    m.add("LocalAuthListCtrlr.BytesPerMessage", 65000, ro)
    m.add("LocalAuthListCtrlr.DisablePostAuthorize", False, rw)
    m.add("MonitoringCtrlr.Available", True, ro)
    m.add("MonitoringCtrlr.Enabled", True, ro)
    for which in ("SetVariableMonitoring", "ClearVariableMonitoring"):
        m.add(f"MonitoringCtrlr.ItemsPerMessage[{which}]", 20, ro)
        m.add(f"MonitoringCtrlr.BytesPerMessage[{which}]", 65000, ro)
    m.add("MonitoringCtrlr.OfflineQueuingSeverity", 0, rw, min_limit=0, max_limit=9)
    m.add(
        "MonitoringCtrlr.ActiveMonitoringBase",
        mutability=ro,
        data_type="OptionList",
        values_list="All,FactoryDefault,HardWiredOnly",
        getter=st.monitoring_base_name,
    )
    m.add(
        "MonitoringCtrlr.ActiveMonitoringLevel",
        mutability=ro,
        data_type="integer",
        min_limit=0,
        max_limit=9,
        getter=st.monitoring_level_text,
    )
    m.add(
        "OCPPCommCtrlr.FileTransferProtocols",
        "HTTP,HTTPS",  # L01/N01: downloads and uploads with httpx
        ro,
        data_type="MemberList",
        values_list="FTP,FTPS,HTTP,HTTPS,SFTP",
    )
    m.add("OCPPCommCtrlr.HeartbeatInterval", 300, rw, unit="s", min_limit=1)
    m.add("OCPPCommCtrlr.MessageTimeout[Default]", max(1, round(st.response_timeout)), ro, unit="s")
    m.add("OCPPCommCtrlr.MessageAttemptInterval[TransactionEvent]", 10, rw, **sec)
    m.add("OCPPCommCtrlr.MessageAttempts[TransactionEvent]", 3, rw, min_limit=1)
    m.add(
        "OCPPCommCtrlr.NetworkConfigurationPriority",
        "1",
        rw,
        data_type="SequenceList",
        values_list="1,2",
        validator=lambda v: _installed_slots(st, v),  # B10.FR.01/02
    )
    m.add("OCPPCommCtrlr.ActiveNetworkProfile", 1, ro, getter=lambda: str(st.active_slot))
    m.add("OCPPCommCtrlr.NetworkProfileConnectionAttempts", 3, rw, min_limit=1)
    m.add("OCPPCommCtrlr.OfflineThreshold", 60, rw, **sec)
    m.add("OCPPCommCtrlr.ResetRetries", 2, rw, min_limit=0)
    m.add("OCPPCommCtrlr.RetryBackOffRandomRange", 0, rw, **sec)
    m.add("OCPPCommCtrlr.RetryBackOffRepeatTimes", 3, rw, min_limit=0)
    m.add("OCPPCommCtrlr.RetryBackOffWaitMinimum", 1, rw, **sec)
    m.add("OCPPCommCtrlr.UnlockOnEVSideDisconnect", True, rw)
    m.add("OCPPCommCtrlr.WebSocketPingInterval", 0, rw, **sec)
    m.add("ReservationCtrlr.Available", True, ro)
    m.add("ReservationCtrlr.Enabled", True, rw)
    m.add("ReservationCtrlr.NonEvseSpecific", True, rw)
    m.add("SampledDataCtrlr.Available", True, ro)
    m.add("SampledDataCtrlr.Enabled", True, ro)
    for name, value in (
        ("TxEnded", MEASURANDS[0]),
        ("TxStarted", MEASURANDS[0]),
        ("TxUpdated", MEASURANDS[0]),
    ):
        m.add(
            f"SampledDataCtrlr.{name}Measurands",
            value,
            rw,
            data_type="MemberList",
            values_list=members,
        )
    m.add("SampledDataCtrlr.SignReadings", False, rw)
    m.add("SampledDataCtrlr.TxEndedInterval", 0, rw, **sec)
    m.add("SampledDataCtrlr.TxUpdatedInterval", 0, rw, **sec)
    m.add(
        "SecurityCtrlr.BasicAuthPassword",
        st.basic_auth_password or "",
        "WriteOnly",
        validator=valid_password,
    )
    m.add("SecurityCtrlr.AdditionalRootCertificateCheck", False, ro)  # AS-2 (M05.FR.09-14)
    m.add("SecurityCtrlr.CertificateEntries", 0, ro, getter=lambda: str(st.certificate_entries()))
    m.add("SecurityCtrlr.Identity", st.station_id, ro)
    m.add("SecurityCtrlr.OrganizationName", "pytest-ocpp", rw, max_limit=50)
    m.add("SecurityCtrlr.SecurityProfile", 1, ro)
    # K: smart charging in A only (a common AC station; Part 5 SC-2.1 without SC-2.2).
    m.add("SmartChargingCtrlr.Available", True, ro)
    m.add("SmartChargingCtrlr.Enabled", True, ro)
    m.add(
        "SmartChargingCtrlr.Entries[ChargingProfiles]",
        mutability=ro,
        data_type="integer",
        getter=lambda: str(len(st.charging_profiles)),
    )
    m.add("SmartChargingCtrlr.LimitChangeSignificance", 5.0, rw, unit="Percent")
    m.add("SmartChargingCtrlr.PeriodsPerSchedule", 24, ro)
    m.add("SmartChargingCtrlr.ProfileStackLevel", 10, ro)
    m.add("SmartChargingCtrlr.RateUnit", "A", ro, data_type="MemberList", values_list="A,W")
    for instance in ("Tariff", "Cost"):  # I02/I03/I06: see tariff.py
        m.add(f"TariffCostCtrlr.Available[{instance}]", True, ro)
        m.add(f"TariffCostCtrlr.Enabled[{instance}]", True, rw)
    m.add("TariffCostCtrlr.Currency", "EUR", rw, max_limit=3)
    m.add("TariffCostCtrlr.TariffFallbackMessage", "0.30 EUR/kWh", rw, max_limit=255)
    m.add("TariffCostCtrlr.TotalCostFallbackMessage", "Cost unavailable", rw, max_limit=255)
    tx_mutability = ro if st.has("read_only_tx_points") else rw
    m.add("TxCtrlr.EVConnectionTimeOut", 60, rw, unit="s", min_limit=1)
    m.add("TxCtrlr.StopTxOnEVSideDisconnect", True, rw)
    m.add("TxCtrlr.StopTxOnInvalidId", True, rw)
    m.add("TxCtrlr.TxBeforeAcceptedEnabled", False, ro)
    for point in ("TxStartPoint", "TxStopPoint"):
        m.add(
            f"TxCtrlr.{point}",
            "EVConnected,Authorized",
            tx_mutability,
            data_type="MemberList",
            values_list=TX_POINTS,
            validator=bool,
        )
    return m


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _installed_slots(st: ReferenceStation201, value: str) -> bool:
    """NetworkConfigurationPriority names only slots holding a profile, each once (B10.FR.02)."""
    slots = [t.strip() for t in value.split(",")]
    return (
        bool(slots)
        and all(t.isdigit() and int(t) in st.network_profiles for t in slots)
        and len(set(slots)) == len(slots)
    )

"""The config file's tables of facts about the target: ``[tags]`` (id tokens as the target
knows them), ``[station]`` (the station's facts and the scenario settings OCTT lets a tester
configure) and ``[claims]`` (what a 2.0.1 target claims to implement), each checked as it is
read so a typo is one sentence, not a wrong verdict. :mod:`pytest_ocpp.config` builds the run's
configuration from them and re-exports these names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class ConfigError(Exception):
    """A setting that cannot work, explained as a sentence for the user."""


@dataclass(frozen=True)
class IdTags:
    """Id tags as the target under test knows them (OCTT's configuration of the SUT)."""

    valid: str = "VALID_TAG_1"
    valid_2: str = "VALID_TAG_2"
    invalid: str = "UNKNOWN_TAG"
    blocked: str = "BLOCKED_TAG"
    expired: str = "EXPIRED_TAG"
    parent: str = "GROUP_TAG"
    """The parentIdTag / groupIdToken that ``valid_with_parent`` belongs to."""
    valid_with_parent: str = "CHILD_TAG"
    valid_2_with_parent: str = "CHILD_TAG_2"
    """A second Accepted tag of ``parent``'s group (2.0.1 GroupId cases: OCTT's
    valid_idtoken2 "with the same GroupId")."""
    masterpass: str = "MASTERPASS_TAG"
    """Accepted, with groupIdToken ``masterpass_group`` (OCTT's masterpass_idtoken)."""
    masterpass_group: str = "MASTERPASS_GROUP"
    """OCTT's masterPassGroupId: the group of ``masterpass`` (2.0.1 C16)."""
    emaid: str = "NLPYTC000000010"
    """An Accepted eMAID (OCTT's <Configured eMAID>, 2.0.1 C07): the CN of the contract
    certificate."""
    types: Mapping[str, str] = field(default_factory=dict)
    """2.0.1 ``idToken.type`` per tag name (``[tags.types]``, e.g. ``valid = "Central"``);
    a tag without an entry is ``ISO14443``, OCTT's default."""

    def type_of(self, value: str) -> str:
        """The configured ``idToken.type`` of the tag whose value is ``value``."""
        for name in (
            "valid",
            "valid_2",
            "invalid",
            "blocked",
            "expired",
            "parent",
            "valid_with_parent",
            "valid_2_with_parent",
            "masterpass",
            "masterpass_group",
            "emaid",
        ):
            if getattr(self, name) == value and name in self.types:
                return self.types[name]
        if value == self.emaid:
            return "eMAID"  # a contract id is of that type, whatever the default
        return self.types.get("default", "ISO14443")


@dataclass(frozen=True)
class StationSpec:
    """A charging station's facts: what our fake station claims when testing a CSMS, what the
    station under test declares when testing a station."""

    connectors: int = 2
    vendor: str = "pytest-ocpp"
    model: str = "FakeStation"
    fixed_cable: bool = False
    connector_id: int = 1
    """OCTT's <Configured ConnectorId>: the connector every scenario uses."""
    evse_id: int = 1
    """OCTT's <Configured evseId> (2.0.1)."""
    features: tuple[str, ...] = (
        "Core",
        "FirmwareManagement",
        "LocalAuthListManagement",
        "Reservation",
        "SmartCharging",
        "RemoteTrigger",
    )
    extra: Mapping[str, Any] = field(default_factory=dict)


PROFILES_201 = (
    "Core",
    "Advanced Security",
    "Local Authorization List Management",
    "Smart Charging",
    "Advanced Device Management",
    "Reservation",
    "Advanced User Interface",
    "ISO 15118 Support",
)
"""The OCPP 2.0.1 certification profiles (Part 5 §2)."""


@dataclass(frozen=True)
class Claims:
    """What the target under test claims to implement, as in a Protocol Implementation
    Conformance Statement: the certification profiles of 2.0.1 Part 5 §2, and the optional
    features (Part 5 §3: ``C-13``, ``R-2``, ``UI-1.2`` ...), the answers to its additional
    questions (``AQ-1`` ...) and the hardware features (``HFS-1`` ...) that make a conditional
    case apply. A case the claims rule out is not applicable, with the reason; it is never run
    against a target that does not claim it.

    ``None`` (the default) claims everything: every case runs, so a target that lacks a
    feature fails its cases until the user lists what it does implement."""

    profiles: tuple[str, ...] | None = None
    features: tuple[str, ...] | None = None
    lacking: tuple[str, ...] = ()
    """Features, answers and hardware the target does not have, with ``features`` unset:
    "everything but these" (e.g. ``["AQ-2"]`` for a station without a cable lock)."""

    def has_profile(self, name: str) -> bool:
        return self.profiles is None or name in self.profiles

    def has_feature(self, feature: str) -> bool:
        if feature in self.lacking:
            return False
        return self.features is None or feature in self.features


def _build(cls: type, values: Mapping[str, Any], section: str) -> Any:
    known = set(cls.__dataclass_fields__)
    unknown = set(values) - known
    if unknown:
        raise ConfigError(
            f"unknown key(s) {sorted(unknown)} in [{section}] of the config file; "
            f"known keys: {sorted(known)}"
        )
    return cls(**values)


STATION_SCENARIO_KEYS: dict[str, type | tuple[type, ...]] = {
    # [station] keys that tune the station-side scenarios (README, "The config file").
    "meter_value_sample_interval": (int, float),
    "clock_aligned_data_interval": (int, float),
    "transaction_duration": (int, float),
    "retry_backoff_wait_minimum": int,  # 2.0.1 CS offline cases (E11-E14): seconds offline
    "message_attempts_transaction_event": int,  # 2.0.1 CS retry cases (E13)
    "message_attempt_interval_transaction_event": int,  # seconds (E13)
    "offline_threshold": int,  # 2.0.1 TC_B_51/52_CS <Configured offlineThreshold> (s)
    "configuration_slot": int,  # 2.0.1 TC_B_45/46/49_CS <Configured configurationSlot>
    "configuration_slot2": int,  # ... <Configured configurationSlot2>
    "ocpp_csms_url2": str,  # ... the second endpoint (default: this one + "/alt")
    "heartbeat_interval": int,
    "unsupported_component_criteria": str,  # 2.0.1 TC_B_19_CS <Configured Unsupported componentCriteria>
    # 2.0.1 CS N monitoring (testcases/ocpp201/cs/_monitoring_support.py has the defaults).
    "monitor_severity": int,  # <Configured severity>
    "monitor_threshold_variable": str,  # <Configured threshold monitor component variable>
    "monitor_upper_trigger_value": (int, float),  # ... UpperThreshold trigger value
    "monitor_lower_trigger_value": (int, float),  # ... LowerThreshold trigger value
    "monitor_upper_non_trigger_value": (int, float),  # ... UpperThreshold non-trigger value
    "monitor_out_of_range_value": (int, float),  # ... exceeding maxLimit value (TC_N_13)
    "monitor_delta_variable": str,  # <Configured numeric delta component variable>
    "monitor_delta_value": (int, float),  # ... Delta numeric trigger value
    "monitor_non_numeric_variable": str,  # <Configured non-numeric delta component variable>
    "monitoring_unsupported_criterion": str,  # TC_N_04_CS <Configured Unsupported ...>
    "monitoring_unsupported_base": str,  # TC_N_07_CS <Configured unsupported_monitoringBase>
    "hardwired_monitor_id": int,  # TC_N_44_CS: a hard-wired monitor (AQ-5)
    "preconfigured_monitor_id": int,  # TC_N_41_CS <Configured preconfigured monitor id>
    "connection_timeout": int,
    "backup_power": bool,
    "firmware_file": str,
    "invalid_firmware_file": str,
    # CSMS-side: the file locations the CSMS under test is configured with (TC_044/045_CSMS).
    "firmware_location": str,
    "diagnostics_location": str,
    # 2.0.1 CSMS-side K SmartCharging: OCTT's <Configured ...> values of the profiles asked for.
    "charging_profile_id": int,
    "stack_level": int,
    "charging_rate_unit": str,
    "charging_schedule_duration": int,
    "number_phases": int,
    "recurrency_kind": str,
    "charging_profile_purpose": str,
    "charging_limit_source": str,
    "max_time_deviation": int,  # 2.0.1 CS K cases: <Configured max time deviation> (s)
    "stack_level2": int,  # 2.0.1 TC_K_33_CS <Configured stackLevel2>
    "charging_limit_source2": str,  # 2.0.1 TC_K_34_CS <Configured chargingLimitSource2>
    # 2.0.1 ISO 15118 (K15-K17): the mock EV's NotifyEVChargingNeedsRequest values.
    "ev_charging_needs": dict,
    "ev_max_schedule_tuples": int,
    # 2.0.1 CSMS-side L Firmware Management: OCTT's <Configured signingCertificate>, <Configured
    # signature> (PEM text or a PEM file path; base64), the MD5 checksum PublishFirmware asks
    # for, and how far ahead the scheduled retrieve/install dateTimes are asked for (s).
    "firmware_signing_certificate": str,
    "firmware_signature": str,
    "firmware_checksum": str,
    "firmware_schedule_delay": (int, float),
    # 2.0.1 CSMS-side M ISO 15118 CertificateManagement: "the configured certificate of the
    # specified certificateType" (PEM text or a PEM file path; the chain leaf first), and the
    # mock EV's Get15118EVCertificateRequest (schema version, base64 EXI requests).
    "csms_root_certificate": str,
    "manufacturer_root_certificate": str,
    "v2g_root_certificate": str,
    "mo_root_certificate": str,
    "v2g_certificate_chain": str,
    "csms_root_private_key": str,  # 2.0.1 CS M/A: signs the Charging Station certificate (PEM)
    "v2g_sub_ca_certificates": str,  # 2.0.1 CS M: SubCA2 then SubCA1, signing V2G certificates
    "v2g_sub_ca_private_key": str,  # 2.0.1 CS M: the key of the first v2g_sub_ca_certificates
    "iso15118_schema_version": str,
    "ev_certificate_install_exi_request": str,
    "ev_certificate_update_exi_request": str,
    # 2.0.1 CSMS-side H Reservation: OCTT's <Configured connectorType> (ConnectorEnumType).
    "connector_type": str,
    # 2.0.1 CSMS-side O DisplayMessage: OCTT's <Configured_Id>, <Configured Priority>, <Configured
    # State>, <Configured Format>, the message text, and the start/end dateTimes as offsets from
    # now in seconds (errata 2025-06 §6.2.111 made them offsets).
    "display_message_id": int,
    "display_message_priority": str,
    "display_message_state": str,
    "display_message_format": str,
    "display_message_content": str,
    "display_message_start_offset": (int, float),
    "display_message_end_offset": (int, float),
    # 2.0.1 CS-side O DisplayMessage (with the keys above): the second priority/state
    # (TC_O_34/35_CS), the unsupported ones (TC_O_17/18/19_CS), the display component, the
    # driver's language (TC_O_15_CS).
    "display_message_priority2": str,
    "display_message_state2": str,
    "display_message_unsupported_priority": str,
    "display_message_unsupported_state": str,
    "display_message_unsupported_format": str,
    "display_message_display": str,
    "display_message_language": str,
    # 2.0.1 CSMS-side F Remote Control: the requestedMessage TC_F_27_CSMS asks the CSMS to
    # trigger (answered NotImplemented).
    "not_implemented_trigger": str,
    # 2.0.1 CSMS-side C Authorization: OCTT's contract certificate chain for ISO 15118 Plug &
    # Charge (PEM text or a PEM file path; leaf first, then its sub-CA(s), optionally the root).
    "contract_certificate_chain": str,
    # 2.0.1 CSMS-side D Local Authorization List: OCTT's <Configured versionNumber>.
    "local_list_version": int,
    # 2.0.1 CSMS-side B Provisioning: the status the CSMS is configured to first answer in
    # TC_B_30/B_31_CSMS (Pending, or Rejected for a CSMS without Pending, Part 5 "C-44 or NOT
    # AQ-16"), and OCTT's <Configured configurationSlot/messageTimeout/ocppCsmsUrl/
    # ocppInterface/securityProfile> of the SetNetworkProfileRequest of TC_B_42/B_44_CSMS.
    "not_accepted_boot_status": str,
    "network_configuration_slot": int,
    "network_message_timeout": int,
    "network_ocpp_csms_url": str,
    "network_ocpp_interface": str,
    "network_security_profile": int,
    # 2.0.1 CSMS-side P DataTransfer: OCTT's <Configured vendorId> and <Configured messageId>
    # (TC_P_02_CSMS); the vendorId also tags the customData of TC_P_03_CSMS.
    "data_transfer_vendor_id": str,
    "data_transfer_message_id": str,
    # 2.0.1 CSMS-side E Transactions: OCTT's <Configured EV connection timeout> (s, TC_E_39).
    "ev_connection_timeout": (int, float),
    # 2.0.1 CS-side N customer information / I tariff: <Configured CustomerIdentifiers>
    # (TC_N_62_CS), <Configured Cost> (personal message text) and <Configured Cost2> (totalCost).
    "customer_identifier": str,
    "cost_message": str,
    "total_cost": (int, float),
    # 2.0.1 CSMS-side N Diagnostics: OCTT's <customer certificate hash data> (TC_N_63_CSMS: a
    # table with hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber).
    "customer_certificate_hash": dict,
    # 2.0.1 CS-side L/N (TC_L_xx, TC_N_25/26/34/35/36, TC_F_16/19): the file server's bind
    # address, OCTT's <Configured ...> firmware signature/certificate of the invalid image, the
    # install/download offsets (s), how long a transfer is kept in progress (s), the log
    # retryInterval (s), logType, and a logType the station has no information of (TC_N_34).
    "file_server_host": str,
    "file_server_port": int,
    "invalid_firmware_signature": str,
    "invalid_firmware_signing_certificate": str,
    "firmware_install_offset": (int, float),
    "firmware_download_offset": (int, float),
    "transfer_hold": (int, float),
    "log_retry_interval": int,
    "log_type": str,
    "log_type_without_logs": str,
    # 2.0.1 CS H Reservation: seconds to the expiryDateTime of TC_H_07_CS (default 3) and
    # <Configured connectorType> of TC_H_15/16_CS (default: the configured connector's).
    "reservation_expiry": int,
    "reservation_connector_type": str,
    # 1.6 CSMS-side Security Whitepaper (TC_073-TC_081): CpoName (the O of our CSR, A02.FR.13),
    # the serial number (its CN, A00.FR.511), the CPO root a signed Charge Point certificate
    # must chain to (PEM text or file), <Configured HashAlgorithm>, <Configured log location>,
    # and the station id TC_083_CSMS upgrades to profile 3 for good (A05.FR.09).
    "cpo_name": str,
    "serial_number": str,
    "cpo_root_certificate": str,
    "hash_algorithm": str,
    "log_location": str,
    "upgrade_station_id": str,
    # 2.0.1 CS-side A Security (testcases/ocpp201/cs/test_security.py): the second slot's
    # <Configured messageTimeout2/ocppInterface2/securityProfile2>, OCTT's "CSMS Keystore
    # Invalid" ([certificate, key] PEM file pairs), <Configured invalid_signingCertificate>,
    # <Configured CertSigningWaitMinimum> (s) and the long operation timeout of TC_A_19 (s).
    "message_timeout2": int,
    "ocpp_interface2": str,
    "security_profile2": int,
    "invalid_server_certificates": list,
    "invalid_signing_certificate": str,
    "cert_signing_wait_minimum": (int, float),
    "downgrade_wait": (int, float),
}


def _build_station(values: Mapping[str, Any]) -> StationSpec:
    known = set(StationSpec.__dataclass_fields__) - {"extra"}
    unknown = set(values) - known - set(STATION_SCENARIO_KEYS)
    if unknown:
        raise ConfigError(
            f"unknown key(s) {sorted(unknown)} in [station] of the config file; known keys: "
            f"{sorted(known | set(STATION_SCENARIO_KEYS))}"
        )
    for key, kind in STATION_SCENARIO_KEYS.items():
        if key in values and (
            not isinstance(values[key], kind)
            or (kind is not bool and isinstance(values[key], bool))
        ):
            raise ConfigError(f"[station] {key} has the wrong type: {values[key]!r}")
    typed = {k: v for k, v in values.items() if k in known}
    if "features" in typed:
        typed["features"] = tuple(typed["features"])
    extra = {k: v for k, v in values.items() if k in STATION_SCENARIO_KEYS}
    return StationSpec(**typed, extra=extra)


ID_TOKEN_TYPES = (
    "Central",
    "eMAID",
    "ISO14443",
    "ISO15693",
    "KeyCode",
    "Local",
    "MacAddress",
    "NoAuthorization",
)
"""2.0.1 IdTokenEnumType (Part 2 §2.2 IdTokenType)."""


def _build_tags(values: Mapping[str, Any]) -> IdTags:
    tags = _build(IdTags, values, "tags")
    names = (set(IdTags.__dataclass_fields__) - {"types"}) | {"default"}
    for name, kind in dict(tags.types).items():
        if name not in names:
            raise ConfigError(
                f"unknown tag {name!r} in [tags.types] of the config file; known: {sorted(names)}"
            )
        if kind not in ID_TOKEN_TYPES:
            raise ConfigError(
                f"[tags.types] {name} = {kind!r} is not a 2.0.1 idToken type; "
                f"one of {', '.join(ID_TOKEN_TYPES)}"
            )
    return tags


FEATURE_ID = re.compile(r"^(?:[A-Z]{1,3}-\d+(?:\.\d+)?)$")
"""A Part 5 feature, question or hardware-feature id: ``C-13``, ``C-29.1``, ``AQ-6``,
``HFS-1``, ``UI-1.2``."""


def _build_claims(values: Mapping[str, Any]) -> Claims:
    claims = _build(Claims, values, "claims")
    profiles = claims.profiles
    if profiles is not None:
        if isinstance(profiles, str) or not all(isinstance(p, str) for p in profiles):
            raise ConfigError("[claims] profiles must be a list of profile names")
        unknown = sorted(set(profiles) - set(PROFILES_201))
        if unknown:
            raise ConfigError(
                f"[claims] profiles: unknown profile(s) {unknown}; the 2.0.1 certification "
                f"profiles are {', '.join(repr(p) for p in PROFILES_201)}"
            )
        profiles = tuple(profiles)
    features = claims.features
    if features is not None:
        if isinstance(features, str) or not all(isinstance(f, str) for f in features):
            raise ConfigError('[claims] features must be a list of feature ids like "C-13"')
        bad = sorted(f for f in features if not FEATURE_ID.match(f))
        if bad:
            raise ConfigError(
                f'[claims] features: {bad} are not Part 5 feature ids (e.g. "C-13", '
                '"AQ-6", "HFS-1", "UI-1.2")'
            )
        features = tuple(features)
    lacking = claims.lacking
    if isinstance(lacking, str) or not all(
        isinstance(f, str) and FEATURE_ID.match(f) for f in lacking
    ):
        raise ConfigError('[claims] lacking must be a list of feature ids like "AQ-2"')
    return Claims(profiles=profiles, features=features, lacking=tuple(lacking))

"""The deliberately broken variants and the conformant variations of the reference 1.6
charge point: each name changes exactly one behaviour, and a proof in ``tests/`` shows which
case it makes fail (or, for a variation, that every case still passes)."""

from __future__ import annotations

from pytest_ocpp.reference.station_rpc import FUZZ_DEFECTS
from pytest_ocpp.reference.station_security import SECURITY_DEFECTS

DEFECTS: dict[str, str] = {
    "status_before_boot_accepted": "Sends StatusNotification while its BootNotification is Pending.",
    "status_before_first_boot": (
        "After a reboot, reports every connector's status before sending BootNotification."
    ),
    "no_heartbeat": "Never sends a Heartbeat.",
    "heartbeat_keeps_pending_interval": (
        "Heartbeats at the interval of a Pending BootNotification.conf and ignores the one of "
        "the Accepted boot that follows (OCPP 1.6 §4.2, §9.1.10)."
    ),
    "remote_start_rejected": "Answers every RemoteStartTransaction with Rejected.",
    "ignores_remote_stop": "Answers RemoteStopTransaction Accepted but never stops the transaction.",
    "wrong_stop_reason": "Sends StopTransaction reason Local whatever the real reason is.",
    "reset_without_reboot": "Accepts Reset but never stops transactions or reboots.",
    "unlock_always_fails": "Answers every UnlockConnector with UnlockFailed.",
    "change_configuration_accepts_unknown_key": "Answers Accepted, not NotSupported, "
    "to ChangeConfiguration of an unknown key.",
    "change_configuration_accepts_invalid_value": "Accepts and stores invalid values "
    "in ChangeConfiguration instead of answering Rejected.",
    "get_configuration_ignores_key_filter": "Returns every key whatever keys GetConfiguration asked for.",
    "clear_cache_rejected": "Answers ClearCache with Rejected and keeps the cache.",
    "local_list_version_not_updated": "GetLocalListVersion always answers 0, "
    "whatever SendLocalList installed.",
    "local_list_ignored": "Stores SendLocalList but never authorizes from it: "
    "every tag goes to the Central System (Authorize.req).",
    "reservation_ignored": "Answers ReserveNow Accepted but never reserves: "
    "the connector stays Available and other tags can charge.",
    "cancel_reservation_unknown_accepted": "Answers CancelReservation Accepted for unknown ids.",
    "charging_profile_rejected": "Answers every SetChargingProfile with Rejected.",
    "trigger_message_not_sent": "Answers TriggerMessage Accepted but never sends the message.",
    "tx_profile_requires_transaction_id": (
        "Rejects a TxProfile without transactionId, which OCPP 1.6 §7.8 makes optional "
        "(the profile then applies to the running transaction)."
    ),
    "firmware_status_skipped": "Skips the Downloading and Downloaded FirmwareStatusNotifications.",
    "diagnostics_no_upload": "Answers GetDiagnostics with a file name but never uploads "
    "nor sends DiagnosticsStatusNotification.",
    "meter_values_not_sent": "Never sends MeterValues (sampled, clock-aligned or triggered).",
    "bad_timestamp": "Sends timestamps that are not ISO 8601 date-times.",
    "transaction_id_ignored": "Sends StopTransaction with transactionId 0 "
    "instead of the id the Central System assigned.",
    "no_status_after_plug_in": "Sends no StatusNotification (Preparing) when a cable is plugged in.",
    "remote_start_without_authorize": "Starts a remote transaction at once, without "
    "Authorize.req, even with AuthorizeRemoteTxRequests true and the idTag not cached.",
    "offline_start_authorized_online": "A card presented while offline waits for the "
    "connection, then sends Authorize.req and starts the transaction online.",
    "preparing_to_reserved": "Reports Reserved between Preparing and StartTransaction, a "
    "transition the OCPP 1.6 §4.9 table forbids.",
    "faulted_on_plug_in": "Reports Faulted instead of Preparing when a cable is plugged in.",
    "accept_untrusted_server_certificate": "Over wss:// it does not verify the Central "
    "System's certificate (1.6 Security Whitepaper A00.FR.307-310: it must refuse one that does "
    "not chain to its CSMS root).",
    "no_basic_auth_header": "Sends no HTTP Basic Authorization header when it connects "
    "(security profiles 1 and 2, 1.6 Security Whitepaper A00.FR.202/203).",
    **SECURITY_DEFECTS,
    **FUZZ_DEFECTS,
}
"""Deliberately broken variants: name → the one behaviour it changes."""

VARIANTS: dict[str, str] = {
    "chatty_status": "Legal variations in status reporting (OCPP 1.6 §4.9, §4.4, §4.5): says "
    "Preparing again right before StartTransaction, passes through SuspendedEV between "
    "StartTransaction and Charging, and repeats Downloading, Installing and Uploading. "
    "Every case must still pass, with warnings.",
    "long_meter_intervals": "Rejects MeterValueSampleInterval below 10 s (0 still disables "
    "sampling), as chargers with a minimum sampling period do (OCPP 1.6 §5.3 Rejected).",
    "http_post_to_location": "Uploads diagnostics over HTTP as a multipart POST to exactly the "
    "location it was given (OCPP 1.6 §5.9 names a location, not a file path), instead of a PUT "
    "to location/fileName.",
}
"""Conformant variations (not defects): name → what it does differently."""

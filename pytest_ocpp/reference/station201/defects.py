"""The deliberately broken variants and the conformant variations of the reference 2.0.1
station: each name changes exactly one behaviour, and a proof in ``tests/`` shows which case it
makes fail (or, for a variation, that every case still passes). Grouped by functional block;
the security and fuzzing defects live beside their code and are merged in here."""

from __future__ import annotations

from pytest_ocpp.reference.station201.security import SECURITY_DEFECTS
from pytest_ocpp.reference.station_rpc import FUZZ_DEFECTS

DEFECTS: dict[str, str] = {
    "c15_wrong_token_type": "The Plug & Charge AuthorizeRequest has idToken.type ISO14443 "
    "instead of eMAID (C07.FR.02).",
    "c15_hash_data_missing": "The Plug & Charge AuthorizeRequest has no "
    "iso15118CertificateHashData for the contract certificate (C07.FR.02).",
    "c15_no_central_certificate": "A contract certificate it cannot validate is not passed in "
    "AuthorizeRequest.certificate although CentralContractValidationAllowed (C07.FR.06).",
    "c15_certificate_when_local": "Sends the whole contract certificate instead of its "
    "iso15118CertificateHashData although it can validate it locally (C07.FR.02/06).",
    "c15_refused_contract_charges": "Lets the EV charge although the AuthorizeResponse for its "
    "contract is not Accepted (C07.FR.13/16, C01.FR.02).",
    "c15_offline_validation_ignored": "Offline, authorizes a contract certificate although "
    "ISO15118Ctrlr.ContractValidationOffline is false (C07.FR.07).",
    "c15_offline_contract_refused": "Offline, refuses a valid contract certificate although "
    "ContractValidationOffline and OfflineTxForUnknownIdEnabled are true (C07.FR.08/12).",
    "c15_session_stop_ignored": "The EV's ISO 15118 SessionStopReq(Terminate) does not end the "
    "authorization (E15).",
    "m_install_not_stored": "Answers InstallCertificate Accepted but does not store the "
    "certificate (M05.FR.01/02).",
    "m_expired_certificate_accepted": "Installs an expired certificate instead of answering "
    "Rejected (M05.FR.07).",
    "m_hash_over_key_info": "certificateHashData.issuerKeyHash is the hash of the issuer's whole "
    "SubjectPublicKeyInfo instead of its public key bits (M03.FR.04, RFC 6960 CertID).",
    "m_not_found_as_accepted": "GetInstalledCertificateIds without a matching certificate answers "
    "Accepted with no entries instead of NotFound (M03.FR.02).",
    "m_delete_ignored": "Answers DeleteCertificate Accepted but keeps the certificate (M04.FR.02).",
    "m_delete_unknown_accepted": "Answers DeleteCertificate for a certificate it does not have "
    "Accepted instead of NotFound (M04.FR.04).",
    "m_station_certificate_deletable": "Deletes its Charging Station certificate on "
    "DeleteCertificate instead of answering Failed (M04.FR.06).",
    "m_chain_without_children": "Reports a V2GCertificateChain without the sub-CAs' "
    "childCertificateHashData (M03.FR.05).",
    "m_csr_weak_key": "The CSR for its Charging Station certificate has a 1024-bit RSA key "
    "(A02.FR.02, Part 6 Table 446).",
    "m_v2g_csr_rsa": "The CSR for its V2G certificate has an RSA key, which ISO 15118 cannot use "
    "(A02, Part 6 Table 447).",
    "m_no_certificate_status": "Never asks the OCSP status of a new V2G certificate "
    "(M06.FR.06/07).",
    "m_additional_root_check_ignored": "With AdditionalRootCertificateCheck true, installs a CSMS "
    "root the old one did not sign (M05.FR.11).",
    "m_ev_certificate_action_swapped": "Forwards the EV's CertificateInstallationReq as "
    "Get15118EVCertificate action Update and its CertificateUpdateReq as Install (M01.FR.01, "
    "M02.FR.01).",
    "m_authorize_without_ev_certificate": "The EV authorizes with Plug & Charge although "
    "Get15118EVCertificate Failed (TC_M_27/29).",
    "e_authorized_wrong_trigger": "The TransactionEventRequest reporting an authorization has "
    "triggerReason CablePluggedIn instead of Authorized (E02.FR.07, E03.FR.01).",
    "e_connection_timeout_ignored": "An authorization without an EV never expires: "
    "TxCtrlr.EVConnectionTimeOut is ignored (E03.FR.05, E06.FR.04).",
    "e_ev_side_disconnect_wrong_trigger": "An EV-side disconnect is reported with triggerReason "
    "EVDeparted instead of EVCommunicationLost (E06.FR.02, E10).",
    "e_remote_stop_reason_local": "A transaction ended by RequestStopTransaction reports "
    "stoppedReason Local instead of Remote (F03.FR.02, E06.FR.08).",
    "e_ev_suspend_ignored": "An EV that is not ready or suspends is reported Charging instead of "
    "SuspendedEV (E01.FR.19, E06.FR.07).",
    "e_remote_authorize_when_disabled": "Sends an AuthorizeRequest for an unknown idToken "
    "although AuthCtrlr.DisableRemoteAuthorization is true (C01.FR.05).",
    "e_power_path_at_authorization": "With TxStartPoint PowerPathClosed the transaction starts "
    "at the authorization, before any EV connected (E01.FR.05).",
    "e_parking_wrong_trigger": "The EV entering the parking bay is reported with triggerReason "
    "CablePluggedIn instead of EVDetected (E01.FR.01).",
    "status_while_pending": "Sends a StatusNotification for every connector while its "
    "BootNotification is Pending (B02.FR.02).",
    "no_status_after_boot": "Sends no StatusNotification for its connectors after an Accepted "
    "BootNotification (B01.FR.05).",
    "boot_reason_always_power_up": "Boots with reason PowerUp whatever the cause, also after a "
    "Reset (B01.FR.09).",
    "no_heartbeat": "Never sends a HeartbeatRequest (G02.FR.02).",
    "heartbeat_ignores_boot_interval": "Keeps its own HeartbeatInterval instead of the interval "
    "of the Accepted BootNotificationResponse (B01.FR.04).",
    "set_variables_accepts_read_only": "SetVariables of a ReadOnly variable is Accepted and "
    "stored instead of Rejected (B05.FR.09).",
    "tx_no_evse_after_plug_in": "The first TransactionEventRequest after the EV connects "
    "lacks evse (E01.FR.16).",
    "tx_seq_no_frozen": "Every TransactionEventRequest of a transaction has seqNo 0 "
    "(E01.FR.07, E §1.3.2).",
    "tx_wrong_stopped_reason": "Ended events carry stoppedReason Other whatever the cause "
    "(E06.FR.08, E07.FR.06).",
    "offline_flag_missing": "TransactionEventRequests queued while offline are delivered "
    "without offline true (E04.FR.03, E12.FR.02).",
    "stop_tx_on_invalid_id_ignored": "Keeps charging after a TransactionEventResponse says the "
    "idToken is not Accepted, whatever StopTxOnInvalidId (E05.FR.09, C15.FR.04).",
    "authorize_cached_without_request": "Starts for a cached Accepted idToken without an "
    "AuthorizeRequest although LocalPreAuthorize is false (C12, TC_C_36).",
    "local_list_version_not_updated": "GetLocalListVersion answers 0 whatever SendLocalList "
    "installed (D02.FR.01).",
    "remote_start_rejected": "Answers every RequestStartTransaction with Rejected (F01, F02).",
    "remote_start_no_remote_start_id": "After a RequestStartTransaction the next "
    "TransactionEventRequest has triggerReason Authorized and no remoteStartId (F01.FR.19/25, "
    "F02.FR.01/21).",
    "reset_without_reboot": "Answers Reset Accepted but never reboots (B11.FR.03, B12.FR.02).",
    "change_availability_ignores_transaction": "Answers ChangeAvailability Inoperative with "
    "Accepted instead of Scheduled while a transaction runs (G03.FR.05, G04.FR.06).",
    "availability_not_persisted": "Forgets Inoperative set by ChangeAvailability when it "
    "reboots (G03.FR.08, B11.FR.02).",
    "c_tx_response_not_cached": "The idTokenInfo of a TransactionEventResponse does not "
    "update the Authorization Cache (C10.FR.05).",
    "c_clear_cache_inverted": "ClearCache is Rejected while the Authorization Cache is enabled "
    "and Accepted while it is disabled (C11.FR.02, C11.FR.04).",
    "c_cache_lifetime_ignored": "Cache entries never expire for AuthCacheCtrlr.LifeTime "
    "(C10.FR.08).",
    "c_group_ignored": "A different idToken of the same GroupId does not end the authorization "
    "(C09.FR.03, C09.FR.07).",
    "c_invalid_group_stops": "An idToken of the same GroupId that is not Accepted still ends the "
    "authorization (C09.FR.11).",
    "c_masterpass_starts": "A Master Pass idToken starts a transaction (C16.FR.03).",
    "c_offline_list_ignored": "Offline, ignores the Local Authorization List: its Accepted "
    "idTokens are treated as unknown (C13.FR.02).",
    "c_offline_refused_list_starts": "Offline, an idToken the Local Authorization List knows as "
    "not Accepted still starts a transaction (C13.FR.02).",
    "c_offline_unknown_refused": "Offline, refuses unknown idTokens although "
    "OfflineTxForUnknownIdEnabled is true (C15.FR.08).",
    "c_cache_over_list": "The Authorization Cache is consulted before the Local Authorization "
    "List (C13.FR.01, C14.FR.01).",
    "d_version_mismatch_ignored": "A Differential SendLocalList with an older version is "
    "Accepted and installed instead of VersionMismatch (D01.FR.19).",
    "d_full_empty_failed": "A Full SendLocalList without entries is answered Failed instead of "
    "emptying the list (D01.FR.04).",
    "d_remove_failed": "A SendLocalList entry without idTokenInfo (remove) is answered Failed "
    "(D01.FR.17).",
    "d_version_while_disabled": "GetLocalListVersion reports the installed version although "
    "LocalAuthListCtrlr.Enabled is false (D02.FR.03).",
    "c_preauthorized_without_id_token": "A session authorized from the cache or the Local "
    "Authorization List without an AuthorizeRequest reports no idToken (C12.FR.02, C14.FR.02).",
    "c_masterpass_ignored": "A Master Pass idToken does not stop the running transactions "
    "(C16.FR.02).",
    "c_different_token_stops": "Any idToken presented during a transaction ends its "
    "authorization, not only the one that started it (C01.FR.03).",
    "c_post_authorize_ignored": "Asks the CSMS about a locally known non-Accepted idToken "
    "although DisablePostAuthorize is true (TC_C_57, TC_C_58).",
    "c_local_refusal_final": "Refuses an idToken the cache or Local Authorization List knows "
    "as not Accepted without asking the CSMS (C10.FR.03, C12.FR.05, C14.FR.03).",
    "c_refused_token_starts": "Starts a session for an idToken whose AuthorizeResponse is not "
    "Accepted (C01.FR.02, C10.FR.03).",
    "g_plug_in_not_reported": "Sends no StatusNotification Occupied when a cable is plugged in "
    "(G01.FR.01/03).",
    "g_unplug_not_reported": "Sends no StatusNotification Available when the cable of an "
    "Occupied connector is unplugged (G01.FR.01/04).",
    "g_availability_change_unreported": "Applies ChangeAvailability but sends no "
    "StatusNotification for the connectors it changed (G03.FR.04, G04.FR.05).",
    "g_same_state_rejected": "Answers Rejected to ChangeAvailability for the state already in "
    "(G03.FR.03, G04.FR.04).",
    "g_scheduled_change_dropped": "Answers Scheduled during a transaction but never applies "
    "the change when it ends (G03.FR.05, G04.FR.06).",
    "g_lock_failure_charges": "Charges although the plug retention lock failed and reports no "
    "ConnectorPlugRetentionLock Problem (G05.FR.01/02).",
    "f_no_ev_connection_timeout": "A remote start without an EV never times out "
    "(TxCtrlr.EVConnectionTimeOut ignored, E03.FR.05, F02.FR.07).",
    "f_unlock_during_transaction": "UnlockConnector during an authorized transaction answers "
    "Unlocked instead of OngoingAuthorizedTransaction (F05.FR.02).",
    "f_unlock_fails": "UnlockConnector without a transaction answers UnlockFailed instead of "
    "Unlocked (F05.FR.04/06).",
    "f_unlock_unknown_connector": "UnlockConnector for an unknown connector answers UnlockFailed "
    "instead of UnknownConnector (F05.FR.03).",
    "f_remote_stop_ignored": "Answers RequestStopTransaction Accepted but keeps the transaction "
    "running (F03.FR.02/03).",
    "f_remote_stop_unknown_accepted": "Answers RequestStopTransaction for a transactionId it does "
    "not run Accepted instead of Rejected (F03.FR.08).",
    "f_trigger_meter_values_context": "Triggered MeterValues carry context Sample.Periodic "
    "instead of Trigger (F06.FR.06).",
    "f_trigger_transaction_event_rejected": "Answers TriggerMessage TransactionEvent Rejected "
    "although a transaction runs (F06.FR.05/07).",
    "f_trigger_not_sent": "Accepts TriggerMessage Heartbeat, LogStatusNotification and "
    "FirmwareStatusNotification but never sends them (F06.FR.10).",
    "f_trigger_status_rejected": "Answers TriggerMessage StatusNotification for a connector "
    "Rejected (F06.FR.05).",
    "f_trigger_status_stale": "A triggered StatusNotification says Available whatever the "
    "connector's state (F06.FR.09).",
    "f_trigger_boot_accepted": "Accepts TriggerMessage BootNotification after an Accepted boot "
    "(F06.FR.17).",
    "f_trigger_unknown_rejected": "Answers TriggerMessage for a message it does not implement "
    "Rejected instead of NotImplemented (F06.FR.08).",
    "j_aligned_idle_silent": "Sends no clock-aligned MeterValuesRequest while no transaction "
    "runs (J01.FR.01/02).",
    "j_aligned_wrong_context": "Clock-aligned readings carry context Sample.Periodic instead "
    "of Sample.Clock (J01.FR.03).",
    "j_aligned_ignores_idle_only": "Keeps sending clock-aligned meter values during a "
    "transaction although AlignedDataCtrlr.SendDuringIdle is true (C-28).",
    "j_no_begin_value": "The Started TransactionEventRequest carries no Transaction.Begin "
    "meter value (J02.FR.01, E01.FR.09).",
    "j_periodic_wrong_trigger": "Periodic Updated events carry triggerReason MeterValueClock "
    "instead of MeterValuePeriodic (J02.FR.02).",
    "j_ended_without_samples": "The Ended TransactionEventRequest carries none of the samples "
    "taken every TxEndedInterval (E06.FR.11, J01.FR.14, J02.FR.10).",
    "j_unsigned_readings": "Ignores SignReadings: no signedMeterValue in its readings "
    "(J01.FR.21, J02.FR.21).",
    "b_boot_retry_ignores_interval": "After a Pending or Rejected BootNotificationResponse, "
    "boots again after 1 s whatever the interval (B02.FR.08, B03.FR.02/06).",
    "b_no_security_error_when_rejected": "Answers CSMS requests normally while its boot is "
    "Rejected instead of CALLERROR SecurityError (B03.FR.08).",
    "b_unknown_status_swapped": "Get/SetVariables answer UnknownVariable for an unknown "
    "component and UnknownComponent for an unknown variable (B05.FR.04/05, B06.FR.06/07).",
    "b_attribute_type_ignored": "Get/SetVariables treat any attributeType as Actual instead of "
    "NotSupportedAttributeType (B05.FR.06, B06.FR.08).",
    "b_set_value_not_validated": "SetVariables accepts values not of the variable's dataType "
    "(B05.FR.07).",
    "b_report_seq_no_from_one": "NotifyReportRequest pages are numbered from seqNo 1 "
    "(B07.FR.10, B08.FR.14).",
    "b_multiple_items_first_only": "Get/SetVariables with several items answer only the first "
    "(B05.FR.01, B06.FR.01).",
    "b_set_not_applied": "SetVariables answers Accepted but keeps the old value (B05.FR.02, "
    "B06.FR.02).",
    "b_component_criteria_ignored": "GetReport ignores componentCriteria (B08.FR.05/07/11).",
    "b_set_variables_always_rejected": "SetVariables answers Rejected to every item (B05.FR.01).",
    "b_reset_on_idle_not_scheduled": "Answers Reset OnIdle during a transaction with Accepted "
    "instead of Scheduled (B12.FR.01).",
    "b_immediate_reset_power_loss": "Transactions a Reset Immediate ends report AbnormalCondition"
    " / PowerLoss instead of ResetCommand / ImmediateReset (B12.FR.04/08, E07.FR.03).",
    "b_network_profile_any_slot": "Accepts SetNetworkProfile for any configurationSlot, also "
    "one it does not have (B09.FR.02).",
    "b_no_status_after_outage": "After an outage reports no connector status, not even one "
    "that changed while offline (B04.FR.01/02).",
    "b_reconnect_without_backoff": "Reconnects after a lost connection at once, ignoring "
    "RetryBackOffWaitMinimum and its doubling (Part 4 §5.3).",
    "b_report_instance_ignored": "GetReport ignores the variable instance: one given reports "
    "them all, none given reports only the first (B08.FR.03/04).",
    "b_report_first_evse_only": "GetReport of an EVSE component without evse reports EVSE 1 "
    "only (B08.FR.04).",
    "e2_status_ongoing_always": "GetTransactionStatus with a transactionId answers "
    "ongoingIndicator true, also for unknown or ended transactions (E14.FR.01/03).",
    "e2_status_ongoing_without_id": "GetTransactionStatus without transactionId includes "
    "ongoingIndicator false instead of omitting it (E14.FR.06).",
    "e2_status_queue_while_ongoing": "GetTransactionStatus answers messagesInQueue true "
    "whenever the transaction is ongoing (E14.FR.05).",
    "e2_offline_timestamp_at_send": "TransactionEventRequests queued while offline carry the "
    "time they are sent instead of when the event occurred (E11.FR.02, E12.FR.02).",
    "b_network_priority_ignored": "After a reboot reconnects to the slot it last used, ignoring "
    "NetworkConfigurationPriority (B10.FR.04).",
    "b_network_no_fallback": "Keeps retrying the first NetworkConfigurationPriority slot, never "
    "falling back to the next after NetworkProfileConnectionAttempts (B10.FR.03/07).",
    "e2_status_queue_ignored": "GetTransactionStatus answers messagesInQueue false although "
    "transaction messages are queued (E14.FR.04/07).",
    "e2_retry_forever": "Keeps resending a failed TransactionEventRequest beyond "
    "MessageAttempts[TransactionEvent] (E13.FR.03).",
    "e2_retry_no_backoff": "Resends a failed TransactionEventRequest at once instead of after "
    "MessageAttemptInterval × the preceding attempts (E13.FR.02).",
    "l_certificate_not_checked": "Accepts UpdateFirmware with a signing certificate no trusted "
    "manufacturer root issued, instead of InvalidCertificate (L01.FR.21/22).",
    "l_signature_not_checked": "Reports SignatureVerified without verifying the firmware "
    "signature (L01.FR.04, L01.FR.03).",
    "l_unsigned_accepted": "Accepts UpdateFirmware without signing certificate and signature "
    "(L01.FR.11/21, TC_L_18).",
    "l_no_firmware_updated_event": "Sends no SecurityEventNotification FirmwareUpdated after "
    "installing (L01.FR.31).",
    "l_install_date_ignored": "Installs at once, ignoring a future installDateTime, without "
    "InstallScheduled (L01.FR.16).",
    "l_retrieve_date_ignored": "Downloads at once, ignoring a future retrieveDateTime, without "
    "DownloadScheduled (L01.FR.13).",
    "l_download_failure_unreported": "A failed download ends silently, without DownloadFailed "
    "(L01.FR.30).",
    "l_damaged_image_installed": "Installs an image that fails its checks and reports Installed "
    "instead of InstallVerificationFailed (L01.FR.29).",
    "l_update_not_canceled": "A second UpdateFirmware during an update is answered Accepted and "
    "both run on, instead of AcceptedCanceled (L01.FR.24).",
    "l_wrong_request_id": "FirmwareStatusNotifications carry requestId 0 instead of the "
    "UpdateFirmwareRequest's (L01.FR.10).",
    "l_evses_stay_available": "While waiting for transactions to end before an update, idle "
    "EVSEs stay Available although AllowNewSessionsPendingFirmwareUpdate is false (L01.FR.07).",
    "n_get_log_no_filename": "GetLogResponse Accepted without the filename of the log "
    "(N01.FR.04, TC_N_25).",
    "n_get_log_without_logs_accepted": "GetLog for a log type it has no information of is "
    "Accepted instead of Rejected (N01.FR.05).",
    "n_second_request_not_canceled": "A second GetLog during an upload is answered Accepted and "
    "the first upload runs on, instead of AcceptedCanceled (N01.FR.12).",
    "n_uploaded_without_upload": "Reports Uploaded without uploading the log file (N01.FR.09).",
    "n_upload_retries_ignored": "A failed log upload is not retried: UploadFailure at once "
    "whatever retries and retryInterval (N01.FR.10).",
    "f_trigger_status_idle": "A triggered LogStatusNotification or FirmwareStatusNotification "
    "says Idle while an upload or a firmware update is in progress (F06.FR.15/16, L01.FR.26).",
    "k_unknown_evse_accepted": "SetChargingProfile and GetCompositeSchedule for an EVSE it does "
    "not have are Accepted instead of Rejected (K01.FR.28, K08.FR.05).",
    "k_tx_profile_unchecked": "A TxProfile is Accepted without a matching transaction on the EVSE, "
    "also for evseId 0 (K01.FR.09/16/33).",
    "k_recurring_rejected": "A Recurring charging profile is Rejected (K01.FR.40).",
    "k_rate_unit_unchecked": "Accepts profiles and composite schedules in the chargingRateUnit it "
    "does not support (K01.FR.26, K08.FR.07).",
    "k_replace_keeps_old": "A SetChargingProfile with the id of an installed profile is Accepted "
    "but the old profile stays (K01.FR.05).",
    "k_report_altered": "ReportChargingProfiles reports every limit 1 higher than installed "
    "(K09.FR.04).",
    "k_get_filter_ignored": "GetChargingProfiles ignores evseId and the criteria and reports "
    "every profile (K09.FR.04-06).",
    "k_external_limit_not_reported": "GetChargingProfiles leaves out the external limit "
    "(ChargingStationExternalConstraints, K12.FR.05).",
    "k_clear_by_id_ignored": "ClearChargingProfile with a chargingProfileId answers Accepted but "
    "keeps the profile (K10.FR.03).",
    "k_clear_criteria_ignored": "ClearChargingProfile by purpose/stackLevel clears nothing and "
    "answers Unknown (K10.FR.04).",
    "k_clear_always_accepted": "ClearChargingProfile answers Accepted when no profile matched "
    "(K10.FR.01).",
    "k_stack_level_ignored": "The composite schedule uses the lowest stackLevel instead of the "
    "highest (K01.FR.17, K08.FR.04).",
    "k_max_profile_ignored": "The composite schedule ignores the ChargingStationMaxProfile "
    "(K08.FR.04).",
    "k_validity_ignored": "The composite schedule ignores validFrom, validTo and startSchedule "
    "(K01.FR.30/36/37).",
    "k_composite_start_stale": "GetCompositeSchedule reports a scheduleStart a year old "
    "(K08.FR.02).",
    "k_remote_start_profile_ignored": "The chargingProfile of a RequestStartTransaction is "
    "dropped (K05.FR.03).",
    "k_needs_without_parameters": "NotifyEVChargingNeeds carries no acChargingParameters "
    "(K15.FR.06, K17.FR.06).",
    "k_rejected_needs_stall": "After NotifyEVChargingNeeds is Rejected the EV never starts "
    "charging (K17.FR.04).",
    "k_offline_hlc_waits": "Offline, the ISO 15118 EV waits for the CSMS instead of charging "
    "within the local limits (K15.FR.15).",
    "k_rate_wrong_trigger": "A changed charging limit is reported with triggerReason "
    "ChargingStateChanged instead of ChargingRateChanged (K17.FR.09, E02).",
    "o_get_never_unknown": "GetDisplayMessages answers Accepted, never Unknown, also when no "
    "message matches (003.FR.06, 004.FR.02/07).",
    "o_filters_ignored": "GetDisplayMessages ignores the priority and state criteria "
    "(004.FR.01/02).",
    "o_transaction_messages_kept": "A display message of a transaction stays after the "
    "transaction ended (002.FR.02).",
    "o_end_time_ignored": "Display messages stay after their endDateTime (001.FR.07, 002.FR.07).",
    "o_unknown_transaction_accepted": "SetDisplayMessage for a transactionId not running is "
    "Accepted instead of UnknownTransaction (002.FR.01).",
    "o_priority_not_checked": "SetDisplayMessage with a priority it does not support is "
    "Accepted instead of NotSupportedPriority (001.FR.01).",
    "o_format_not_checked": "SetDisplayMessage with a message format it does not support is "
    "Accepted instead of NotSupportedMessageFormat (001.FR.03).",
    "o_not_persistent": "Forgets its display messages when it reboots (001.FR.10).",
    "o_always_front_kept": "A second AlwaysFront message does not replace the first "
    "(001.FR.16, 002.FR.18).",
    "o_in_front_replaced": "A second InFront message replaces the first instead of cycling with "
    "it (001.FR.14, 002.FR.16).",
    "o_notify_wrong_request_id": "NotifyDisplayMessagesRequest carries another requestId than "
    "the GetDisplayMessagesRequest (003.FR.05, 004.FR.06).",
    "o_replace_rejected": "SetDisplayMessage with the id of a configured message is Rejected "
    "instead of replacing it (006.FR.01).",
    "o_clear_unknown_accepted": "ClearDisplayMessage of an id not configured is Accepted instead "
    "of Unknown (005.FR.02).",
    "o_report_drops_optional": "NotifyDisplayMessagesRequest omits the state, startDateTime, "
    "endDateTime and transactionId of the messages (003.FR.02, 004.FR.03).",
    "o_set_rejected_during_transaction": "SetDisplayMessage is Rejected while a transaction "
    "runs (001, 002).",
    "o_state_not_checked": "SetDisplayMessage with a message state it does not support is "
    "Accepted instead of NotSupportedState (001.FR.02).",
    "p_unknown_vendor_accepted": "Answers a DataTransferRequest of an unknown vendorId Accepted "
    "(P01.FR.06).",
    "p_custom_data_rejected": "Answers every request carrying customData with CALLERROR "
    "FormatViolation instead of ignoring it (Part 2 §1.4 CustomData, TC_P_03_CS).",
    "n_customer_invalid_accepted": "Answers a CustomerInformationRequest naming no customer "
    "Accepted instead of Invalid (N09.FR.09).",
    "n_customer_no_data_silent": "Sends no NotifyCustomerInformationRequest when it has no data "
    "about the customer (N09.FR.06, N10.FR.04).",
    "n_customer_report_empty": "Reports a customer it has data about with empty data "
    "(N09.FR.05, N10.FR.03).",
    "n_customer_clear_ignored": "Answers a clear Accepted but keeps the customer's data "
    "(N10.FR.03/06).",
    "n_customer_certificate_rejected": "Rejects a CustomerInformationRequest naming a "
    "customerCertificate, although it supports ISO 15118 (N10.FR.09).",
    "n_customer_clear_silent": "Clears without a report but sends no NotifyCustomerInformation"
    "Request saying so (N10.FR.06).",
    "i_cost_updated_error": "Answers CostUpdatedRequest with CALLERROR InternalError instead of "
    "a CostUpdatedResponse (I02.FR.02).",
    "i_running_cost_stops_updates": "A TransactionEventResponse carrying a running cost or "
    "personal message stops the transaction's periodic TransactionEventRequests (I02.FR.04).",
    "e3_departure_wrong_trigger": "The EV leaving the parking bay is reported with triggerReason "
    "EVCommunicationLost instead of EVDeparted (E06.FR.01).",
    "e3_ev_side_charging_state": "With the cable pulled out of the EV but still in the socket "
    "the chargingState is SuspendedEV instead of Idle (E09, E10, E01.FR.18).",
    "e3_reconnect_not_resumed": "An EV reconnected after an EV-side disconnect that kept the "
    "authorization gets no energy: no ChargingStateChanged Charging (E10.FR.01).",
    "e3_status_ongoing_after_offline_end": "GetTransactionStatus answers ongoingIndicator true "
    "for a transaction that ended while its events are still queued (E14.FR.03).",
    "e3_offline_started_dropped": "The Started TransactionEventRequest of a transaction begun "
    "offline is never queued (E12.FR.01).",
    "h_reserved_not_reported": "Accepts reservations but never shows or reports a reserved "
    "EVSE's connectors Reserved (H01.FR.20/23).",
    "h_other_token_allowed": "A reserved EVSE lets any idToken charge, not only the reserved "
    "one or its group (H03.FR.01-06).",
    "h_never_expires": "A reservation never expires: no Available, no ReservationStatusUpdate "
    "Expired at expiryDateTime (H04.FR.01-03).",
    "h_occupied_accepted": "A ReserveNow for a reserved or occupied EVSE is Accepted instead of "
    "Occupied (H01.FR.11/13).",
    "h_unavailable_as_occupied": "A ReserveNow for an Unavailable EVSE is answered Occupied "
    "instead of Unavailable (H01.FR.14).",
    "h_cancel_unknown_accepted": "CancelReservation of an unknown reservationId is Accepted "
    "instead of Rejected (H02.FR.01).",
    "h_cancel_not_applied": "Answers CancelReservation Accepted but keeps the reservation "
    "(H02.FR.02).",
    "h_group_ignored": "The groupIdToken of a reservation is ignored: another idToken of that "
    "group is refused (H03.FR.04/06).",
    "h_kept_when_unavailable": "A reserved EVSE set Inoperative keeps its reservation: no "
    "ReservationStatusUpdate Removed (H01.FR.17).",
    "h_enabled_ignored": "Accepts reservations although ReservationCtrlr.Enabled is false "
    "(H01.FR.01).",
    "h_replace_refused": "A ReserveNow with the id of a pending reservation is answered "
    "Occupied instead of replacing it (H01.FR.02).",
    "h_no_reservation_id": "The transaction of a reserved idToken does not report the "
    "reservationId (H01.FR.15).",
    "h_unspecified_rejected": "Rejects every ReserveNow without evseId although "
    "ReservationCtrlr.NonEvseSpecific is true (H01.FR.04/06/18).",
    "h_non_evse_specific_ignored": "Accepts a ReserveNow without evseId although "
    "ReservationCtrlr.NonEvseSpecific is false (H01.FR.19).",
    "n_report_ignores_criteria": "GetMonitoringReport ignores monitoringCriteria and reports "
    "monitors of every type (N02.FR.05/06/12-14).",
    "n_report_wrong_request_id": "NotifyMonitoringReportRequests carry another requestId than "
    "their GetMonitoringReportRequest (N02.FR.04).",
    "n_unknown_enum_accepted": "GetMonitoringReport with an unknown monitoringCriteria and "
    "SetMonitoringBase with an unknown base are not answered NotSupported (N02.FR.02, N03.FR.02).",
    "n_factory_default_not_supported": "SetMonitoringBase FactoryDefault is answered "
    "NotSupported (N03.FR.01/04).",
    "n_base_keeps_custom": "SetMonitoringBase HardWiredOnly / FactoryDefault keep the custom "
    "monitors (N03.FR.04/05).",
    "n_unknown_status_swapped": "SetVariableMonitoring answers UnknownVariable for an unknown "
    "component and UnknownComponent for an unknown variable (N04.FR.03/04).",
    "n_range_unchecked": "SetVariableMonitoring accepts a negative Delta and thresholds beyond "
    "the variable's limits (N04.FR.06/14).",
    "n_threshold_on_any_type": "SetVariableMonitoring accepts threshold monitors on non-numeric "
    "variables instead of UnsupportedMonitorType (N04.FR.05).",
    "n_duplicate_accepted": "A monitor with the type and severity of another on the same "
    "variable is Accepted instead of Duplicate (N04.FR.10).",
    "n_second_monitor_rejected": "A second monitor on a variable that has one is Rejected "
    "(N04.FR.01/08).",
    "n_replace_ignored": "SetVariableMonitoring with the id of a monitor answers Accepted but "
    "keeps the old monitor (N04.FR.12).",
    "n_replace_mismatch_accepted": "SetVariableMonitoring with the id of a monitor on another "
    "variable replaces it instead of Rejected (N04.FR.16).",
    "n_level_ignored": "Monitors more severe than the monitoring level still notify "
    "(N05.FR.03, N07.FR.15).",
    "n_level_range_unchecked": "SetMonitoringLevel accepts severities outside 0-9 (N05.FR.02).",
    "n_clear_keeps_monitor": "ClearVariableMonitoring answers Accepted but keeps the monitor "
    "(N06.FR.01).",
    "n_clear_always_accepted": "ClearVariableMonitoring answers Accepted for unknown and "
    "hard-wired monitors (N06.FR.02/03).",
    "n_no_cleared_event": "A value back within its threshold is not reported with cleared true "
    "(N07.FR.02).",
    "n_hardwired_as_custom": "Hard-wired notifications are labelled CustomMonitor instead of "
    "HardWiredNotification (N07).",
    "n_offline_events_dropped": "Monitor events of an offline period are dropped whatever "
    "OfflineQueuingSeverity (N07.FR.04).",
    "n_offline_queue_all": "Monitor events of an offline period are queued also above "
    "OfflineQueuingSeverity (N07.FR.04).",
    "n_periodic_silent": "Periodic monitors never send their NotifyEventRequest (N08.FR.06).",
    "n_event_without_monitor_id": "Monitor events omit variableMonitoringId (N07.FR.06).",
    "n_monitors_not_persisted": "Custom monitors are forgotten at a reboot (N07.FR.13).",
    "n_write_only_value_disclosed": "Events of monitors on WriteOnly variables disclose the "
    "value (N07.FR.10).",
    "n_numeric_delta_any_change": "Numeric Delta monitors fire on any change, not only beyond "
    "their value (N07.FR.18).",
    **SECURITY_DEFECTS,
    **FUZZ_DEFECTS,
}
"""Deliberately broken variants: name → the one behaviour it changes."""

VARIANTS: dict[str, str] = {
    "no_evse_reset": "Cannot reset a single EVSE: Reset with evseId is Rejected and "
    "EVSE.AllowReset is false (B11.FR.09/10, B12.FR.09; TC_B_28/29).",
    "read_only_tx_points": "TxCtrlr.TxStartPoint and TxStopPoint are ReadOnly "
    "(EVConnected,Authorized), as fixed in firmware (E §1.1.1).",
    "display_no_faulted_state": "Has no display message state Faulted: SetDisplayMessage with "
    "state Faulted is NotSupportedState (001.FR.02; TC_O_18_CS).",
    "firmware_no_cancel": "Cannot cancel a firmware update: a second UpdateFirmware during one "
    "is Rejected (NOT C-60, L01.FR.27).",
    "firmware_waits_for_idle": "Neither downloads nor installs firmware while a transaction runs "
    "(NOT C-43, NOT AQ-7).",
    "firmware_installs_when_idle": "Downloads firmware during a transaction but installs it only "
    "once the transactions ended (NOT C-43, AQ-7).",
    "firmware_reboot_before_install": "Reboots into its bootloader to install firmware "
    "(InstallRebooting, boot FirmwareUpdate, Installing).",
    "no_diagnostics_log": "Keeps no diagnostics log information: GetLog DiagnosticsLog is "
    "Rejected (N01.FR.05; TC_N_34).",
}
"""Conformant variations (not defects): name → what it does differently."""

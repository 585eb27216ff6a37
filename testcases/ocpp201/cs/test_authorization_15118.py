"""OCPP 2.0.1, Charging Station under test, C. Authorization with ISO 15118 contract
certificates (C07; Part 6 §2.4 TC_C_50-TC_C_55, with the 2025-09 errata: TxStartPoint
preparation, V2G certificates always (re)installed).

pytest-ocpp plays the CSMS (the OCTT column). The EV's Plug & Charge session is the operator
action ``start_iso15118`` (the EV connects with its contract certificate): a rig whose EV
simulator cannot do it makes the case not applicable. The reference station's EV holds a
contract certificate issued under the MO root of the run's test PKI.
Memory State CertificateInstalled (Table 442) installs the configured
``[station] v2g_root_certificate`` and ``mo_root_certificate`` (PEM text or a file path; a
test PKI generated for the run when none is configured), and Memory State
RenewV2GChargingStationCertificate (Table 447) runs when the station has no V2G charging
station certificate yet; both are the fake CSMS's.

Departures: TC_C_50's main scenario is cut from the edition 3 table; its errata
(6.2.36) keeps steps 3-5, so steps 1-2 are those of TC_C_52 (AuthorizeRequest with the eMAID,
answered Accepted, certificateStatus Accepted). A GetCertificateStatusRequest ("the test case
should be robust enough to handle it") gets the fake CSMS's default answer. Post-condition not
in the tables: an AuthorizeResponse that refuses the eMAID (TC_C_51/53) puts it in the
station's Authorization Cache (C10.FR.04), which would decide the offline TC_C_54 (C07.FR.11);
the next case clears the cache (ClearCacheRequest) so it meets the station as found.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import TargetTimeout, check


async def _configure(csms: FakeCsms201, sut: StationConnection, iso: dict[str, str]) -> None:
    """Configuration state: AuthCtrlr (if implemented), TxStartPoint (errata: must contain one
    of PowerPathClosed, Authorized, EVConnected, ParkingBayOccupancy) and the EVSE's
    ISO15118Ctrlr variables, which the case needs."""
    for text, value in (
        ("AuthCtrlr.Enabled", "true"),
        ("AuthCtrlr.DisableRemoteAuthorization", "false"),
    ):
        if await csms.get_variable(sut, text) is not None:
            await csms.configure(sut, {text: value})
    points = await csms.tx_start_points(sut)
    if not {"PowerPathClosed", "Authorized", "EVConnected", "ParkingBayOccupancy"} & set(points):
        await csms.configure(sut, {"TxCtrlr.TxStartPoint": "EVConnected,Authorized"})
    await csms.configure(sut, {f"ISO15118Ctrlr({csms.evse}).{k}": v for k, v in iso.items()})


async def _certificates_installed(
    csms: FakeCsms201, sut: StationConnection, kinds: tuple[str, ...]
) -> None:
    """Memory State CertificateInstalled (Table 442) for each certificateType in ``kinds``,
    then, when the station has no V2G charging station certificate yet, Memory State
    RenewV2GChargingStationCertificate (Table 447): Plug & Charge needs one."""
    for kind in kinds:
        await csms.certificate_installed(sut, kind)
    answer = await sut.call(
        "GetInstalledCertificateIds", {"certificateType": ["V2GCertificateChain"]}
    )
    if answer.get("status") != "Accepted":
        await csms.renew_v2g_charging_station_certificate(sut)


async def _pnc_authorize(
    csms: FakeCsms201,
    sut: StationConnection,
    operator: StationOperator,
    status: str,
    certificate_status: str,
    *,
    certificate: bool,
) -> int:
    """The EV starts Plug & Charge; step 1: an AuthorizeRequest with idToken.type eMAID and
    the certificate (``certificate``: the whole contract certificate, central validation) or
    at least its iso15118CertificateHashData; step 2: answered ``status`` and
    ``certificate_status``. Returns the inbox mark from before the EV started."""
    claim = asyncio.ensure_future(sut.expect_call("Authorize"))
    await asyncio.sleep(0)
    mark = sut.mark()
    step("Manual action: the EV starts ISO 15118 Plug & Charge")
    try:
        await operator.perform("start_iso15118", evse_id=csms.evse, contract=None)
        step("1. The Charging Station sends an AuthorizeRequest")
        item = await claim
    finally:
        claim.cancel()
    payload = item.payload
    step(
        f"2. The OCTT responds idTokenInfo.status {status}, certificateStatus {certificate_status}"
    )
    # Step 2 before step 1's verdict: a request left unanswered would hold the station's
    # message queue and fail the next case too.
    await item.reply({"idTokenInfo": {"status": status}, "certificateStatus": certificate_status})
    if status != "Accepted":  # post-condition: the refusal went into the cache (C10.FR.04)
        csms.after_case(
            "the eMAID's refused Authorization Cache entry",
            lambda s: s.link.call("ClearCache", {}, allow_error=True),
        )
    check(
        (payload.get("idToken") or {}).get("type") == "eMAID",
        "step 1: AuthorizeRequest idToken.type eMAID",
        payload,
    )
    if certificate:
        check(
            bool(payload.get("certificate")),
            "step 1: AuthorizeRequest certificate is provided",
            payload,
        )
    else:
        check(
            bool(payload.get("iso15118CertificateHashData")),
            "step 1: AuthorizeRequest iso15118CertificateHashData is provided",
            payload,
        )
    return mark


async def _authorized_and_charging(csms: FakeCsms201, sut: StationConnection, mark: int) -> None:
    """Step 3: the TransactionEventRequest triggerReason Authorized; step 5: EnergyTransferStarted
    (part 2, the Charging event, looked for from before the EV started: with the EV connected
    the station charges as soon as it is authorized)."""
    step("3. The Charging Station sends a TransactionEventRequest (Authorized)")
    event = await csms.transaction_event(
        sut,
        since=mark,
        label="triggerReason Authorized",
        predicate=lambda p: p["triggerReason"] == "Authorized" or "idToken" in p,
    )
    check(
        event.payload["triggerReason"] == "Authorized",
        "step 3: TransactionEventRequest triggerReason Authorized",
        event.payload,
    )
    step("5. Execute Reusable State EnergyTransferStarted (part 2: chargingState Charging)")
    charging = await csms.transaction_event(
        sut,
        since=mark,
        label="chargingState Charging",
        predicate=lambda p: (p.get("transactionInfo") or {}).get("chargingState") == "Charging",
    )
    csms.transaction_id = str(charging.payload["transactionInfo"]["transactionId"])
    csms.state = "EnergyTransferStarted"


async def _not_charging(csms: FakeCsms201, sut: StationConnection, mark: int, why: str) -> None:
    """Post scenario: no TransactionEventRequest triggerReason Authorized or chargingState
    Charging within <Configured message timeout>."""
    try:
        item = await sut.wait_for(
            "TransactionEvent",
            lambda p: (
                p["triggerReason"] == "Authorized"
                or (p.get("transactionInfo") or {}).get("chargingState") == "Charging"
            ),
            since=mark,
            timeout=csms.config.timeouts.message,
        )
    except TargetTimeout:
        return
    check(False, f"EV is not authorized and shall not charge ({why})", item.payload)


_LOCAL = {"CentralContractValidationAllowed": "false", "PnCEnabled": "true"}
_CENTRAL = {"CentralContractValidationAllowed": "true", "PnCEnabled": "true"}


@ocpp_case("TC_C_50_CS", version="2.0.1")
async def test_tc_c_50_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Online, local contract certificate validation, Accepted (C07.FR.01/02)."""
    sut = await csms.ready(station_operator)
    await _configure(
        csms,
        sut,
        {
            **_LOCAL,
            "ContractCertificateInstallationEnabled": "true",
            "V2GCertificateInstallationEnabled": "true",
        },
    )
    await _certificates_installed(csms, sut, ("V2GRootCertificate", "MORootCertificate"))
    step("Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    mark = await _pnc_authorize(
        csms, sut, station_operator, "Accepted", "Accepted", certificate=False
    )
    await _authorized_and_charging(csms, sut, mark)


@ocpp_case("TC_C_51_CS", version="2.0.1")
async def test_tc_c_51_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Online, local contract certificate validation, Rejected (C07.FR.01/02): answered
    Invalid with certificateStatus ContractCancelled, the EV does not charge."""
    sut = await csms.ready(station_operator)
    await _configure(csms, sut, _LOCAL)
    await _certificates_installed(csms, sut, ("V2GRootCertificate", "MORootCertificate"))
    step("Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    mark = await _pnc_authorize(
        csms, sut, station_operator, "Invalid", "ContractCancelled", certificate=False
    )
    await _not_charging(csms, sut, mark, "AuthorizeResponse Invalid, ContractCancelled")


@ocpp_case("TC_C_52_CS", version="2.0.1", requires="ISO-5")
async def test_tc_c_52_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Online, central contract certificate validation, Accepted (C07.FR.01/02/06): the MO
    root is not installed, so the station sends the contract certificate to the CSMS."""
    sut = await csms.ready(station_operator)
    await _configure(
        csms,
        sut,
        {
            **_CENTRAL,
            "ContractCertificateInstallationEnabled": "true",
            "V2GCertificateInstallationEnabled": "true",
        },
    )
    await _certificates_installed(csms, sut, ("V2GRootCertificate",))
    step("Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    mark = await _pnc_authorize(
        csms, sut, station_operator, "Accepted", "Accepted", certificate=True
    )
    await _authorized_and_charging(csms, sut, mark)


@ocpp_case("TC_C_53_CS", version="2.0.1", requires="ISO-5")
async def test_tc_c_53_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Online, central contract validation fails: answered Invalid with certificateStatus
    CertificateRevoked, the EV does not charge."""
    sut = await csms.ready(station_operator)
    await _configure(csms, sut, _CENTRAL)
    await _certificates_installed(csms, sut, ("V2GRootCertificate",))
    step("Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    mark = await _pnc_authorize(
        csms, sut, station_operator, "Invalid", "CertificateRevoked", certificate=True
    )
    await _not_charging(csms, sut, mark, "AuthorizeResponse Invalid, CertificateRevoked")


async def _offline_pnc(
    csms: FakeCsms201, station_operator: StationOperator, validation_offline: bool
) -> tuple[StationConnection, int]:
    """TC_C_54/55 up to step 6: configuration (ContractValidationOffline as given,
    OfflineTxForUnknownIdEnabled true if implemented, offline timing), memory states
    (certificates; IdTokenCached15118 and IdTokenLocalAuthList for the configured eMAID, each
    "if implemented": when the station has the cache / the list), offline: drive in,
    connect the EV (ISO 15118 starts), wait <Configured Transaction Duration>, reconnect;
    step 3 StatusNotification Occupied; step 5 TransactionEventRequest CablePluggedIn,
    EVConnected, offline true when TxStartPoint contains EVConnected."""
    sut = await csms.ready(station_operator)
    backoff = csms.retry_backoff_wait_minimum
    if await csms.get_variable(sut, "AuthCtrlr.OfflineTxForUnknownIdEnabled") is not None:
        await csms.configure(sut, {"AuthCtrlr.OfflineTxForUnknownIdEnabled": "true"})
    await csms.configure(
        sut,
        {
            "OCPPCommCtrlr.OfflineThreshold": str(backoff + 60),
            "OCPPCommCtrlr.RetryBackOffWaitMinimum": str(backoff),
            "OCPPCommCtrlr.RetryBackOffRandomRange": "0",
        },
    )
    await _configure(
        csms,
        sut,
        {"ContractValidationOffline": str(validation_offline).lower(), "PnCEnabled": "true"},
    )
    await _certificates_installed(csms, sut, ("V2GRootCertificate", "MORootCertificate"))
    if await csms.get_variable(sut, "AuthCacheCtrlr.Enabled") is not None:
        sut = await csms.id_token_cached15118(sut, station_operator)
    if await csms.get_variable(sut, "LocalAuthListCtrlr.Enabled") is not None:
        await csms.id_token_local_auth_list(sut, csms.config.tags.emaid)
    points = await csms.tx_start_points(sut)
    generation = csms.generation
    duration = float(csms.config.station.extra.get("transaction_duration", 0))
    try:
        step("1. The OCTT closes the WebSocket connection AND does not accept a reconnect")
        csms.behaviour.refuse_connections = True
        await csms.drop_connection()
        step("Manual action: drive EV into parking bay; connect the EV and EVSE (ISO 15118)")
        await station_operator.perform("park", evse_id=csms.evse)
        await station_operator.perform("plug_in", evse_id=csms.evse, connector_id=csms.connector)
        csms.ev_connected = True
        await station_operator.perform("start_iso15118", evse_id=csms.evse, contract=None)
        if duration:
            await asyncio.sleep(duration)  # <Configured Transaction Duration>: nothing to await
        step("2. The OCTT accepts the reconnection attempt")
        csms.behaviour.refuse_connections = False
        sut = await csms.next_connection(after=generation, timeout=3 * backoff + 30)
    finally:
        csms.behaviour.refuse_connections = False
    step("3. The Charging Station notifies the CSMS about the status change of the connector")
    await csms.connector_reported(sut, "Occupied", since=0)
    if "EVConnected" in points:
        step("5. TransactionEventRequest CablePluggedIn, EVConnected, offline true")
        item = await sut.wait_for(
            "TransactionEvent",
            lambda p: p["triggerReason"] == "CablePluggedIn",
            describe="TransactionEventRequest triggerReason CablePluggedIn",
        )
        payload: dict[str, Any] = item.payload
        check(
            payload.get("offline") is True
            and payload["transactionInfo"].get("chargingState") == "EVConnected",
            "step 5: TransactionEventRequest triggerReason CablePluggedIn, chargingState "
            "EVConnected, offline true",
            payload,
        )
    return sut, 0


@ocpp_case("TC_C_54_CS", version="2.0.1")
async def test_tc_c_54_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Offline, ContractValidationOffline true (C07.FR.08-12): the contract is validated
    locally while offline; after the reconnection the queued TransactionEventRequest
    triggerReason Authorized carries offline true (step 7), then energy transfer starts."""
    sut, mark = await _offline_pnc(csms, station_operator, True)
    step("7. TransactionEventRequest triggerReason Authorized, offline true")
    item = await sut.wait_for(
        "TransactionEvent",
        lambda p: p["triggerReason"] == "Authorized",
        since=mark,
        describe="TransactionEventRequest triggerReason Authorized",
    )
    check(
        item.payload.get("offline") is True,
        "step 7: TransactionEventRequest triggerReason Authorized, offline true (C07.FR.08)",
        item.payload,
    )
    step("9. Execute Reusable State EnergyTransferStarted (part 2: chargingState Charging)")
    charging = await csms.transaction_event(
        sut,
        since=mark,
        label="chargingState Charging",
        predicate=lambda p: (p.get("transactionInfo") or {}).get("chargingState") == "Charging",
    )
    csms.transaction_id = str(charging.payload["transactionInfo"]["transactionId"])
    csms.state = "EnergyTransferStarted"
    await station_operator.perform("unpark", evse_id=csms.evse)


@ocpp_case("TC_C_55_CS", version="2.0.1")
async def test_tc_c_55_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Offline, ContractValidationOffline false (C07.FR.07): offline the contract is not
    accepted, so nothing is authorized and the EV does not charge (step 7, post scenario).
    About 6 s: the station's reconnection after RetryBackOffWaitMinimum (``[station]
    retry_backoff_wait_minimum``, 2 s) plus the post-scenario <Configured message timeout>
    in which nothing may come."""
    sut, mark = await _offline_pnc(csms, station_operator, False)
    await _not_charging(csms, sut, mark, "C07.FR.07: ContractValidationOffline is false")
    await station_operator.perform("unpark", evse_id=csms.evse)

"""OCPP 2.0.1, Charging Station under test, L. Firmware Management (2.0.1 Edition 3 Part 6
§2.13, Tables 297-311, and the 2025 errata 6.2.82/83).

pytest-ocpp plays the CSMS: it asks for a secure firmware update (L01) with an
UpdateFirmwareRequest whose location is on pytest-ocpp's own HTTP file server
(:mod:`pytest_ocpp.fileserver`) and whose signing certificate and signature are real (the test
PKI of :mod:`pytest_ocpp.firmware_images`, or the manufacturer's, ``[station] firmware_file``,
``firmware_signing_certificate``, ``firmware_signature``, ``invalid_firmware_file``,
``invalid_firmware_signing_certificate``, ``invalid_firmware_signature``). Then it follows the
FirmwareStatusNotificationRequests across whatever reboots the station chooses: the tables'
optional RebootBeforeFirmwareInstallation / RebootBeforeFirmwareActivation (Part 6 Tables
439/440, :mod:`pytest_ocpp.csms.states201_firmware`) or a bare reconnect
(:class:`~._firmware_support.FirmwareRun`). Waits the station paces (download, install,
reboot) use ``--ocpp-transfer-timeout``.

Checked beyond the tool validations, as the cases' requirements: every
FirmwareStatusNotificationRequest carries the UpdateFirmwareRequest's requestId (L01.FR.10).
Tolerated: a repeated status (a retried download), and, after AcceptedCanceled, a late
DownloadFailed/InstallationFailed of the canceled update (errata 6.2.82).

TC_L_12_CS and TC_L_14_CS run the reusable states for the <Configured second Connector> too
(``csms.on_evse``: the states of Tables 430-435 on that EVSE's connector 1).
"""

from __future__ import annotations

import itertools
import random

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import check, not_applicable

from ._firmware_support import (
    FirmwareRun,
    firmware_setup,
    hours_ago,
    ready,
    seconds_ahead,
    update_firmware,
)

_REQUEST_IDS = itertools.count(random.randint(1000, 900000))
"""requestIds of the UpdateFirmwareRequests: new for every request of a run."""


def _request_id() -> int:
    return next(_REQUEST_IDS)


def _accepted(answer: dict[str, object], label: str) -> None:
    check(
        answer.get("status") == "Accepted",
        f"{label}: UpdateFirmwareResponse status Accepted",
        answer,
    )


async def _allow_new_sessions(csms: FakeCsms201, sut: StationConnection, value: str) -> None:
    """Configuration State ChargingStation.AllowNewSessionsPendingFirmwareUpdate (the
    prerequisite says it is implemented; a station without it makes the case n/a)."""
    await csms.configure(sut, {"ChargingStation.AllowNewSessionsPendingFirmwareUpdate": value})


# -- L01 Secure firmware update ------------------------------------------------------------
@ocpp_case("TC_L_01_CS", version="2.0.1")
async def test_tc_l_01_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Secure firmware update, installation successful (L01.FR.01/04/05/09/10/12/13/15/20/21/
    23): Accepted; Downloading, Downloaded, SignatureVerified; then the install as the station
    does it (reboot first or Installing), the activation (reboot or reconnect), Installed and
    SecurityEventNotification FirmwareUpdated (L01.FR.31). The optional connector reports of
    step 9 are not required; a connector left Unavailable must come back (step 16)."""
    setup = await firmware_setup(csms)
    sut = await ready(csms, station_operator)
    request_id = _request_id()
    mark = sut.mark()
    answer = await update_firmware(sut, request_id, setup.firmware(), "1.")
    _accepted(answer, "Step 2")
    run = FirmwareRun(csms, sut, request_id, mark)
    await run.download("Steps 3-8")
    await run.install()


@ocpp_case("TC_L_02_CS", version="2.0.1", requires="C-15")
async def test_tc_l_02_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Install scheduled (L01.FR.16): installDateTime <now + Configured Install Offset Period>
    (``[station] firmware_install_offset``; default 2 s with the run's test image, 300 s with
    a configured ``firmware_file``); after SignatureVerified the station
    reports InstallScheduled and installs when the time comes. Part 5 C-15 (scheduled
    firmware updates) is a CSMS feature in Part 5's list; the catalogue keeps it as the
    condition."""
    setup = await firmware_setup(csms)
    sut = await ready(csms, station_operator)
    request_id = _request_id()
    mark = sut.mark()
    firmware = setup.firmware(installDateTime=seconds_ahead(setup.install_offset))
    answer = await update_firmware(sut, request_id, firmware, "1.")
    _accepted(answer, "Step 2")
    run = FirmwareRun(csms, sut, request_id, mark)
    await run.download("Steps 3-8")
    await run.expect(("InstallScheduled",), "Step 9")
    await run.install()


@ocpp_case("TC_L_03_CS", version="2.0.1", requires="C-15")
async def test_tc_l_03_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Download scheduled (L01.FR.13): retrieveDateTime <now + Configured Download Offset
    Period> (``[station] firmware_download_offset``; default as TC_L_02's): DownloadScheduled first,
    then the download when the time comes, and the whole update."""
    setup = await firmware_setup(csms)
    sut = await ready(csms, station_operator)
    request_id = _request_id()
    mark = sut.mark()
    firmware = setup.firmware(retrieveDateTime=seconds_ahead(setup.download_offset))
    answer = await update_firmware(sut, request_id, firmware, "1.")
    _accepted(answer, "Step 2")
    run = FirmwareRun(csms, sut, request_id, mark)
    await run.download("Steps 3-10", scheduled=True)
    await run.install()


@ocpp_case("TC_L_05_CS", version="2.0.1")
async def test_tc_l_05_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Invalid signing certificate (L01.FR.02/21/22): a certificate no trusted manufacturer
    root issued (generated for the run, like OCTT's) is answered InvalidCertificate (or
    RevokedCertificate) and reported with SecurityEventNotification
    InvalidFirmwareSigningCertificate."""
    setup = await firmware_setup(csms)
    sut = await ready(csms, station_operator, transfer=False)
    mark = sut.mark()
    firmware = setup.firmware(signingCertificate=setup.untrusted_signing_certificate)
    request_id = _request_id()
    answer = await update_firmware(sut, request_id, firmware, "1.")
    _settle_if_started(csms, sut, request_id, answer, mark)
    check(
        answer.get("status") in ("InvalidCertificate", "RevokedCertificate"),
        "Step 2: UpdateFirmwareResponse status InvalidCertificate OR RevokedCertificate",
        answer,
    )
    step("3. The Charging Station sends a SecurityEventNotificationRequest")
    await sut.wait_for(
        "SecurityEventNotification",
        lambda p: p.get("type") == "InvalidFirmwareSigningCertificate",
        since=mark,
        describe="Step 3: SecurityEventNotificationRequest type InvalidFirmwareSigningCertificate",
    )


@ocpp_case("TC_L_06_CS", version="2.0.1")
async def test_tc_l_06_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Invalid signature (L01.FR.03/04): the valid image with <Configured invalid firmware
    signature> (a real signature, of another file): Downloading, Downloaded, then
    InvalidSignature and SecurityEventNotification InvalidFirmwareSignature in either order
    (errata 6.2.83)."""
    setup = await firmware_setup(csms)
    sut = await ready(csms, station_operator)
    request_id = _request_id()
    mark = sut.mark()
    firmware = setup.firmware(signature=setup.invalid_signature)
    answer = await update_firmware(sut, request_id, firmware, "1.")
    _accepted(answer, "Step 2")
    run = FirmwareRun(csms, sut, request_id, mark)
    await run.expect(("Downloading",), "Step 3")
    await run.expect(("Downloaded",), "Step 5")
    await run.expect(("InvalidSignature",), "Step 7")
    step("9. The Charging Station sends a SecurityEventNotificationRequest")
    await run.sut.wait_for(
        "SecurityEventNotification",
        lambda p: p.get("type") == "InvalidFirmwareSignature",
        since=run.since,
        describe="Step 9: SecurityEventNotificationRequest type InvalidFirmwareSignature",
    )


@ocpp_case("TC_L_07_CS", version="2.0.1")
async def test_tc_l_07_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Download failed (L01.FR.30): the location + "_does.not Exist" (404 on the file
    server): Downloading (optional, also repeated per retry), then DownloadFailed."""
    setup = await firmware_setup(csms)
    sut = await ready(csms, station_operator)
    request_id = _request_id()
    mark = sut.mark()
    firmware = setup.firmware(location=setup.location + "_does.not Exist")
    answer = await update_firmware(sut, request_id, firmware, "1.")
    _accepted(answer, "Step 2")
    run = FirmwareRun(csms, sut, request_id, mark)
    first = await run.expect(("Downloading", "DownloadFailed"), "Step 3 (optional) or 5")
    if first.payload["status"] == "Downloading":
        await run.expect(("DownloadFailed",), "Step 5")


@ocpp_case("TC_L_08_CS", version="2.0.1")
async def test_tc_l_08_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Install verification failed (L01.FR.12, L01.FR.29): <Configured invalid firmware
    location> (an image that fails the installer's checks) with its trusted certificate and
    real signature: download and signature succeed, the install ends with
    InstallVerificationFailed or InstallationFailed. Departure: the table's garbled
    retrieveDateTime "<Current DateTime + <Current DateTime - 2 hours>>" is sent as
    <now - 2 hours>; the connectors' return to Available (step 14, not required when the
    station became inoperative) is not checked."""
    setup = await firmware_setup(csms)
    sut = await ready(csms, station_operator)
    request_id = _request_id()
    mark = sut.mark()
    firmware = setup.firmware(
        location=setup.invalid_location,
        retrieveDateTime=hours_ago(),
        signingCertificate=setup.invalid_signing_certificate,
        signature=setup.invalid_signature,
    )
    answer = await update_firmware(sut, request_id, firmware, "1.")
    _accepted(answer, "Step 2")
    run = FirmwareRun(csms, sut, request_id, mark)
    await run.download("Steps 3-8")
    await run.install(failure=True)


@ocpp_case("TC_L_10_CS", version="2.0.1", requires="C-60")
async def test_tc_l_10_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Cancel an update with a new one (L01.FR.24): during the first download (its file
    served slowly, ``[station] transfer_hold`` s) a second UpdateFirmwareRequest is answered
    AcceptedCanceled; from then on the notifications carry the second requestId, and the
    second update completes. A late DownloadFailed/InstallationFailed of the first is
    tolerated (errata 6.2.82)."""
    setup = await firmware_setup(csms)
    sut = await ready(csms, station_operator)
    first_id, second_id = _request_id(), _request_id()
    mark = sut.mark()
    answer = await update_firmware(
        sut, first_id, setup.firmware(location=setup.slow_location), "1."
    )
    _accepted(answer, "Step 2")
    first = FirmwareRun(csms, sut, first_id, mark)
    await first.expect(("Downloading",), "Step 3")
    mark = first.sut.mark()
    answer = await update_firmware(first.sut, second_id, setup.firmware(), "5.")
    check(
        answer.get("status") == "AcceptedCanceled",
        "Step 6: UpdateFirmwareResponse status AcceptedCanceled",
        answer,
    )
    first.abandon()
    run = FirmwareRun(csms, first.sut, second_id, mark)
    run.other_ids.add(first_id)
    await run.download("Steps 7-12")
    await run.install()


@ocpp_case("TC_L_11_CS", version="2.0.1", requires="not C-60")
async def test_tc_l_11_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A station that cannot cancel an update (L01.FR.27): the second UpdateFirmwareRequest
    during the first download is Rejected and the first update completes. Departure: the
    table's step 5 repeats "signature" for the certificate field (a typo); the second request
    carries the configured signingCertificate and signature."""
    setup = await firmware_setup(csms)
    sut = await ready(csms, station_operator)
    request_id = _request_id()
    mark = sut.mark()
    answer = await update_firmware(
        sut, request_id, setup.firmware(location=setup.slow_location), "1."
    )
    _accepted(answer, "Step 2")
    run = FirmwareRun(csms, sut, request_id, mark)
    await run.expect(("Downloading",), "Step 3")
    answer = await update_firmware(run.sut, _request_id(), setup.firmware(), "5.")
    check(
        answer.get("status") == "Rejected",
        "Step 6: UpdateFirmwareResponse status Rejected",
        answer,
    )
    await run.expect(("Downloaded",), "Step 7")
    await run.expect(("SignatureVerified",), "Step 9")
    await run.install()


@ocpp_case("TC_L_12_CS", version="2.0.1", requires="C-20 and not C-43 and not AQ-7")
async def test_tc_l_12_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """New sessions allowed while an update waits, AllowNewSessionsPendingFirmwareUpdate true
    (L01.FR.06/13): during EnergyTransferStarted the update is Accepted and DownloadScheduled;
    a second transaction starts on the second EVSE (step 5); once both sessions ended
    (ParkingBayUnoccupied for each) the update downloads, verifies and installs. Needs two
    EVSEs (Part 5 HFS-8 > 1); <Configured second Connector> is connector 1 of the first EVSE
    other than the configured one. Departure: the second EVSE's session is driven by private
    helpers following Tables 430/435 (the fake CSMS's states follow the configured EVSE only)."""
    second = _second_evse(csms)
    setup = await firmware_setup(csms)
    sut = await ready(csms, station_operator)
    await _allow_new_sessions_if_implemented(csms, sut)
    await _read_tx_points(csms, sut)
    step("(Before) State is EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    request_id = _request_id()
    mark = sut.mark()
    answer = await update_firmware(sut, request_id, setup.firmware(), "1.")
    _accepted(answer, "Step 2")
    run = FirmwareRun(csms, sut, request_id, mark)
    await run.expect(("DownloadScheduled",), "Step 3")
    step(f"5. Execute Reusable State EnergyTransferStarted for EVSE {second} (second connector)")
    with csms.on_evse(second):
        await csms.energy_transfer_started(sut, station_operator)
    step("6. Execute Reusable State ParkingBayUnoccupied for the configured connector")
    await csms.parking_bay_unoccupied(sut, station_operator)
    step(f"7. Execute Reusable State ParkingBayUnoccupied for EVSE {second}")
    with csms.on_evse(second):
        await csms.parking_bay_unoccupied(sut, station_operator)
    await run.expect(("Downloading",), "Step 8")
    await run.expect(("Downloaded",), "Step 10")
    await run.expect(("SignatureVerified",), "Step 12")
    await run.install()


@ocpp_case("TC_L_13_CS", version="2.0.1", requires="not C-43 and not AQ-7")
async def test_tc_l_13_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """No download or install during a transaction, AllowNewSessionsPendingFirmwareUpdate
    false (L01.FR.06/07): the update is Accepted during EnergyTransferStarted, DownloadScheduled
    is optional; the other idle EVSEs are reported Unavailable (step 5); once the session
    ended (ParkingBayUnoccupied, via StopAuthorized/EVDisconnected) the update runs to
    Installed."""
    setup = await firmware_setup(csms)
    sut = await ready(csms, station_operator)
    await _allow_new_sessions(csms, sut, "false")
    await _read_tx_points(csms, sut)
    step("(Before) State is EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    request_id = _request_id()
    mark = sut.mark()
    answer = await update_firmware(sut, request_id, setup.firmware(), "1.")
    _accepted(answer, "Step 2")
    await _idle_evses_unavailable(csms, sut, mark, "Step 5")
    step("7. Execute Reusable State ParkingBayUnoccupied")
    await csms.parking_bay_unoccupied(sut, station_operator)
    run = FirmwareRun(csms, sut, request_id, mark)
    first = await run.expect(("DownloadScheduled", "Downloading"), "Step 3 (optional) or 8")
    if first.payload["status"] == "DownloadScheduled":
        await run.expect(("Downloading",), "Step 8")
    await run.expect(("Downloaded",), "Step 10")
    await run.expect(("SignatureVerified",), "Step 12")
    await run.install()


@ocpp_case("TC_L_14_CS", version="2.0.1", requires="C-20 and not C-43 and AQ-7")
async def test_tc_l_14_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """New sessions allowed while an install waits, AllowNewSessionsPendingFirmwareUpdate
    true (L01.FR.06/34): downloaded and verified during EnergyTransferStarted, then
    InstallScheduled (or Installing); a second transaction starts on the second EVSE (step
    11); after ParkingBayUnoccupied for both the install and activation complete. Two EVSEs
    needed (HFS-8 > 1); step 11a's 30-60 s wait is left out (the station paces the install);
    the second EVSE's session is driven by private helpers (see TC_L_12_CS)."""
    second = _second_evse(csms)
    setup = await firmware_setup(csms)
    sut = await ready(csms, station_operator)
    await _allow_new_sessions_if_implemented(csms, sut)
    await _read_tx_points(csms, sut)
    step("(Before) State is EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    request_id = _request_id()
    mark = sut.mark()
    answer = await update_firmware(sut, request_id, setup.firmware(), "1.")
    _accepted(answer, "Step 2")
    run = FirmwareRun(csms, sut, request_id, mark)
    await run.download("Steps 3-8")
    nine = await run.expect(("InstallScheduled", "Installing"), "Step 9")
    step(f"11. Execute Reusable State EnergyTransferStarted for EVSE {second} (second connector)")
    with csms.on_evse(second):
        await csms.energy_transfer_started(sut, station_operator)
    step("12. Execute Reusable State ParkingBayUnoccupied for the configured connector")
    await csms.parking_bay_unoccupied(sut, station_operator)
    step(f"13. Execute Reusable State ParkingBayUnoccupied for EVSE {second}")
    with csms.on_evse(second):
        await csms.parking_bay_unoccupied(sut, station_operator)
    await run.install(installing_seen=nine.payload["status"] == "Installing")


@ocpp_case("TC_L_15_CS", version="2.0.1", requires="not C-43 and AQ-7")
async def test_tc_l_15_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """No install during a transaction, AllowNewSessionsPendingFirmwareUpdate false
    (L01.FR.06/07/34): downloaded and verified during EnergyTransferStarted, then
    InstallScheduled (or Installing); the idle EVSEs reported Unavailable (step 11); after
    ParkingBayUnoccupied the install and activation complete. Step 12a's 30-60 s wait (only
    when Installing was reported at step 9) is left out: the station paces the install."""
    setup = await firmware_setup(csms)
    sut = await ready(csms, station_operator)
    await _allow_new_sessions(csms, sut, "false")
    await _read_tx_points(csms, sut)
    step("(Before) State is EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    request_id = _request_id()
    mark = sut.mark()
    answer = await update_firmware(sut, request_id, setup.firmware(), "1.")
    _accepted(answer, "Step 2")
    run = FirmwareRun(csms, sut, request_id, mark)
    await run.download("Steps 3-8")
    nine = await run.expect(("InstallScheduled", "Installing"), "Step 9")
    await _idle_evses_unavailable(csms, sut, mark, "Step 11")
    step("13. Execute Reusable State ParkingBayUnoccupied")
    await csms.parking_bay_unoccupied(sut, station_operator)
    await run.install(installing_seen=nine.payload["status"] == "Installing")


@ocpp_case("TC_L_16_CS", version="2.0.1", requires="C-43")
async def test_tc_l_16_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Update during a transaction (L01.FR.06/10/20; C-43): during EnergyTransferStarted the
    update is Accepted and goes Downloading, Downloaded, SignatureVerified, Installing; the
    station reconnects (step 11), then Installed and SecurityEventNotification FirmwareUpdated.
    The transaction is not judged (a next case's ``ready`` stops it)."""
    setup = await firmware_setup(csms)
    sut = await ready(csms, station_operator)
    step("(Before) State is EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    request_id = _request_id()
    mark = sut.mark()
    answer = await update_firmware(sut, request_id, setup.firmware(), "1.")
    _accepted(answer, "Step 2")
    run = FirmwareRun(csms, sut, request_id, mark)
    await run.download("Steps 3-8")
    await run.expect(("Installing",), "Step 9")
    await run.install(installing_seen=True)


@ocpp_case("TC_L_18_CS", version="2.0.1")
async def test_tc_l_18_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """No signing certificate and no signature: a station supporting secure firmware update
    does not accept a non-secure request (L01.FR.11/21): Rejected or InvalidCertificate."""
    setup = await firmware_setup(csms)
    sut = await ready(csms, station_operator, transfer=False)
    firmware = setup.firmware(signingCertificate=None, signature=None)
    request_id, mark = _request_id(), sut.mark()
    answer = await update_firmware(sut, request_id, firmware, "1.")
    _settle_if_started(csms, sut, request_id, answer, mark)
    check(
        answer.get("status") in ("Rejected", "InvalidCertificate"),
        "Step 2: UpdateFirmwareResponse status Rejected OR InvalidCertificate",
        answer,
    )


def _second_evse(csms: FakeCsms201) -> int:
    """<Configured second Connector>: the first EVSE other than the configured one."""
    others = [e for e in range(1, csms.config.station.connectors + 1) if e != csms.evse]
    if not others:
        raise not_applicable("the Charging Station has one EVSE; this case needs two (HFS-8 > 1)")
    return others[0]


async def _allow_new_sessions_if_implemented(csms: FakeCsms201, sut: StationConnection) -> None:
    """Configuration State "AllowNewSessionsPendingFirmwareUpdate is true (If implemented)"."""
    text = "ChargingStation.AllowNewSessionsPendingFirmwareUpdate"
    if await csms.get_variable(sut, text) is not None:
        await csms.configure(sut, {text: "true"})


def _settle_if_started(
    csms: FakeCsms201, sut: StationConnection, request_id: int, answer: dict[str, object], mark: int
) -> None:
    """A refused-to-be-refused update (Accepted where the table wants a refusal) runs on: the
    next case waits for its end (post-condition), instead of meeting it."""
    if answer.get("status") in ("Accepted", "AcceptedCanceled"):
        FirmwareRun(csms, sut, request_id, mark)


async def _read_tx_points(csms: FakeCsms201, sut: StationConnection) -> None:
    """Read TxStartPoint/TxStopPoint before the scenario: the states read them when they
    branch, and the station may be rebooting into its new firmware right after the EV left
    (ParkingBayUnoccupied), when no request can reach it."""
    await csms.tx_start_points(sut)
    await csms.tx_stop_points(sut)


async def _idle_evses_unavailable(csms: FakeCsms201, sut: object, since: int, label: str) -> None:
    """L01.FR.07: every EVSE other than the configured one (which runs the transaction)
    with AvailabilityState Available is reported Unavailable."""
    for evse in range(1, csms.config.station.connectors + 1):
        if evse == csms.evse:
            continue
        step(f"{label} The Charging Station reports EVSE {evse} Unavailable")
        await csms.connector_reported(
            sut,
            "Unavailable",
            since=since,
            evse=evse,
            connector=1,
            label=" (L01.FR.07: idle EVSEs Unavailable while an update waits)",
        )

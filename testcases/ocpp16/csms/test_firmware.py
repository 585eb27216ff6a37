"""OCTT 1.6, Central System under test, Firmware Management (OCTT 1.6 test case document,
§3.15 Firmware Update TC_044_*, §3.16 Diagnostics TC_045_*).

pytest-ocpp plays the Charge Point; its downloads, installations, reboots and uploads are
simulated (the "[The Charge Point starts downloading ...]" actions of the tables are simply what
our station reports next), so the locations the CSMS sends are never contacted. OCTT's
"<Firmware Download URL from test data>" is the ``[station] firmware_location`` key of
``--ocpp-config`` (a URL the CSMS under test has been configured with); the diagnostics upload
location, which OCTT does not prescribe, is asked for from ``[station] diagnostics_location``
but any URL the Charge Point could upload to is accepted. A request from the CSMS is answered
before it is judged; the station's messages carry exactly the fields the tables list.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import OcppConfig
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station16, check

DEFAULT_FIRMWARE_LOCATION = "ftp://firmware.pytest-ocpp.invalid/pytest-ocpp-firmware.bin"
"""``[station] firmware_location`` when the config has none: a URL of the reserved ``.invalid``
domain (RFC 2606), since our station never downloads it."""

DEFAULT_DIAGNOSTICS_LOCATION = "ftp://diagnostics.pytest-ocpp.invalid/"
"""``[station] diagnostics_location`` when the config has none (the directory of OCPP 1.6
§6.25 ``location``)."""

DIAGNOSTICS_FILE = "pytest-ocpp-diagnostics.log"
"""The file our station says it uploads (OCPP 1.6 §5.9)."""

TRANSFER_SCHEMES = ("ftp", "ftps", "http", "https")
"""OCPP 1.6 §8: the file transfer protocols a location may name (FTP, FTPS, HTTP, HTTPS)."""

FSN = "FirmwareStatusNotification"
DSN = "DiagnosticsStatusNotification"


def _setting(ocpp_config: OcppConfig, key: str, default: str) -> str:
    return str(ocpp_config.station.extra.get(key) or default)


# -- §3.15 Firmware Update -------------------------------------------------------------------
async def _update_firmware(
    station: Station16, csms_operator: CsmsOperator, location: str
) -> dict[str, Any]:
    """Steps 1-2: UpdateFirmware.req for ``location`` to be retrieved from now on (OCPP 1.6
    §5.19; ``retrieveDate`` and the optional ``retries``/``retryInterval`` are the CSMS's
    choice), answered with the empty UpdateFirmware.conf (§6.56). Returns the request."""
    step("1. The Central System sends an UpdateFirmware.req")
    request = await csms_operator.request(
        station, "UpdateFirmware", {"location": location, "retrieveDate": station.now()}
    )
    step("2. The Charge Point responds with an UpdateFirmware.conf")
    await request.reply({})
    return request.payload


async def _firmware_status(
    station: Station16, number: int, action: str | None, status: str
) -> None:
    """A FirmwareStatusNotification.req after the table's "[action]", which the CSMS must answer
    (OCPP 1.6 §4.5: "the Central System SHALL respond with a FirmwareStatusNotification.conf")."""
    where = f"[{action}] " if action else ""
    step(f"{number}. {where}The Charge Point sends a FirmwareStatusNotification.req ({status})")
    await station.call(FSN, {"status": status})


async def _all_connectors(station: Station16, number: int, status: str) -> None:
    """The table's "[The Charge Point reports the status of all connectors]": one
    StatusNotification.req per connector, connectorId 1..NumberOfConnectors (the table names
    no connectorId 0, unlike reusable state Booted)."""
    step(f"{number}. [The Charge Point reports the status of all connectors] {status}")
    for connector in range(1, station.spec.connectors + 1):
        await station.status(connector, status)


async def _download_and_install(station: Station16, installed: str) -> None:
    """Steps 3-16 of TC_044_1/TC_044_3: download, connectors Unavailable, install, reboot,
    connectors Available, final status ``installed`` (Installed or InstallationFailed)."""
    await _firmware_status(station, 3, "The Charge Point starts downloading", "Downloading")
    await _firmware_status(station, 5, "The Charge Point has finished downloading", "Downloaded")
    await _all_connectors(station, 7, "Unavailable")
    await _firmware_status(station, 9, "The Charge Point starts installing", "Installing")
    step("11. [The Charge Point reboots] The Charge Point sends a BootNotification.req")
    await station.reconnect()
    conf = await station.boot(expect_accepted=False)
    check(
        conf["status"] == "Accepted",
        "Step 12: BootNotification.conf status Accepted after the firmware reboot (OCPP 1.6 "
        "§4.2; the scenario goes on as a registered Charge Point)",
        conf,
    )
    await _all_connectors(station, 13, "Available")
    await _firmware_status(station, 15, None, installed)


@ocpp_case("TC_044_1_CSMS")
async def test_tc_044_1_csms(
    station: Station16, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS updates a charge point's firmware from the configured location and follows its
    progress: Downloading, Downloaded, Installing, a reboot, Installed (OCPP 1.6 §5.19 Update
    Firmware, §4.5 Firmware Status Notification, §7.25 FirmwareStatus). OCTT checks the
    location against its test data: here ``[station] firmware_location``."""
    location = _setting(ocpp_config, "firmware_location", DEFAULT_FIRMWARE_LOCATION)
    payload = await _update_firmware(station, csms_operator, location)
    check(
        payload["location"] == location,
        f"Step 1: UpdateFirmware.req location {location} (OCTT: the firmware download URL from "
        "the test data, [station] firmware_location; OCPP 1.6 §5.19, §6.55)",
        payload,
    )
    await _download_and_install(station, "Installed")


@ocpp_case("TC_044_2_CSMS")
async def test_tc_044_2_csms(
    station: Station16, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS handles a firmware download that fails: Downloading, then DownloadFailed (OCPP
    1.6 §4.5, §7.25). The table judges nothing of the UpdateFirmware.req, so neither do we."""
    location = _setting(ocpp_config, "firmware_location", DEFAULT_FIRMWARE_LOCATION)
    await _update_firmware(station, csms_operator, location)
    await _firmware_status(station, 3, "The Charge Point starts downloading", "Downloading")
    await _firmware_status(station, 5, "Downloading the firmware fails", "DownloadFailed")


@ocpp_case("TC_044_3_CSMS")
async def test_tc_044_3_csms(
    station: Station16, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS handles a firmware installation that fails: Downloading, Downloaded, Installing,
    a reboot, InstallationFailed (OCPP 1.6 §4.5, §7.25). The table judges nothing of the
    UpdateFirmware.req, so neither do we."""
    location = _setting(ocpp_config, "firmware_location", DEFAULT_FIRMWARE_LOCATION)
    await _update_firmware(station, csms_operator, location)
    await _download_and_install(station, "InstallationFailed")


# -- §3.16 Diagnostics -----------------------------------------------------------------------
async def _get_diagnostics(
    station: Station16, csms_operator: CsmsOperator, ocpp_config: OcppConfig, final: str
) -> None:
    """TC_045_x: GetDiagnostics.req, answered with the file name we upload (OCPP 1.6 §5.9: the
    conf "SHALL" name the file when diagnostics are available, as they are here, so the table's
    bare "GetDiagnostics.conf" carries ``fileName``), then Uploading and ``final``.

    The tables validate nothing on the CSMS side, but their expected result is that the Charge
    Point uploads "to the location that was sent in step 1": the CSMS may choose any location,
    but it must be one a Charge Point can upload to, an absolute URL naming a protocol of OCPP
    1.6 §8 ("The URL also contains the protocol which must be used to upload the file")."""
    asked = _setting(ocpp_config, "diagnostics_location", DEFAULT_DIAGNOSTICS_LOCATION)
    step("1. The Central System sends a GetDiagnostics.req")
    request = await csms_operator.request(station, "GetDiagnostics", {"location": asked})
    step("2. The Charge Point responds with a GetDiagnostics.conf")
    await request.reply({"fileName": DIAGNOSTICS_FILE})
    location = urlsplit(request.payload["location"])
    check(
        location.scheme.lower() in TRANSFER_SCHEMES and bool(location.netloc),
        "Step 1: GetDiagnostics.req location an absolute FTP, FTPS, HTTP or HTTPS URL the Charge "
        "Point can upload to (OCPP 1.6 §5.9, §8.2)",
        request.payload,
    )
    step("3. [The Charge Point starts uploading] DiagnosticsStatusNotification.req (Uploading)")
    await station.call(DSN, {"status": "Uploading"})
    step(f"5. [The upload has ended] DiagnosticsStatusNotification.req ({final})")
    await station.call(DSN, {"status": final})


@ocpp_case("TC_045_1_CSMS")
async def test_tc_045_1_csms(
    station: Station16, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS has a charge point upload its diagnostics and follows the upload: Uploading,
    Uploaded (OCPP 1.6 §5.9 Get Diagnostics, §4.4 Diagnostics Status Notification, §7.24)."""
    await _get_diagnostics(station, csms_operator, ocpp_config, "Uploaded")


@ocpp_case("TC_045_2_CSMS")
async def test_tc_045_2_csms(
    station: Station16, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS handles a diagnostics upload that fails: Uploading, UploadFailed (OCPP 1.6
    §5.9, §4.4, §7.24)."""
    await _get_diagnostics(station, csms_operator, ocpp_config, "UploadFailed")

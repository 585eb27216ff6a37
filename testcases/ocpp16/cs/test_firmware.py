"""OCTT 1.6, Charge Point under test, Firmware Management (OCTT 1.6 test case document, §2.18
Firmware Update TC_044_*, §2.19 Diagnostics TC_045_*).

pytest-ocpp plays the Central System and runs the file servers behind the locations it sends
(the ``file_servers`` fixture: FTP and HTTP on the ``--ocpp-public-host``). The firmware images
come from the ``[station]`` table of ``--ocpp-config`` when given (``firmware_file``: a valid
image; ``invalid_firmware_file``: one the station must refuse to install); otherwise a dummy
image and an empty file stand in for them, as OCTT's "a dummy firmware is prepared".
"""

from __future__ import annotations

from pathlib import Path

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import OcppConfig
from pytest_ocpp.csms import FakeCsms16 as FakeCsms
from pytest_ocpp.csms import StationConnection
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.station import now
from pytest_ocpp.transfer import FileServers
from pytest_ocpp.verdicts import ConnectionLost, NotApplicable, check

PROFILE = "FirmwareManagement"
TRANSFER_TIMEOUT = 180.0
"""Bound for a download, an installation, a reboot or an upload: a real station may take
minutes; still well inside the default --ocpp-case-timeout (300 s)."""

FSN = "FirmwareStatusNotification"
DSN = "DiagnosticsStatusNotification"


def _transfer_timeout(ocpp_config: OcppConfig) -> float:
    return min(TRANSFER_TIMEOUT, ocpp_config.timeouts.case)


async def _location(sut: StationConnection, file_servers: FileServers, name: str) -> str:
    """A URL on our servers in a protocol the station lists in SupportedFileTransferProtocols
    (OCPP 1.6 §8; FTP, as OCTT's examples, when the optional key is absent)."""
    known = await sut.configuration_values(["SupportedFileTransferProtocols"])
    values = [value or "" for value in known.values()]
    protocols = {p.strip().upper() for v in values for p in v.split(",") if p.strip()}
    if not protocols or "FTP" in protocols:
        return file_servers.ftp_url(name)
    if "HTTP" in protocols:
        return file_servers.http_url(name)
    raise NotApplicable(
        f"the station supports only {', '.join(sorted(protocols))} file transfers; the "
        "suite's file servers speak FTP and HTTP"
    )


def _image(ocpp_config: OcppConfig, key: str, default: bytes) -> bytes:
    path = ocpp_config.station.extra.get(key)
    return Path(path).read_bytes() if path else default


async def _next_status(
    csms: FakeCsms, sut: StationConnection, action: str, since: int, timeout: float
) -> tuple[StationConnection, IncomingCall]:
    """The next ``action`` request, following the station across a reboot: a status report
    may come before the reconnect or after it (OCTT TC_044_3_CS steps 9/11/13)."""
    try:
        return sut, await sut.wait_for(action, since=since, timeout=timeout)
    except ConnectionLost:
        pass
    current = csms.connection
    if current is None or current is sut:
        current = await csms.next_connection(timeout, after=csms.generation)
    return current, await current.wait_for(action, timeout=timeout)


async def _available_again(
    csms: FakeCsms, sut: StationConnection, ocpp_config: OcppConfig, since: int
) -> None:
    """Connectors that the update made Unavailable come back: the scenarios' "the Charge
    Point becomes Available again"."""
    for connector in range(1, ocpp_config.station.connectors + 1):
        if csms.statuses.get(connector, "Available") != "Available":
            await sut.wait_for(
                "StatusNotification",
                lambda p, c=connector: p["connectorId"] == c and p["status"] == "Available",
                since=since,
                describe=f"StatusNotification.req connectorId {connector} Available again",
            )


async def _downloaded(
    file_servers: FileServers, name: str, before: int, location: str, ocpp_config: OcppConfig
) -> None:
    """The image really was fetched: a Downloaded report without a download is a lie. (The
    server may log the transfer a moment after the station has its last byte.)"""
    try:
        await file_servers.log.wait(
            lambda: file_servers.log.downloads.count(name) > before,
            ocpp_config.timeouts.message,
            f"the download of {name}",
        )
    except TimeoutError:
        check(
            False, f"a download of {location} before FirmwareStatusNotification Downloaded", "none"
        )


# -- 2.18 Firmware Update ----------------------------------------------------------------------
@ocpp_case("TC_044_1_CS")
async def test_tc_044_1_cs(csms, station_operator, ocpp_config, file_servers) -> None:
    """OCPP 1.6 §5.19, §4.5: a firmware update reports Downloading, Downloaded, Installing,
    reboots and reports Installed, with the connectors Available afterwards."""
    csms.require_profile(PROFILE)
    sut = await csms.ready(station_operator)
    timeout = _transfer_timeout(ocpp_config)
    name = "firmware_valid.fwi"
    file_servers.publish(
        name, _image(ocpp_config, "firmware_file", b"pytest-ocpp dummy firmware\n")
    )
    location = await _location(sut, file_servers, name)
    fetched = file_servers.log.downloads.count(name)
    generation = csms.generation
    step("1-2. UpdateFirmware.req with the firmware download URL")
    mark = sut.mark()
    await sut.call("UpdateFirmware", {"location": location, "retrieveDate": now(sut.version)})
    step("3-4. FirmwareStatusNotification.req Downloading")
    first = await sut.wait_for(FSN, since=mark, timeout=timeout)
    check(
        first.payload["status"] == "Downloading",
        "FirmwareStatusNotification Downloading",
        first.payload,
    )
    step("5-6. FirmwareStatusNotification.req Downloaded")
    second = await sut.wait_for(FSN, since=mark, timeout=timeout)
    check(
        second.payload["status"] == "Downloaded",
        "FirmwareStatusNotification Downloaded",
        second.payload,
    )
    await _downloaded(file_servers, name, fetched, location, ocpp_config)
    step("7-8. FirmwareStatusNotification.req Installing")
    third = await sut.wait_for(FSN, since=mark, timeout=timeout)
    check(
        third.payload["status"] == "Installing",
        "FirmwareStatusNotification Installing",
        third.payload,
    )
    installing_at = sut.link.inbox.index(third) + 1
    step("9-10. The Charge Point reboots: BootNotification.req")
    rebooted = await csms.next_connection(timeout, after=generation)
    await rebooted.wait_for("BootNotification", timeout=timeout)
    step("11-12. StatusNotification.req Available")
    for connector in range(1, ocpp_config.station.connectors + 1):
        await rebooted.wait_for(
            "StatusNotification",
            lambda p, c=connector: p["connectorId"] == c and p["status"] == "Available",
            describe=f"StatusNotification.req connectorId {connector} Available after the update",
        )
    step("13-14. FirmwareStatusNotification.req Installed (before or after the reboot)")
    before_reboot = [c for c in sut.link.inbox[installing_at:] if c.action == FSN]
    installed = before_reboot[0] if before_reboot else await rebooted.wait_for(FSN, timeout=timeout)
    check(
        installed.payload["status"] == "Installed",
        "FirmwareStatusNotification Installed",
        installed.payload,
    )


@ocpp_case("TC_044_2_CS")
async def test_tc_044_2_cs(csms, station_operator, ocpp_config, file_servers) -> None:
    """OCPP 1.6 §5.19, §7.25: a download that fails is reported as DownloadFailed; the old
    firmware stays and the station stays (or becomes again) Available."""
    csms.require_profile(PROFILE)
    sut = await csms.ready(station_operator)
    timeout = _transfer_timeout(ocpp_config)
    location = await _location(sut, file_servers, "download_fail.fwi")  # never published
    step("1-2. UpdateFirmware.req, location of a missing file, retries 0")
    mark = sut.mark()
    await sut.call(
        "UpdateFirmware",
        {"location": location, "retrieveDate": now(sut.version), "retries": 0},
    )
    step("3-4. FirmwareStatusNotification.req Downloading (optional: may fail at once)")
    report = await sut.wait_for(FSN, since=mark, timeout=timeout)
    if report.payload["status"] == "Downloading":
        step("5-6. FirmwareStatusNotification.req DownloadFailed")
        report = await sut.wait_for(FSN, since=mark, timeout=timeout)
    check(
        report.payload["status"] == "DownloadFailed",
        "FirmwareStatusNotification DownloadFailed (after an optional Downloading)",
        report.payload,
    )
    step("[The Charge Point becomes Available again]")
    await _available_again(csms, sut, ocpp_config, mark)


@ocpp_case("TC_044_3_CS")
async def test_tc_044_3_cs(csms, station_operator, ocpp_config, file_servers) -> None:
    """OCPP 1.6 §5.19, §7.25: an image the station cannot install is downloaded, then reported
    InstallationFailed, and the station returns to Available."""
    csms.require_profile(PROFILE)
    sut = await csms.ready(station_operator)
    timeout = _transfer_timeout(ocpp_config)
    name = "firmware_invalid.fwi"
    file_servers.publish(name, _image(ocpp_config, "invalid_firmware_file", b""))
    location = await _location(sut, file_servers, name)
    generation = csms.generation
    step("1-2. UpdateFirmware.req with the location of a not supported file")
    mark = sut.mark()
    await sut.call("UpdateFirmware", {"location": location, "retrieveDate": now(sut.version)})
    step("3-4. FirmwareStatusNotification.req Downloading")
    first = await sut.wait_for(FSN, since=mark, timeout=timeout)
    check(
        first.payload["status"] == "Downloading",
        "FirmwareStatusNotification Downloading",
        first.payload,
    )
    step("5-6. FirmwareStatusNotification.req Downloaded")
    second = await sut.wait_for(FSN, since=mark, timeout=timeout)
    check(
        second.payload["status"] == "Downloaded",
        "FirmwareStatusNotification Downloaded",
        second.payload,
    )
    step("7-8. FirmwareStatusNotification.req Installing (optional: may fail at once)")
    since = sut.link.inbox.index(second) + 1
    current, report = await _next_status(csms, sut, FSN, since, timeout)
    if report.payload["status"] == "Installing":
        step("[9-10. optional reboot] 11-12. FirmwareStatusNotification.req InstallationFailed")
        since = current.link.inbox.index(report) + 1
        current, report = await _next_status(csms, current, FSN, since, timeout)
    check(
        report.payload["status"] == "InstallationFailed",
        "FirmwareStatusNotification InstallationFailed (after an optional Installing)",
        report.payload,
    )
    if csms.generation > generation:
        step("[After the optional reboot] 9. BootNotification.req, 13. StatusNotification.req")
        current = await csms.station(timeout)
        await current.wait_for("BootNotification", timeout=timeout)
        for connector in range(1, ocpp_config.station.connectors + 1):
            await current.wait_for(
                "StatusNotification",
                lambda p, c=connector: p["connectorId"] == c and p["status"] == "Available",
                describe=f"StatusNotification.req connectorId {connector} Available",
            )
    else:
        step("[The Charge Point becomes Available again]")
        await _available_again(csms, current, ocpp_config, mark)


# -- 2.19 Diagnostics --------------------------------------------------------------------------
@ocpp_case("TC_045_1_CS")
async def test_tc_045_1_cs(csms, station_operator, ocpp_config, file_servers) -> None:
    """OCPP 1.6 §5.9, §4.4: GetDiagnostics uploads the log to the given location, reported as
    Uploading then Uploaded."""
    csms.require_profile(PROFILE)
    sut = await csms.ready(station_operator)
    timeout = _transfer_timeout(ocpp_config)
    location = await _location(sut, file_servers, "")
    earlier = set(file_servers.log.uploads)
    step("1-2. GetDiagnostics.req with the log location")
    mark = sut.mark()
    answer = await sut.call("GetDiagnostics", {"location": location})
    file_name = answer.get("fileName")
    step("3-4. DiagnosticsStatusNotification.req Uploading")
    first = await sut.wait_for(DSN, since=mark)
    check(
        first.payload["status"] == "Uploading",
        "DiagnosticsStatusNotification Uploading",
        first.payload,
    )
    step("5-6. DiagnosticsStatusNotification.req Uploaded")
    second = await sut.wait_for(DSN, since=mark, timeout=timeout)
    check(
        second.payload["status"] == "Uploaded",
        "DiagnosticsStatusNotification Uploaded",
        second.payload,
    )
    step("[The diagnostics log is at the location sent in step 1]")

    def arrived() -> bool:
        if file_name:
            return file_name in file_servers.log.uploads
        return bool(set(file_servers.log.uploads) - earlier)

    try:
        await file_servers.log.wait(arrived, timeout, "the diagnostics upload")
    except TimeoutError:
        check(
            False,
            f"the file {file_name or '(any)'} uploaded to {location}",
            sorted(set(file_servers.log.uploads) - earlier),
        )


@ocpp_case("TC_045_2_CS")
async def test_tc_045_2_cs(csms, station_operator, ocpp_config, file_servers) -> None:
    """OCPP 1.6 §5.9, §7.24: an upload that fails is reported as UploadFailed after Uploading,
    and the station carries on."""
    csms.require_profile(PROFILE)
    sut = await csms.ready(station_operator)
    timeout = _transfer_timeout(ocpp_config)
    location = await _failing_upload_location(sut, file_servers)
    step("1-2. GetDiagnostics.req, a location the upload fails to, retries 0")
    mark = sut.mark()
    await sut.call("GetDiagnostics", {"location": location, "retries": 0})
    step("3-4. DiagnosticsStatusNotification.req Uploading")
    first = await sut.wait_for(DSN, since=mark)
    check(
        first.payload["status"] == "Uploading",
        "DiagnosticsStatusNotification Uploading",
        first.payload,
    )
    step("5-6. DiagnosticsStatusNotification.req UploadFailed")
    second = await sut.wait_for(DSN, since=mark, timeout=timeout)
    check(
        second.payload["status"] == "UploadFailed",
        "DiagnosticsStatusNotification UploadFailed",
        second.payload,
    )
    step("[The Charge Point continues normal operation: it still answers requests]")
    await sut.call("GetConfiguration", {"key": ["HeartbeatInterval"]})


async def _failing_upload_location(sut: StationConnection, file_servers: FileServers) -> str:
    """OCTT's ftp://127.0.0.1:21/files/failedLocation: a directory our FTP server does not
    have. Over HTTP (which would accept any path), a port nothing listens on."""
    location = await _location(sut, file_servers, "files/failedLocation")
    if location.startswith("ftp://"):
        return location
    return f"http://{file_servers.public_host}:9/files/failedLocation"

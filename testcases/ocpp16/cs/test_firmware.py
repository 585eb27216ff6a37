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
from pytest_ocpp.csms.status_rules import DIAGNOSTICS, FIRMWARE, StatusStream
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.station import now
from pytest_ocpp.transfer import FileServers
from pytest_ocpp.verdicts import ConnectionLost, NotApplicable, check

PROFILE = "FirmwareManagement"
TRANSFER = "--ocpp-transfer-timeout"

FSN = "FirmwareStatusNotification"
DSN = "DiagnosticsStatusNotification"


def _transfer_timeout(ocpp_config: OcppConfig) -> float:
    """Bound for a download, an installation or an upload (OCPP sets none; a real station
    may take minutes): --ocpp-transfer-timeout, within the case's own bound."""
    return min(ocpp_config.timeouts.transfer, ocpp_config.timeouts.case)


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


async def _transfer_status(
    sut: StationConnection,
    stream: StatusStream,
    wanted: str | tuple[str, ...],
    since: int,
    timeout: float | None,
    start: str | None = "Idle",
) -> IncomingCall:
    """The next ``stream`` report saying ``wanted``, from ``since`` (taken right before the
    request that started the transfer, so the stream starts from ``start``, Idle; None: from
    what the station reported before ``since``); repeats (Downloading,
    Installing, Uploading said again) and the legal steps between are warnings (OCPP 1.6
    §4.4/§4.5, see :mod:`pytest_ocpp.csms.status_rules`)."""
    return await sut.next_notification(
        stream,
        wanted,
        since=since,
        timeout=timeout,
        setting=TRANSFER if timeout is not None else "",
        start=start,
    )


async def _next_status(
    csms: FakeCsms,
    sut: StationConnection,
    wanted: str | tuple[str, ...],
    since: int,
    timeout: float,
    start: str | None = "Idle",
) -> tuple[StationConnection, IncomingCall]:
    """The FirmwareStatusNotification saying ``wanted``, following the station across a
    reboot: a status report may come before the reconnect or after it (OCTT TC_044_3_CS
    steps 9/11/13); the reconnect is awaited within --ocpp-reboot-timeout."""
    try:
        return sut, await _transfer_status(sut, FIRMWARE, wanted, since, timeout, start)
    except ConnectionLost:
        pass
    current = csms.connection
    if current is None or current is sut:
        current = await csms.next_connection(after=csms.generation, reboot=True)
    return current, await current.next_notification(
        FIRMWARE, wanted, since=0, timeout=timeout, setting=TRANSFER
    )


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
    await _transfer_status(sut, FIRMWARE, "Downloading", mark, timeout)
    step("5-6. FirmwareStatusNotification.req Downloaded")
    await _transfer_status(sut, FIRMWARE, "Downloaded", mark, timeout)
    await _downloaded(file_servers, name, fetched, location, ocpp_config)
    step("7-8. FirmwareStatusNotification.req Installing")
    third = await _transfer_status(sut, FIRMWARE, "Installing", mark, timeout)
    installing_at = sut.link.inbox.index(third) + 1
    step("9-10. The Charge Point reboots: BootNotification.req")
    rebooted = await csms.next_connection(after=generation, reboot=True)
    await rebooted.wait_for("BootNotification", timeout=timeout)
    step("11-12. StatusNotification.req Available")
    for connector in range(1, ocpp_config.station.connectors + 1):
        await rebooted.wait_for(
            "StatusNotification",
            lambda p, c=connector: p["connectorId"] == c and p["status"] == "Available",
            describe=f"StatusNotification.req connectorId {connector} Available after the update",
        )
    step("13-14. FirmwareStatusNotification.req Installed (before or after the reboot)")
    await _next_status(csms, sut, "Installed", installing_at, timeout, start=None)


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
    report = await _transfer_status(sut, FIRMWARE, ("Downloading", "DownloadFailed"), mark, timeout)
    if report.payload["status"] == "Downloading":
        step("5-6. FirmwareStatusNotification.req DownloadFailed")
        await _transfer_status(sut, FIRMWARE, "DownloadFailed", mark, timeout)
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
    await _transfer_status(sut, FIRMWARE, "Downloading", mark, timeout)
    step("5-6. FirmwareStatusNotification.req Downloaded")
    await _transfer_status(sut, FIRMWARE, "Downloaded", mark, timeout)
    step("7-8. FirmwareStatusNotification.req Installing (optional: may fail at once)")
    current, report = await _next_status(
        csms, sut, ("Installing", "InstallationFailed"), mark, timeout
    )
    if report.payload["status"] == "Installing":
        step("[9-10. optional reboot] 11-12. FirmwareStatusNotification.req InstallationFailed")
        since = current.link.inbox.index(report) + 1
        current, report = await _next_status(
            csms, current, "InstallationFailed", since, timeout, start=None
        )
    if csms.generation > generation:
        step("[After the optional reboot] 9. BootNotification.req, 13. StatusNotification.req")
        current = await csms.station(ocpp_config.timeouts.reboot)
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
    earlier = file_servers.log.upload_count
    step("1-2. GetDiagnostics.req with the log location")
    mark = sut.mark()
    answer = await sut.call("GetDiagnostics", {"location": location})
    file_name = answer.get("fileName")
    step("3-4. DiagnosticsStatusNotification.req Uploading")
    await _transfer_status(sut, DIAGNOSTICS, "Uploading", mark, None)
    step("5-6. DiagnosticsStatusNotification.req Uploaded")
    await _transfer_status(sut, DIAGNOSTICS, "Uploaded", mark, timeout)
    step("[The diagnostics log is at the location sent in step 1]")

    def arrived() -> bool:
        # Any upload to the location counts: §5.9 gives the station a location, and a PUT to
        # location/fileName and a POST to the location itself are both uploads to it.
        return file_servers.log.upload_count > earlier

    try:
        await file_servers.log.wait(arrived, timeout, "the diagnostics upload")
    except TimeoutError:
        check(
            False,
            f"the diagnostics file {file_name or ''} uploaded to {location}",
            "no upload arrived",
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
    await _transfer_status(sut, DIAGNOSTICS, "Uploading", mark, None)
    step("5-6. DiagnosticsStatusNotification.req UploadFailed")
    await _transfer_status(sut, DIAGNOSTICS, "UploadFailed", mark, timeout)
    step("[The Charge Point continues normal operation: it still answers requests]")
    await sut.call("GetConfiguration", {"key": ["HeartbeatInterval"]})


async def _failing_upload_location(sut: StationConnection, file_servers: FileServers) -> str:
    """OCTT's ftp://127.0.0.1:21/files/failedLocation: a directory our FTP server does not
    have. Over HTTP (which would accept any path), a port nothing listens on."""
    location = await _location(sut, file_servers, "files/failedLocation")
    if location.startswith("ftp://"):
        return location
    return f"http://{file_servers.public_host}:9/files/failedLocation"

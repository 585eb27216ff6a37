"""OCPP 2.0.1, CSMS under test, L. Firmware Management (2.0.1 Edition 3 Part 6 §3.13; the
2025 errata change none of these CSMS-side tables).

pytest-ocpp plays the Charging Station (and, for L03/L04, the Local Controller). Downloads,
signature checks, installations and reboots are simulated: the station reports the statuses
the table lists, a reboot is a reconnection followed by a BootNotificationRequest with reason
FirmwareUpdate and the connectors reported again. The locations the CSMS sends are never
contacted.

What OCTT lets the tester configure comes from ``[station]`` keys of ``--ocpp-config``:
``firmware_location`` (the URL of the firmware, as for 1.6), ``firmware_signing_certificate``
(PEM text or a PEM file path, relative to the config file) and ``firmware_signature``
(base64) for <Configured signingCertificate> / <Configured signature>, ``firmware_checksum``
(the MD5 the PublishFirmware/UnpublishFirmware requests are asked for) and
``firmware_schedule_delay`` (how many seconds ahead a scheduled retrieveDateTime or
installDateTime is asked for). Without them: a URL of the reserved ``.invalid`` domain, the
bundled test Firmware Signing certificate (``pytest_ocpp/data``, issued by the bundled test
Manufacturer root) with an ECDSA-SHA256 signature it made over a dummy image, and 3 s.

Every FirmwareStatusNotificationRequest carries the requestId of the UpdateFirmwareRequest
it reports on, although the tables list only the status: L01.FR.10 and L01.FR.20 make it
mandatory, so a station leaving it out would not be conformant.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import OcppConfig
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station201, check
from pytest_ocpp.verdicts import RigError

DEFAULT_FIRMWARE_LOCATION = "ftp://firmware.pytest-ocpp.invalid/pytest-ocpp-firmware.bin"
"""``[station] firmware_location`` when the config has none (the 1.6 cases' default): a URL
of the reserved ``.invalid`` domain (RFC 2606), since our station never downloads it."""

SIGNING_CERTIFICATE_FILE = "test-firmware-signing-certificate.pem"
"""The bundled <Configured signingCertificate> (``pytest_ocpp/data``)."""

DEFAULT_SIGNATURE = "MEQCIFCeUkVe2/7/VGCryQV5dde8wiMCu7p0uf+jOMFMRYuAAiBtHaXBfv1jIHqeXdFct6Zi7z++hlTptsh0nSgIC7QbxA=="
"""``[station] firmware_signature`` when the config has none: the bundled signing key's
ECDSA-SHA256 signature (base64, as FirmwareType.signature) over a dummy firmware image."""

DEFAULT_CHECKSUM = "e2f5a35977b30d49cc5ed709c4686cd2"
"""``[station] firmware_checksum`` when the config has none: the MD5 of that dummy image."""

DEFAULT_SCHEDULE_DELAY = 3.0
"""``[station] firmware_schedule_delay`` when the config has none: seconds between asking for
a scheduled firmware update and its retrieveDateTime/installDateTime."""

FSN = "FirmwareStatusNotification"
PFSN = "PublishFirmwareStatusNotification"
MD5_HEX = re.compile(r"[0-9a-fA-F]{32}")

_request_ids = itertools.count(int(time.time()) % 1_000_000 * 10)
"""requestIds for the operator's requests: fresh in every run and every case."""


@dataclass(frozen=True)
class FirmwareSettings:
    """OCTT's configured firmware data (see the module docstring)."""

    location: str
    signing_certificate: str
    signature: str
    checksum: str
    schedule_delay: float

    @classmethod
    def of(cls, ocpp_config: OcppConfig) -> FirmwareSettings:
        extra = ocpp_config.station.extra
        return cls(
            location=str(extra.get("firmware_location") or DEFAULT_FIRMWARE_LOCATION),
            signing_certificate=_signing_certificate(ocpp_config),
            signature=str(extra.get("firmware_signature") or DEFAULT_SIGNATURE),
            checksum=str(extra.get("firmware_checksum") or DEFAULT_CHECKSUM),
            schedule_delay=float(extra.get("firmware_schedule_delay", DEFAULT_SCHEDULE_DELAY)),
        )

    def update_request(
        self, request_id: int, *, retrieve_delay: float = 0.0, install_delay: float | None = None
    ) -> dict[str, Any]:
        """The UpdateFirmwareRequest the operator is asked for: the configured location,
        certificate and signature, retrieveDateTime now (or ``retrieve_delay`` s ahead),
        installDateTime only when ``install_delay`` is given."""
        firmware: dict[str, Any] = {
            "location": self.location,
            "retrieveDateTime": _in(retrieve_delay),
            "signingCertificate": self.signing_certificate,
            "signature": self.signature,
        }
        if install_delay is not None:
            firmware["installDateTime"] = _in(install_delay)
        return {"requestId": request_id, "firmware": firmware}


def _signing_certificate(ocpp_config: OcppConfig) -> str:
    """``[station] firmware_signing_certificate``: PEM text, or a PEM file path (relative to
    the config file); else the bundled test certificate."""
    value = ocpp_config.station.extra.get("firmware_signing_certificate")
    if value is None:
        data = resources.files("pytest_ocpp") / "data" / SIGNING_CERTIFICATE_FILE
        return data.read_text("utf-8")
    if str(value).lstrip().startswith("-----BEGIN"):
        return str(value)
    path = Path(str(value)).expanduser()
    if not path.is_absolute() and ocpp_config.config_file is not None:
        path = ocpp_config.config_file.parent / path
    try:
        return path.read_text("utf-8")
    except OSError as exc:
        raise RigError(
            f"[station] firmware_signing_certificate: cannot read {path}: {exc}"
        ) from None


def _in(seconds: float) -> str:
    """A 2.0.1 dateTime ``seconds`` from now (milliseconds, UTC)."""
    stamp = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def _parse_datetime(value: Any) -> datetime | None:
    """An RFC 3339 date-time as the CSMS sent it (any fraction, Z or an offset); None if it
    is not one (the schema check reports that)."""
    match = re.fullmatch(
        r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|z|[+-]\d\d:\d\d)", str(value)
    )
    if match is None:
        return None
    whole, fraction, zone = match.groups()
    micro = (fraction or "0")[:6].ljust(6, "0")
    zone = "+00:00" if zone in ("Z", "z") else zone
    return datetime.fromisoformat(f"{whole}.{micro}{zone}")


def _in_future(value: Any) -> bool:
    stamp = _parse_datetime(value)
    return stamp is not None and stamp > datetime.now(timezone.utc)


def _same_pem(sent: Any, configured: str) -> bool:
    """The same PEM text, whatever its line breaks (a CSMS may wrap the base64 differently)."""
    return isinstance(sent, str) and "".join(sent.split()) == "".join(configured.split())


async def _wait_until(station: Station201, value: Any, what: str) -> None:
    """A table note "This step will be executed after the given <what> from step 1 has been
    reached": wait until then, at most --ocpp-transfer-timeout (a farther time is a CSMS
    configuration the scenario cannot wait out; the wait is shortened with a warning)."""
    stamp = _parse_datetime(value)
    if stamp is None:
        return
    delay = (stamp - datetime.now(timezone.utc)).total_seconds()
    limit = station.ctx.config.timeouts.transfer
    if delay > limit:
        warn(
            f"{what} {value} is {delay:.0f} s away, beyond --ocpp-transfer-timeout; the "
            f"simulated station goes on after {limit:g} s"
        )
        delay = limit
    if delay > 0:
        await asyncio.sleep(delay)


# -- steps shared by the L01 cases -------------------------------------------------------------
async def _update_firmware(
    station: Station201,
    csms_operator: CsmsOperator,
    asked: dict[str, Any],
    answer: str,
    number: int = 1,
) -> dict[str, Any]:
    """Steps ``number``/``number`` + 1: the CSMS sends an UpdateFirmwareRequest (the operator
    is asked for ``asked``), answered ``answer`` before it is judged. Returns its payload.

    Judged in every L01 case, from the specification rather than the tables: the Firmware
    Signing certificate is present (L01.FR.11; the tables' description "by sending an
    UpdateFirmwareRequest with a signingCertificate"), and the location is a URI (Part 2
    FirmwareType.location: "URI defining the origin of the firmware")."""
    step(f"{number}. The CSMS sends an UpdateFirmwareRequest")
    request = await csms_operator.request(station, "UpdateFirmware", asked)
    step(f"{number + 1}. The OCTT responds with an UpdateFirmwareResponse with status {answer}")
    await request.reply({"status": answer})
    firmware = request.payload.get("firmware", {})
    check(
        bool(firmware.get("signingCertificate")),
        f"Step {number}: UpdateFirmwareRequest with firmware.signingCertificate (L01.FR.11: the "
        "CSMS SHALL include the Firmware Signing certificate)",
        request.payload,
    )
    location = urlsplit(str(firmware.get("location", "")))
    check(
        bool(location.scheme) and bool(location.netloc or location.path),
        f"Step {number}: UpdateFirmwareRequest firmware.location a URI (Part 2 FirmwareType: "
        "URI defining the origin of the firmware)",
        request.payload,
    )
    return request.payload


async def _status(station: Station201, number: int, status: str, request_id: int) -> None:
    """The OCTT sends FirmwareStatusNotificationRequest ``status`` (with the requestId of the
    update it reports on, L01.FR.10/.20); the CSMS must answer it (L01.FR.01)."""
    step(f"{number}. The OCTT sends a FirmwareStatusNotificationRequest with status {status}")
    await station.call(FSN, {"status": status, "requestId": request_id})


async def _reboot(station: Station201, number: int) -> None:
    """Steps ``number``-``number`` + 3: the station reboots into the new firmware: a new
    connection, BootNotificationRequest reason FirmwareUpdate answered Accepted (tool
    validation), every connector reported Available both ways."""
    step(f"{number}. The OCTT sends a BootNotificationRequest with reason FirmwareUpdate")
    await station.reconnect()
    conf = await station.boot("FirmwareUpdate", expect_accepted=False)
    step(f"{number + 1}. The CSMS responds with a BootNotificationResponse")
    check(
        conf.get("status") == "Accepted",
        f"Step {number + 1}: BootNotificationResponse status Accepted",
        conf,
    )
    step(f"{number + 2}. The OCTT notifies the CSMS about the current state of all connectors")
    await station.report_all_connectors("Available")


async def _statuses(
    station: Station201, first: int, statuses: tuple[str, ...], request_id: int
) -> int:
    """FirmwareStatusNotificationRequests for ``statuses`` at steps first, first + 2, ...;
    returns the next step number."""
    for offset, status in enumerate(statuses):
        await _status(station, first + 2 * offset, status, request_id)
    return first + 2 * len(statuses)


def _fresh_id() -> int:
    return next(_request_ids)


# -- L01 Secure Firmware Update ----------------------------------------------------------------
@ocpp_case("TC_L_01_CSMS", version="2.0.1")
async def test_tc_l_01_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """A secure firmware update that installs after a reboot (L01.FR.01, .11, .15): the CSMS
    sends the configured Firmware Signing certificate and signature (tool validation, step 1)
    and follows Downloading, Downloaded, SignatureVerified, Installing, InstallRebooting, the
    reboot (BootNotificationResponse Accepted) and Installed."""
    settings = FirmwareSettings.of(ocpp_config)
    payload = await _update_firmware(
        station, csms_operator, settings.update_request(_fresh_id()), "Accepted"
    )
    firmware = payload["firmware"]
    check(
        _same_pem(firmware.get("signingCertificate"), settings.signing_certificate),
        "Step 1: UpdateFirmwareRequest firmware.signingCertificate <Configured "
        "signingCertificate> ([station] firmware_signing_certificate)",
        payload,
    )
    check(
        firmware.get("signature") == settings.signature,
        f"Step 1: UpdateFirmwareRequest firmware.signature <Configured signature> "
        f"{settings.signature} ([station] firmware_signature)",
        payload,
    )
    request_id = payload["requestId"]
    steps = ("Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting")
    after = await _statuses(station, 3, steps, request_id)
    await _reboot(station, after)
    await _status(station, after + 4, "Installed", request_id)


@ocpp_case("TC_L_02_CSMS", version="2.0.1", requires="C-15")
async def test_tc_l_02_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """A secure firmware update with a scheduled installation (L01.FR.16; Part 5 C-15
    scheduled firmware updates): the installDateTime is in the future (tool validation); the
    station reports InstallScheduled and installs once that time is reached.

    The prerequisite "the CSMS configuration firmware installDateTime needs to be set to a
    future dateTime" is the operator's request: installDateTime ``[station]
    firmware_schedule_delay`` seconds ahead."""
    settings = FirmwareSettings.of(ocpp_config)
    asked = settings.update_request(_fresh_id(), install_delay=settings.schedule_delay)
    payload = await _update_firmware(station, csms_operator, asked, "Accepted")
    install = payload["firmware"].get("installDateTime")
    check(
        _in_future(install),
        "Step 1: UpdateFirmwareRequest firmware.installDateTime <A dateTime in the future>",
        payload,
    )
    request_id = payload["requestId"]
    steps = ("Downloading", "Downloaded", "SignatureVerified", "InstallScheduled")
    after = await _statuses(station, 3, steps, request_id)
    await _wait_until(station, install, "installDateTime")
    after = await _statuses(station, after, ("Installing", "InstallRebooting"), request_id)
    await _reboot(station, after)
    await _status(station, after + 4, "Installed", request_id)


@ocpp_case("TC_L_03_CSMS", version="2.0.1", requires="C-15")
async def test_tc_l_03_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """A secure firmware update with a scheduled download (L01.FR.13; Part 5 C-15): the
    retrieveDateTime is in the future (tool validation); the station reports
    DownloadScheduled and downloads once that time is reached, then installs as in TC_L_01.

    The prerequisite "firmware retrieveDateTime needs to be set to a future dateTime" is the
    operator's request: retrieveDateTime ``[station] firmware_schedule_delay`` s ahead."""
    settings = FirmwareSettings.of(ocpp_config)
    asked = settings.update_request(_fresh_id(), retrieve_delay=settings.schedule_delay)
    payload = await _update_firmware(station, csms_operator, asked, "Accepted")
    retrieve = payload["firmware"].get("retrieveDateTime")
    check(
        _in_future(retrieve),
        "Step 1: UpdateFirmwareRequest firmware.retrieveDateTime <A dateTime in the future>",
        payload,
    )
    request_id = payload["requestId"]
    await _status(station, 3, "DownloadScheduled", request_id)
    await _wait_until(station, retrieve, "retrieveDateTime")
    steps = ("Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting")
    after = await _statuses(station, 5, steps, request_id)
    await _reboot(station, after)
    await _status(station, after + 4, "Installed", request_id)


@ocpp_case("TC_L_04_CSMS", version="2.0.1")
async def test_tc_l_04_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS takes UpdateFirmwareResponse RevokedCertificate for an answer (L01.FR.01).
    The table validates nothing: the request is held to L01.FR.11 and a URI location only."""
    settings = FirmwareSettings.of(ocpp_config)
    await _update_firmware(
        station, csms_operator, settings.update_request(_fresh_id()), "RevokedCertificate"
    )


@ocpp_case("TC_L_05_CSMS", version="2.0.1")
async def test_tc_l_05_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS takes UpdateFirmwareResponse InvalidCertificate and the security event that
    goes with it (L01.FR.22, L01.FR.02: SecurityEventNotificationRequest
    InvalidFirmwareSigningCertificate, which the CSMS must answer)."""
    settings = FirmwareSettings.of(ocpp_config)
    await _update_firmware(
        station, csms_operator, settings.update_request(_fresh_id()), "InvalidCertificate"
    )
    step("3. The OCTT sends a SecurityEventNotificationRequest InvalidFirmwareSigningCertificate")
    await station.call(
        "SecurityEventNotification",
        {"type": "InvalidFirmwareSigningCertificate", "timestamp": station.now()},
    )


@ocpp_case("TC_L_06_CSMS", version="2.0.1")
async def test_tc_l_06_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS follows an update whose signature turns out invalid (L01.FR.01, .03, .11):
    Downloading, Downloaded, InvalidSignature, and the security event InvalidFirmwareSignature,
    each answered."""
    settings = FirmwareSettings.of(ocpp_config)
    payload = await _update_firmware(
        station, csms_operator, settings.update_request(_fresh_id()), "Accepted"
    )
    steps = ("Downloading", "Downloaded", "InvalidSignature")
    after = await _statuses(station, 3, steps, payload["requestId"])
    step(f"{after}. The OCTT sends a SecurityEventNotificationRequest InvalidFirmwareSignature")
    await station.call(
        "SecurityEventNotification",
        {"type": "InvalidFirmwareSignature", "timestamp": station.now()},
    )


@ocpp_case("TC_L_07_CSMS", version="2.0.1")
async def test_tc_l_07_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS follows a failed download (L01.FR.01, L01.FR.30): Downloading, then
    DownloadFailed, each answered."""
    settings = FirmwareSettings.of(ocpp_config)
    payload = await _update_firmware(
        station, csms_operator, settings.update_request(_fresh_id()), "Accepted"
    )
    await _statuses(station, 3, ("Downloading", "DownloadFailed"), payload["requestId"])


@ocpp_case("TC_L_08_CSMS", version="2.0.1")
async def test_tc_l_08_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS follows an installation whose verification fails (L01.FR.01, L01.FR.29):
    Downloading, Downloaded, SignatureVerified, Installing, InstallVerificationFailed."""
    settings = FirmwareSettings.of(ocpp_config)
    payload = await _update_firmware(
        station, csms_operator, settings.update_request(_fresh_id()), "Accepted"
    )
    steps = (
        "Downloading",
        "Downloaded",
        "SignatureVerified",
        "Installing",
        "InstallVerificationFailed",
    )
    await _statuses(station, 3, steps, payload["requestId"])


@ocpp_case("TC_L_09_CSMS", version="2.0.1")
async def test_tc_l_09_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS follows an installation that fails after the reboot (L01.FR.01): the steps of
    TC_L_01 up to the reboot (BootNotificationResponse Accepted), then InstallationFailed."""
    settings = FirmwareSettings.of(ocpp_config)
    payload = await _update_firmware(
        station, csms_operator, settings.update_request(_fresh_id()), "Accepted"
    )
    request_id = payload["requestId"]
    steps = ("Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting")
    after = await _statuses(station, 3, steps, request_id)
    await _reboot(station, after)
    await _status(station, after + 4, "InstallationFailed", request_id)


@ocpp_case("TC_L_10_CSMS", version="2.0.1")
async def test_tc_l_10_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS replaces an ongoing firmware update (L01.FR.24): a second UpdateFirmwareRequest
    while the first is downloading, answered AcceptedCanceled; the new update then runs to
    Installed, its notifications carrying the second requestId (L01.FR.10)."""
    settings = FirmwareSettings.of(ocpp_config)
    first = await _update_firmware(
        station, csms_operator, settings.update_request(_fresh_id()), "Accepted"
    )
    await _status(station, 3, "Downloading", first["requestId"])
    second = await _update_firmware(
        station, csms_operator, settings.update_request(_fresh_id()), "AcceptedCanceled", 5
    )
    request_id = second["requestId"]
    steps = ("Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting")
    after = await _statuses(station, 7, steps, request_id)
    await _reboot(station, after)
    await _status(station, after + 4, "Installed", request_id)


@ocpp_case("TC_L_11_CSMS", version="2.0.1")
async def test_tc_l_11_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS takes "unable to cancel" for an answer (L01.FR.27): a second
    UpdateFirmwareRequest answered Rejected while the first update goes on to Installed, its
    notifications still carrying the first requestId."""
    settings = FirmwareSettings.of(ocpp_config)
    first = await _update_firmware(
        station, csms_operator, settings.update_request(_fresh_id()), "Accepted"
    )
    request_id = first["requestId"]
    await _status(station, 3, "Downloading", request_id)
    await _update_firmware(
        station, csms_operator, settings.update_request(_fresh_id()), "Rejected", 5
    )
    steps = ("Downloaded", "SignatureVerified", "Installing", "InstallRebooting")
    after = await _statuses(station, 7, steps, request_id)
    await _reboot(station, after)
    await _status(station, after + 4, "Installed", request_id)


@ocpp_case("TC_L_13_CSMS", version="2.0.1")
async def test_tc_l_13_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS follows an update that waits for a running transaction to end (L01.FR.06,
    .07, .13; AllowNewSessionsPendingFirmwareUpdate false, the general precondition): the
    configured signing certificate (tool validation), DownloadScheduled, the idle connectors
    Unavailable, the transaction ended, then the update runs to Installed.

    With one EVSE (the transaction's) there is no idle connector to report at step 5."""
    settings = FirmwareSettings.of(ocpp_config)
    step("Before: Reusable State EnergyTransferStarted")
    await station.energy_transfer_started()
    try:
        payload = await _update_firmware(
            station, csms_operator, settings.update_request(_fresh_id()), "Accepted"
        )
        check(
            _same_pem(payload["firmware"].get("signingCertificate"), settings.signing_certificate),
            "Step 1: UpdateFirmwareRequest firmware.signingCertificate <configured "
            "signingCertificate> ([station] firmware_signing_certificate)",
            payload,
        )
        request_id = payload["requestId"]
        await _status(station, 3, "DownloadScheduled", request_id)
        step("5. The OCTT reports the connectors without a transaction Unavailable")
        for evse in range(1, station.spec.connectors + 1):
            if evse != station.evse_id:
                await station.connector_status(evse, 1, "Unavailable")
        step("7. Execute Reusable State StopAuthorized")
        await station.stop_authorized()
        step("8. Execute Reusable State EVConnectedPostSession")
        await station.ev_connected_post_session()
        step("9. Execute Reusable State EVDisconnected")
        await station.ev_disconnected()
        await _wait_until(station, payload["firmware"].get("retrieveDateTime"), "retrieveDateTime")
        steps = ("Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting")
        after = await _statuses(station, 10, steps, request_id)
        await _reboot(station, after)
        await _status(station, after + 4, "Installed", request_id)
    finally:
        await station.leave_idle()


# -- L03 Publish Firmware, L04 Unpublish Firmware (not part of certification) -----------------
async def _publish(
    station: Station201, csms_operator: CsmsOperator, settings: FirmwareSettings
) -> None:
    """Steps 1-2: the CSMS sends a PublishFirmwareRequest, answered Accepted. Tool validation:
    location <Configured firmware_location>; from Part 2 (PublishFirmwareRequest.checksum,
    L03.FR.02): the checksum is an MD5 as 32 hexadecimal digits."""
    step("1. The CSMS sends a PublishFirmwareRequest")
    request = await csms_operator.request(
        station,
        "PublishFirmware",
        {"location": settings.location, "checksum": settings.checksum, "requestId": _fresh_id()},
    )
    step("2. The OCTT responds with a PublishFirmwareResponse with status Accepted")
    await request.reply({"status": "Accepted"})
    check(
        request.payload.get("location") == settings.location,
        f"Step 1: PublishFirmwareRequest location <Configured firmware_location> "
        f"{settings.location} ([station] firmware_location)",
        request.payload,
    )
    _check_md5(request.payload, "Step 1: PublishFirmwareRequest")


def _check_md5(payload: dict[str, Any], where: str) -> None:
    check(
        MD5_HEX.fullmatch(str(payload.get("checksum", ""))) is not None,
        f"{where} checksum the MD5 checksum of the firmware file as a hexadecimal string of "
        "length 32 (Part 2; L03.FR.02)",
        payload,
    )


async def _publish_statuses(station: Station201, statuses: tuple[str, ...], location: str) -> None:
    """PublishFirmwareStatusNotificationRequests from step 3 on; Published carries the
    location (the table: <Configured firmware_location>; the schema requires it then)."""
    for offset, status in enumerate(statuses):
        step(
            f"{3 + 2 * offset}. The OCTT sends a PublishFirmwareStatusNotificationRequest {status}"
        )
        payload: dict[str, Any] = {"status": status}
        if status == "Published":
            payload["location"] = [location]
        await station.call(PFSN, payload)


@ocpp_case("TC_L_17_CSMS", version="2.0.1")
async def test_tc_l_17_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS publishes a firmware on a Local Controller (L03) and follows Downloading,
    Downloaded, ChecksumVerified, Published (L03.FR.01, L03.FR.09). Not part of
    certification (absent from Part 5 Ed3)."""
    settings = FirmwareSettings.of(ocpp_config)
    await _publish(station, csms_operator, settings)
    statuses = ("Downloading", "Downloaded", "ChecksumVerified", "Published")
    await _publish_statuses(station, statuses, settings.location)


@ocpp_case("TC_L_24_CSMS", version="2.0.1")
async def test_tc_l_24_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS follows a publication whose download fails (L03.FR.06): Downloading,
    DownloadFailed. Not part of certification."""
    settings = FirmwareSettings.of(ocpp_config)
    await _publish(station, csms_operator, settings)
    await _publish_statuses(station, ("Downloading", "DownloadFailed"), settings.location)


@ocpp_case("TC_L_19_CSMS", version="2.0.1")
async def test_tc_l_19_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS follows a publication whose checksum does not match (L03.FR.07): Downloading,
    Downloaded, InvalidChecksum. Not part of certification."""
    settings = FirmwareSettings.of(ocpp_config)
    await _publish(station, csms_operator, settings)
    statuses = ("Downloading", "Downloaded", "InvalidChecksum")
    await _publish_statuses(station, statuses, settings.location)


@ocpp_case("TC_L_20_CSMS", version="2.0.1")
async def test_tc_l_20_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS follows a publication that fails (L03.FR.08): Downloading, Downloaded,
    ChecksumVerified, PublishFailed. Not part of certification."""
    settings = FirmwareSettings.of(ocpp_config)
    await _publish(station, csms_operator, settings)
    statuses = ("Downloading", "Downloaded", "ChecksumVerified", "PublishFailed")
    await _publish_statuses(station, statuses, settings.location)


async def _unpublish(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig, answer: str
) -> None:
    """The CSMS sends an UnpublishFirmwareRequest (asked for the configured checksum),
    answered ``answer``. The tables validate nothing; from Part 2 (UnpublishFirmwareRequest):
    the checksum is an MD5 as 32 hexadecimal digits."""
    settings = FirmwareSettings.of(ocpp_config)
    step("1. The CSMS sends an UnpublishFirmwareRequest")
    request = await csms_operator.request(
        station, "UnpublishFirmware", {"checksum": settings.checksum}
    )
    step(f"2. The OCTT responds with an UnpublishFirmwareResponse with status {answer}")
    await request.reply({"status": answer})
    _check_md5(request.payload, "Step 1: UnpublishFirmwareRequest")


@ocpp_case("TC_L_21_CSMS", version="2.0.1")
async def test_tc_l_21_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS unpublishes a firmware (L04.FR.01, .02: status Unpublished). Not part of
    certification."""
    await _unpublish(station, csms_operator, ocpp_config, "Unpublished")


@ocpp_case("TC_L_22_CSMS", version="2.0.1")
async def test_tc_l_22_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS takes NoFirmware for an answer (L04.FR.03). Not part of certification."""
    await _unpublish(station, csms_operator, ocpp_config, "NoFirmware")


@ocpp_case("TC_L_23_CSMS", version="2.0.1")
async def test_tc_l_23_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS takes DownloadOngoing for an answer (L04.FR.04). Not part of certification."""
    await _unpublish(station, csms_operator, ocpp_config, "DownloadOngoing")

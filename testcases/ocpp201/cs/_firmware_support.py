"""Shared steps of the 2.0.1 station-side firmware and log cases (L01, N01, F06 triggers).

What OCTT's configuration holds for these cases, made for the run unless the ``[station]``
table gives it (see :func:`firmware_setup`), the file server the station downloads from and
uploads to (:mod:`pytest_ocpp.fileserver`), and the follower of one firmware update's
FirmwareStatusNotificationRequests across the reboots/reconnects the station chooses
(:class:`FirmwareRun`): Part 6's L tables leave the station free to reboot before installing
(RebootBeforeFirmwareInstallation), before activating (RebootBeforeFirmwareActivation) or only
to reconnect, so the run waits for "what comes next" and takes the branch the station took.

Firmware waits are the station's to pace (a real charger downloads and installs for minutes):
they use ``--ocpp-transfer-timeout`` and say so when it runs out.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pytest_ocpp.case import step, warn
from pytest_ocpp.certificates import configured_pem
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.fileserver import FileServer, started_file_server
from pytest_ocpp.firmware_images import build_image, run_pki, sign
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.verdicts import (
    ConnectionLost,
    RigError,
    TargetFailure,
    TargetTimeout,
    check,
    not_applicable,
)

TRANSFER = "--ocpp-transfer-timeout"
DEFAULT_OFFSET = 2.0
"""<Configured Install/Download Offset Period> (s) unless ``[station] firmware_install_offset``
/ ``firmware_download_offset`` say otherwise, with the run's small test image: short, so a
scheduled step waits little."""
REAL_IMAGE_OFFSET = 300.0
"""The same default with a configured ``firmware_file`` (a real image): long enough for a
charger to download it before the install time, which TC_L_02 needs."""
DEFAULT_HOLD = 1.0
"""Seconds the file server keeps a download or upload in progress (``[station]
transfer_hold``), so a request can arrive during it (TC_L_10/11, TC_F_16/19, TC_N_36)."""
FAILURES = ("InstallVerificationFailed", "InstallationFailed")
FINAL = (
    "Installed",
    "DownloadFailed",
    "InvalidSignature",
    "InstallVerificationFailed",
    "InstallationFailed",
)
"""End states of an update (Part 2 FirmwareStatusEnumType)."""


def iso(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds (a scheduled time must not lose its fraction)."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def hours_ago(hours: float = 2) -> str:
    """<Current DateTime - 2 hours>."""
    return iso(datetime.now(timezone.utc) - timedelta(hours=hours))


def seconds_ahead(seconds: float) -> str:
    return iso(datetime.now(timezone.utc) + timedelta(seconds=seconds))


def _file(csms: FakeCsms201, key: str) -> bytes | None:
    value = csms.config.station.extra.get(key)
    if value is None:
        return None
    path = Path(str(value)).expanduser()
    if not path.is_absolute() and csms.config.config_file is not None:
        path = csms.config.config_file.parent / path
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RigError(f"[station] {key}: cannot read {path}: {exc}") from None


@dataclass(frozen=True)
class FirmwareSetup:
    """OCTT's firmware configuration for one case."""

    server: FileServer
    location: str
    """<Configured firmware_location>."""
    slow_location: str
    """The same image, its download kept in progress ``transfer_hold`` s."""
    invalid_location: str
    """<Configured invalid firmware location>: an image that fails installation checks."""
    signing_certificate: str
    signature: str
    invalid_signature: str
    """<Configured invalid firmware signature>: a real signature, of the invalid image."""
    invalid_signing_certificate: str
    untrusted_signing_certificate: str
    """<Generated invalid firmware signingCertificate> (TC_L_05)."""
    install_offset: float
    download_offset: float

    def firmware(self, **fields: Any) -> dict[str, Any]:
        """A FirmwareType: location and retrieveDateTime <now - 2 h>, the configured
        certificate and signature, overridden by ``fields`` (a None value omits it)."""
        data: dict[str, Any] = {
            "location": self.location,
            "retrieveDateTime": hours_ago(),
            "installDateTime": hours_ago(),
            "signingCertificate": self.signing_certificate,
            "signature": self.signature,
        }
        data.update(fields)
        return {k: v for k, v in data.items() if v is not None}


async def firmware_setup(csms: FakeCsms201) -> FirmwareSetup:
    """The firmware files, certificates and signatures: ``[station] firmware_file``,
    ``invalid_firmware_file``, ``firmware_signing_certificate``, ``firmware_signature``,
    ``invalid_firmware_signing_certificate``, ``invalid_firmware_signature`` when given (a
    real charger's manufacturer signs its firmware); else a test image signed for the run with
    the test PKI of :mod:`pytest_ocpp.firmware_images`."""
    extra = csms.config.station.extra
    server = await started_file_server(csms, csms.config)
    pki = run_pki()
    image = _file(csms, "firmware_file") or build_image("2.0.0-pytest", b"firmware\n" * 200)
    damaged = _file(csms, "invalid_firmware_file") or build_image(
        "2.0.1-pytest", b"damaged firmware\n" * 200, damaged=True
    )
    offset = REAL_IMAGE_OFFSET if extra.get("firmware_file") else DEFAULT_OFFSET
    digest = hashlib.sha256(image).hexdigest()[:12]
    hold = float(extra.get("transfer_hold", DEFAULT_HOLD))
    certificate = configured_pem(csms.config, "firmware_signing_certificate", pki.signing_pem)
    signature = str(extra.get("firmware_signature") or sign(image, pki.signing_key))
    invalid_signature = str(
        extra.get("invalid_firmware_signature") or sign(damaged, pki.signing_key)
    )
    return FirmwareSetup(
        server=server,
        location=server.publish(f"firmware-{digest}.bin", image),
        slow_location=server.publish(f"slow-firmware-{digest}.bin", image, pace=hold),
        invalid_location=server.publish(f"invalid-firmware-{digest}.bin", damaged),
        signing_certificate=certificate,
        signature=signature,
        invalid_signature=invalid_signature,
        invalid_signing_certificate=configured_pem(
            csms.config, "invalid_firmware_signing_certificate", certificate
        ),
        untrusted_signing_certificate=pki.untrusted_signing_pem,
        install_offset=float(extra.get("firmware_install_offset", offset)),
        download_offset=float(extra.get("firmware_download_offset", offset)),
    )


async def ready(csms: FakeCsms201, operator: Any, *, transfer: bool = True) -> StationConnection:
    """``csms.ready`` (Part 6 §2.1), then the station's current connection: settling an
    update a failed case left running (its post-condition) may span a reboot, after which
    the connection ``ready`` started with is closed. With ``transfer`` (the case downloads
    or uploads), not applicable to a station whose FileTransferProtocols lack HTTP(S)."""
    sut = await csms.ready(operator)
    current = csms.connection
    sut = current if current is not None and not current.closed else sut
    if not transfer:
        return sut
    protocols = getattr(csms, "_pytest_ocpp_transfer_protocols", None)
    if protocols is None:
        protocols = await csms.get_variable(sut, "OCPPCommCtrlr.FileTransferProtocols") or ""
        csms._pytest_ocpp_transfer_protocols = protocols  # type: ignore[attr-defined]
    offered = {p.strip().upper() for p in protocols.split(",") if p.strip()}
    if offered and not offered & {"HTTP", "HTTPS"}:
        raise not_applicable(
            f"the station's OCPPCommCtrlr.FileTransferProtocols is {protocols}; pytest-ocpp's "
            "file server (the prerequisite of this case) speaks HTTP"
        )
    return sut


def valid_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except ValueError:
        return False
    return True


async def update_firmware(
    sut: StationConnection, request_id: int, firmware: dict[str, Any], label: str
) -> dict[str, Any]:
    """Step 1: UpdateFirmwareRequest with ``firmware`` (only the fields the table lists)."""
    step(f"{label} The OCTT sends an UpdateFirmwareRequest (requestId {request_id})")
    return await sut.call("UpdateFirmware", {"requestId": request_id, "firmware": firmware})


class FirmwareRun:
    """Follows the FirmwareStatusNotificationRequests of one update (requestId), on the
    connection the station is on, from inbox position ``since``."""

    def __init__(
        self, csms: FakeCsms201, sut: StationConnection, request_id: int, since: int
    ) -> None:
        self.csms = csms
        self.sut = sut
        self.request_id = request_id
        self.since = since
        self.last: str | None = None
        self.reconnected = False
        self.other_ids: set[int] = set()
        """requestIds of canceled updates whose late statuses are tolerated (L01.FR.24)."""
        self.links = [sut.link]
        self.what = f"firmware update {request_id} in progress"
        csms.after_case(self.what, self._settle)

    def abandon(self) -> None:
        """The update was canceled (AcceptedCanceled): nothing of it to wait for."""
        self.csms.undo.pop(self.what, None)

    async def _settle(self, sut: StationConnection) -> None:
        """Post-condition when the case stopped before the update ended: wait (bounded by
        --ocpp-transfer-timeout) for its end state, so the next case does not meet it. When
        the station rebooted meanwhile, the variables the case changed are put back on the
        new connection here (``ready`` goes on with the connection it started with)."""
        try:
            await self._wait_for_end(sut)
        finally:
            current = self.csms.connection
            if current is not None and current is not sut and not current.closed:
                with contextlib.suppress(Exception):
                    await self.csms._restore_variables(current)

    async def _wait_for_end(self, sut: StationConnection) -> None:
        def final(p: dict[str, Any]) -> bool:
            return p.get("requestId") == self.request_id and p.get("status") in FINAL

        for link in self.links:
            if any(
                i.action == "FirmwareStatusNotification" and final(i.payload) for i in link.inbox
            ):
                return
        deadline = time.monotonic() + self.timeout
        while (remaining := deadline - time.monotonic()) > 0:
            current = self.csms.connection or sut
            generation = self.csms.generation
            try:
                await current.wait_for(
                    "FirmwareStatusNotification",
                    final,
                    timeout=remaining,
                    describe=f"the end of {self.what}",
                )
                return
            except ConnectionLost:
                with contextlib.suppress(Exception):
                    await self.csms.next_connection(remaining, after=generation)
            except TargetFailure:
                return

    @property
    def timeout(self) -> float:
        return self.csms.config.timeouts.transfer

    def _moved(self, sut: StationConnection) -> None:
        if sut is not self.sut:
            self.sut = sut
            self.links.append(sut.link)
            self.since = 0
            self.reconnected = True

    async def _next_status(self, describe: str) -> IncomingCall | None:
        """The next FirmwareStatusNotificationRequest on the current connection, or None when
        the station reconnected first (then :attr:`sut` is the new connection)."""
        for item in self.sut.link.inbox[self.since :]:
            if item.action == "FirmwareStatusNotification" and not (item.consumed or item.problems):
                item.consumed = True  # sent before the station went on a new connection
                return item
        generation = self.csms.generation
        if self.csms.connection is not None and self.csms.connection is not self.sut:
            self._moved(self.csms.connection)
            return None
        waiter = asyncio.ensure_future(
            self.sut.wait_for(
                "FirmwareStatusNotification",
                since=self.since,
                timeout=self.timeout,
                describe=describe,
            )
        )
        reconnect = asyncio.ensure_future(self.csms.next_connection(self.timeout, after=generation))
        try:
            done, _ = await asyncio.wait({waiter, reconnect}, return_when=asyncio.FIRST_COMPLETED)
            if waiter in done and waiter.exception() is None:
                return waiter.result()
            if waiter in done and not isinstance(waiter.exception(), ConnectionLost):
                error = waiter.exception()
                if isinstance(error, TargetTimeout):
                    raise TargetTimeout(f"{error} ({TRANSFER})") from None
                raise error  # type: ignore[misc]
            await reconnect  # the next call reads what is left here, then moves on
        finally:
            for task in (waiter, reconnect):
                if not task.done():
                    task.cancel()
            await asyncio.gather(waiter, reconnect, return_exceptions=True)
        return None

    async def expect(self, statuses: tuple[str, ...], label: str) -> IncomingCall:
        """The next FirmwareStatusNotificationRequest, on this connection or the next, must
        say one of ``statuses`` with this update's requestId (L01.FR.10). A repeat of the
        previous status is tolerated (a retry, L01.FR.30 note), as are late statuses of a
        canceled update (L01.FR.24)."""
        shown = " or ".join(statuses)
        step(f"{label} The Charging Station sends a FirmwareStatusNotificationRequest {shown}")
        while True:
            item = await self._next_status(f"FirmwareStatusNotificationRequest {shown} ({label})")
            if item is None:
                continue  # reconnected: look on the new connection
            payload = item.payload
            status = payload.get("status")
            if payload.get("requestId") in self.other_ids and status in (
                "DownloadFailed",
                "InstallationFailed",
            ):
                warn(f"FirmwareStatusNotificationRequest {status} of the canceled update")
                continue
            if status == self.last and status not in statuses:
                warn(f"FirmwareStatusNotificationRequest {status} repeated")
                continue
            check(
                status in statuses,
                f"{label} FirmwareStatusNotificationRequest status {shown}",
                payload,
            )
            check(
                payload.get("requestId") == self.request_id,
                f"{label} FirmwareStatusNotificationRequest requestId {self.request_id}, the "
                "UpdateFirmwareRequest's (L01.FR.10)",
                payload,
            )
            self.last = str(status)
            if status in FINAL:
                self.csms.undo.pop(self.what, None)  # ended: nothing to settle
            return item

    async def download(self, label: str, *, scheduled: bool = False) -> None:
        """Downloading (after DownloadScheduled when ``scheduled``), Downloaded,
        SignatureVerified: the first steps of every successful update."""
        if scheduled:
            await self.expect(("DownloadScheduled",), f"{label} (DownloadScheduled)")
        await self.expect(("Downloading",), f"{label} (Downloading)")
        await self.expect(("Downloaded",), f"{label} (Downloaded)")
        await self.expect(("SignatureVerified",), f"{label} (SignatureVerified)")

    async def install(self, *, failure: bool = False, installing_seen: bool = False) -> None:
        """From the install on: RebootBeforeFirmwareInstallation when the station reboots to
        install, else Installing; then (``failure``) InstallVerificationFailed or
        InstallationFailed; or RebootBeforeFirmwareActivation / a reconnect, Installed, the
        SecurityEventNotificationRequest FirmwareUpdated (either order), and connectors set
        Unavailable for the update reported Available again."""
        csms = self.csms
        if not installing_seen:
            first = await self.expect(
                ("InstallRebooting", "Installing"),
                "(RebootBeforeFirmwareInstallation or Installing)",
            )
            if first.payload["status"] == "InstallRebooting":
                sut, after = await csms.reboot_before_firmware_installation(
                    self.sut, rebooting=first, request_id=self.request_id
                )
                self._moved(sut)
                self.last = str(after.payload.get("status"))
                if self.last != "Installing":
                    after.consumed = False  # the outcome, judged below
                    self.last = "Installing"
        if failure:
            await self.expect(FAILURES, "(InstallVerificationFailed or InstallationFailed)")
            return
        outcome = await self.expect(("InstallRebooting", "Installed"), "(activation)")
        if outcome.payload["status"] == "InstallRebooting":
            sut = await csms.reboot_before_firmware_activation(
                self.sut, rebooting=outcome, request_id=self.request_id
            )
            self._moved(sut)
            outcome = await self.expect(("Installed",), "(Installed)")
        elif any(i.action == "BootNotification" and not i.consumed for i in self.sut.link.inbox):
            # Rebooted to activate without announcing it (Table 440 step 1 is optional).
            self._moved(await csms.reboot_before_firmware_activation(self.sut, announced=False))
        if csms.connection is not None and csms.connection is not self.sut:
            self._moved(csms.connection)
        if not self.reconnected:
            step("The OCTT waits for the Charging Station to reconnect")
            try:
                sut = await csms.next_connection(self.timeout, after=csms.generation)
            except Exception as exc:
                raise TargetTimeout(
                    "the Charging Station did not reconnect after installing the firmware "
                    f"within {self.timeout:g} s ({TRANSFER}; Part 6 L01 tables: it should at "
                    f"least reconnect to reestablish the protocol version handshake): {exc}"
                ) from None
            self._moved(sut)
        await self._firmware_updated_event(outcome)
        await self._connectors_back()

    async def _firmware_updated_event(self, installed: IncomingCall) -> None:
        step("The Charging Station sends a SecurityEventNotificationRequest FirmwareUpdated")
        links = [c.link for c in self.csms.case_connections]
        for link in links:
            for item in link.inbox:
                if (
                    item.action == "SecurityEventNotification"
                    and item.payload.get("type") == "FirmwareUpdated"
                ):
                    item.consumed = True
                    return
        try:
            await self.sut.wait_for(
                "SecurityEventNotification",
                lambda p: p.get("type") == "FirmwareUpdated",
                timeout=self.csms.config.timeouts.message,
                describe="SecurityEventNotificationRequest type FirmwareUpdated (L01.FR.31)",
            )
        except TargetTimeout as exc:
            raise TargetFailure(
                f"expected a SecurityEventNotificationRequest type FirmwareUpdated after "
                f"Installed (L01.FR.31): {exc}"
            ) from None

    async def _connectors_back(self) -> None:
        """Steps "notifies the CSMS about the current state of all connectors": a connector
        the station set Unavailable for the update must be Available again."""
        for (evse, connector), status in sorted(self.csms.connector_statuses.items()):
            if status != "Unavailable":
                continue
            step(f"The Charging Station reports EVSE {evse} connector {connector} Available")
            await self.csms.connector_reported(
                self.sut,
                "Available",
                since=0,
                evse=evse,
                connector=connector,
                label=" (the update is done)",
            )


# -- N01 log uploads ----------------------------------------------------------------------
FAILED = ("UploadFailure", "BadMessage", "PermissionDenied", "NotSupportedOperation")
ENDED = ("Uploaded", "AcceptedCanceled", *FAILED)
"""LogStatusNotification statuses that end an upload."""


async def log_server(csms: FakeCsms201) -> FileServer:
    """The run's file server, its upload hold from ``[station] transfer_hold``."""
    server = await started_file_server(csms, csms.config)
    server.upload_hold = float(csms.config.station.extra.get("transfer_hold", DEFAULT_HOLD))
    return server


async def get_log(
    sut: StationConnection,
    log_type: str,
    request_id: int,
    location: str,
    label: str,
    **extra: Any,
) -> dict[str, Any]:
    """GetLogRequest with ``log_type`` and log.remoteLocation (required by the schema)."""
    step(f"{label} The OCTT sends a GetLogRequest with logType {log_type} (requestId {request_id})")
    payload = {"logType": log_type, "requestId": request_id, "log": {"remoteLocation": location}}
    mark = sut.mark()
    answer = await sut.call("GetLog", {**payload, **extra})
    if answer.get("status") in ("Accepted", "AcceptedCanceled"):
        csms = sut.csms
        what = f"log upload {request_id} in progress"

        async def settle(now: StationConnection) -> None:
            """Post-condition of a case that stopped before the upload ended: wait for its
            end (bounded by --ocpp-transfer-timeout)."""

            def ended(p: dict[str, Any]) -> bool:
                return p.get("requestId") == request_id and p.get("status") in ENDED

            for link in {sut.link, now.link}:
                if any(
                    i.action == "LogStatusNotification" and ended(i.payload) for i in link.inbox
                ):
                    return
            with contextlib.suppress(TargetFailure):
                await now.wait_for(
                    "LogStatusNotification",
                    ended,
                    since=mark if now is sut else 0,
                    timeout=csms.config.timeouts.transfer,
                    describe=f"the end of {what}",
                )

        csms.after_case(what, settle)  # type: ignore[attr-defined]
    return answer


async def expect_log_status(
    csms: FakeCsms201,
    sut: StationConnection,
    statuses: tuple[str, ...],
    request_id: int,
    since: int,
    label: str,
) -> IncomingCall:
    """The next LogStatusNotificationRequest from ``since`` must say one of ``statuses`` with
    the GetLogRequest's requestId; a repeated Uploading is tolerated."""
    shown = " or ".join(statuses)
    step(f"{label} The Charging Station sends a LogStatusNotificationRequest {shown}")
    timeout = csms.config.timeouts.transfer
    while True:
        try:
            item = await sut.wait_for(
                "LogStatusNotification",
                since=since,
                timeout=timeout,
                describe=f"LogStatusNotificationRequest {shown} ({label})",
            )
        except TargetTimeout as exc:
            raise TargetTimeout(f"{exc} ({TRANSFER})") from None
        status = item.payload.get("status")
        if status == "Uploading" and status not in statuses:
            warn("LogStatusNotificationRequest Uploading repeated")
            continue
        check(
            status in statuses, f"{label} LogStatusNotificationRequest status {shown}", item.payload
        )
        check(
            item.payload.get("requestId") == request_id,
            f"{label} LogStatusNotificationRequest requestId {request_id}, the GetLogRequest's",
            item.payload,
        )
        if status in ENDED:
            csms.undo.pop(f"log upload {request_id} in progress", None)
        return item


async def upload_arrived(
    csms: FakeCsms201, server: FileServer, since: int, location: str, label: str
) -> None:
    """N01.FR.09: Uploaded means the file is at the remoteLocation: the file server stored an
    upload there (checked at once: the station said Uploaded after it)."""
    path = "/" + location.split("/", 3)[3]
    try:
        await server.wait(
            lambda t: t.stored and t.path.startswith(path),
            since=since,
            timeout=min(2.0, csms.config.timeouts.message),
            describe=f"upload to {location}",
        )
    except TargetTimeout as exc:
        raise TargetTimeout(
            f"{label}: the Charging Station reported Uploaded but {exc} (N01.FR.09)"
        ) from None

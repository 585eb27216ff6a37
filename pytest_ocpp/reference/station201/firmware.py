"""The reference station's block L firmware updates (L01 UpdateFirmware,
FirmwareStatusNotification; PublishFirmware stays Rejected: this station is no local
controller, see :mod:`.unsupported`).

``FirmwareHandlers`` holds the ``@on`` handlers (mixed into the ChargePoint of one connection),
``FirmwareMixin`` the station-side state and behaviour (mixed into
:class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`).

A secure update (L01) for real: the signing certificate is checked against the manufacturer
root the station ships with (the test PKI of :mod:`pytest_ocpp.firmware_images`) before the
answer (L01.FR.21/22), the image is downloaded over HTTP with ``httpx`` (retries as asked),
its RSA-PSS/SHA-256 signature verified (L01.FR.04), its checksum checked by the "installer"
(L01.FR.29), and the new firmware activated by a reboot (boot reason FirmwareUpdate), or,
while transactions run, by a reconnect only (C-43: A/B firmware that switches without a
restart). Every step is reported at once (L01.FR.01, the same requestId, L01.FR.10).

Variants (conformant, Part 5 answers): ``firmware_no_cancel`` (NOT C-60: a second
UpdateFirmware during an update is Rejected, L01.FR.27), ``firmware_waits_for_idle`` (NOT C-43,
NOT AQ-7: neither downloads nor installs while a transaction runs), ``firmware_installs_when_idle``
(NOT C-43, AQ-7: downloads, then installs once the transactions ended),
``firmware_reboot_before_install`` (reboots to install, Part 6 RebootBeforeFirmwareInstallation).
While waiting for transactions, unless ChargingStation.AllowNewSessionsPendingFirmwareUpdate
is true, every EVSE not in use is Unavailable (L01.FR.07).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import httpx
from cryptography.hazmat.primitives.serialization import Encoding
from ocpp.routing import on
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from pytest_ocpp.firmware_images import (
    image_verifies,
    manufacturer_root_pem,
    signature_valid,
    signing_certificate_problem,
)

if TYPE_CHECKING:
    from pytest_ocpp.reference.station201.model import Evse
    from pytest_ocpp.reference.station201.station import ReferenceStation201

__all__ = ["FirmwareHandlers", "FirmwareMixin"]

LOGGER = logging.getLogger("pytest_ocpp.reference.station201")

FINAL = ("Installed", "DownloadFailed", "InvalidSignature", "InstallVerificationFailed")
"""End states of an update: after one, a new UpdateFirmware cancels nothing."""

IDLE_POLL = 0.05
"""Seconds between looks at "all transactions ended" while an update waits for them."""


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    with contextlib.suppress(ValueError):
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return None


async def _until(moment: datetime | None) -> None:
    if moment is None:
        return
    delay = (moment - datetime.now(timezone.utc)).total_seconds()
    if delay > 0:
        await asyncio.sleep(delay)


async def download(location: str, timeout: float = 30.0) -> bytes | None:
    """GET ``location`` (HTTP/HTTPS); None when it fails."""
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            answer = await client.get(location)
    except (httpx.HTTPError, ValueError) as error:
        LOGGER.info("firmware download from %s failed: %s", location, error)
        return None
    return answer.content if answer.status_code == 200 else None


class FirmwareMixin:
    """State and behaviour of this block; mixed into the station."""

    firmware_task: asyncio.Task[None] | None = None
    firmware_request_id: int | None = None
    firmware_status: str | None = None
    """The last FirmwareStatusNotification status sent (L01.FR.25/26)."""
    firmware_pending: bool = False
    """An update waits for the transactions to end (L01.FR.06/07)."""
    firmware_version: str = "1.0.0"

    def firmware_roots(self: ReferenceStation201) -> list[str]:
        """Trusted manufacturer roots: the one this station shipped with, and any
        ManufacturerRootCertificate installed (M05) in the certificate store."""
        roots = [manufacturer_root_pem()]
        store = getattr(self, "_store", None)
        for item in store() if callable(store) else []:
            if getattr(item, "use", "") == "ManufacturerRootCertificate":
                roots.append(item.certificate.public_bytes(Encoding.PEM).decode("ascii"))
        return roots

    def firmware_blocks(self: ReferenceStation201, evse: Evse) -> bool:
        """L01.FR.07: while an update waits for transactions, EVSEs not in use are Unavailable
        unless ChargingStation.AllowNewSessionsPendingFirmwareUpdate is true."""
        if not self.firmware_pending or self.has("l_evses_stay_available"):
            return False
        allowed = self.model.find("ChargingStation.AllowNewSessionsPendingFirmwareUpdate")
        if allowed is not None and str(allowed.actual).lower() == "true":
            return False
        return evse.session is None or evse.session.tx is None

    def firmware_notification(self: ReferenceStation201) -> Any:
        """A triggered FirmwareStatusNotification: the last status sent, Idle after Installed
        or when none (L01.FR.25/26, F06.FR.16); requestId unless Idle (L01.FR.20)."""
        status = self.firmware_status
        if status is None or status == "Installed" or self.has("f_trigger_status_idle"):
            return call.FirmwareStatusNotification(status="Idle")
        return call.FirmwareStatusNotification(status=status, request_id=self.firmware_request_id)

    def update_firmware(
        self: ReferenceStation201,
        request_id: int,
        firmware: dict[str, Any],
        retries: int | None,
        retry_interval: int | None,
    ) -> tuple[str, list[Any]]:
        """The UpdateFirmwareResponse status and what to do once it is on the wire."""
        certificate = firmware.get("signing_certificate")
        signature = firmware.get("signature")
        if (not certificate or not signature) and not self.has("l_unsigned_accepted"):
            return "Rejected", []  # a secure update needs both (L01.FR.11/21, TC_L_18)
        if certificate and not self.has("l_certificate_not_checked"):
            problem = signing_certificate_problem(certificate, self.firmware_roots())
            if problem:
                LOGGER.info("%s: signing certificate refused: %s", self.station_id, problem)
                event = call.SecurityEventNotification(
                    type="InvalidFirmwareSigningCertificate", timestamp=self.ts(), tech_info=problem
                )
                return "InvalidCertificate", [lambda: self.enqueue(lambda _i: event)]
        status = "Accepted"
        running = (
            self.firmware_task is not None
            and not self.firmware_task.done()
            and self.firmware_status not in FINAL
        )
        if running:
            if self.has("firmware_no_cancel"):
                return "Rejected", []
            if self.has("l_update_not_canceled"):
                self.firmware_task = None  # the old one runs on, untracked
            else:
                assert self.firmware_task is not None
                self.firmware_task.cancel()
                status = "AcceptedCanceled"
        self.firmware_pending = False

        def start() -> None:
            self.firmware_request_id = request_id
            self.firmware_status = None
            self.firmware_task = self.spawn(
                self.firmware_flow(request_id, firmware, retries or 0, retry_interval or 0)
            )

        return status, [start]

    async def _firmware_report(self: ReferenceStation201, request_id: int, status: str) -> None:
        if request_id != self.firmware_request_id and not self.has("l_update_not_canceled"):
            # Canceled by a newer UpdateFirmware (L01.FR.24); a cancellation httpx swallowed
            # ends here at the latest.
            raise asyncio.CancelledError
        self.firmware_status = status
        sent_id = 0 if self.has("l_wrong_request_id") else request_id
        await self.request(call.FirmwareStatusNotification(status=status, request_id=sent_id))

    async def _firmware_security_event(self: ReferenceStation201, kind: str) -> None:
        await self.request(call.SecurityEventNotification(type=kind, timestamp=self.ts()))

    async def _firmware_wait_idle(self: ReferenceStation201) -> None:
        """L01.FR.06: until every transaction ended (idle EVSEs Unavailable meanwhile), then
        until the drivers are done: every cable unplugged (Part 6 TC_L_13 step 7 note). The
        EVSEs are usable again once the transactions ended, so the driver's unplugging is
        reported Available as Part 6 EVDisconnected expects (a short departure from
        L01.FR.07's "until the firmware is installed")."""
        self.firmware_pending = True
        self.refresh()
        try:
            while self.busy():  # noqa: ASYNC110 - no event marks "the last transaction ended"
                await asyncio.sleep(IDLE_POLL)
        finally:
            self.firmware_pending = False
        self.refresh()
        while any(  # noqa: ASYNC110 - nor "the last cable came out"
            c.plugged for e in self.evses.values() for c in e.connectors.values()
        ):
            await asyncio.sleep(IDLE_POLL)

    async def _firmware_reboot(self: ReferenceStation201) -> None:
        """Reboot (boot reason FirmwareUpdate) and wait until accepted again."""
        await self.drain(5.0)
        self.firmware_pending = False
        self.request_reboot("FirmwareUpdate")
        await self.disconnected.wait()
        await self.online.wait()

    async def _firmware_reconnect(self: ReferenceStation201) -> None:
        """Activate without a restart: close the connection and reconnect at once."""
        await self.drain(5.0)
        self.spawn(self._close_ws())
        await self.disconnected.wait()
        self._wake.set()
        await self.online.wait()

    async def firmware_flow(
        self: ReferenceStation201,
        request_id: int,
        firmware: dict[str, Any],
        retries: int,
        retry_interval: int,
    ) -> None:
        """L01 from the download to the activation, reporting every state (L01.FR.01)."""
        report = self._firmware_report
        retrieve = _moment(firmware.get("retrieve_date_time"))
        install = _moment(firmware.get("install_date_time"))
        now = datetime.now(timezone.utc)
        scheduled = False
        if retrieve is not None and retrieve > now and not self.has("l_retrieve_date_ignored"):
            await report(request_id, "DownloadScheduled")  # L01.FR.13
            scheduled = True
            await _until(retrieve)
        if self.has("firmware_waits_for_idle") and self.busy():
            if not scheduled:
                await report(request_id, "DownloadScheduled")  # L01.FR.13: busy charging
            await self._firmware_wait_idle()
        data: bytes | None = None
        for attempt in range(retries + 1):
            await report(request_id, "Downloading")
            data = await download(firmware["location"])
            if data is not None:
                break
            if attempt < retries:
                await asyncio.sleep(retry_interval)
        if data is None:
            if not self.has("l_download_failure_unreported"):
                await report(request_id, "DownloadFailed")  # L01.FR.30
            return
        await report(request_id, "Downloaded")
        certificate = str(firmware.get("signing_certificate") or "")
        signature = str(firmware.get("signature") or "")
        if not self.has("l_signature_not_checked") and not signature_valid(
            certificate, data, signature
        ):
            await report(request_id, "InvalidSignature")
            await self._firmware_security_event("InvalidFirmwareSignature")  # L01.FR.03
            return
        await report(request_id, "SignatureVerified")
        if install is not None and install > datetime.now(timezone.utc):
            if not self.has("l_install_date_ignored"):
                await report(request_id, "InstallScheduled")  # L01.FR.16
                await _until(install)
        if self.has("firmware_installs_when_idle") and self.busy():
            await report(request_id, "InstallScheduled")  # L01.FR.34
            await self._firmware_wait_idle()
        if self.has("firmware_reboot_before_install") and not self.busy():
            await report(request_id, "InstallRebooting")  # L01.FR.15
            await self._firmware_reboot()
        await report(request_id, "Installing")
        if not image_verifies(data) and not self.has("l_damaged_image_installed"):
            await report(request_id, "InstallVerificationFailed")  # L01.FR.29
            return
        version = data.split(b"\n", 1)[0].split(b" ", 1)[-1].decode(errors="replace")
        self.firmware_version = version[:50] or self.firmware_version
        if self.busy():
            await self._firmware_reconnect()  # C-43: no restart while charging (L01.FR.33)
        else:
            await report(request_id, "InstallRebooting")  # L01.FR.32 (a)
            await self._firmware_reboot()
        await report(request_id, "Installed")  # L01.FR.28, by the new firmware
        if not self.has("l_no_firmware_updated_event"):
            await self._firmware_security_event("FirmwareUpdated")  # L01.FR.31


class FirmwareHandlers:
    """CSMS requests of this block; mixed into the ChargePoint."""

    @on(Action.update_firmware)
    def on_update_firmware(
        self,
        request_id: int,
        firmware: dict[str, Any],
        retries: int | None = None,
        retry_interval: int | None = None,
        **_: Any,
    ) -> Any:
        """L01: the certificate checked before answering; the update runs after the answer."""
        status, work = self.station.update_firmware(request_id, firmware, retries, retry_interval)
        for item in work:
            self.defer(item)
        return call_result.UpdateFirmware(status=status)

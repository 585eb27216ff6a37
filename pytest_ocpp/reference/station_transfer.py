"""File transfers of the reference charge point: firmware download, diagnostics upload.

OCPP 1.6 §5.9 (GetDiagnostics) and §5.19 (UpdateFirmware) leave the transfer protocol to the
location's URI scheme (SupportedFileTransferProtocols: FTP, HTTP, HTTPS). These functions block;
the station runs them with ``asyncio.to_thread`` so the websocket keeps being served.
"""

from __future__ import annotations

import asyncio
import ftplib
import io
import json
import logging
import urllib.parse
import urllib.request
from datetime import datetime, timezone

from ocpp.v16 import call

LOGGER = logging.getLogger("pytest_ocpp.reference.station")
BASE_FIRMWARE = "1.0.0"

TIMEOUT = 10.0


def download(location: str, timeout: float = TIMEOUT) -> bytes:
    """Fetch a firmware image from an ftp://, http:// or https:// location.

    Raises OSError (urllib's URLError included) or ValueError for an unusable location.
    """
    scheme = urllib.parse.urlsplit(location).scheme.lower()
    if scheme not in ("ftp", "http", "https"):
        raise ValueError(f"unsupported firmware location scheme {scheme!r} in {location!r}")
    with urllib.request.urlopen(location, timeout=timeout) as response:
        return response.read()


def upload(
    location: str, file_name: str, data: bytes, timeout: float = TIMEOUT, *, post: bool = False
) -> None:
    """Store ``data`` as ``file_name`` under the directory ``location``.

    FTP: log in (anonymous unless the URL has credentials), change to the URL's path and STOR.
    HTTP(S): PUT to ``location/file_name``, or with ``post`` a multipart POST to ``location``
    itself (how many real chargers upload). Raises OSError, ftplib.Error or ValueError.
    """
    parts = urllib.parse.urlsplit(location)
    scheme = parts.scheme.lower()
    if scheme == "ftp":
        with ftplib.FTP() as ftp:
            ftp.connect(parts.hostname or "127.0.0.1", parts.port or 21, timeout=timeout)
            ftp.login(
                urllib.parse.unquote(parts.username or "anonymous"),
                urllib.parse.unquote(parts.password or "anonymous@"),
            )
            path = urllib.parse.unquote(parts.path)
            if path and path != "/":
                ftp.cwd(path)
            ftp.storbinary(f"STOR {file_name}", io.BytesIO(data))
        return
    if scheme in ("http", "https") and post:
        boundary = "pytest-ocpp-reference-station"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{file_name}"\r\nContent-Type: text/plain\r\n\r\n'
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        request = urllib.request.Request(
            location,
            data=body,
            method="POST",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if response.status >= 300:
                raise OSError(f"upload to {location} answered HTTP {response.status}")
        return
    if scheme in ("http", "https"):
        target = location.rstrip("/") + "/" + urllib.parse.quote(file_name)
        request = urllib.request.Request(
            target, data=data, method="PUT", headers={"Content-Type": "text/plain"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if response.status >= 300:
                raise OSError(f"upload to {target} answered HTTP {response.status}")
        return
    raise ValueError(f"unsupported diagnostics location scheme {scheme!r} in {location!r}")


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class FileTransferMixin:
    """UpdateFirmware and GetDiagnostics flows; expects the ReferenceStation attributes."""

    def _notify_firmware(self, status: str) -> None:
        self._enqueue(lambda: call.FirmwareStatusNotification(status=status))

    def _notify_diagnostics(self, status: str) -> None:
        self._enqueue(lambda: call.DiagnosticsStatusNotification(status=status))

    async def firmware_flow(
        self, location: str, retrieve_date: datetime, retries: int, retry_interval: int
    ) -> None:
        """UpdateFirmware (OCPP 1.6 §5.19, TC_044_CS): download at retrieveDate with retries,
        install once no transaction runs, reboot, report Installed after the new boot."""
        await asyncio.sleep(max(0.0, (retrieve_date - _utcnow()).total_seconds()))
        skip = self.has("firmware_status_skipped")
        image = b""
        for attempt in range(retries + 1):
            self.firmware_status = "Downloading"
            if not skip:
                self._notify_firmware("Downloading")
                if self.has("chatty_status"):
                    self._notify_firmware("Downloading")  # progress, said again
            try:
                if self.failing["download"]:
                    raise OSError("the operator made the firmware download fail")
                image = await asyncio.to_thread(download, location)
                break
            except (OSError, ValueError) as error:
                LOGGER.info("%s: firmware download failed: %s", self.station_id, error)
                if attempt < retries:
                    await asyncio.sleep(retry_interval)
                    continue
                self.firmware_status = "Idle"
                self._notify_firmware("DownloadFailed")
                return
        self.firmware_status = "Downloaded"
        if not skip:
            self._notify_firmware("Downloaded")
        while any(c.transaction for c in self.connectors[1:]):
            self._transaction_ended.clear()
            await self._transaction_ended.wait()
        self.firmware_status = "Installing"
        self._notify_firmware("Installing")
        if self.has("chatty_status"):
            self._notify_firmware("Installing")
        if self.failing["install"] or not image:
            self.firmware_status = "Idle"
            self._notify_firmware("InstallationFailed")
            return
        self.firmware_version = f"{BASE_FIRMWARE}+{len(image)}"
        self._firmware_installed_pending = True
        await self._drain_outbox(5.0)
        self._reboot_pending = True
        await self._close_ws()

    def diagnostics_file_name(self) -> str:
        return f"diagnostics-{self.station_id}-{_utcnow():%Y%m%dT%H%M%SZ}.log"

    async def diagnostics_flow(
        self, location: str, file_name: str, retries: int, retry_interval: int
    ) -> None:
        """GetDiagnostics (OCPP 1.6 §5.9, TC_045_CS): Uploading, then Uploaded/UploadFailed."""
        data = json.dumps(
            {
                "station": self.station_id,
                "firmware": self.firmware_version,
                "statuses": self.statuses,
                "configuration": self.config.as_dict(),
            },
            indent=1,
        ).encode()
        self.diagnostics_status = "Uploading"
        self._notify_diagnostics("Uploading")
        if self.has("chatty_status"):
            self._notify_diagnostics("Uploading")
        for attempt in range(retries + 1):
            try:
                if self.failing["upload"]:
                    raise OSError("the operator made the diagnostics upload fail")
                post = self.has("http_post_to_location")
                await asyncio.to_thread(upload, location, file_name, data, post=post)
                self.diagnostics_status = "Idle"
                self._notify_diagnostics("Uploaded")
                return
            except Exception as error:  # ftplib raises several unrelated types
                LOGGER.info("%s: diagnostics upload failed: %s", self.station_id, error)
                if attempt < retries:
                    await asyncio.sleep(retry_interval)
        self.diagnostics_status = "Idle"
        self._notify_diagnostics("UploadFailed")

"""The reference station's block N log retrieval (N01 GetLog, LogStatusNotification).

``LogHandlers`` holds the ``@on`` handlers (mixed into the ChargePoint of one connection),
``LogMixin`` the station-side state and behaviour (mixed into
:class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`).

The log is uploaded for real with ``httpx``: an HTTP PUT of the file to the remoteLocation
(the file name appended when the location ends with ``/``), ``retries`` more attempts
``retryInterval`` seconds apart when one fails (N01.FR.10); Uploading is reported once at the
start and the failure once at the end (errata 2025-01 TC_N_26: 1 or 4 times). A second GetLog
during an upload cancels it (C-57, N01.FR.12). Variant ``no_diagnostics_log``: the station has
no diagnostics log information, so such a GetLog is Rejected (N01.FR.05, TC_N_34).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import httpx
from ocpp.routing import on
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

if TYPE_CHECKING:
    from pytest_ocpp.reference.station201.station import ReferenceStation201

__all__ = ["LogHandlers", "LogMixin"]

LOGGER = logging.getLogger("pytest_ocpp.reference.station201")


async def upload(location: str, filename: str, content: bytes, timeout: float = 30.0) -> bool:
    """PUT ``content`` to ``location`` (+ ``filename`` for a directory URL); True on 2xx."""
    url = location + filename if location.endswith("/") else location
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            answer = await client.put(url, content=content)
    except (httpx.HTTPError, ValueError) as error:
        LOGGER.info("log upload to %s failed: %s", url, error)
        return False
    return 200 <= answer.status_code < 300


class LogMixin:
    """State and behaviour of this block; mixed into the station."""

    log_task: asyncio.Task[None] | None = None
    log_request_id: int | None = None
    log_uploading: bool = False

    def log_content(self: ReferenceStation201, log_type: str) -> bytes | None:
        """The log file of ``log_type``; None when the station has no such information."""
        if log_type == "DiagnosticsLog" and self.has("no_diagnostics_log"):
            return None
        stamp = self.ts()
        lines = [
            f"{stamp} {self.station_id} {log_type}",
            f"firmware {getattr(self, 'firmware_version', '1.0.0')}, boots {self.boot_count}",
        ]
        for evse in self.evses.values():
            for connector in evse.connectors:
                status = self.connector_status(evse.id, connector)
                lines.append(f"EVSE {evse.id} connector {connector}: {status}")
        return ("\n".join(lines) + "\n").encode()

    def log_notification(self: ReferenceStation201) -> Any:
        """A triggered LogStatusNotification: Uploading with the requestId during an upload,
        else Idle without one (F06.FR.15, N01)."""
        if self.log_uploading and not self.has("f_trigger_status_idle"):
            return call.LogStatusNotification(status="Uploading", request_id=self.log_request_id)
        return call.LogStatusNotification(status="Idle")

    def get_log(
        self: ReferenceStation201,
        log_type: str,
        request_id: int,
        log: dict[str, Any],
        retries: int | None,
        retry_interval: int | None,
    ) -> tuple[str, str | None, list[Any]]:
        """GetLogResponse status, filename and the work after the answer."""
        content = self.log_content(log_type)
        if content is None and not self.has("n_get_log_without_logs_accepted"):
            return "Rejected", None, []
        content = content or b""
        filename = f"{log_type}-{self.station_id}-{datetime.now(timezone.utc):%Y%m%d%H%M%S}.log"
        work: list[Any] = []
        status = "Accepted"
        running = self.log_task is not None and not self.log_task.done() and self.log_uploading
        if running and not self.has("n_second_request_not_canceled"):
            assert self.log_task is not None
            old = self.log_request_id
            self.log_task.cancel()
            status = "AcceptedCanceled"  # N01.FR.12
            self.log_uploading = False
            work.append(
                lambda: self.enqueue(
                    lambda _i: call.LogStatusNotification(status="AcceptedCanceled", request_id=old)
                )
            )

        def start() -> None:
            self.log_request_id = request_id
            self.log_task = self.spawn(
                self.log_flow(
                    request_id,
                    str(log.get("remote_location", "")),
                    filename,
                    content,
                    retries or 0,
                    retry_interval or 0,
                )
            )

        work.append(start)
        return status, (None if self.has("n_get_log_no_filename") else filename), work

    async def log_flow(
        self: ReferenceStation201,
        request_id: int,
        location: str,
        filename: str,
        content: bytes,
        retries: int,
        retry_interval: int,
    ) -> None:
        """N01: Uploading, the upload (with retries), then Uploaded or UploadFailure."""
        self.log_uploading = True
        try:
            await self.request(
                call.LogStatusNotification(status="Uploading", request_id=request_id)
            )
            if self.has("n_uploaded_without_upload"):
                ok = True
            elif self.has("n_upload_retries_ignored"):
                ok = await upload(location, filename, content)
            else:
                ok = False
                for attempt in range(retries + 1):
                    ok = await upload(location, filename, content)
                    if ok or attempt == retries:
                        break
                    await asyncio.sleep(retry_interval)  # N01.FR.10
            if self.log_request_id != request_id:
                return  # canceled by a newer GetLog (N01.FR.12)
            self.log_uploading = False
            status = "Uploaded" if ok else "UploadFailure"
            await self.request(call.LogStatusNotification(status=status, request_id=request_id))
        finally:
            if self.log_request_id == request_id:
                self.log_uploading = False


class LogHandlers:
    """CSMS requests of this block; mixed into the ChargePoint."""

    @on(Action.get_log)
    def on_get_log(
        self,
        log_type: str,
        request_id: int,
        log: dict[str, Any],
        retries: int | None = None,
        retry_interval: int | None = None,
        **_: Any,
    ) -> Any:
        """N01: Rejected without log information (N01.FR.05); else the upload runs after the
        answer, AcceptedCanceled when it cancels one in progress (N01.FR.12)."""
        status, filename, work = self.station.get_log(
            log_type, request_id, log, retries, retry_interval
        )
        for item in work:
            self.defer(item)
        if filename is None:
            return call_result.GetLog(status=status)
        return call_result.GetLog(status=status, filename=filename)

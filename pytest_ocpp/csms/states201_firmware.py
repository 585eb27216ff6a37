"""Station-side states of OCPP 2.0.1 Part 6 §2.18 for one concern, the firmware update:
RebootBeforeFirmwareInstallation (Table 439) and RebootBeforeFirmwareActivation (Table 440).

One method per table, performing the table's own tool validations, used by every case that
names the state (a state written twice drifts). Mixed into
:class:`~pytest_ocpp.csms.v201.FakeCsms201` beside :class:`~pytest_ocpp.csms.states201.StationStates201`.

Both states span a reboot the station controls, during a firmware update: the reconnection is
awaited within ``--ocpp-transfer-timeout`` (a real charger installing firmware takes minutes),
its first messages within ``--ocpp-message-timeout``. A state gets the
FirmwareStatusNotificationRequest InstallRebooting its caller already received (the cases wait
for "InstallRebooting or Installing" to learn which branch the station takes), or waits for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_ocpp.case import step
from pytest_ocpp.verdicts import TargetTimeout, check

if TYPE_CHECKING:
    from pytest_ocpp.csms.base import StationConnection
    from pytest_ocpp.link import IncomingCall

AFTER_INSTALL = ("Installing", "Installed", "InstallationFailed", "InstallVerificationFailed")
"""What a station may report first after rebooting to install (Table 439 steps 7-8 only when
its bootloader speaks OCPP; else the new firmware reports the outcome)."""


class FirmwareStates201:
    """Mixin of :class:`~pytest_ocpp.csms.v201.FakeCsms201`."""

    config: Any
    connection: StationConnection | None
    generation: int
    state: str | None

    async def _firmware_reconnection(self, sut: StationConnection, label: str) -> StationConnection:
        """The station's next connection after ``sut`` (the one already made, if any), within
        --ocpp-transfer-timeout."""
        generation = self.generation
        if self.connection is not None and self.connection is not sut:
            return self.connection
        timeout = self.config.timeouts.transfer
        try:
            return await self.next_connection(  # type: ignore[attr-defined]
                timeout, after=generation
            )
        except Exception as exc:
            raise TargetTimeout(
                f"the Charging Station did not reconnect within {timeout:g} s "
                f"(--ocpp-transfer-timeout) after {label}: {exc}"
            ) from None

    async def _firmware_boot(self, sut: StationConnection, table: str) -> None:
        """Steps 3-6 of Tables 439/440: BootNotificationRequest reason FirmwareUpdate
        (answered Accepted by the default handler), then every EVSE's connector state."""
        step(f"{table} 3. The Charging Station sends a BootNotificationRequest")
        boot = await sut.wait_for(
            "BootNotification", describe=f"BootNotificationRequest after the reboot ({table})"
        )
        check(
            boot.payload.get("reason") == "FirmwareUpdate",
            f"{table} step 3: BootNotificationRequest reason FirmwareUpdate",
            boot.payload,
        )
        step(f"{table} 5. The Charging Station notifies the CSMS about all connectors")
        for evse in range(1, self.config.station.connectors + 1):
            await sut.wait_for(
                "StatusNotification",
                lambda p, e=evse: p["evseId"] == e,
                describe=f"StatusNotificationRequest of EVSE {evse} after the reboot ({table})",
            )

    async def _install_rebooting(
        self, sut: StationConnection, given: IncomingCall | None, table: str, request_id: int | None
    ) -> None:
        if given is None:
            step(f"{table} 1. The Charging Station sends a FirmwareStatusNotificationRequest")
            given = await sut.wait_for(
                "FirmwareStatusNotification",
                timeout=self.config.timeouts.transfer,
                describe=f"FirmwareStatusNotificationRequest InstallRebooting ({table})",
            )
        check(
            given.payload.get("status") == "InstallRebooting",
            f"{table} step 1: FirmwareStatusNotificationRequest status InstallRebooting",
            given.payload,
        )
        if request_id is not None:
            check(
                given.payload.get("requestId") == request_id,
                f"{table} step 1: requestId {request_id}, the UpdateFirmwareRequest's (L01.FR.10)",
                given.payload,
            )

    async def reboot_before_firmware_installation(
        self,
        sut: StationConnection,
        *,
        rebooting: IncomingCall | None = None,
        request_id: int | None = None,
    ) -> tuple[StationConnection, IncomingCall]:
        """RebootBeforeFirmwareInstallation (Table 439): FirmwareStatusNotificationRequest
        InstallRebooting (``rebooting`` when the caller already has it), the reboot; then,
        when the bootloader speaks OCPP, BootNotificationRequest reason FirmwareUpdate, every
        connector's state and FirmwareStatusNotificationRequest Installing. Returns the new
        connection and the first FirmwareStatusNotificationRequest after the reboot
        (Installing, or the outcome when the bootloader was silent)."""
        table = "RebootBeforeFirmwareInstallation"
        await self._install_rebooting(sut, rebooting, table, request_id)
        sut = await self._firmware_reconnection(sut, "InstallRebooting")
        first = await sut.wait_for(
            ("BootNotification", "FirmwareStatusNotification"),
            timeout=self.config.timeouts.transfer,
            describe=f"the first message after the reboot ({table})",
        )
        first.consumed = False  # judged by the step that expects it
        if first.action == "BootNotification":
            await self._firmware_boot(sut, table)
        step(f"{table} 7. The Charging Station sends a FirmwareStatusNotificationRequest")
        status = await sut.wait_for(
            "FirmwareStatusNotification",
            timeout=self.config.timeouts.transfer,
            describe=f"FirmwareStatusNotificationRequest Installing ({table})",
        )
        check(
            status.payload.get("status") in AFTER_INSTALL,
            f"{table} step 7: FirmwareStatusNotificationRequest status Installing",
            status.payload,
        )
        self.state = table
        return sut, status

    async def reboot_before_firmware_activation(
        self,
        sut: StationConnection,
        *,
        rebooting: IncomingCall | None = None,
        request_id: int | None = None,
        announced: bool = True,
    ) -> StationConnection:
        """RebootBeforeFirmwareActivation (Table 440): FirmwareStatusNotificationRequest
        InstallRebooting (optional: ``announced`` false when the caller saw the station
        reconnect without it; ``rebooting`` when the caller already has it), the reboot,
        BootNotificationRequest reason FirmwareUpdate, every connector's state. Returns the
        new connection."""
        table = "RebootBeforeFirmwareActivation"
        if announced:
            await self._install_rebooting(sut, rebooting, table, request_id)
            sut = await self._firmware_reconnection(sut, "InstallRebooting")
        await self._firmware_boot(sut, table)
        self.state = table
        return sut

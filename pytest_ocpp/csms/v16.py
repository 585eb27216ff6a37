"""The fake OCPP 1.6J CSMS: its default answers, the OCTT general preconditions, and the
station-side reusable states of OCTT 1.6 §2.25-2.26."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from pytest_ocpp.case import step
from pytest_ocpp.csms.base import FakeCsms, StationConnection
from pytest_ocpp.link import ANY_ACTION, Handler, IncomingCall
from pytest_ocpp.station import now
from pytest_ocpp.verdicts import NotApplicable, check


def _accepted(call: IncomingCall) -> bool:
    return bool(call.reply_payload and call.reply_payload.get("status") == "Accepted")


class FakeCsms16(FakeCsms):
    """The fake CSMS speaking OCPP 1.6J."""

    async def ready(
        self, operator: Any = None, *, timeout: float | None = None
    ) -> StationConnection:
        """The OCTT general preconditions (OCTT 1.6 §1.3): the station is connected, its boot
        is Accepted, no transaction runs and its connectors are Available.

        What an earlier case left behind is cleared the way a tester would: running
        transactions stopped with RemoteStopTransaction, cables unplugged and faults cleared
        through the station ``operator`` (if given). Returns the connection."""
        sut = await self.station(timeout)
        mark = sut.mark()
        if not sut.link.inbox:
            # A fresh connection: a rebooted station boots first, a reconnecting one may not.
            await sut.link.wait_for(ANY_ACTION, describe="the station's first message")
        boots = [c for c in sut.link.inbox if c.action == "BootNotification"]
        if boots and not _accepted(boots[-1]):
            await sut.wait_for(
                "BootNotification",
                since=sut.link.inbox.index(boots[-1]) + 1,
                describe="an accepted BootNotification (precondition: station registered)",
            )
        accepted = [c for c in sut.link.inbox if c.action == "BootNotification" and _accepted(c)]
        if accepted:
            # A freshly booted station reports its connectors right after the Accepted boot;
            # a case must not start before those reports, or they land in the middle of its
            # first steps (a ChangeAvailability answered, then the boot's "Available").
            since = sut.link.inbox.index(accepted[-1]) + 1
            for connector in range(1, self.config.station.connectors + 1):
                if connector not in self.statuses:
                    await sut.wait_for(
                        "StatusNotification",
                        lambda p, c=connector: p["connectorId"] == c,
                        since=since,
                        describe=f"the first StatusNotification.req of connector {connector} "
                        "after the boot (precondition: connectors Available)",
                    )
        for transaction_id in list(self.transactions):
            await sut.call(
                "RemoteStopTransaction", {"transactionId": transaction_id}, allow_error=True
            )
        busy = [c for c, st in sorted(self.statuses.items()) if c > 0 and st != "Available"]
        if busy and operator is not None:
            for connector in busy:
                if self.statuses.get(connector) == "Faulted":
                    await operator.perform("clear_fault", connector_id=connector)
                elif self.statuses.get(connector) in (
                    "Preparing",
                    "Charging",
                    "SuspendedEV",
                    "SuspendedEVSE",
                    "Finishing",
                ):
                    await operator.plug_out(connector)
        for connector in busy:
            if self.statuses.get(connector) != "Available":
                await sut.wait_for(
                    "StatusNotification",
                    lambda p, c=connector: p["connectorId"] == c and p["status"] == "Available",
                    since=mark,
                    describe=f"connector {connector} Available (precondition: station idle; "
                    f"it is {self.statuses.get(connector)})",
                )
        return sut

    # -- OCTT 1.6 reusable states (station side) --------------------------------------------
    # OCTT 1.6 test case document §2.25. Each state drives the station under test into the
    # named state and performs the state's own tool validations: a station that cannot reach
    # it fails the case at that step, as under OCTT.
    async def get_configuration(self, sut: StationConnection, key: str) -> str | None:
        """Reusable state GetConfiguration: the value of one configuration key, or None when
        the station reports it in ``unknownKey`` (or omits it)."""
        step(f"[GetConfiguration] GetConfiguration.req key {key}")
        response = await sut.call("GetConfiguration", {"key": [key]})
        for item in response.get("configurationKey") or []:
            if item.get("key") == key:
                value = item.get("value")
                return None if value is None else str(value)
        return None

    async def authorized(
        self,
        sut: StationConnection,
        operator: Any,
        *,
        id_tag: str | None = None,
        connector_id: int | None = None,
    ) -> int:
        """Reusable state Authorized: a valid card is presented; the station sends
        Authorize.req for it and (unless already Preparing) StatusNotification Preparing, in
        either order (OCTT 1.6 §2.25, Authorized). Returns the connector that went Preparing
        (``connector_id`` if given): a shared card reader binds no connector in advance."""
        tag = id_tag or self.config.tags.valid
        connector = connector_id or 1
        was_preparing = self.statuses.get(connector) == "Preparing"
        mark = sut.mark()
        step(f"[Authorized] present idTag {tag}")
        await operator.present_id_tag(tag, connector_id)
        step("[Authorized] 1. Authorize.req")
        authorize = await sut.wait_for("Authorize", since=mark)
        check(authorize.payload["idTag"] == tag, f"Authorize.req idTag {tag}", authorize.payload)
        if not was_preparing:
            step("[Authorized] 3. StatusNotification.req Preparing")
            status = await sut.wait_for(
                "StatusNotification",
                lambda p: (
                    p["connectorId"] == connector_id if connector_id else p["connectorId"] != 0
                ),
                since=mark,
                describe="StatusNotification.req for the connector (Preparing)",
            )
            check(
                status.payload["status"] == "Preparing",
                "StatusNotification.req status Preparing",
                status.payload,
            )
            connector = int(status.payload["connectorId"])
        return connector

    async def charging(
        self,
        sut: StationConnection,
        operator: Any,
        connector_id: int = 1,
        id_tag: str | None = None,
    ) -> int:
        """Reusable state Charging: cable plugged in first, then RemoteStartTransaction
        (OCTT 1.6 §2.25, Charging). Returns the transactionId we assigned."""
        tag = id_tag or self.config.tags.valid
        step("[Charging] 1. GetConfiguration.req AuthorizeRemoteTxRequests, LocalPreAuthorize")
        response = await sut.call(
            "GetConfiguration", {"key": ["AuthorizeRemoteTxRequests", "LocalPreAuthorize"]}
        )
        flags = {
            item["key"]: str(item.get("value")).lower() == "true"
            for item in response.get("configurationKey") or []
        }
        # A tag the station already knows (cache, local list) is started at once under
        # LocalPreAuthorize (OCPP 1.6 §5.11: a remote start behaves as a local one): the
        # Authorize.req of step 9 is then optional.
        authorize_remote = flags.get("AuthorizeRemoteTxRequests", False)
        pre_authorize = flags.get("LocalPreAuthorize", False)
        was_reserved = self.statuses.get(connector_id) == "Reserved"
        mark = sut.mark()
        step(f"[Charging] plug in the cable on connector {connector_id}")
        await operator.plug_in(connector_id)
        if not was_reserved:
            step("[Charging] 3. StatusNotification.req Preparing")
            await self._status(sut, connector_id, "Preparing", mark)
        mark = sut.mark()
        step("[Charging] 5. RemoteStartTransaction.req")
        response = await sut.call(
            "RemoteStartTransaction", {"connectorId": connector_id, "idTag": tag}
        )
        check(
            response.get("status") == "Accepted",
            "RemoteStartTransaction.conf status Accepted",
            response,
        )
        if was_reserved:
            step("[Charging] 7. StatusNotification.req Preparing")
            await self._status(sut, connector_id, "Preparing", mark)
        step("[Charging] 11/13. StartTransaction.req and StatusNotification.req Charging")
        start = await sut.wait_for("StartTransaction", since=mark)
        if authorize_remote:
            step("[Charging] 9. Authorize.req (AuthorizeRemoteTxRequests is true)")
            position = sut.link.inbox.index(start)
            asked = [c for c in sut.link.inbox[mark:position] if c.action == "Authorize"]
            check(
                bool(asked) or pre_authorize,
                "Authorize.req before StartTransaction.req (AuthorizeRemoteTxRequests is true)",
                "StartTransaction.req without Authorize.req",
            )
            for authorize in asked:
                check(
                    authorize.payload["idTag"] == tag,
                    f"Authorize.req idTag {tag}",
                    authorize.payload,
                )
        check(
            start.payload["connectorId"] == connector_id and start.payload["idTag"] == tag,
            f"StartTransaction.req connectorId {connector_id} idTag {tag}",
            start.payload,
        )
        await self._status(sut, connector_id, "Charging", mark)
        assert start.reply_payload is not None
        return int(start.reply_payload["transactionId"])

    async def set_connector_faulted(
        self,
        sut: StationConnection,
        operator: Any,
        connector_id: int = 1,
        error_code: str = "OtherError",
    ) -> None:
        """Reusable state SetConnectorFaulted: the connector is put in a fault by hand and
        reports Faulted (OCTT 1.6 §2.25, SetConnectorFaulted)."""
        mark = sut.mark()
        step(f"[SetConnectorFaulted] put connector {connector_id} into a Faulted state")
        await operator.perform("set_fault", connector_id=connector_id, error_code=error_code)
        step("[SetConnectorFaulted] 1. StatusNotification.req Faulted")
        await self._status(sut, connector_id, "Faulted", mark)

    async def set_connector_unavailable(
        self, sut: StationConnection, connector_id: int = 1
    ) -> None:
        """Reusable state SetConnectorUnavailable: ChangeAvailability Inoperative for one
        connector, Accepted, StatusNotification Unavailable (OCTT 1.6 §2.25)."""
        mark = sut.mark()
        step(f"[SetConnectorUnavailable] 1. ChangeAvailability.req Inoperative {connector_id}")
        response = await sut.call(
            "ChangeAvailability", {"connectorId": connector_id, "type": "Inoperative"}
        )
        check(
            response.get("status") == "Accepted",
            "ChangeAvailability.conf status Accepted",
            response,
        )
        step("[SetConnectorUnavailable] 3. StatusNotification.req Unavailable")
        await self._status(sut, connector_id, "Unavailable", mark)

    async def set_charge_point_unavailable(self, sut: StationConnection) -> None:
        """Reusable state SetChargePointUnavailable: ChangeAvailability Inoperative for
        connectorId 0, Accepted, StatusNotification Unavailable for every connector and for
        connectorId 0, in any order (OCTT 1.6 §2.25)."""
        mark = sut.mark()
        step("[SetChargePointUnavailable] 1. ChangeAvailability.req Inoperative, connectorId 0")
        response = await sut.call("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"})
        check(
            response.get("status") == "Accepted",
            "ChangeAvailability.conf status Accepted",
            response,
        )
        step("[SetChargePointUnavailable] 3. StatusNotification.req Unavailable per connector")
        for connector in range(self.config.station.connectors + 1):
            await self._status(sut, connector, "Unavailable", mark)

    async def set_connector_occupied(
        self, sut: StationConnection, operator: Any, connector_id: int = 1
    ) -> None:
        """Reusable state SetConnectorOccupied: the EV driver plugs in; the connector reports
        Preparing (OCTT 1.6 §2.25)."""
        mark = sut.mark()
        step(f"[SetConnectorOccupied] plug in the cable on connector {connector_id}")
        await operator.plug_in(connector_id)
        step("[SetConnectorOccupied] 1. StatusNotification.req Preparing")
        await self._status(sut, connector_id, "Preparing", mark)

    async def reserved(
        self,
        sut: StationConnection,
        connector_id: int = 1,
        id_tag: str | None = None,
        *,
        reservation_id: int = 1,
        expiry_seconds: int = 3600,
        parent_id_tag: str | None = None,
    ) -> int:
        """Reusable state Reserved: ReserveNow for the valid tag, Accepted, StatusNotification
        Reserved (OCTT 1.6 §2.25). Returns the reservationId."""
        tag = id_tag or self.config.tags.valid
        expiry = datetime.now(timezone.utc) + timedelta(seconds=expiry_seconds)
        payload: dict[str, Any] = {
            "connectorId": connector_id,
            "expiryDate": expiry.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "idTag": tag,
            "reservationId": reservation_id,
        }
        if parent_id_tag:
            payload["parentIdTag"] = parent_id_tag
        mark = sut.mark()
        step(f"[Reserved] 1. ReserveNow.req connectorId {connector_id} idTag {tag}")
        response = await sut.call("ReserveNow", payload)
        check(response.get("status") == "Accepted", "ReserveNow.conf status Accepted", response)
        step("[Reserved] 3. StatusNotification.req Reserved")
        await self._status(sut, connector_id, "Reserved", mark)
        return reservation_id

    async def id_tag_cached(
        self,
        sut: StationConnection,
        operator: Any,
        connector_id: int = 1,
        id_tag: str | None = None,
    ) -> None:
        """Memory state IdTagCached (OCTT 1.6 §2.26): a transaction started with the tag
        (state Charging) is stopped by presenting it, so the station caches its idTagInfo;
        then the cable is unplugged. AuthorizationCacheEnabled must already be true."""
        tag = id_tag or self.config.tags.valid
        transaction_id = await self.charging(sut, operator, connector_id, tag)
        mark = sut.mark()
        step(f"[IdTagCached] present idTag {tag} to stop the transaction")
        await operator.present_id_tag(tag, connector_id)
        step("[IdTagCached] 1/3. StopTransaction.req and StatusNotification.req Finishing")
        stop = await sut.wait_for("StopTransaction", since=mark)
        check(
            stop.payload["transactionId"] == transaction_id,
            f"StopTransaction.req transactionId {transaction_id}",
            stop.payload,
        )
        await self._status(sut, connector_id, "Finishing", mark)
        mark = sut.mark()
        step("[IdTagCached] unplug the cable; 5. StatusNotification.req Available")
        await operator.plug_out(connector_id)
        await self._status(sut, connector_id, "Available", mark)

    async def _status(
        self, sut: StationConnection, connector_id: int, status: str, since: int
    ) -> IncomingCall:
        """The next StatusNotification of ``connector_id`` from ``since`` on, which must say
        ``status`` (a different status there fails with what the station said instead)."""
        return await sut.next_status(connector_id, status, since=since)

    def require_profile(self, profile: str) -> None:
        """Not applicable unless the station declares the ``profile`` feature profile
        ([station] features): the optional-profile cases share this prerequisite."""
        if profile not in self.config.station.features:
            raise NotApplicable(f"the station does not declare the {profile} feature profile")

    async def stop_transactions(self, sut: StationConnection, since: int, why: str) -> None:
        """Clean-up shared by the cases that leave the station idle (OCTT 1.6 §1.3): stop every
        transaction still running with RemoteStopTransaction, then wait (from inbox position
        ``since``) for each StopTransaction.req; ``why`` ends the expectation's wording."""
        running = list(self.transactions)
        for transaction_id in running:
            await sut.call(
                "RemoteStopTransaction", {"transactionId": transaction_id}, allow_error=True
            )
        for transaction_id in running:
            if transaction_id in self.transactions:
                await sut.wait_for(
                    "StopTransaction",
                    lambda p, t=transaction_id: p["transactionId"] == t,
                    since=since,
                    describe=f"StopTransaction.req for transaction {transaction_id} ({why})",
                )

    @contextlib.asynccontextmanager
    async def undoing(self, undo: Callable[[], Awaitable[None]]) -> AsyncIterator[None]:
        """Run a case's clean-up ``undo`` when the block ends. After a failure it is best
        effort (the failure is the verdict, a broken clean-up must not hide it); after a pass a
        broken clean-up fails the case, since the next case would inherit the mess."""
        try:
            yield
        except Exception:
            with contextlib.suppress(Exception):
                await undo()
            raise
        await undo()

    # -- default answers -------------------------------------------------------------------
    def id_tag_info(self, id_tag: str) -> dict[str, Any]:
        tags = self.config.tags
        known = {
            tags.valid: "Accepted",
            tags.valid_2: "Accepted",
            tags.parent: "Accepted",
            tags.valid_with_parent: "Accepted",
            tags.blocked: "Blocked",
            tags.expired: "Expired",
        }
        status = self.behaviour.id_tag_status.get(id_tag) or known.get(id_tag, "Invalid")
        info: dict[str, Any] = {"status": status}
        parent = self.behaviour.parent_id_tag.get(id_tag) or (
            tags.parent if id_tag == tags.valid_with_parent else None
        )
        if parent:
            info["parentIdTag"] = parent
        return info

    def default_handlers(self) -> dict[str, Handler]:
        """A conformant CSMS's answers to everything a 1.6 charge point may send."""
        b = lambda: self.behaviour  # noqa: E731 - read at call time, behaviour is replaced per case

        def boot(call: IncomingCall) -> dict[str, Any]:
            return {
                "status": b().boot_status,
                "currentTime": now(self.version),
                "interval": b().heartbeat_interval,
            }

        def start(call: IncomingCall) -> dict[str, Any]:
            transaction_id = next(self._tx_ids)
            self.transactions[transaction_id] = call.payload["connectorId"]
            return {
                "transactionId": transaction_id,
                "idTagInfo": self.id_tag_info(call.payload["idTag"]),
            }

        def stop(call: IncomingCall) -> dict[str, Any]:
            self.transactions.pop(call.payload["transactionId"], None)
            tag = call.payload.get("idTag")
            return {"idTagInfo": self.id_tag_info(tag)} if tag else {}

        def status(call: IncomingCall) -> dict[str, Any]:
            self.statuses[call.payload["connectorId"]] = call.payload["status"]
            return {}

        empty: Callable[[IncomingCall], dict[str, Any]] = lambda call: {}  # noqa: E731
        return {
            "BootNotification": boot,
            "Heartbeat": lambda call: {"currentTime": now(self.version)},
            "StatusNotification": status,
            "Authorize": lambda call: {"idTagInfo": self.id_tag_info(call.payload["idTag"])},
            "StartTransaction": start,
            "StopTransaction": stop,
            "MeterValues": empty,
            "DataTransfer": lambda call: {"status": b().data_transfer_status},
            "FirmwareStatusNotification": empty,
            "DiagnosticsStatusNotification": empty,
        }

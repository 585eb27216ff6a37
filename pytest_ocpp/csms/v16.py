"""The fake OCPP 1.6J CSMS: its default answers, the OCTT general preconditions, and the
station-side reusable states of OCTT 1.6 §2.25-2.26."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from pytest_ocpp.case import step
from pytest_ocpp.csms.base import StationConnection
from pytest_ocpp.csms.conditions16 import GeneralConditions16
from pytest_ocpp.csms.keys16 import is_required, missing_key
from pytest_ocpp.csms.states16_security import SecurityStates16
from pytest_ocpp.link import Handler, IncomingCall
from pytest_ocpp.station import now
from pytest_ocpp.timestamps import parse_timestamp
from pytest_ocpp.verdicts import (
    NotApplicable,
    check,
)

FIRST_MESSAGE_GRACE = 3.0
"""Seconds a freshly connected station gets to start booting before the fake CSMS treats it
as registered and merely reconnected."""

TUNABLE_KEYS: dict[str, str] = {
    "MeterValueSampleInterval": "meter_value_sample_interval",
    "ClockAlignedDataInterval": "clock_aligned_data_interval",
    "HeartbeatInterval": "heartbeat_interval",
    "ConnectionTimeOut": "connection_timeout",
}
"""Numeric keys whose scenario value comes from a ``[station]`` setting: a station may
legitimately refuse a value outside its range (OCPP 1.6 §5.3 Rejected), so a refusal is "set
a value it accepts", not a failure."""

GENERAL_CONFIGURATION: dict[str, str] = {"MinimumStatusDuration": "0"}
"""OCTT 1.6 §1.3 general conditions that are configuration keys (optional ones: applied only
where the station has the key)."""


@dataclass
class OfflineWindow:
    """When the fake CSMS cut the station off (``start``) and accepted it again (``end``), on
    our clock; ``generation`` is the connection to reconnect after; ``hold`` how long the
    window stayed open after the driver's actions."""

    generation: int
    start: datetime
    end: datetime | None = None
    hold: float = 0.0


def _clock(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeCsms16(SecurityStates16, GeneralConditions16):
    """The fake CSMS speaking OCPP 1.6J."""

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

    @property
    def connector(self) -> int:
        """OCTT's <Configured ConnectorId> (``[station] connector_id``): the connector every
        station-side scenario uses unless its table names another."""
        return self.config.station.connector_id

    def check_change_accepted(self, key: str, value: str, reply: Mapping[str, Any]) -> None:
        """A scenario's ChangeConfiguration must be Accepted, except that a numeric key whose
        value the user configures may be Rejected as out of the station's range: then the case
        is not applicable and says which setting to change."""
        status = reply.get("status")
        if status == "Accepted":
            return
        if status == "Rejected" and key in TUNABLE_KEYS:
            raise NotApplicable(
                f"the station rejected {key} = {value} (OCPP 1.6 §5.3 lets it refuse a value "
                f"outside its range); set [station] {TUNABLE_KEYS[key]} to a value it accepts"
            )
        check(
            False,
            f"ChangeConfiguration.conf status Accepted for {key} = {value} (a valid value for "
            "a read-write key, OCPP 1.6 §5.3)",
            reply,
        )

    def attach(self, ctx: Any) -> None:
        super().attach(ctx)
        self._cache_emptied = False
        self._cache_refusal = ""

    async def empty_cache(self, sut: StationConnection) -> None:
        """General precondition "Charge Point has an empty authorization cache" (OCTT 1.6
        §1.3): ClearCache.req, once per case. Established by every state whose table expects
        an Authorize.req (Authorized, Charging) and by the cases whose own steps do, so a tag an
        earlier case cached cannot excuse a missing Authorize.req. The answer is judged by
        TC_061_CS, not here (a station without a cache may refuse it)."""
        if getattr(self, "_cache_emptied", False):
            return
        step("(general precondition: empty authorization cache) ClearCache.req")
        answer = await sut.call("ClearCache", {}, allow_error=True)
        self._cache_emptied = True
        self._cache_refusal = (
            ""
            if answer.get("status") == "Accepted"
            else (
                f"; note: the station answered the precondition's ClearCache.req with {answer} "
                "(expected ClearCache.conf status Accepted), so the general precondition 'empty "
                "authorization cache' could not be established (OCTT 1.6 §1.3, OCPP 1.6 §5.4)"
            )
        )

    async def authorized(
        self,
        sut: StationConnection,
        operator: Any,
        *,
        id_tag: str | None = None,
        connector_id: int | None = None,
    ) -> int:
        """Reusable state Authorized (OCTT 1.6 §2.25, Table 104): a valid card is presented;
        the station sends Authorize.req for it (step 1) and, unless already Preparing,
        StatusNotification Preparing (step 3), in either order. Returns the connector that went
        Preparing (``connector_id`` if given): a shared card reader binds no connector in
        advance. The cache is emptied first (OCTT 1.6 §1.3), so the Authorize.req is due."""
        tag = id_tag or self.config.tags.valid
        connector = connector_id or self.connector
        await self.empty_cache(sut)
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
        connector_id: int | None = None,
        id_tag: str | None = None,
        *,
        authorize_optional: bool = False,
    ) -> int:
        """Reusable state Charging (OCTT 1.6 §2.25, Table 105): cable plugged in first, then
        RemoteStartTransaction. Returns the transactionId we assigned. ``authorize_optional``
        is for the tables that say so where they call the state (TC_049_CS step 5: "Sending an
        Authorize.req is optional"); an Authorize.req that is sent is still checked.

        With AuthorizeRemoteTxRequests true the station must send Authorize.req (step 9): a
        remote start then behaves as a local one (OCPP 1.6 §5.11) and the general precondition
        "empty authorization cache" (OCTT 1.6 §1.3, established here) leaves it nothing to
        authorize locally, so LocalPreAuthorize does not excuse the request. Each check is
        announced under the step of the table it belongs to."""
        tag = id_tag or self.config.tags.valid
        connector = connector_id or self.connector
        await self.empty_cache(sut)
        step("[Charging] 1. GetConfiguration.req AuthorizeRemoteTxRequests")
        response = await sut.call("GetConfiguration", {"key": ["AuthorizeRemoteTxRequests"]})
        reported = {
            item["key"]: str(item.get("value")).lower()
            for item in response.get("configurationKey") or []
        }
        if "AuthorizeRemoteTxRequests" not in reported:
            raise missing_key("AuthorizeRemoteTxRequests", self.config.station.features, "")
        authorize_remote = reported["AuthorizeRemoteTxRequests"] == "true"
        was_reserved = self.statuses.get(connector) == "Reserved"
        mark = sut.mark()
        step(f"[Charging] plug in the cable on connector {connector}")
        await operator.plug_in(connector)
        if not was_reserved:
            step("[Charging] 3. StatusNotification.req Preparing")
            await self._status(sut, connector, "Preparing", mark)
        mark = sut.mark()
        step(f"[Charging] 5. RemoteStartTransaction.req connectorId {connector} idTag {tag}")
        response = await sut.call(
            "RemoteStartTransaction", {"connectorId": connector, "idTag": tag}
        )
        step("[Charging] 6. RemoteStartTransaction.conf")
        check(
            response.get("status") == "Accepted",
            "RemoteStartTransaction.conf status Accepted",
            response,
        )
        charging_since = mark
        if was_reserved:
            step("[Charging] 7. StatusNotification.req Preparing")
            preparing = await self._status(sut, connector, "Preparing", mark)
            charging_since = sut.link.inbox.index(preparing) + 1
        step("[Charging] 11. StartTransaction.req")
        start = await sut.wait_for("StartTransaction", since=mark)
        if authorize_remote:
            step("[Charging] 9. Authorize.req (AuthorizeRemoteTxRequests is true)")
            position = sut.link.inbox.index(start)
            asked = [c for c in sut.link.inbox[mark:position] if c.action == "Authorize"]
            check(
                bool(asked) or authorize_optional,
                f"Authorize.req idTag {tag} before StartTransaction.req (AuthorizeRemoteTxRequests "
                "is true: the remote start is authorized like a local one, OCPP 1.6 §5.11; the "
                "authorization cache was emptied, OCTT 1.6 §1.3)",
                f"StartTransaction.req {start.payload} without Authorize.req"
                + getattr(self, "_cache_refusal", ""),
            )
            for authorize in asked:
                check(
                    authorize.payload["idTag"] == tag,
                    f"Authorize.req idTag {tag}",
                    authorize.payload,
                )
        step("[Charging] 11. StartTransaction.req connectorId and idTag")
        check(
            start.payload["connectorId"] == connector and start.payload["idTag"] == tag,
            f"StartTransaction.req connectorId {connector} idTag {tag}",
            start.payload,
        )
        step("[Charging] 13. StatusNotification.req Charging")
        await self._status(sut, connector, "Charging", charging_since)
        assert start.reply_payload is not None
        return int(start.reply_payload["transactionId"])

    async def set_connector_faulted(
        self,
        sut: StationConnection,
        operator: Any,
        connector_id: int | None = None,
        error_code: str = "OtherError",
    ) -> None:
        """Reusable state SetConnectorFaulted: the connector is put in a fault by hand and
        reports Faulted (OCTT 1.6 §2.25, SetConnectorFaulted)."""
        connector_id = connector_id or self.connector
        mark = sut.mark()
        step(f"[SetConnectorFaulted] put connector {connector_id} into a Faulted state")
        await operator.perform("set_fault", connector_id=connector_id, error_code=error_code)
        step("[SetConnectorFaulted] 1. StatusNotification.req Faulted")
        await self._status(sut, connector_id, "Faulted", mark)

    async def set_connector_unavailable(
        self, sut: StationConnection, connector_id: int | None = None
    ) -> None:
        """Reusable state SetConnectorUnavailable: ChangeAvailability Inoperative for one
        connector, Accepted, StatusNotification Unavailable (OCTT 1.6 §2.25)."""
        connector_id = connector_id or self.connector
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
        self, sut: StationConnection, operator: Any, connector_id: int | None = None
    ) -> None:
        """Reusable state SetConnectorOccupied: the EV driver plugs in; the connector reports
        Preparing (OCTT 1.6 §2.25)."""
        connector_id = connector_id or self.connector
        mark = sut.mark()
        step(f"[SetConnectorOccupied] plug in the cable on connector {connector_id}")
        await operator.plug_in(connector_id)
        step("[SetConnectorOccupied] 1. StatusNotification.req Preparing")
        await self._status(sut, connector_id, "Preparing", mark)

    async def reserved(
        self,
        sut: StationConnection,
        connector_id: int | None = None,
        id_tag: str | None = None,
        *,
        reservation_id: int = 1,
        expiry_seconds: int = 3600,
        parent_id_tag: str | None = None,
    ) -> int:
        """Reusable state Reserved: ReserveNow for the valid tag, Accepted, StatusNotification
        Reserved (OCTT 1.6 §2.25). Returns the reservationId."""
        connector_id = connector_id or self.connector
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
        connector_id: int | None = None,
        id_tag: str | None = None,
    ) -> None:
        """Memory state IdTagCached (OCTT 1.6 §2.26, Table 112): state Charging with the tag,
        stopped by presenting it, so the station caches its idTagInfo (OCPP 1.6 §3.5.1); then
        the cable is unplugged. Its configuration state, AuthorizationCacheEnabled true, is the
        caller's (it is part of the case's own "Before")."""
        connector_id = connector_id or self.connector
        tag = id_tag or self.config.tags.valid
        transaction_id = await self.charging(sut, operator, connector_id, tag)
        mark = sut.mark()
        step(f"[IdTagCached] present idTag {tag} to stop the transaction")
        await operator.present_id_tag(tag, connector_id)
        step("[IdTagCached] 1. StopTransaction.req")
        stop = await sut.wait_for("StopTransaction", since=mark)
        check(
            stop.payload["transactionId"] == transaction_id,
            f"StopTransaction.req transactionId {transaction_id}",
            stop.payload,
        )
        step("[IdTagCached] 3. StatusNotification.req Finishing (steps 1 and 3 may be reversed)")
        await self._status(sut, connector_id, "Finishing", mark)
        mark = sut.mark()
        step("[IdTagCached] unplug the cable; 5. StatusNotification.req Available")
        await operator.plug_out(connector_id)
        await self._status(sut, connector_id, "Available", mark)

    async def id_tag_local_auth_list(
        self, sut: StationConnection, id_tag: str | None = None, status: str = "Accepted"
    ) -> None:
        """Memory state IdTagLocalAuthList (OCTT 1.6 §2.26, Table 113): SendLocalList.req
        listVersion 1 holding the tag, answered Accepted. Its configuration state,
        LocalAuthListEnabled true, is the caller's. ``status`` is the entry's idTagInfo.status
        (Accepted in the table; the offline cases with an invalid tag list it as such)."""
        tag = id_tag or self.config.tags.valid
        step(f"[IdTagLocalAuthList] 1. SendLocalList.req listVersion 1 Full, idTag {tag}")
        answer = await sut.call(
            "SendLocalList",
            {
                "listVersion": 1,
                "updateType": "Full",
                "localAuthorizationList": [{"idTag": tag, "idTagInfo": {"status": status}}],
            },
        )
        step("[IdTagLocalAuthList] 2. SendLocalList.conf")
        check(answer.get("status") == "Accepted", "SendLocalList.conf status Accepted", answer)

    @contextlib.asynccontextmanager
    async def configured(
        self,
        sut: StationConnection,
        required: Mapping[str, str] = {},
        optional: Mapping[str, str] = {},
        prerequisites: Mapping[str, str] = {},
    ) -> AsyncIterator[dict[str, str]]:
        """A scenario's "Before: Configuration State(s)": set each key with
        ChangeConfiguration (skipped when it already holds the value), restore the changed
        ones when the block ends. Yields the keys that now hold the wanted value. The one
        implementation every station-side case uses, so one rule decides every verdict:

        - a key the station reports as unknown: a failure when OCPP 1.6 §9 requires it of this
          station (Core, or a profile it declares), worded the same way everywhere (see
          :mod:`pytest_ocpp.csms.keys16`); else skipped for an ``optional`` key (the table's
          "(If implemented)"), not applicable for the others;
        - a read-only key holding another value: not applicable (the station cannot be put in
          the scenario's state); skipped for an ``optional`` key;
        - a refused ChangeConfiguration: a failure for a ``required`` key (a valid value of a
          read-write key, OCPP 1.6 §5.3) unless it is a numeric key whose value the user sets
          (:data:`TUNABLE_KEYS`: not applicable, naming the setting), not applicable for a
          ``prerequisites`` key, skipped for an ``optional`` one.

        The restore after a failed scenario is best effort (the failure is the verdict); after
        a pass a broken restore fails the case, since the next case would inherit it."""
        wanted = {**optional, **prerequisites, **required}
        declared = self.config.station.features
        answer = await sut.call("GetConfiguration", {"key": list(wanted)})
        known = {item["key"]: item for item in answer.get("configurationKey") or []}
        holding: dict[str, str] = {}
        changed: list[tuple[str, str]] = []

        def skip(key: str, why: str) -> None:
            self.trace.event("note", f"(if implemented) {key}: {why}; skipped")

        async def restore() -> None:
            for key, value in reversed(changed):
                station = await self.station()
                await station.call("ChangeConfiguration", {"key": key, "value": value})

        try:
            for key, value in wanted.items():
                item = known.get(key)
                if item is None:
                    if key in optional and not is_required(key, declared):
                        skip(key, "not implemented")
                        continue
                    raise missing_key(key, declared, f" = {value}")
                if str(item.get("value")).lower() == value.lower():
                    holding[key] = value
                    continue
                if item.get("readonly"):
                    if key in optional:
                        skip(key, f"read-only with value {item.get('value')!r}")
                        continue
                    raise NotApplicable(
                        f"{key} is read-only with value {item.get('value')!r}; the scenario "
                        f"needs {key} = {value}"
                    )
                step(f"(configuration state) ChangeConfiguration.req {key} = {value}")
                reply = await sut.call("ChangeConfiguration", {"key": key, "value": value})
                status = reply.get("status")
                if status == "Accepted":
                    holding[key] = value
                    if item.get("value") is not None:
                        changed.append((key, str(item["value"])))
                elif key in required:
                    self.check_change_accepted(key, value, reply)
                elif key in prerequisites:
                    raise NotApplicable(
                        f"prerequisite: {key} = {value}; the station answered {status} "
                        f"(it holds {item.get('value')!r})"
                    )
                else:
                    skip(key, f"ChangeConfiguration answered {status}")
            yield holding
        except BaseException:
            # A failure (or "not applicable") is the verdict: the restore must not hide it.
            with contextlib.suppress(Exception):
                await restore()
            raise
        await restore()

    # -- being offline (OCTT "[Remove connectivity ...]") -----------------------------------
    async def go_offline(self) -> OfflineWindow:
        """[Remove the connectivity between the Charge Point and the Central System]: close
        the websocket and refuse reconnections. Returns the window, open until
        :meth:`come_online`."""
        window = OfflineWindow(generation=self.generation, start=datetime.now(timezone.utc))
        self.behaviour.refuse_connections = True
        await self.drop_connection()
        return window

    async def come_online(self, window: OfflineWindow, *, hold: float = 0.0) -> StationConnection:
        """[Restore the connectivity]: after ``hold`` more seconds offline (so what the driver
        did and the reconnection are seconds apart, and the frames can tell them apart), accept
        connections again and wait for the station's. Closes ``window``."""
        if hold:
            await asyncio.sleep(hold)
        self.behaviour.refuse_connections = False
        sut = await self.next_connection(after=window.generation)
        window.end = datetime.now(timezone.utc)
        window.hold = hold
        return sut

    def clock_offset(self, sut: StationConnection, *, exclude: IncomingCall) -> float:
        """How far the station's clock is ahead of ours, in seconds: the median of
        (its timestamp - our receive time) over the StatusNotification.req it sent while
        connected (sent at once, so the difference is its clock offset plus a few ms)."""
        samples = sorted(
            (stamp - datetime.fromtimestamp(call.received_at, timezone.utc)).total_seconds()
            for call in sut.link.inbox
            if call is not exclude
            and call.action == "StatusNotification"
            and (stamp := parse_timestamp(call.payload.get("timestamp"))) is not None
        )
        return samples[len(samples) // 2] if samples else 0.0

    def check_done_offline(
        self,
        sut: StationConnection,
        message: IncomingCall,
        window: OfflineWindow,
        *,
        id_tag: str | None = None,
    ) -> None:
        """Evidence that what ``message`` reports (a StartTransaction.req or StopTransaction.req
        queued while offline) happened offline, as the scenario says the driver acted then:

        - its ``timestamp`` lies inside the offline window: a transaction-related message is
          queued while offline and delivered later with the time it happened (OCPP 1.6 §3.7;
          StartTransaction/StopTransaction timestamp: when the transaction started/stopped,
          §6.46/§6.50). The window's end is held ``window.hold`` s after the driver's action,
          and half of that is allowed for clock offset and the station's reaction time;
        - with ``id_tag``, no Authorize.req for it preceded the message on the restored
          connection: the station authorized the driver offline (OCPP 1.6 §3.5), it did not
          wait for the Central System."""
        assert window.end is not None, "come_online() closes the window"
        what = f"{message.action}.req"
        stamp = parse_timestamp(message.payload.get("timestamp"))
        # Judge the station's timestamp on the station's own clock: a real charger's clock
        # may be seconds off ours, which must not turn an offline start into a failure.
        offset = timedelta(seconds=self.clock_offset(sut, exclude=message))
        slack = timedelta(seconds=max(window.hold / 2, 0.5))
        earliest = window.start + offset - timedelta(seconds=1)
        latest = window.end + offset - slack
        check(
            stamp is not None and earliest <= stamp <= latest,
            f"{what} timestamp inside the offline window {_clock(window.start)} to "
            f"{_clock(window.end)} (the driver acted offline; a queued transaction-related "
            "message keeps the time it happened, OCPP 1.6 §3.7)",
            f"timestamp {message.payload.get('timestamp')!r}",
        )
        if id_tag is not None:
            position = sut.link.inbox.index(message)
            online = [
                c
                for c in sut.link.inbox[:position]
                if c.action == "Authorize" and c.payload.get("idTag") == id_tag
            ]
            check(
                not online,
                f"no Authorize.req for {id_tag} before {what} once the connection was restored "
                "(the transaction was started offline, authorized locally: OCPP 1.6 §3.5)",
                f"Authorize.req {online[0].payload} sent online before {what}" if online else None,
            )

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
            self.reservations.pop(call.payload.get("reservationId"), None)  # §5.13: used up
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
            self.reported[f"StatusNotification/{call.payload['connectorId']}"] = call.payload[
                "status"
            ]
            return {}

        def firmware(call: IncomingCall) -> dict[str, Any]:
            self.reported["FirmwareStatusNotification"] = call.payload["status"]
            if call.payload["status"] in ("Installed", "DownloadFailed", "InstallationFailed"):
                self.firmware_running = False
            self._transfer_changed.set()
            return {}

        def diagnostics(call: IncomingCall) -> dict[str, Any]:
            self.reported["DiagnosticsStatusNotification"] = call.payload["status"]
            if call.payload["status"] in ("Uploaded", "UploadFailed"):
                self.diagnostics_running = False
            self._transfer_changed.set()
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
            "FirmwareStatusNotification": firmware,
            "DiagnosticsStatusNotification": diagnostics,
            **self.security_handlers(),
        }

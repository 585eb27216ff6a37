"""Authorization and charging sessions of the reference 1.6 charge point (OCPP 1.6 §3.4,
§4.1, §4.8, §4.10, §5.11; the local list and cache §3.5, §5.1, §5.4, §5.15).

An idTag presented at the station, a RemoteStartTransaction, the connection timeout, and the
life of a transaction from StartTransaction.req to StopTransaction.req. Mixed into
:class:`~pytest_ocpp.reference.station.ReferenceStation`; kept apart because the connection,
outbox and boot logic there are the same for every scenario, and this is what changes per case.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from typing import Any

from ocpp.v16 import call

from pytest_ocpp.reference.station_model import Connector, PendingStart, Transaction
from pytest_ocpp.reference.station_operator import hand_off
from pytest_ocpp.reference.station_smart import parse_datetime

LOGGER = logging.getLogger("pytest_ocpp.reference.station")


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class SessionMixin:
    """idTags, remote starts and transactions; expects the ReferenceStation attributes."""

    # ------------------------------------------------------------------ authorization

    def _local_info(self, id_tag: str) -> dict[str, Any] | None:
        """idTagInfo from the Local Authorization List, else the cache (OCPP 1.6 §3.5)."""
        info: dict[str, Any] | None = None
        if (
            "LocalAuthListManagement" in self.features
            and self.config.get_bool("LocalAuthListEnabled", True)
            and not self.has("local_list_ignored")
        ):
            info = self.local_list.get(id_tag)
        if info is None and self.config.get_bool("AuthorizationCacheEnabled", True):
            info = self.auth_cache.get(id_tag)
        if info is None:
            return None
        info = dict(info)
        expiry = info.get("expiry_date")
        if expiry and info.get("status") == "Accepted" and parse_datetime(expiry) < _utcnow():
            info["status"] = "Expired"
        return info

    def _cache(self, id_tag: str | None, info: dict[str, Any] | None) -> None:
        """Keep the cache in step with every idTagInfo received (OCPP 1.6 §3.5.1)."""
        if id_tag and info and self.config.get_bool("AuthorizationCacheEnabled", True):
            self.auth_cache[id_tag] = dict(info)

    async def _authorize(self, id_tag: str) -> dict[str, Any] | None:
        """Decide on a tag: local pre-authorization, Authorize.req, or offline rules
        (OCPP 1.6 §3.5, §4.1, §9.1.12/13, AllowOfflineTxForUnknownId)."""
        if self.online.is_set():
            local = self._local_info(id_tag)
            if (
                local is not None
                and local.get("status") == "Accepted"
                and self.config.get_bool("LocalPreAuthorize", False)
            ):
                return local
            response = await self._request(call.Authorize(id_tag=id_tag))
            if response is not None:
                self._cache(id_tag, response.id_tag_info)
                return dict(response.id_tag_info)
        if self.config.get_bool("LocalAuthorizeOffline", True):
            local = self._local_info(id_tag)
            if local is not None:
                return local
        if self.config.get_bool("AllowOfflineTxForUnknownId", False):
            return {"status": "Accepted"}
        return None

    # ------------------------------------------------------------------ sessions

    def _usable(self, c: Connector) -> bool:
        cp = self.connectors[0]
        return not (c.fault or cp.fault or c.inoperative or cp.inoperative)

    def _free_for_start(self, c: Connector) -> bool:
        return (
            self._usable(c)
            and c.transaction is None
            and c.pending is None
            and not c.finishing
            and not c.ev_side_disconnected
        )

    def _pick_connector(self, id_tag: str) -> Connector | None:
        """A connector for a tag with no connector named: one with a cable waiting, else one
        reserved for the tag, else any free one."""
        free = [c for c in self.connectors[1:] if self._free_for_start(c)]

        def rank(c: Connector) -> int:
            reservation = self._reservation_for(c)
            if reservation is not None and reservation.id_tag == id_tag:
                return 0
            if c.plugged:
                return 1
            return 2 if reservation is None else 3

        return min(free, key=rank, default=None)

    async def _on_tag(self, id_tag: str, connector_id: int | None) -> None:
        """A card swipe (OCPP 1.6 §3.5, §5.13, OCTT TC_068/069_CS): stop the session it
        started, stop one sharing its parentIdTag, withdraw a waiting authorization, or
        start a session."""
        if not self._powered.is_set():
            return
        if self.has("offline_start_authorized_online") and not self.online.is_set():
            hand_off()  # the swipe is done for the operator; the station waits on its own
            await self.online.wait()
        scope = [self.connectors[connector_id]] if connector_id is not None else self.connectors[1:]
        for c in scope:
            if c.transaction is not None and c.transaction.id_tag == id_tag:
                self._stop_transaction(c, "Local", id_tag=id_tag)
                return
        info: dict[str, Any] | None = None
        with_parent = [c for c in scope if c.transaction and c.transaction.parent_id_tag]
        if with_parent:
            info = await self._authorize(id_tag)
            if info and info.get("status") == "Accepted" and info.get("parent_id_tag"):
                for c in with_parent:
                    tx = c.transaction
                    if tx is not None and tx.parent_id_tag == info["parent_id_tag"]:
                        self._stop_transaction(c, "Local", id_tag=id_tag)
                        return
        for c in scope:
            if c.pending is not None and c.pending.id_tag == id_tag and not c.pending.remote:
                self._cancel_pending(c)
                return
        if connector_id is not None:
            target = self.connectors[connector_id]
            if not self._free_for_start(target):
                return
        else:
            target = self._pick_connector(id_tag)
            if target is None:
                return
        reservation = self._reservation_for(target)
        if reservation is not None and reservation.id_tag != id_tag:
            if not reservation.parent_id_tag:
                return
            info = info or await self._authorize(id_tag)
            if not info or info.get("parent_id_tag") != reservation.parent_id_tag:
                return
        if info is None:
            info = await self._authorize(id_tag)
        if not info or info.get("status") != "Accepted":
            return
        if not self._free_for_start(target):
            return
        pending = PendingStart(id_tag=id_tag, remote=False, parent_id_tag=info.get("parent_id_tag"))
        target.pending = pending
        if target.plugged:
            self._begin_transaction(target, id_tag, pending.parent_id_tag)
        else:
            self._arm_connection_timeout(target, pending)
            self._refresh()

    def remote_start(
        self, id_tag: str, connector_id: int | None, charging_profile: dict[str, Any] | None
    ) -> Connector | None:
        """Claim a connector for RemoteStartTransaction (OCPP 1.6 §5.11); None = Rejected."""
        if connector_id is not None:
            if not 1 <= connector_id <= self.connector_count:
                return None
            target: Connector | None = self.connectors[connector_id]
            assert target is not None
            if not self._free_for_start(target):
                return None
        else:
            target = self._pick_connector(id_tag)
            if target is None:
                return None
        reservation = self._reservation_for(target)
        if (
            reservation is not None
            and reservation.id_tag != id_tag
            and not reservation.parent_id_tag
        ):
            return None
        target.pending = PendingStart(
            id_tag=id_tag,
            remote=True,
            visible=reservation is not None,
            charging_profile=charging_profile,
        )
        return target

    async def remote_start_flow(self, c: Connector) -> None:
        """After RemoteStartTransaction.conf: Authorize if AuthorizeRemoteTxRequests, then
        start at once if a cable is in, else wait ConnectionTimeOut for one (TC_011_CS)."""
        pending = c.pending
        if pending is None:
            return
        self._refresh()
        reservation = self._reservation_for(c)
        needs_check = reservation is not None and reservation.id_tag != pending.id_tag
        authorize = self.config.get_bool("AuthorizeRemoteTxRequests", True)
        if (authorize and not self.has("remote_start_without_authorize")) or needs_check:
            info = await self._authorize(pending.id_tag)
            if c.pending is not pending:
                return
            accepted = bool(info) and info.get("status") == "Accepted"  # type: ignore[union-attr]
            if accepted and needs_check:
                accepted = info.get("parent_id_tag") == reservation.parent_id_tag  # type: ignore[union-attr]
            if not accepted:
                self._cancel_pending(c)
                return
            pending.parent_id_tag = info.get("parent_id_tag")  # type: ignore[union-attr]
        pending.visible = True
        if c.plugged and self._usable(c):
            self._begin_transaction(c, pending.id_tag, pending.parent_id_tag)
        else:
            self._arm_connection_timeout(c, pending)
            self._refresh()

    def _arm_connection_timeout(self, c: Connector, pending: PendingStart) -> None:
        """ConnectionTimeOut (OCPP 1.6 §9.1.6): back to the original state without a cable."""

        async def expire() -> None:
            await asyncio.sleep(max(1, self.config.get_int("ConnectionTimeOut", 60)))
            if c.pending is pending:
                pending.timer = None
                self._cancel_pending(c)

        pending.timer = self.spawn(expire())

    def _cancel_pending(self, c: Connector, *, refresh: bool = True) -> None:
        if c.pending is None:
            return
        if c.pending.timer is not None and c.pending.timer is not asyncio.current_task():
            c.pending.timer.cancel()
        c.pending = None
        if refresh:
            self._refresh()

    def _timers_of(self, c: Connector) -> list[asyncio.Task[Any]]:
        timers: list[asyncio.Task[Any]] = []
        if c.pending is not None and c.pending.timer is not None:
            timers.append(c.pending.timer)
        if c.transaction is not None and c.transaction.sampler is not None:
            timers.append(c.transaction.sampler)
        return timers

    def _begin_transaction(self, c: Connector, id_tag: str, parent_id_tag: str | None) -> None:
        """StartTransaction.req, then Charging (OCPP 1.6 §4.8, §5.13 for the reservation)."""
        pending = c.pending
        reservation = self._reservation_for(c) or next(
            (r for r in self.reservations.values() if r.connector_id == 0 and r.id_tag == id_tag),
            None,
        )
        reservation_id = None
        if reservation is not None and (
            reservation.id_tag == id_tag
            or (reservation.parent_id_tag and reservation.parent_id_tag == parent_id_tag)
        ):
            reservation_id = reservation.id
            self._drop_reservation(reservation, refresh=False)
        if pending is not None and pending.timer is not None:
            pending.timer.cancel()
        c.pending = None
        c.finishing = False
        meter_start = int(self._meter(c))
        tx = Transaction(
            connector_id=c.id,
            id_tag=id_tag,
            meter_start=meter_start,
            started_at=_utcnow(),
            started_mono=time.monotonic(),
            parent_id_tag=parent_id_tag,
            reservation_id=reservation_id,
        )
        c.transaction = tx
        if pending is not None and pending.charging_profile is not None:
            self.profiles.install(c.id, pending.charging_profile, _utcnow())
        payload = call.StartTransaction(
            connector_id=c.id,
            id_tag=id_tag,
            meter_start=meter_start,
            timestamp=self.ts(tx.started_at),
            reservation_id=reservation_id,
        )
        if self.has("preparing_to_reserved") and c.reported and c.reported[0] == "Preparing":
            wrong = self._status_payload(c, ("Reserved", "NoError"))
            self._enqueue(lambda: wrong)
        if self.has("chatty_status") and c.reported and c.reported[0] == "Preparing":
            # Preparing said again right before StartTransaction (a repeat §4.9 allows).
            again = self._status_payload(c, c.reported)
            self._enqueue(lambda: again)
        self._enqueue(lambda: payload, tx=True, on_result=lambda r: self._started(tx, r))
        if self.has("chatty_status") and self._status_of(c)[0] == "Charging":
            # Preparing → SuspendedEV → Charging: the short intermediate §4.9 describes.
            c.reported = ("SuspendedEV", "NoError")
            between = self._status_payload(c, c.reported)
            self._enqueue(lambda: between)
        self._refresh()
        tx.sampler = self.spawn(self._sample_loop(c, tx))

    def _started(self, tx: Transaction, response: Any) -> None:
        """StartTransaction.conf: keep the id; a non-Accepted tag stops or suspends the
        transaction (StopTransactionOnInvalidId, §9.1.24) after statuses queued before it."""
        tx.id = response.transaction_id
        info = response.id_tag_info or {}
        self._cache(tx.id_tag, info)
        if info.get("parent_id_tag"):
            tx.parent_id_tag = info["parent_id_tag"]
        if info.get("status") != "Accepted":
            self._enqueue_action(lambda: self._deauthorized(tx))

    def _deauthorized(self, tx: Transaction) -> None:
        c = self.connectors[tx.connector_id]
        if c.transaction is not tx:
            return
        if self.config.get_bool("StopTransactionOnInvalidId", True):
            self._stop_transaction(c, "DeAuthorized")
        else:
            tx.invalid = True
            self._refresh()

    def _stop_transaction(
        self, c: Connector, reason: str, *, id_tag: str | None = None, refresh: bool = True
    ) -> None:
        """StopTransaction.req (OCPP 1.6 §4.10, §6.49), then Finishing while the cable is in."""
        tx = c.transaction
        if tx is None:
            return
        if tx.sampler is not None and tx.sampler is not asyncio.current_task():
            tx.sampler.cancel()
        meter_stop = int(self._meter(c))
        stopped_at = _utcnow()
        c.transaction = None
        self._transaction_ended.set()
        c.finishing = c.plugged
        c.ev_suspended = False
        c.info = None
        self.profiles.drop_transaction(c.id)
        if c.scheduled_inoperative is not None:
            c.inoperative = c.scheduled_inoperative
            c.scheduled_inoperative = None
            cp = self.connectors[0]
            if cp.scheduled_inoperative is not None and not any(
                x.transaction for x in self.connectors[1:]
            ):
                cp.inoperative = cp.scheduled_inoperative
                cp.scheduled_inoperative = None
        sent_reason = "Local" if self.has("wrong_stop_reason") else reason
        stop_data = self._stop_txn_data(c, tx, stopped_at, meter_stop)

        def build() -> Any | None:
            if tx.id is None:
                LOGGER.warning(
                    "%s: dropping StopTransaction without a transactionId", self.station_id
                )
                return None
            return call.StopTransaction(
                meter_stop=meter_stop,
                timestamp=self.ts(stopped_at),
                transaction_id=0 if self.has("transaction_id_ignored") else tx.id,
                reason=sent_reason,
                id_tag=id_tag,
                transaction_data=stop_data or None,
            )

        self._enqueue(
            build,
            tx=True,
            on_result=lambda r: self._cache(id_tag, getattr(r, "id_tag_info", None)),
        )
        if refresh:
            self._refresh()

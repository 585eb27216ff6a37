"""Authorization of the reference 2.0.1 station (Part 2 C01-C16, D01-D02).

Who may charge is decided in one place, :meth:`AuthorizationMixin.decide`: the Local
Authorization List has priority over the Authorization Cache (C13.FR.01, C14.FR.01); online,
a locally Accepted token is used without asking only when AuthCtrlr.LocalPreAuthorize is true,
a locally known non-Accepted one is asked about again (C10.FR.03, C14.FR.03) unless
DisablePostAuthorize; offline, LocalAuthorizeOffline and OfflineTxForUnknownIdEnabled rule
(C13, C15). Every IdTokenInfo received updates the cache (C10.FR.04/05), except for the types
Central and NoAuthorization (C02.FR.03, C05.FR.02) and tokens accepted offline as unknown
(C15.FR.01).

:meth:`AuthorizationMixin.on_token` is a card swipe: it ends the authorization of the session
the token (or its group, C09; or the Master Pass, C16) started, or authorizes a new one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ocpp.routing import on
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from pytest_ocpp.reference.station201.model import Evse, Session, same_token

if TYPE_CHECKING:
    from pytest_ocpp.reference.station201.station import ReferenceStation201

__all__ = ["AuthorizationHandlers", "AuthorizationMixin"]

_NEVER_CACHED = ("Central", "NoAuthorization")


def token_key(token: dict[str, Any]) -> str:
    """Cache and list key: the type plus the case-insensitive value (C §1.1)."""
    return f"{token.get('type')}:{str(token.get('id_token', '')).lower()}"


def _expired(info: dict[str, Any]) -> bool:
    expiry = info.get("cache_expiry_date_time")
    if not expiry:
        return False
    try:
        moment = datetime.fromisoformat(str(expiry).replace("Z", "+00:00"))
    except ValueError:
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment < datetime.now(timezone.utc)


def _same_group(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """Two tokens are in one group when their non-empty groupIdTokens match (C §1.2)."""
    return bool(a and b and a.get("id_token")) and same_token(a, b)


class AuthorizationMixin:
    """Local list, cache and the authorization decision; mixed into the station."""

    local_list: dict[str, dict[str, Any]]
    local_list_version: int
    auth_cache: dict[str, dict[str, Any]]
    """token key → {"info": IdTokenInfo, "used": monotonic time of last use}."""
    decided_locally: bool = False
    """The last :meth:`decide` accepted from the list or cache without asking (C12.FR.02)."""

    # ------------------------------------------------------------------ knowledge

    def local_list_info(self: ReferenceStation201, token: dict[str, Any]) -> dict[str, Any] | None:
        if not self.model.get_bool("LocalAuthListCtrlr.Enabled", True):
            return None
        entry = self.local_list.get(token_key(token))
        return None if entry is None else dict(entry["id_token_info"])

    def cache_info(self: ReferenceStation201, token: dict[str, Any]) -> dict[str, Any] | None:
        """The cached IdTokenInfo, dropping entries past cacheExpiryDateTime (C10.FR.13) or
        unused for AuthCacheCtrlr.LifeTime (C10.FR.08, C10.FR.10)."""
        if not self.model.get_bool("AuthCacheCtrlr.Enabled", True):
            return None
        key = token_key(token)
        entry = self.auth_cache.get(key)
        if entry is None:
            return None
        lifetime = self.model.get_int("AuthCacheCtrlr.LifeTime", 0)
        stale = lifetime > 0 and time.monotonic() - entry["used"] > lifetime
        stale = stale and not self.has("c_cache_lifetime_ignored")
        if stale or _expired(entry["info"]):
            del self.auth_cache[key]
            return None
        entry["used"] = time.monotonic()
        return dict(entry["info"])

    def cache_store(self: ReferenceStation201, token: dict[str, Any], info: Any) -> None:
        """C10.FR.01/04/05: keep the latest IdTokenInfo of every token, whatever its status."""
        if not isinstance(info, dict) or token.get("type") in _NEVER_CACHED:
            return
        if not self.model.get_bool("AuthCacheCtrlr.Enabled", True):
            return
        self.auth_cache[token_key(token)] = {"info": dict(info), "used": time.monotonic()}

    @staticmethod
    def valid_locally(info: dict[str, Any] | None) -> bool:
        return bool(info) and info.get("status") == "Accepted" and not _expired(info)  # type: ignore[union-attr]

    # ------------------------------------------------------------------ the decision

    async def decide(
        self: ReferenceStation201, token: dict[str, Any], *, remote: bool = False
    ) -> tuple[dict[str, Any] | None, bool]:
        """IdTokenInfo for ``token`` (None: refused without an answer) and whether it was
        accepted offline as an unknown id (C15)."""
        model = self.model
        self.decided_locally = False
        if (
            not model.get_bool("AuthCtrlr.Enabled", True)
            or token.get("type") == "NoAuthorization"
            or (remote and token.get("type") == "Central")
        ):
            return {"status": "Accepted"}, False  # C01.FR.01, C02, C05.FR.01
        local = self.local_list_info(token)
        known = local if local is not None else self.cache_info(token)
        if self.has("c_cache_over_list"):
            known = self.cache_info(token) or local
        if self.has("c_offline_list_ignored") and not self.online.is_set() and local is not None:
            known = None
        if self.online.is_set():
            preauthorize = model.get_bool("AuthCtrlr.LocalPreAuthorize") or (
                local is None and self.has("authorize_cached_without_request")
            )
            if known is not None and self.valid_locally(known) and preauthorize:
                self.decided_locally = True
                return known, False  # C12.FR.02, C14.FR.02
            if known is not None and not self.valid_locally(known):
                ctrlr = "LocalAuthListCtrlr" if local is not None else "AuthCacheCtrlr"
                if self.has("c_local_refusal_final"):
                    return known, False
                post = model.get_bool(f"{ctrlr}.DisablePostAuthorize")
                if post and not self.has("c_post_authorize_ignored"):
                    return known, False
            if model.get_bool("AuthCtrlr.DisableRemoteAuthorization") and not self.has(
                "e_remote_authorize_when_disabled"
            ):
                return known, False
            response = await self.request(call.Authorize(id_token=token))
            if response is not None:
                info = dict(response.id_token_info)
                self.cache_store(token, info)
                return info, False
        if known is not None:
            if model.get_bool("AuthCtrlr.LocalAuthorizeOffline", True):
                if local is not None and self.has("c_offline_refused_list_starts"):
                    return {**known, "status": "Accepted"}, False
                return known, False  # C13.FR.02/04: the list (or cache) decides
            return None, False
        if model.get_bool("AuthCtrlr.OfflineTxForUnknownIdEnabled") and not self.has(
            "c_offline_unknown_refused"
        ):
            return {"status": "Accepted"}, True  # C15.FR.08
        return None, False

    # ------------------------------------------------------------------ a card swipe

    async def on_token(
        self: ReferenceStation201,
        token: dict[str, Any],
        evse_id: int | None,
        *,
        ev_plug: int | None = None,
    ) -> None:
        """A presented idToken: end the authorization it (or its group, or the Master Pass)
        may end (C01.FR.03, E07.FR.01, C09.FR.03-11, C16.FR.02), else authorize a session.
        ``ev_plug``: the token is the connected EV's own contract (Plug & Charge), so it
        authorizes nothing once that EV has been unplugged (a later EV is another car)."""
        if not self.powered:
            return
        for evse in self.evses.values():
            if evse.locked_for is not None and same_token(evse.locked_for, token):
                evse.locked_for = None  # E09.FR.03: the owner unlocks the cable
                return
        scope = [self.evses[evse_id]] if evse_id is not None else list(self.evses.values())
        running: list[tuple[Evse | None, Session]] = [
            (e, e.session) for e in scope if e.session is not None and e.session.auth is not None
        ]
        if evse_id is None and self.floating is not None and self.floating.auth is not None:
            running.append((None, self.floating))
        for evse, session in running:
            assert session.auth is not None
            if same_token(session.auth.id_token, token) or self.has("c_different_token_stops"):
                self.end_authorization(evse, session, "StopAuthorized", "Local", token)
                return
        master = self.model.value("AuthCtrlr.MasterPassGroupId").strip()
        grouped = [(e, s) for e, s in running if s.auth is not None and s.auth.group]
        info: dict[str, Any] | None = None
        offline_unknown = False
        decided = False
        if grouped or (master and running):
            known = self.local_list_info(token) or self.cache_info(token)
            if self.valid_locally(known):
                info = known
            else:
                info, offline_unknown = await self.decide(token)
                decided = True
            if (
                info is not None
                and info.get("status") != "Accepted"
                and self.has("c_invalid_group_stops")
            ):
                for evse, session in grouped:
                    assert session.auth is not None
                    if _same_group(info.get("group_id_token"), session.auth.group):
                        self.end_authorization(evse, session, "StopAuthorized", "Local", token)
                        return
            if info is not None and info.get("status") == "Accepted":
                group = info.get("group_id_token")
                master_pass = master and group and str(group.get("id_token")) == master
                if master_pass and not self.has("c_masterpass_ignored"):
                    for evse, session in running:  # C16.FR.02: no UI, stop them all
                        self.end_authorization(evse, session, "StopAuthorized", "MasterPass", token)
                    return
                for evse, session in grouped:
                    assert session.auth is not None
                    if _same_group(group, session.auth.group) and not self.has("c_group_ignored"):
                        self.end_authorization(evse, session, "StopAuthorized", "Local", token)
                        return
        target = self.start_target(evse_id)
        if target is False:
            return
        if not decided:
            info, offline_unknown = await self.decide(token)
        if info is None or (
            info.get("status") != "Accepted" and not self.has("c_refused_token_starts")
        ):
            return  # E02.FR.20: no TransactionEventRequest for a refused token
        group = info.get("group_id_token")
        if (
            master
            and group
            and str(group.get("id_token")) == master
            and not self.has("c_masterpass_starts")
        ):
            return  # C12.FR.09, C16.FR.03: a Master Pass never starts a transaction
        target = self.start_target(evse_id)  # the world may have moved while we asked
        if target is False:
            return
        if ev_plug is not None and evse_id is not None:
            if self.evses[evse_id].ev_plugs != ev_plug or self.evses[evse_id].ev_connector is None:
                return  # the EV that asked has left; its authorization is moot
        allowed = info.get("evse_id")
        if allowed and isinstance(target, Evse) and target.id not in allowed:
            return  # C01.FR.21
        self.authorize_session(
            target if isinstance(target, Evse) else None,
            token,
            info,
            offline_unknown=offline_unknown,
            report_token=not (
                self.decided_locally and self.has("c_preauthorized_without_id_token")
            ),
        )


class AuthorizationHandlers:
    """ClearCache, SendLocalList, GetLocalListVersion; mixed into the station's ChargePoint."""

    station: ReferenceStation201
    defer: Callable[[Callable[[], None]], None]

    @on(Action.clear_cache)
    def on_clear_cache(self, **_: Any) -> Any:
        """Rejected while AuthCacheCtrlr.Enabled is false (C11.FR.04), else Accepted."""
        st = self.station
        enabled = st.model.get_bool("AuthCacheCtrlr.Enabled", True)
        if enabled == st.has("c_clear_cache_inverted"):
            return call_result.ClearCache(status="Rejected")
        st.auth_cache.clear()
        return call_result.ClearCache(status="Accepted")

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self, **_: Any) -> Any:
        """D02.FR.01-03: the installed version, 0 when none or when the list is disabled."""
        st = self.station
        enabled = st.model.get_bool("LocalAuthListCtrlr.Enabled", True)
        version = st.local_list_version if enabled or st.has("d_version_while_disabled") else 0
        if st.has("local_list_version_not_updated"):
            version = 0
        return call_result.GetLocalListVersion(version_number=version)

    @on(Action.send_local_list)
    def on_send_local_list(
        self,
        version_number: int,
        update_type: str,
        local_authorization_list: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> Any:
        """Full replaces, Differential adds/updates/removes (D01.FR.04/05/15/16/17); an old
        Differential version is VersionMismatch (D01.FR.19); too many entries Failed."""
        st = self.station
        model = st.model
        entries = local_authorization_list or []
        limit = model.find("LocalAuthListCtrlr.Entries")
        most = int(limit.max_limit) if limit is not None and limit.max_limit else 1000
        if (
            not model.get_bool("LocalAuthListCtrlr.Enabled", True)
            or version_number < 1
            or len(entries) > model.get_int("LocalAuthListCtrlr.ItemsPerMessage", 100)
        ):
            return call_result.SendLocalList(status="Failed")
        if st.has("d_full_empty_failed") and update_type == "Full" and not entries:
            return call_result.SendLocalList(status="Failed")
        if st.has("d_remove_failed") and any(e.get("id_token_info") is None for e in entries):
            return call_result.SendLocalList(status="Failed")
        if update_type == "Full":
            new = {
                token_key(e["id_token"]): e for e in entries if e.get("id_token_info") is not None
            }
        else:
            if version_number <= st.local_list_version and not st.has("d_version_mismatch_ignored"):
                return call_result.SendLocalList(status="VersionMismatch")
            new = dict(st.local_list)
            for e in entries:
                if e.get("id_token_info") is None:
                    new.pop(token_key(e["id_token"]), None)
                else:
                    new[token_key(e["id_token"])] = e
        if len(new) > most:
            return call_result.SendLocalList(status="Failed")
        st.local_list = new
        st.local_list_version = version_number
        return call_result.SendLocalList(status="Accepted")

"""The reference CPO's real-time authorization (OCPI 2.2.1 mod_tokens §Real-time
authorization), wired to the reference CSMS's OCPP Authorize.

When a station presents a Token the eMSP pushed with whitelist ``NEVER`` (or
``ALLOWED_OFFLINE``), the CSMS must not answer from its own list: it POSTs
``{tokens sender}{uid}/authorize?type=...`` to the Token's eMSP (with the Location and EVSE of
the station) and turns the AuthorizationInfo's ``allowed`` into the OCPP status. Tokens with
``ALWAYS`` / ``ALLOWED`` and ids no eMSP pushed stay with the CSMS's own id tag list.

The CSMS calls :meth:`RealTimeAuthorization.intercept` for every Call through its
``interceptors`` (see :meth:`~pytest_ocpp.reference.csms.session._ReferenceSession.intercept_call`);
it answers Authorize only, and only for such Tokens (None: the CSMS handles the Call).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from pytest_ocpp.reference.csms import ReferenceCsms
    from pytest_ocpp.reference.ocpi.cpo import ReferenceCpo

DEFECTS_TOKENS: dict[str, str] = {
    "whitelist_ignored": "a Token with whitelist NEVER is authorized from the CPO's cache, "
    "never in real time",
    "blocked_accepted": "a real-time answer BLOCKED becomes OCPP Authorize Accepted",
    "token_patch_ignored": "PATCH of a Token is acknowledged but not applied",
    "no_tokens_module": "(a variant, conformant) no Tokens receiver in the version details: "
    "the Tokens cases are not applicable",
}

REAL_TIME = ("NEVER", "ALLOWED_OFFLINE")
"""mod_tokens §WhitelistType: the values that require (or prefer) a real-time authorization."""

OCPP_STATUS: dict[str, dict[str, str]] = {
    # OCPP 1.6 §7.2 AuthorizationStatus
    "1.6": {
        "ALLOWED": "Accepted",
        "BLOCKED": "Blocked",
        "EXPIRED": "Expired",
        "NO_CREDIT": "Invalid",
        "NOT_ALLOWED": "Invalid",
        "unknown": "Invalid",
    },
    # OCPP 2.0.1 AuthorizationStatusEnumType
    "2.0.1": {
        "ALLOWED": "Accepted",
        "BLOCKED": "Blocked",
        "EXPIRED": "Expired",
        "NO_CREDIT": "NoCredit",
        "NOT_ALLOWED": "NotAtThisLocation",
        "unknown": "Unknown",
    },
}
ASK_TIMEOUT = 5.0
"""Seconds the reference waits for the eMSP's answer; then NEVER refuses, ALLOWED_OFFLINE
allows (§WhitelistType: "when the CPO cannot get a response from the eMSP")."""


class RealTimeAuthorization:
    """Authorize answers of ``cpo``'s Tokens with whitelist NEVER / ALLOWED_OFFLINE."""

    def __init__(self, cpo: ReferenceCpo) -> None:
        self.cpo = cpo

    def _token(self, uid: str) -> dict[str, Any] | None:
        """The pushed Token with this uid (mod_tokens: the uid is what the reader sends)."""
        for (_, _, token_uid, _), token in self.cpo.tokens.items():
            if token_uid == uid:
                return token
        return None

    async def intercept(
        self, station_id: str, version: str, action: str, payload: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The OCPP Authorize answer for a real-time Token, None for anything else."""
        if action != "Authorize" or version not in OCPP_STATUS:
            return None
        uid = payload.get("idTag") or (payload.get("idToken") or {}).get("idToken")
        token = self._token(str(uid)) if uid else None
        if token is None or token.get("whitelist") not in REAL_TIME:
            return None
        if self.cpo.defect("whitelist_ignored"):
            allowed: str | None = "ALLOWED" if token.get("valid") else "BLOCKED"
        else:
            allowed = await self.ask(token)
        if allowed is None:  # no answer from the eMSP
            allowed = "ALLOWED" if token.get("whitelist") == "ALLOWED_OFFLINE" else "unknown"
        if allowed == "BLOCKED" and self.cpo.defect("blocked_accepted"):
            allowed = "ALLOWED"
        status = OCPP_STATUS[version].get(allowed, OCPP_STATUS[version]["unknown"])
        key = "idTagInfo" if version == "1.6" else "idTokenInfo"
        return {key: {"status": status}}

    async def ask(self, token: dict[str, Any]) -> str | None:
        """POST ``{uid}/authorize`` to the Token's eMSP (mod_tokens §POST Method) with the
        station's Location and EVSE; its ``allowed``, "unknown" for a Token the eMSP does not
        know (HTTP 404 / 2004), None when it cannot be asked or does not answer."""
        owner = (token.get("country_code"), token.get("party_id"))
        party = self.cpo.party_of(owner)
        url = party.endpoints.get(("tokens", "SENDER")) if party else None
        if party is None or url is None:
            return None
        location = self.cpo.locations[0]
        references = {
            "location_id": location["id"],
            "evse_uids": [evse["uid"] for evse in location.get("evses", [])[:1]],
        }
        target = f"{url.rstrip('/')}/{token['uid']}/authorize"
        try:
            async with httpx.AsyncClient(timeout=ASK_TIMEOUT) as client:
                response = await client.post(
                    target,
                    params={"type": token.get("type", "RFID")},
                    json=references,
                    headers=self.cpo.outgoing_headers(party, push=True),
                )
            document = response.json()
        except (httpx.HTTPError, ValueError):
            return None
        if response.status_code == 404 or document.get("status_code") == 2004:
            return "unknown"
        data = document.get("data") if isinstance(document, dict) else None
        allowed = data.get("allowed") if isinstance(data, dict) else None
        return str(allowed) if allowed else None


def attach_tokens(cpo: ReferenceCpo, csms: ReferenceCsms) -> RealTimeAuthorization:
    """Make ``csms`` ask ``cpo`` (and through it the eMSP) before answering an Authorize."""
    authorization = RealTimeAuthorization(cpo)
    interceptors = getattr(csms, "interceptors", None)
    if interceptors is None:
        interceptors = []
        csms.interceptors = interceptors  # type: ignore[attr-defined]
    interceptors.append(authorization.intercept)
    return authorization

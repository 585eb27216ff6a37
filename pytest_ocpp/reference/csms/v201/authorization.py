"""C. Authorization block of the 2.0.1 session (Part 2 C01-C16): what the CSMS answers about
an idToken (:meth:`AuthorizationMixin.id_token_info`, also used by the TransactionEvent
handler), the AuthorizeRequest handler with its ISO 15118 contract certificate checks (C07),
and the ClearCacheRequest the reference is asked to send (C11).

The reference knows idTokens through the id tags it was started with
(:class:`~pytest_ocpp.reference.csms.session.IdTagSpec`: status, group, cache expiry). It has
no OCSP client: the revocation state of the contract certificate, which OCTT's own OCSP
service decides, is the per-station setting ``contract_certificate_revoked`` (see
:data:`pytest_ocpp.operators.CSMS_SETTINGS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ocpp.routing import on
from ocpp.v201 import call_result as result201

from pytest_ocpp.reference.csms.session import _ReferenceSession

__all__ = ["DEFECTS_AUTHORIZATION", "AuthorizationMixin"]

#: The defects :class:`AuthorizationMixin` implements; part of the public
#: :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_AUTHORIZATION: dict[str, str] = {
    "v201_accept_unknown_id_token": "Unknown and Invalid idTokens get status Accepted.",
    "v201_accept_blocked_id_token": "Blocked idTokens get status Accepted.",
    "v201_accept_expired_id_token": "Expired idTokens get status Accepted.",
    "v201_authorize_omits_group_id_token": (
        "AuthorizeResponse idTokenInfo leaves out the groupIdToken of an idToken that has one "
        "(C01.FR.06, C09.FR.09); TransactionEventResponse still carries it."
    ),
    "v201_group_id_token_is_own_id_token": (
        "idTokenInfo.groupIdToken of an idToken in a group names the idToken itself instead "
        "of its group (C09.FR.02)."
    ),
    "v201_unknown_until_authorized": (
        "An idToken in a TransactionEventRequest that was not presented in an "
        "AuthorizeRequest on this connection first is answered Unknown: tokens the station "
        "took from its Authorization Cache or Local Authorization List are not checked "
        "(C12.FR.03)."
    ),
    "v201_emaid_unknown": "eMAID idTokens (ISO 15118 contracts) get status Unknown.",
    "v201_no_certificate_status": (
        "AuthorizeResponse to a request with contract certificate data leaves out "
        "certificateStatus (C07.FR.13/14)."
    ),
    "v201_revoked_contract_accepted": (
        "A revoked contract certificate is answered certificateStatus Accepted and status "
        "Accepted instead of CertificateRevoked and Invalid (C07.FR.16)."
    ),
    "v201_central_contract_validation_unsupported": (
        "A contract certificate chain sent in the certificate field (central contract "
        "validation, C07.FR.06) is not validated (C07.FR.05): certificateStatus "
        "CertChainError, whatever the chain, beside the eMAID's own status."
    ),
    "v201_clear_cache_never_sent": (
        "The CSMS cannot clear an Authorization Cache: a ClearCacheRequest it is asked for is "
        "never sent."
    ),
}

_REJECTED = frozenset({"Blocked", "Expired", "Invalid", "Unknown"})
"""C07.FR.13: the idToken statuses for which a valid contract gets ContractCancelled."""

_PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"


class AuthorizationMixin(_ReferenceSession):
    """AuthorizeRequest, the idTokenInfo of every answer that carries one, and the
    ClearCacheRequest defect."""

    BLOCK_DEFECTS: ClassVar[Mapping[str, str]] = DEFECTS_AUTHORIZATION

    def _presented_tokens(self) -> set[str]:
        """idTokens this connection has sent in an AuthorizeRequest (for
        ``v201_unknown_until_authorized``); a per-session set created on first use, since the
        block mixins have no constructor of their own."""
        tokens: set[str] = vars(self).setdefault("_authorize_presented", set())
        return tokens

    def id_token_info(self, id_token: Mapping[str, Any]) -> dict[str, Any]:
        """2.0.1 IdTokenInfoType (snake_case, as the ``ocpp`` library builds responses) for
        ``id_token`` as a handler receives it: the known status, else Unknown (C01.FR.07);
        the group as groupIdToken (C01.FR.06, C09.FR.02, C09.FR.12); the expiry as
        cacheExpiryDateTime. The TransactionEvent handler answers with it too (C12.FR.03:
        the CSMS checks the idToken of a TransactionEventRequest)."""
        if id_token.get("type") == "NoAuthorization":
            return {"status": "Accepted"}
        value = str(id_token.get("id_token", ""))
        spec = self.tag_spec(value)
        status = "Unknown" if spec is None else spec.status
        if id_token.get("type") == "eMAID" and self.defect("v201_emaid_unknown"):
            status = "Unknown"
        if self.defect("v201_unknown_until_authorized") and (
            value.casefold() not in self._presented_tokens()
        ):
            status = "Unknown"
        if (
            (status in ("Unknown", "Invalid") and self.defect("v201_accept_unknown_id_token"))
            or (status == "Blocked" and self.defect("v201_accept_blocked_id_token"))
            or (status == "Expired" and self.defect("v201_accept_expired_id_token"))
        ):
            status = "Accepted"
        info: dict[str, Any] = {"status": status}
        if spec is not None and spec.parent_id_tag:
            group = value if self.defect("v201_group_id_token_is_own_id_token") else None
            info["group_id_token"] = {"id_token": group or spec.parent_id_tag, "type": "Central"}
        if spec is not None and spec.expiry_date:
            info["cache_expiry_date_time"] = spec.expiry_date
        return info

    def _certificate_status(
        self,
        info: dict[str, Any],
        certificate: str | None,
        hash_data: list[Mapping[str, Any]] | None,
    ) -> str | None:
        """C07.FR.13-17: the certificateStatus of an AuthorizeRequest with contract
        certificate data (None without any), adjusting ``info`` where the certificate decides
        the idToken's status. The OCSP answer is the ``contract_certificate_revoked``
        setting: the reference has no OCSP client."""
        if certificate is None and hash_data is None:
            return None
        if self.setting("contract_certificate_revoked") and not self.defect(
            "v201_revoked_contract_accepted"
        ):
            info["status"] = "Invalid"
            return "CertificateRevoked"
        if hash_data is None and self.defect("v201_central_contract_validation_unsupported"):
            return "CertChainError"
        if hash_data is None and _PEM_CERTIFICATE not in str(certificate):
            info["status"] = "Invalid"
            return "CertChainError"
        return "ContractCancelled" if info["status"] in _REJECTED else "Accepted"

    @on("Authorize")
    def on_authorize(
        self,
        id_token: Mapping[str, Any],
        certificate: str | None = None,
        iso15118_certificate_hash_data: list[Mapping[str, Any]] | None = None,
        **_: Any,
    ) -> result201.Authorize:
        """C01/C07/C09: the idToken's idTokenInfo (with its group, C01.FR.06) and, for an
        ISO 15118 contract, the certificateStatus."""
        self._presented_tokens().add(str(id_token.get("id_token", "")).casefold())
        info = self.id_token_info(id_token)
        if self.defect("v201_authorize_omits_group_id_token"):
            info.pop("group_id_token", None)
        status = self._certificate_status(info, certificate, iso15118_certificate_hash_data)
        if self.defect("v201_no_certificate_status"):
            status = None
        return result201.Authorize(id_token_info=info, certificate_status=status)

    def adjust_outgoing(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """``v201_clear_cache_never_sent`` swallows ClearCacheRequest."""
        if action == "ClearCache" and self.defect("v201_clear_cache_never_sent"):
            return None
        # Cooperative hook: the other blocks' defects apply too.
        return super().adjust_outgoing(action, payload)

"""The reference 2.0.1 station's ISO 15118 Plug & Charge (Part 2 C07, E15 session end).

There is no ISO 15118 stack (no EXI, no TLS to the EV): the simulated EV is the operator
action ``start_iso15118`` (the EV opens a Plug & Charge session with its contract certificate
chain) and ``iso15118_session_stop`` (its SessionStopReq(Terminate)). What the station does
with them is real:

* The EV's contract chain (leaf with the eMAID as CN, two MO sub-CAs) is issued by the MO root
  of the run's test PKI (:func:`pytest_ocpp.pki.generated_pki`; its key is derived from a fixed
  seed, so a station in another process issues under the same root the fake CSMS installs).
* Local validation: every certificate valid now, each issued by the next, the last issued by
  an installed MORootCertificate or V2GRootCertificate (the trust store of
  :mod:`.certificates`).
* Online (C07.FR.01/02/06): AuthorizeRequest with idToken type eMAID and the OCSP request data
  of the chain (iso15118CertificateHashData, responderURL from the certificates); when the
  station cannot validate the chain (no root) and ISO15118Ctrlr.CentralContractValidationAllowed
  is true, the whole chain in ``certificate`` (PEM) for the CSMS to validate. Before it, the
  OCSP status of the station's own V2G chain is asked for when none is cached (M06.FR.06,
  the EV needs it in the ISO 15118 handshake). Charging is allowed when idTokenInfo.status is
  Accepted and certificateStatus, when given, is Accepted (C07.FR.13-17).
* Offline (C07.FR.07-12): ContractValidationOffline false: no charging; true: the chain is
  validated locally, then the eMAID is looked up in the Local Authorization List / cache when
  LocalAuthorizeOffline (C13/C12), an unknown one allowed by OfflineTxForUnknownIdEnabled (C15).

Mixed into :class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`; the
defects ``c15_*`` live in its DEFECTS.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from ocpp.v201 import call

from pytest_ocpp.reference.station201.certificates import (
    DEFAULT_EMAID,
    _issued_by,
    _ocsp_url,
    _valid_now,
)
from pytest_ocpp.reference.station201.model import Evse
from pytest_ocpp.reference.station201.operator import HANDOFF, hand_off

if TYPE_CHECKING:
    from pytest_ocpp.reference.station201.station import ReferenceStation201

__all__ = ["Iso15118Mixin", "contract_chain"]

CONTRACT_ROOTS = ("MORootCertificate", "V2GRootCertificate")
"""Roots a contract certificate chain may end at (ISO 15118-2: the MO or the V2G PKI)."""


@functools.cache
def _mo_sub_cas() -> tuple[Any, Any]:
    """MO SubCA 1 and 2 under the run's MO root (one pair per process)."""
    from pytest_ocpp.pki import OCSP_URL, authority, generated_pki

    root = generated_pki().mo_root
    sub1 = authority("pytest-ocpp Test MO SubCA 1", root, path_length=1, ocsp_url=OCSP_URL)
    sub2 = authority("pytest-ocpp Test MO SubCA 2", sub1, path_length=0, ocsp_url=OCSP_URL)
    return sub1, sub2


@functools.cache
def contract_chain(emaid: str) -> tuple[x509.Certificate, ...]:
    """The EV's contract certificate chain for ``emaid``: leaf (CN the eMAID), MO SubCA 2,
    MO SubCA 1 (the root left out, as ISO 15118-2 and AuthorizeRequest.certificate want)."""
    from pytest_ocpp.pki import OCSP_URL, issue

    sub1, sub2 = _mo_sub_cas()
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = issue(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, emaid)]),
        key.public_key(),
        sub2,
        ca=False,
        ocsp_url=OCSP_URL,
    )
    return (leaf, sub2.certificate, sub1.certificate)


def _pem(chain: tuple[x509.Certificate, ...]) -> str:
    from pytest_ocpp.pki import pem

    return "".join(pem(c) for c in chain)


class Iso15118Mixin:
    """The simulated ISO 15118 EV and the station's Plug & Charge authorization (C07)."""

    def _iso(self: ReferenceStation201, evse_id: int, name: str, default: bool) -> bool:
        return self.model.get_bool(f"ISO15118Ctrlr({evse_id}).{name}", default)

    def contract_valid_locally(
        self: ReferenceStation201, chain: tuple[x509.Certificate, ...]
    ) -> bool:
        """The chain validates against an installed MO or V2G root (the SECC verifies
        the contract chain up to a root it trusts)."""
        if not chain or not all(_valid_now(c) for c in chain):
            return False
        if not all(_issued_by(a, b) for a, b in itertools.pairwise(chain)):
            return False
        top = chain[-1]
        roots = [i.certificate for i in self._store() if i.use in CONTRACT_ROOTS]
        return any(r.subject == top.issuer and _issued_by(top, r) for r in roots)

    def contract_hash_data(
        self: ReferenceStation201, chain: tuple[x509.Certificate, ...]
    ) -> list[dict[str, str]]:
        """OCSPRequestDataType of each certificate of the chain whose issuer is known (the
        next one, or an installed root), with its OCSP responder (C07.FR.02)."""
        entries: list[dict[str, str]] = []
        for certificate in chain:
            issuer = self._issuer_of(certificate, list(chain))
            url = _ocsp_url(certificate)
            if issuer is None or issuer is certificate or url is None:
                continue
            entries.append({**self._hash(certificate, issuer), "responder_url": url})
        return entries[:4]

    async def _refresh_v2g_ocsp(self: ReferenceStation201) -> None:
        """M06.FR.06: the OCSP status of the station's V2G chain, asked for when not cached."""
        cache: dict[int, str] = self.__dict__.setdefault("_ocsp_cache", {})
        for item in self._store():
            if item.use != "V2GCertificateChain":
                continue
            chain = [item.certificate, *item.children]
            if any(c.serial_number not in cache and _ocsp_url(c) for c in chain):
                await self._refresh_ocsp(chain)

    # ------------------------------------------------------------------ the EV

    async def start_iso15118(
        self: ReferenceStation201, evse_id: int, contract: str | None = None
    ) -> None:
        """The EV on ``evse_id`` starts Plug & Charge with its contract for eMAID ``contract``
        (the default eMAID when None). Returns once the authorization is decided or waits for
        the CSMS."""
        evse = self.evses[evse_id]
        if evse.ev_connector is None:
            raise ValueError(f"no EV is connected to EVSE {evse_id}: ISO 15118 needs the cable")
        if contract is not None and (not isinstance(contract, str) or not 0 < len(contract) <= 36):
            raise ValueError(f"contract must be an eMAID of 1-36 characters, not {contract!r}")
        emaid = contract or DEFAULT_EMAID
        handoff: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def session() -> None:
            HANDOFF.set(handoff)
            try:
                await self._pnc_authorize(evse, emaid)
            finally:
                hand_off()

        self.spawn(session())
        await handoff

    async def _pnc_authorize(self: ReferenceStation201, evse: Evse, emaid: str) -> None:
        if not self.powered or not self._iso(evse.id, "PnCEnabled", True):
            return  # no Plug & Charge offered: the EV would fall back to EIM
        chain = contract_chain(emaid)
        token_type = "ISO14443" if self.has("c15_wrong_token_type") else "eMAID"
        token = {"id_token": emaid, "type": token_type}
        local = self.contract_valid_locally(chain)
        info: dict[str, Any] | None
        offline_unknown = False
        if self.online.is_set():
            info = await self._authorize_online(evse, token, chain, local)
        else:
            info, offline_unknown = self._authorize_offline(evse, token, local)
        if info is None or info.get("status") != "Accepted":
            if not self.has("c15_refused_contract_charges") or info is None:
                return
            info = {**info, "status": "Accepted"}
        target = self.start_target(evse.id)
        if not isinstance(target, Evse):
            return
        allowed = info.get("evse_id")
        if allowed and target.id not in allowed:
            return  # C01.FR.21
        self.__dict__.setdefault("_iso_sessions", {})[evse.id] = token
        self.authorize_session(target, token, info, offline_unknown=offline_unknown)

    async def _authorize_online(
        self: ReferenceStation201,
        evse: Evse,
        token: dict[str, Any],
        chain: tuple[x509.Certificate, ...],
        local: bool,
    ) -> dict[str, Any] | None:
        """C07.FR.01/02/06: the AuthorizeRequest; the IdTokenInfo to act on (None: refused
        without an answer)."""
        await self._refresh_v2g_ocsp()
        central = self._iso(evse.id, "CentralContractValidationAllowed", False)
        send_chain = (not local and central and not self.has("c15_no_central_certificate")) or (
            self.has("c15_certificate_when_local") and local
        )
        fields: dict[str, Any] = {}
        if send_chain:
            fields["certificate"] = _pem(chain)
        elif not self.has("c15_hash_data_missing"):
            fields["iso15118_certificate_hash_data"] = self.contract_hash_data(chain)
        response = await self.request(call.Authorize(id_token=token, **fields))
        if response is None:
            return None
        info = dict(response.id_token_info)
        self.cache_store(token, info)
        status = response.certificate_status
        if status is not None and status != "Accepted" and info.get("status") == "Accepted":
            return {**info, "status": "Invalid"}  # C07.FR.13-17: the contract is not valid
        return info

    def _authorize_offline(
        self: ReferenceStation201, evse: Evse, token: dict[str, Any], local: bool
    ) -> tuple[dict[str, Any] | None, bool]:
        """C07.FR.07-12: (IdTokenInfo or None, accepted as an unknown id offline)."""
        validate = self._iso(evse.id, "ContractValidationOffline", True)
        if self.has("c15_offline_validation_ignored"):
            validate = True
        if not validate or self.has("c15_offline_contract_refused"):
            return None, False  # C07.FR.07
        if not local:
            return None, False  # C07.FR.08: the contract cannot be validated
        if self.model.get_bool("AuthCtrlr.LocalAuthorizeOffline", True):
            listed = self.local_list_info(token)
            known = listed if listed is not None else self.cache_info(token)
            if known is not None:
                return known, False  # C07.FR.10/11: C13, C12
        if self.model.get_bool("AuthCtrlr.OfflineTxForUnknownIdEnabled"):
            return {"status": "Accepted"}, True  # C07.FR.12: C15
        return None, False

    def iso15118_session_stop(self: ReferenceStation201, evse_id: int) -> None:
        """The EV's SessionStopReq(Terminate): the EV ends the session, its authorization
        ends (triggerReason StopAuthorized, stoppedReason StoppedByEV; E15)."""
        evse = self.evses[evse_id]
        session = evse.session
        self.__dict__.setdefault("_iso_sessions", {}).pop(evse_id, None)
        if session is None or session.auth is None or self.has("c15_session_stop_ignored"):
            return
        self.end_authorization(evse, session, "StopAuthorized", "StoppedByEV")

"""OCPP 2.0.1, Charging Station under test, M. ISO 15118 CertificateManagement: the V2G
Charging Station certificate and the EV's contract certificate (2.0.1 Edition 3 Part 6 §2.14,
TC_M_15 and TC_M_24-M_29, with the 2025-09 errata: §6.2.84 TC_M_15 renews the V2G certificate
first, §6.2.85 TC_M_24 expects GetCertificateStatusRequests for the leaf and both sub-CAs).

pytest-ocpp plays the CSMS (the OCTT column). Memory states CertificateInstalled and
RenewV2GChargingStationCertificate are the fake CSMS's
(:mod:`pytest_ocpp.csms.states201_certificates`): the V2G certificate is really made from the
station's CSR and signed by the V2G SubCA2 of the configured (or generated) chain, and the
OCSP answers of TC_M_24 are real RFC 6960 responses signed by the issuer.

The EV emulator's "SendISO15118AuthorizationMethod PnC" and "SendInstallISO15118Certificate
Method" are the operator action ``ev_certificate_request`` (evse_id, request Install/Update,
contract: the configured eMAID ``[tags] emaid``), performed once the EV is connected: the EV
asks for its contract certificate, and authorizes with Plug & Charge if it gets one. A rig
whose EV cannot do that makes these cases not applicable.

Departures: TC_M_15 installs the configured V2G root (memory state CertificateInstalled) before
renewing the V2G certificate, so that a station validating the new chain (ISO 15118-2) can.
The EXI messages (the EV's request, OCTT's "Raw CertificateInstallationRes") are
base64 stand-ins, not EXI: the suite has no EXI codec and a station forwards them opaquely
(M01/M02). Failed answers carry exiResponse "" where the table says "omitted": 2.0.1's schema
requires the field. TC_M_27/M_29 wait <Configured message timeout> (--ocpp-message-timeout)
for an AuthorizeRequest that must not come: an absence has no event to await.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.certificates import pem_blocks
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.csms.states201_certificates import (
    absent,
    answering_certificate_status,
    exi_placeholder,
    matches,
)
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.pki import Authority, generated_pki
from pytest_ocpp.verdicts import TargetTimeout, check

V2G_ROOTS = ("V2GRootCertificate", "MORootCertificate")


@ocpp_case("TC_M_15_CS", version="2.0.1")
async def test_tc_m_15_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """The V2GCertificateChain: the V2G Charging Station certificate's hash data with its
    sub-CAs as childCertificateHashData (M03.FR.01/03-05)."""
    sut = await csms.ready(station_operator)
    step("(Prerequisite) CertificateInstalled from certificateType V2GRootCertificate")
    await csms.certificate_installed(sut, "V2GRootCertificate")
    step("(Memory State) RenewV2GChargingStationCertificate")
    chains = await csms.renew_v2g_charging_station_certificate(sut)
    step("1. Execute Reusable State GetInstalledCertificates for V2GCertificateChain")
    leaf, sub2, sub1 = [*pem_blocks(chains[0][1]), "", ""][:3]
    entries = await csms.get_installed_certificates(
        sut, ["V2GCertificateChain"], certificates={"V2GCertificateChain": (leaf, sub2)}
    )
    entry = next(
        e
        for e in entries
        if e.get("certificateType") == "V2GCertificateChain"
        and matches(e.get("certificateHashData") or {}, leaf, sub2)
    )
    children = entry.get("childCertificateHashData") or []
    check(
        bool(children),
        "step 1: the V2GCertificateChain entry uses the childCertificateHashData field (M03.FR.05)",
        entry,
    )
    if sub1:
        check(
            any(matches(child, sub2, sub1) for child in children),
            "step 1: childCertificateHashData has the SubCA2 of the chain (M03.FR.05)",
            entry,
        )


def _issuers(csms: FakeCsms201) -> list[Authority]:
    """The CAs whose keys can answer OCSP requests for the renewed V2G certificates."""
    authority = csms.v2g_authority()
    pki = generated_pki()
    if authority is pki.v2g_sub_ca2:
        return [pki.v2g_sub_ca2, pki.v2g_sub_ca1, pki.v2g_root]
    return [authority]


async def _certificate_status(
    csms: FakeCsms201, station_operator: StationOperator, status: str
) -> None:
    """TC_M_24/25: memory states (V2G and MO roots installed, V2G certificate renewed), then
    1. GetCertificateStatusRequest for the new certificate (and, errata §6.2.85, its sub-CAs,
    M06.FR.07), 2. answered ``status``."""
    sut = await csms.ready(station_operator)
    for kind in V2G_ROOTS:
        step(f"(Memory State) CertificateInstalled from certificateType {kind}")
        await csms.certificate_installed(sut, kind)
    v2g_root = csms.configured_certificate("V2GRootCertificate")
    with answering_certificate_status(sut, status, _issuers(csms)):
        mark = sut.mark()
        step("(Memory State) RenewV2GChargingStationCertificate")
        chains = await csms.renew_v2g_charging_station_certificate(sut)
        for _, chain in chains:
            blocks = pem_blocks(chain)
            named = ["the new V2G Charging Station certificate", "SubCA 2", "SubCA 1"]
            issuers = [*blocks[1:], v2g_root]
            wanted = list(zip(blocks, issuers, named, strict=False))
            if status != "Accepted":
                wanted = wanted[:1]  # the table's one step; refreshing sub-CAs is the errata's
            for certificate, issuer, name in wanted:
                step(f"1. The Charging Station sends a GetCertificateStatusRequest for {name}")
                await sut.wait_for(
                    "GetCertificateStatus",
                    lambda p, c=certificate, i=issuer: matches(
                        p.get("ocspRequestData") or {}, c, i
                    ),
                    since=mark,
                    describe=f"GetCertificateStatusRequest whose ocspRequestData names {name} "
                    "(M06.FR.06/07)",
                )
                step(f"2. The OCTT responds with a GetCertificateStatusResponse status {status}")


@ocpp_case("TC_M_24_CS", version="2.0.1")
async def test_tc_m_24_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """After its V2G certificate is renewed the station asks the OCSP status of it and of its
    sub-CAs (M06.FR.06/07); answered Accepted with an OCSP response (RFC 6960, DER, base64)."""
    await _certificate_status(csms, station_operator, "Accepted")


@ocpp_case("TC_M_25_CS", version="2.0.1")
async def test_tc_m_25_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """The station asks the OCSP status of its new V2G certificate; answered Failed, ocspResult
    omitted (M06.FR.04). The table has no validation of what follows."""
    await _certificate_status(csms, station_operator, "Failed")


async def _ev_certificate(
    csms: FakeCsms201,
    station_operator: StationOperator,
    action: str,
    status: str,
    *,
    configure: bool,
) -> None:
    """TC_M_26-29: configuration (``configure``: ISO15118Ctrlr.ContractCertificateInstallation
    Enabled true), memory states (V2G and MO roots installed), EVConnectedPreSession, the EV
    asks for its contract certificate (operator); 1. Get15118EVCertificateRequest with
    ``action``; 2. answered ``status``; then 3./4. the AuthorizeRequest, answered Accepted
    (``status`` Accepted), or none (Failed)."""
    sut = await csms.ready(station_operator)
    if configure:
        await csms.configure(
            sut, {f"ISO15118Ctrlr({csms.evse}).ContractCertificateInstallationEnabled": "true"}
        )
    for kind in V2G_ROOTS:
        step(f"(Memory State) CertificateInstalled from certificateType {kind}")
        await csms.certificate_installed(sut, kind)
    step("(Reusable State) EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    request = await _ev_request(csms, sut, station_operator, action)
    rule = (
        f"step 1: Get15118EVCertificateRequest action {action} "
        f"({'M01.FR.01' if action == 'Install' else 'M02.FR.01'})"
    )
    # Each answer goes before step 1's verdict: a request left unanswered would hold the
    # station's message queue and fail the next case too.
    mark = sut.mark()
    right = request.payload.get("action") == action
    if status == "Accepted":
        claim = asyncio.ensure_future(sut.expect_call("Authorize"))
        await asyncio.sleep(0)
        try:
            step("2. Get15118EVCertificateResponse status Accepted, exiResponse (the EV's answer)")
            await request.reply(
                {"status": "Accepted", "exiResponse": exi_placeholder("CertificateInstallationRes")}
            )
            step("3. The Charging Station sends an AuthorizeRequest")
            try:
                authorize = await claim
            except TargetTimeout:
                check(right, rule, request.payload)
                raise
        finally:
            claim.cancel()
        step("4. The OCTT responds with an AuthorizeResponse status Accepted")
        await authorize.reply({"idTokenInfo": {"status": "Accepted"}})
        check(right, rule, request.payload)
        return
    step("2. Get15118EVCertificateResponse status Failed (exiResponse empty)")
    await request.reply({"status": "Failed", "exiResponse": ""})
    check(right, rule, request.payload)
    step("3. No AuthorizeRequest within the message timeout")
    item = await absent(sut, "Authorize", since=mark, timeout=csms.config.timeouts.message)
    check(
        item is None,
        "step 3: no AuthorizeRequest after Get15118EVCertificateResponse Failed (the EV has no "
        "contract certificate to authorize with)",
        item.payload if item is not None else None,
    )


async def _ev_request(
    csms: FakeCsms201, sut: StationConnection, station_operator: StationOperator, action: str
) -> Any:
    """The EV asks for its contract certificate; 1. the station's Get15118EVCertificateRequest
    (claimed first: the case answers it)."""
    claim = asyncio.ensure_future(sut.expect_call("Get15118EVCertificate"))
    await asyncio.sleep(0)
    try:
        step(f"Manual action: the EV requests its contract certificate ({action}, Plug & Charge)")
        await station_operator.perform(
            "ev_certificate_request",
            evse_id=csms.evse,
            request=action,
            contract=csms.config.tags.emaid,
        )
        step("1. The Charging Station sends a Get15118EVCertificateRequest")
        return await claim
    finally:
        claim.cancel()


@ocpp_case("TC_M_26_CS", version="2.0.1")
async def test_tc_m_26_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """The EV's certificate installation is forwarded with action Install (M01.FR.01); with
    the certificate the EV authorizes (Plug & Charge)."""
    await _ev_certificate(csms, station_operator, "Install", "Accepted", configure=False)


@ocpp_case("TC_M_27_CS", version="2.0.1")
async def test_tc_m_27_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Installation Failed: no AuthorizeRequest follows (slow by design: the absence is
    awaited for the message timeout)."""
    await _ev_certificate(csms, station_operator, "Install", "Failed", configure=False)


@ocpp_case("TC_M_28_CS", version="2.0.1")
async def test_tc_m_28_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """The EV's certificate update is forwarded with action Update (M02.FR.01); with the
    certificate the EV authorizes (Plug & Charge)."""
    await _ev_certificate(csms, station_operator, "Update", "Accepted", configure=True)


@ocpp_case("TC_M_29_CS", version="2.0.1")
async def test_tc_m_29_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Update Failed: no AuthorizeRequest follows (slow by design: the absence is awaited for
    the message timeout)."""
    await _ev_certificate(csms, station_operator, "Update", "Failed", configure=True)

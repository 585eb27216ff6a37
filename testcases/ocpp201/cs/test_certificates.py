"""OCPP 2.0.1, Charging Station under test, M. ISO 15118 CertificateManagement: installing,
retrieving and deleting certificates (2.0.1 Edition 3 Part 6 §2.14, TC_M_01-M_23; the 2025
errata change none of these tables).

pytest-ocpp plays the CSMS (the OCTT column). "Execute Reusable State X" / "Memory State X" is
one call of the fake CSMS's method for X (:mod:`pytest_ocpp.csms.states201_certificates`):
CertificateInstalled, GetInstalledCertificates, RenewChargingStationCertificate. The tables
use 2.1 spellings (GetInstalledCertificatesRequest, certificateDataChain); 2.0.1 has
GetInstalledCertificateIds with certificateHashDataChain, which is what is exchanged. Hash
data is compared in the hashAlgorithm the station reports (M04.FR.07).

The certificates are OCTT's configured ones (``[station] csms_root_certificate`` ...; see the
states module); unconfigured, a real test PKI is generated for the run (:mod:`pytest_ocpp.pki`):
"<Generated Expired Certificate>" (TC_M_07) and the "unknown certificate" (TC_M_22) always
are. Whatever a case installs is deleted when the next case starts.

Departures, each to establish a table's prerequisite rather than assume it: "supports Security
Profile 2 or 3" / "a valid CSMSRootCertificate is installed" (TC_M_07, M_09, M_20, M_22,
M_23) is made true by installing the configured CSMS root when GetInstalledCertificateIds
does not list it, so that a station tested over ws:// has one and a case never deletes a
CSMS root it did not install. TC_M_20 step 4 is a GetInstalledCertificateIdsRequest judged by
the step's own rule (the deleted certificate is gone; NotFound is correct when it was the
last one, M03.FR.02) instead of Table 438's "must contain the configured certificate".
TC_M_30/M_31 (reconnecting over TLS with a new / fallback CSMS root) are in
:mod:`.test_certificates_root_swap`.
"""

from __future__ import annotations

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201
from pytest_ocpp.csms.states201_certificates import hash_data
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.pki import cross_signed, generated_pki
from pytest_ocpp.verdicts import check

from ._certificates_support import (
    additional_root_check,
    check_absent,
    csms_root_present,
    entry_for,
    without_additional_check,
)

CSMS_ROOT = "CSMSRootCertificate"
MANUFACTURER_ROOT = "ManufacturerRootCertificate"


async def _install_and_list(
    csms: FakeCsms201, station_operator: StationOperator, kind: str
) -> None:
    """TC_M_01-04: 1. Memory State CertificateInstalled for ``kind``; 2. Reusable State
    GetInstalledCertificates for ``kind`` lists it."""
    sut = await csms.ready(station_operator)
    if kind in ("V2GRootCertificate", "MORootCertificate"):
        await without_additional_check(csms, sut)
    step(f"1. Execute Memory State CertificateInstalled for certificateType {kind}")
    await csms.certificate_installed(sut, kind)
    step(f"2. Execute Reusable State GetInstalledCertificates for certificateType {kind}")
    await csms.get_installed_certificates(sut, [kind])


@ocpp_case("TC_M_01_CS", version="2.0.1")
async def test_tc_m_01_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Install a CSMSRootCertificate (M05.FR.01/02): Accepted, then listed. With
    AdditionalRootCertificateCheck true the table's custom CSMS root is used: a new root
    signed by the installed (configured) one (M05.FR.10/12)."""
    sut = await csms.ready(station_operator)
    if not await additional_root_check(csms, sut):
        step("1. Execute Memory State CertificateInstalled for certificateType CSMSRootCertificate")
        await csms.certificate_installed(sut, CSMS_ROOT)
        step("2. Execute Reusable State GetInstalledCertificates for CSMSRootCertificate")
        await csms.get_installed_certificates(sut, [CSMS_ROOT])
        return
    old = await csms_root_present(csms, sut)
    custom = cross_signed(generated_pki().csms_root_2, csms.csms_root_authority())
    step(
        "1. Execute Memory State CertificateInstalled for CSMSRootCertificate (custom: signed by the old root)"
    )
    await csms.certificate_installed(sut, CSMS_ROOT, custom)
    step("2. Execute Reusable State GetInstalledCertificates for CSMSRootCertificate")
    await csms.get_installed_certificates(sut, [CSMS_ROOT], certificates={CSMS_ROOT: (custom, old)})


@ocpp_case("TC_M_02_CS", version="2.0.1")
async def test_tc_m_02_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Install a ManufacturerRootCertificate (M05.FR.01/02): Accepted, then listed."""
    await _install_and_list(csms, station_operator, MANUFACTURER_ROOT)


@ocpp_case("TC_M_03_CS", version="2.0.1")
async def test_tc_m_03_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Install a V2GRootCertificate (M05.FR.01/02): Accepted, then listed."""
    await _install_and_list(csms, station_operator, "V2GRootCertificate")


@ocpp_case("TC_M_04_CS", version="2.0.1")
async def test_tc_m_04_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Install a MORootCertificate (M05.FR.01/02): Accepted, then listed."""
    await _install_and_list(csms, station_operator, "MORootCertificate")


@ocpp_case("TC_M_07_CS", version="2.0.1")
async def test_tc_m_07_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """An expired certificate is Rejected (M05.FR.07) and not installed."""
    sut = await csms.ready(station_operator)
    await without_additional_check(csms, sut)
    await csms_root_present(csms, sut)
    expired = generated_pki().expired
    step("1. InstallCertificateRequest CSMSRootCertificate with a generated expired certificate")
    answer = await sut.call(
        "InstallCertificate", {"certificateType": CSMS_ROOT, "certificate": expired}
    )
    check(
        answer.get("status") == "Rejected",
        "step 2: InstallCertificateResponse status Rejected (the certificate is invalid, M05.FR.07)",
        answer,
    )
    step("3. GetInstalledCertificateIdsRequest CSMSRootCertificate")
    answer = await sut.call("GetInstalledCertificateIds", {"certificateType": [CSMS_ROOT]})
    check(
        answer.get("status") == "Accepted",
        "step 4: GetInstalledCertificateIdsResponse status Accepted",
        answer,
    )
    check_absent(
        answer,
        CSMS_ROOT,
        expired,
        "step 4: certificateHashDataChain has no CSMSRootCertificate entry for the expired "
        "certificate (it was not installed)",
    )


@ocpp_case("TC_M_09_CS", version="2.0.1", requires="AS-2")
async def test_tc_m_09_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """AdditionalRootCertificateCheck: a CSMS root the old one did not sign is Rejected
    (M05.FR.10/11) and the old one stays."""
    sut = await csms.ready(station_operator)
    if not await additional_root_check(csms, sut):
        from pytest_ocpp.verdicts import not_applicable

        raise not_applicable(
            "the station does not have SecurityCtrlr.AdditionalRootCertificateCheck true"
        )
    old = await csms_root_present(csms, sut)
    new = generated_pki().csms_root_2.pem
    csms.after_case(  # in case the station installed it after all
        "the rejected CSMS root 2", lambda s: csms.delete_quietly(s, hash_data(new))
    )
    step("1. InstallCertificateRequest CSMSRootCertificate not signed by the old CSMS root")
    answer = await sut.call(
        "InstallCertificate", {"certificateType": CSMS_ROOT, "certificate": new}
    )
    check(
        answer.get("status") == "Rejected",
        "step 2: InstallCertificateResponse status Rejected (the new CSMS root is not signed by "
        "the old one, M05.FR.11)",
        answer,
    )
    step("3. GetInstalledCertificateIdsRequest CSMSRootCertificate")
    answer = await sut.call("GetInstalledCertificateIds", {"certificateType": [CSMS_ROOT]})
    check(
        answer.get("status") == "Accepted",
        "step 4: GetInstalledCertificateIdsResponse status Accepted",
        answer,
    )
    chain = list(answer.get("certificateHashDataChain") or [])
    check(
        entry_for(chain, CSMS_ROOT, old) is not None,
        "step 4: certificateHashDataChain has the old CSMS root (M05.FR.11: not replaced)",
        answer,
    )
    check_absent(answer, CSMS_ROOT, new, "step 4: the rejected CSMS root is not installed")


async def _retrieve(
    csms: FakeCsms201, station_operator: StationOperator, kinds: tuple[str, ...]
) -> None:
    """TC_M_12-14/16/17: Memory State CertificateInstalled per type; Reusable State
    GetInstalledCertificates for them lists each."""
    sut = await csms.ready(station_operator)
    for kind in kinds:
        step(f"(Memory State) CertificateInstalled from certificateType {kind}")
        await csms.certificate_installed(sut, kind)
    step(f"1. Execute Reusable State GetInstalledCertificates for {' AND '.join(kinds)}")
    await csms.get_installed_certificates(sut, list(kinds))


@ocpp_case("TC_M_12_CS", version="2.0.1")
async def test_tc_m_12_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """The hash data of every CSMSRootCertificate (M03.FR.01/03/04)."""
    await _retrieve(csms, station_operator, (CSMS_ROOT,))


@ocpp_case("TC_M_13_CS", version="2.0.1")
async def test_tc_m_13_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """The hash data of every ManufacturerRootCertificate (M03.FR.01/03/04)."""
    await _retrieve(csms, station_operator, (MANUFACTURER_ROOT,))


@ocpp_case("TC_M_14_CS", version="2.0.1")
async def test_tc_m_14_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """The hash data of every V2GRootCertificate (M03.FR.01/03/04)."""
    await _retrieve(csms, station_operator, ("V2GRootCertificate",))


@ocpp_case("TC_M_16_CS", version="2.0.1")
async def test_tc_m_16_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """The hash data of every MORootCertificate (M03.FR.01/03/04)."""
    await _retrieve(csms, station_operator, ("MORootCertificate",))


@ocpp_case("TC_M_17_CS", version="2.0.1")
async def test_tc_m_17_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Two types in one request: CSMSRootCertificate and ManufacturerRootCertificate
    (M03.FR.01/03/04)."""
    await _retrieve(csms, station_operator, (CSMS_ROOT, MANUFACTURER_ROOT))


@ocpp_case("TC_M_18_CS", version="2.0.1")
async def test_tc_m_18_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """certificateType omitted: every installed certificate, so both configured roots
    (M03.FR.01/03/04)."""
    sut = await csms.ready(station_operator)
    installed = {}
    for kind in (CSMS_ROOT, MANUFACTURER_ROOT):
        step(f"(Memory State) CertificateInstalled from certificateType {kind}")
        installed[kind] = await csms.certificate_installed(sut, kind)
    step("1. GetInstalledCertificateIdsRequest with certificateType omitted")
    answer = await sut.call("GetInstalledCertificateIds", {})
    check(
        answer.get("status") == "Accepted",
        "step 2: GetInstalledCertificateIdsResponse status Accepted",
        answer,
    )
    chain = list(answer.get("certificateHashDataChain") or [])
    for kind, pem in installed.items():
        check(
            entry_for(chain, kind, pem) is not None,
            f"step 2: certificateHashDataChain has an entry certificateType {kind} and the "
            f"certificateHashData of the configured {kind} (M03.FR.04)",
            answer,
        )


@ocpp_case("TC_M_19_CS", version="2.0.1")
async def test_tc_m_19_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """No matching certificate: status NotFound, certificateHashDataChain omitted
    (M03.FR.02)."""
    sut = await csms.ready(station_operator)
    step("(Configuration State) no MORootCertificate installed: GetInstalledCertificateIdsRequest")
    answer = await sut.call(
        "GetInstalledCertificateIds", {"certificateType": ["MORootCertificate"]}
    )
    for item in answer.get("certificateHashDataChain") or []:
        step("(Configuration State) DeleteCertificateRequest for an installed MORootCertificate")
        await sut.call("DeleteCertificate", {"certificateHashData": item["certificateHashData"]})
    step("1. GetInstalledCertificateIdsRequest certificateType MORootCertificate")
    answer = await sut.call(
        "GetInstalledCertificateIds", {"certificateType": ["MORootCertificate"]}
    )
    check(
        answer.get("status") == "NotFound",
        "step 2: GetInstalledCertificateIdsResponse status NotFound (M03.FR.02)",
        answer,
    )
    check(
        "certificateHashDataChain" not in answer,
        "step 2: certificateHashDataChain omitted",
        answer,
    )


@ocpp_case("TC_M_20_CS", version="2.0.1")
async def test_tc_m_20_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Delete an installed CSMS root: Accepted, then no longer listed (M04.FR.01/02)."""
    sut = await csms.ready(station_operator)
    pem = await csms_root_present(csms, sut)
    step(
        "1. Execute Reusable State GetInstalledCertificates with certificateType CSMSRootCertificate"
    )
    chain = await csms.get_installed_certificates(sut, [CSMS_ROOT])
    entry = entry_for(chain, CSMS_ROOT, pem)
    check(
        entry is not None, "step 1: the certificate that is going to be deleted is present", chain
    )
    assert entry is not None
    step("2. DeleteCertificateRequest with the certificateHashData returned at step 1")
    answer = await sut.call(
        "DeleteCertificate", {"certificateHashData": entry["certificateHashData"]}
    )
    check(
        answer.get("status") == "Accepted",
        "step 3: DeleteCertificateResponse status Accepted (M04.FR.02)",
        answer,
    )
    step("4. GetInstalledCertificateIdsRequest certificateType CSMSRootCertificate")
    answer = await sut.call("GetInstalledCertificateIds", {"certificateType": [CSMS_ROOT]})
    check(
        answer.get("status") in ("Accepted", "NotFound"),
        "step 4: GetInstalledCertificateIdsResponse status Accepted (NotFound when no CSMS root "
        "is left, M03.FR.02)",
        answer,
    )
    check_absent(
        answer,
        CSMS_ROOT,
        pem,
        "step 4: the certificate that should be deleted is not present anymore",
    )


@ocpp_case("TC_M_22_CS", version="2.0.1")
async def test_tc_m_22_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Deleting a certificate the station does not have: NotFound (M04.FR.04)."""
    sut = await csms.ready(station_operator)
    await csms_root_present(csms, sut)
    step(
        "1. Execute Reusable State GetInstalledCertificates with certificateType CSMSRootCertificate"
    )
    await csms.get_installed_certificates(sut, [CSMS_ROOT])
    step("2. DeleteCertificateRequest with the certificateHashData of an unknown certificate")
    answer = await sut.call(
        "DeleteCertificate", {"certificateHashData": hash_data(generated_pki().unknown)}
    )
    check(
        answer.get("status") == "NotFound",
        "step 3: DeleteCertificateResponse status NotFound (M04.FR.04)",
        answer,
    )


@ocpp_case("TC_M_23_CS", version="2.0.1")
async def test_tc_m_23_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """The Charging Station certificate cannot be deleted: NotFound or Failed (M04.FR.06)."""
    sut = await csms.ready(station_operator)
    root = await csms_root_present(csms, sut)
    step("(Reusable State) RenewChargingStationCertificate")
    chain = await csms.renew_charging_station_certificate(sut)
    step("1. Execute Reusable State GetInstalledCertificates with certificateType omitted")
    await csms.get_installed_certificates(sut, None, certificates={})
    step("2. DeleteCertificateRequest with the hash data of the ChargingStationCertificate")
    from pytest_ocpp.certificates import pem_blocks

    # The certificate's issuer is the sub-CA that follows it in the chain (the charging
    # station operator sub-CA of the CSMS root), the root only for a chain of one.
    leaf, *issuers = pem_blocks(chain)
    data = hash_data(leaf, issuers[0] if issuers else root)
    answer = await sut.call("DeleteCertificate", {"certificateHashData": data})
    check(
        answer.get("status") in ("NotFound", "Failed"),
        "step 3: DeleteCertificateResponse status NotFound or Failed (the Charging Station "
        "certificate cannot be deleted, M04.FR.06)",
        answer,
    )

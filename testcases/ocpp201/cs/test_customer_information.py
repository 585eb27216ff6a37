"""OCPP 2.0.1, Charging Station under test, N. Diagnostics: Get / Clear Customer Information
(2.0.1 Edition 3 Part 6 §2.15, Tables 360-368, and the 2025 errata for TC_N_63_CS).

pytest-ocpp plays the CSMS (the OCTT column of each scenario table): it asks the station for
what it keeps about a customer (N09) and has it cleared (N10). Each case first re-establishes
Part 6 §2.1's general preconditions (``csms.ready``); "Execute Reusable State X" is one call of
the fake CSMS's method for X (Part 6 §2.18/§2.19).

A report is one or more NotifyCustomerInformationRequests with the requestId of the request,
seqNo from 0, ``tbc`` true on every part but the last ("All report parts have been received":
the case waits until a part with tbc not true). "A message indicating that no data is found"
has no prescribed wording: it is one report part with tbc not true (N09.FR.06, N10.FR.04);
its data is judged only where the table says "data empty" (TC_N_62/63_CS).

Prerequisites "the Charging Station has no customer information available of the idToken"
(TC_N_31/32_CS) are established as TC_N_28_CS's memory state does it: a CustomerInformation
clear (report false) for that idToken first, whose answer is not judged. TC_N_29/33_CS ("a
state where it cannot process customer information requests") send a request naming no
customer: a station SHALL answer it Invalid (N09.FR.09), the status the tables expect.

<Configured CustomerIdentifiers> (TC_N_62_CS) is ``[station] customer_identifier`` (default
``pytest-ocpp-customer-1``); the tester stores it at the station with the operator action
``store_customer_identifier``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.certificates import pem_blocks
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.csms.states201_certificates import hash_data
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import NotApplicable, TargetTimeout, check

LOCAL = "C-30 or C-31 or C-34 or C-49"
"""The catalogue's condition of TC_N_27/28/30/31_CS (Part 5: a local authorization option)."""

DEFAULT_CUSTOMER_IDENTIFIER = "pytest-ocpp-customer-1"

_request_ids = itertools.count(int(time.time()) % 100000 * 10)


# -- helpers ----------------------------------------------------------------------------------
async def _ask(
    sut: StationConnection,
    label: str,
    *,
    report: bool,
    clear: bool,
    customer: Mapping[str, Any],
    expected: str | None = "Accepted",
) -> tuple[int, int, dict[str, Any]]:
    """CustomerInformationRequest (requestId new each time); the response status must be
    ``expected`` (None: not judged). Returns (requestId, inbox mark before the request, the
    response): the report may arrive before the response is read."""
    request_id = next(_request_ids)
    what = ", ".join(f"{k}" for k in customer) or "no customer reference"
    step(
        f"{label}. The OCTT sends a CustomerInformationRequest report {str(report).lower()}, "
        f"clear {str(clear).lower()}, {what}"
    )
    mark = sut.mark()
    answer = await sut.call(
        "CustomerInformation",
        {"requestId": request_id, "report": report, "clear": clear, **customer},
    )
    if expected is not None:
        check(
            answer.get("status") == expected,
            f"Step {int(label) + 1 if label.isdigit() else label}: CustomerInformationResponse "
            f"status {expected}",
            answer,
        )
    return request_id, mark, answer


async def _report(
    sut: StationConnection, request_id: int, since: int, label: str
) -> list[IncomingCall]:
    """Every NotifyCustomerInformationRequest of ``request_id`` up to the one with tbc not true
    (post scenario validation "All report parts have been received"), in seqNo order."""
    parts: list[IncomingCall] = []
    while True:
        step(f"{label}. The Charging Station sends a NotifyCustomerInformationRequest")
        item = await sut.wait_for(
            "NotifyCustomerInformation",
            lambda p: p["requestId"] == request_id,
            since=since,
            describe=f"NotifyCustomerInformationRequest for requestId {request_id}"
            + (" (the report continues: tbc was true)" if parts else ""),
        )
        item.consumed = True
        parts.append(item)
        if not item.payload.get("tbc", False):
            break
    numbers = [int(p.payload["seqNo"]) for p in parts]
    check(
        numbers == list(range(len(parts))),
        f"Step {label}: the report parts are numbered seqNo 0, 1, ... in order",
        numbers,
    )
    return parts


async def _clear_first(csms: FakeCsms201, sut: StationConnection) -> None:
    """Memory state "The CSMS requests the CS to clear the customerInformation for idToken
    <Configured valid idToken fields>" (TC_N_28_CS; also the prerequisite of TC_N_31/32_CS):
    the answer and its report are not judged, only awaited."""
    request_id, mark, answer = await _ask(
        sut,
        "(Memory State)",
        report=False,
        clear=True,
        customer={"idToken": csms.id_token()},
        expected=None,
    )
    if answer.get("status") == "Accepted":
        try:
            await _report(sut, request_id, mark, "(Memory State)")
        except TargetTimeout:
            warn("the clear before the case sent no NotifyCustomerInformationRequest")


async def _with_local_data(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator
) -> StationConnection:
    """TC_N_27/30_CS Before: Configuration State LocalAuthListCtrlr.Enabled,
    AuthCtrlr.LocalPreAuthorize and AuthCacheCtrlr.Enabled true; Memory State IdTokenCached
    and IdTokenLocalAuthList for the configured valid idToken (each "if implemented": the
    station has the controller); Charging State Authorized (local), then
    ParkingBayUnoccupied. IdTokenCached re-establishes the general preconditions when done
    (which restores variables), so it goes before the configuration state."""
    if await csms.get_variable(sut, "AuthCacheCtrlr.Enabled") is not None:
        step("(Memory State) IdTokenCached for the configured valid idToken")
        sut = await csms.id_token_cached(sut, operator)
    values = {
        "LocalAuthListCtrlr.Enabled": "true",
        "AuthCtrlr.LocalPreAuthorize": "true",
        "AuthCacheCtrlr.Enabled": "true",
    }
    await csms.configure(sut, values)
    if await csms.get_variable(sut, "LocalAuthListCtrlr.Enabled") is not None:
        step("(Memory State) IdTokenLocalAuthList for the configured valid idToken")
        await csms.id_token_local_auth_list(sut)
    step("(Charging State) State is Authorized (local)")
    await csms.authorized(sut, operator)
    step("(Charging State) State is ParkingBayUnoccupied")
    await csms.parking_bay_unoccupied(sut, operator)
    return sut


def _data_not_empty(part: IncomingCall, label: str) -> None:
    check(
        bool(part.payload.get("data")),
        f"Step {label}: NotifyCustomerInformationRequest data not empty",
        part.payload,
    )


def _no_data_message(parts: list[IncomingCall], label: str) -> None:
    """Post scenario validation "a message is sent indicating that no data is found"."""
    check(
        len(parts) == 1,
        f"{label}: one NotifyCustomerInformationRequest saying no data is found (N09.FR.06, "
        "N10.FR.04)",
        [p.payload for p in parts],
    )
    if parts[0].payload.get("data"):
        warn(f"the report of no data says: {parts[0].payload['data']!r}")


# -- N09 Get Customer Information ------------------------------------------------------------
@ocpp_case("TC_N_27_CS", version="2.0.1", requires=LOCAL)
async def test_tc_n_27_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A report about an idToken the station knows (N09.FR.02/05): after a session with it
    (cached, in the local list), CustomerInformation report true for it is Accepted and the
    report's data is not empty, all parts received."""
    sut = await csms.ready(station_operator)
    sut = await _with_local_data(csms, sut, station_operator)
    request_id, mark, _ = await _ask(
        sut, "1", report=True, clear=False, customer={"idToken": csms.id_token()}
    )
    parts = await _report(sut, request_id, mark, "3")
    _data_not_empty(parts[0], "3")


@ocpp_case("TC_N_28_CS", version="2.0.1", requires=LOCAL)
async def test_tc_n_28_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A report about an idToken the station knows nothing of (N09.FR.02/06): after the memory
    state clears it, CustomerInformation report true is Accepted and one
    NotifyCustomerInformationRequest, tbc not true, says no data was found."""
    sut = await csms.ready(station_operator)
    await _clear_first(csms, sut)
    request_id, mark, _ = await _ask(
        sut, "1", report=True, clear=False, customer={"idToken": csms.id_token()}
    )
    parts = await _report(sut, request_id, mark, "3")
    check(
        not parts[0].payload.get("tbc", False),
        "Step 3: NotifyCustomerInformationRequest tbc not true",
        parts[0].payload,
    )
    _no_data_message(parts, "post scenario")


@ocpp_case("TC_N_29_CS", version="2.0.1")
async def test_tc_n_29_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A request the station cannot process is answered Invalid (N09.FR.03/09): a report
    request naming no customer (none of idToken, customerIdentifier, customerCertificate)."""
    sut = await csms.ready(station_operator)
    await _ask(sut, "1", report=True, clear=False, customer={}, expected="Invalid")


# -- N10 Clear Customer Information ------------------------------------------------------------
@ocpp_case("TC_N_30_CS", version="2.0.1", requires=LOCAL)
async def test_tc_n_30_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Clear and report an idToken the station knows (N10.FR.01/03): Accepted, the report of
    what was cleared is not empty; a second report request (step 5) then, when Accepted,
    yields a report whose first part has tbc not true (what is left is at most the Local
    Authorization List entry, which only the CSMS may remove)."""
    sut = await csms.ready(station_operator)
    sut = await _with_local_data(csms, sut, station_operator)
    token = {"idToken": csms.id_token()}
    request_id, mark, _ = await _ask(sut, "1", report=True, clear=True, customer=token)
    parts = await _report(sut, request_id, mark, "3")
    _data_not_empty(parts[0], "3")
    request_id, mark, answer = await _ask(
        sut, "5", report=True, clear=False, customer=token, expected=None
    )
    if answer.get("status") != "Accepted":
        warn(f"step 6: CustomerInformationResponse status {answer.get('status')}: no step 7")
        return
    step("7. The Charging Station sends a NotifyCustomerInformationRequest")
    first = await sut.wait_for(
        "NotifyCustomerInformation",
        lambda p: p["requestId"] == request_id,
        since=mark,
        describe=f"NotifyCustomerInformationRequest for requestId {request_id}",
    )
    check(
        not first.payload.get("tbc", False),
        "Step 8: NotifyCustomerInformationRequest tbc not true (the data was cleared)",
        first.payload,
    )


@ocpp_case("TC_N_31_CS", version="2.0.1", requires=LOCAL)
async def test_tc_n_31_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Clear and report an idToken the station knows nothing of (N10.FR.01/04): Accepted and
    one NotifyCustomerInformationRequest saying no data was found. The prerequisite (no data
    about the idToken) is established by a clear first (see the module docstring)."""
    sut = await csms.ready(station_operator)
    await _clear_first(csms, sut)
    request_id, mark, _ = await _ask(
        sut, "1", report=True, clear=True, customer={"idToken": csms.id_token()}
    )
    parts = await _report(sut, request_id, mark, "3")
    _no_data_message(parts, "post scenario")


@ocpp_case("TC_N_32_CS", version="2.0.1")
async def test_tc_n_32_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Clear without report (N10.FR.01/06): Accepted and one NotifyCustomerInformationRequest
    saying the data was cleared (tbc not true). The prerequisite (no data about the idToken)
    is established by a clear first (see the module docstring)."""
    sut = await csms.ready(station_operator)
    await _clear_first(csms, sut)
    request_id, mark, _ = await _ask(
        sut, "1", report=False, clear=True, customer={"idToken": csms.id_token()}
    )
    parts = await _report(sut, request_id, mark, "3")
    check(
        len(parts) == 1,
        "post scenario: one NotifyCustomerInformationRequest saying the data is cleared "
        "(N10.FR.06)",
        [p.payload for p in parts],
    )


@ocpp_case("TC_N_62_CS", version="2.0.1", requires="C-14")
async def test_tc_n_62_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Clear and report by customerIdentifier (N10.FR.01/03): with data stored for it (memory
    state, by the tester), clear+report is Accepted and reports data (not empty); a report
    afterwards is Accepted and its data is empty (all parts received each time)."""
    sut = await csms.ready(station_operator)
    identifier = str(
        csms.config.station.extra.get("customer_identifier", DEFAULT_CUSTOMER_IDENTIFIER)
    )
    step(f"(Memory State) manual action: store customer identifier {identifier}")
    await station_operator.perform("store_customer_identifier", customer_identifier=identifier)
    customer = {"customerIdentifier": identifier}
    request_id, mark, _ = await _ask(sut, "1", report=True, clear=True, customer=customer)
    parts = await _report(sut, request_id, mark, "3")
    _data_not_empty(parts[0], "3")
    request_id, mark, _ = await _ask(sut, "5", report=True, clear=False, customer=customer)
    for part in await _report(sut, request_id, mark, "7"):
        check(
            not part.payload.get("data"),
            "Step 7: NotifyCustomerInformationRequest data empty (the data was cleared)",
            part.payload,
        )


def _hash_data(authorize: Mapping[str, Any]) -> dict[str, Any] | None:
    """ "certificate hash data of contract certificate": the first iso15118CertificateHashData
    entry of the PnC AuthorizeRequest (without responderURL), else computed from its
    certificate chain (leaf first, then its issuer)."""
    for entry in authorize.get("iso15118CertificateHashData") or []:
        return {
            k: entry[k]
            for k in ("hashAlgorithm", "issuerNameHash", "issuerKeyHash", "serialNumber")
        }
    text = authorize.get("certificate")
    if not text:
        return None
    blocks = pem_blocks(str(text))
    return hash_data(blocks[0], blocks[1] if len(blocks) > 1 else None)


async def _authorized_15118(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator
) -> dict[str, Any]:
    """Reusable State Authorized15118 (PnC, Table 429). Returns its AuthorizeRequest's
    payload."""
    request = await csms.authorized15118(sut, operator)
    return request.payload


@ocpp_case("TC_N_63_CS", version="2.0.1", requires="ISO-4")
async def test_tc_n_63_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Clear and report by customerCertificate (N10.FR.09), errata 6.2.96/98/101: with the
    ISO 15118 configuration, EVConnectedPreSession, Authorized15118 (PnC) and
    EnergyTransferStarted, the EV ends the session; clear+report with the contract
    certificate's hash data is Accepted (data may be empty), a report afterwards is Accepted
    and its data empty. Memory State RenewV2GChargingStationCertificate "if none are present"
    when checked with GetInstalledCertificateIds certificateType V2GCertificateChain: the
    check is that request (any answer but an entry of that type counts as none).

    Departures: the ISO15118Ctrlr variables are those of the configured EVSE (the controller
    is per EVSE, as in the other ISO 15118 cases); the errata's SeccId line is left out (its
    value is illegible, and a SeccId is the station's identity, which the V2G certificate
    renewal checks the CSR against)."""
    sut = await csms.ready(station_operator)
    await csms.configure(
        sut,
        {
            "AuthCtrlr.Enabled": "true",
            "AuthCtrlr.DisableRemoteAuthorization": "false",
            **{
                f"ISO15118Ctrlr({csms.evse}).{name}": value
                for name, value in (
                    ("CentralContractValidationAllowed", "false"),
                    ("V2GCertificateInstallationEnabled", "true"),
                    ("ContractCertificateInstallationEnabled", "true"),
                    ("PnCEnabled", "true"),
                    ("CountryName", "NL"),
                    ("OrganizationName", "OCA"),
                )
            },
        },
    )
    step("(Memory State) is a V2GCertificateChain installed?")
    answer = await sut.call(
        "GetInstalledCertificateIds", {"certificateType": ["V2GCertificateChain"]}
    )
    chain = answer.get("certificateHashDataChain") or []
    if not any(item.get("certificateType") == "V2GCertificateChain" for item in chain):
        step("(Memory State) RenewV2GChargingStationCertificate")
        await csms.renew_v2g_charging_station_certificate(sut)
    step("(Charging State) State is EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    step("(Charging State) State is Authorized15118 (PnC)")
    authorize = await _authorized_15118(csms, sut, station_operator)
    step("(Charging State) State is EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    certificate = _hash_data(authorize)
    if certificate is None:
        raise NotApplicable("the Plug & Charge AuthorizeRequest named no contract certificate")
    step("Manual action: the EV ends the charging session (SessionStopReq(Terminate))")
    await station_operator.perform("iso15118_session_stop", evse_id=csms.evse)
    customer = {"customerCertificate": certificate}
    request_id, mark, _ = await _ask(sut, "1", report=True, clear=True, customer=customer)
    await _report(sut, request_id, mark, "3")
    request_id, mark, _ = await _ask(sut, "5", report=True, clear=False, customer=customer)
    for part in await _report(sut, request_id, mark, "7"):
        check(
            not part.payload.get("data"),
            "Step 7: NotifyCustomerInformationRequest data empty (the data was cleared)",
            part.payload,
        )


# -- invalid -----------------------------------------------------------------------------------
@ocpp_case("TC_N_33_CS", version="2.0.1")
async def test_tc_n_33_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A clear the station cannot process is answered Invalid (N10.FR.05, N09.FR.09): a clear
    request naming no customer."""
    sut = await csms.ready(station_operator)
    await _ask(sut, "1", report=False, clear=True, customer={}, expected="Invalid")

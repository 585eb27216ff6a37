"""OCPP 2.0.1, CSMS under test, N. Diagnostics: customer information (2.0.1 Edition 3 Part 6
§3.15, Tables 658-665 and 670, with the 2025 errata §6.3.22 for TC_N_62_CSMS and §6.3.23-24 for
TC_N_46_CSMS).

pytest-ocpp plays the Charging Station (the OCTT column of each table). The CSMS is made to send
its CustomerInformationRequest through ``csms_operator``, asking for what the table validates:

* idToken: OCTT's <Configured valid_idtoken_idtoken> and <Configured valid_idtoken_type>, i.e.
  ``[tags] valid`` and its type (``[tags.types]``);
* customerIdentifier: "OpenChargeAlliance", as Table 664 writes it;
* customerCertificate: OCTT's <customer certificate hash data>, ``[station]
  customer_certificate_hash`` (a table with hashAlgorithm, issuerNameHash, issuerKeyHash,
  serialNumber), :data:`DEFAULT_CUSTOMER_CERTIFICATE` otherwise;

and a requestId of ours. A real CSMS picks its own requestId: every NotifyCustomerInformation
carries the one that arrived. Each request is answered before it is judged, so a failed check
never leaves the CSMS waiting; the NotifyCustomerInformationRequest the table lists after an
Accepted answer is one page (seqNo 0, tbc left out) whose ``data`` says what a station would:
the data found, that none was found (N09.FR.06, N10.FR.04) or that it was cleared (N10.FR.06).

Every request is also held to N09.FR.04/N10.FR.08: exactly one customer reference (idToken,
customerCertificate or customerIdentifier); the errata's "idToken is omitted, customerCertificate
is omitted" of TC_N_62_CSMS is that rule. The ``clear`` flag of the Get cases (N09) is not
judged: their tables do not validate it.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import current
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import IdTags, OcppConfig
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station201, check
from pytest_ocpp.verdicts import check_octt

CUSTOMER_IDENTIFIER = "OpenChargeAlliance"
"""Table 664's customerIdentifier."""

DEFAULT_CUSTOMER_CERTIFICATE: dict[str, str] = {
    "hashAlgorithm": "SHA256",
    "issuerNameHash": "7f0a31d0b2a2b8c6e3f0c3a1d6a7e5b4c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7",
    "issuerKeyHash": "0c2d4e6f8a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d",
    "serialNumber": "5a1e2b3c4d",
}
"""``[station] customer_certificate_hash`` when the config has none (TC_N_63_CSMS): made-up
hash data of a contract certificate; the CSMS only has to repeat it."""

DEFAULT_LOCAL_LIST_VERSION = 1
"""``[station] local_list_version`` when the config has none: OCTT's <configured local list
version>, the version of the Local Authorization List TC_N_46_CSMS starts from."""

HASH_FIELDS = ("hashAlgorithm", "issuerNameHash", "issuerKeyHash", "serialNumber")
REFERENCES = ("idToken", "customerCertificate", "customerIdentifier")


def _certificate(ocpp_config: OcppConfig) -> dict[str, str]:
    configured = ocpp_config.station.extra.get("customer_certificate_hash") or {}
    return {f: str(configured.get(f, DEFAULT_CUSTOMER_CERTIFICATE[f])) for f in HASH_FIELDS}


def _token(station: Station201, tags: IdTags) -> dict[str, str]:
    return station.id_token(tags.valid)


async def _customer_information(
    station: Station201,
    csms_operator: CsmsOperator,
    asked: Mapping[str, Any],
    *,
    answer: str,
) -> dict[str, Any]:
    """Steps 1-2: CustomerInformationRequest with the flags and reference ``asked``, answered
    ``answer``. Judges the request's single reference (N09.FR.04/N10.FR.08) and returns its
    payload; the caller judges the rest, then sends steps 3-4 (:func:`_notify`)."""
    step("1. The CSMS sends a CustomerInformationRequest")
    request: IncomingCall = await csms_operator.request(
        station,
        "CustomerInformation",
        {"requestId": secrets.randbelow(2**31 - 1) + 1, **asked},
    )
    step(f"2. The OCTT responds with a CustomerInformationResponse with status {answer}")
    await request.reply({"status": answer})
    payload = request.payload
    given = [r for r in REFERENCES if r in payload]
    check(
        len(given) == 1,
        "Step 1: CustomerInformationRequest with exactly one of idToken, customerCertificate "
        "or customerIdentifier (N09.FR.04, N10.FR.08)",
        payload,
    )
    return payload


async def _notify(station: Station201, payload: Mapping[str, Any], data: str) -> None:
    """Steps 3-4: one NotifyCustomerInformationRequest for the request ``payload``, which the
    CSMS must answer (a CallError fails)."""
    step("3. The OCTT sends a NotifyCustomerInformationRequest")
    await station.call(
        "NotifyCustomerInformation",
        {
            "data": data,
            "seqNo": 0,
            "generatedAt": station.now(),
            "requestId": payload["requestId"],
        },
    )


def _check_flags(payload: Mapping[str, Any], *, report: bool, clear: bool | None) -> None:
    """The report flag (N09.FR.01 for a Get) and, where the table validates it, clear."""
    check(
        payload.get("report") is report,
        f"Step 1: CustomerInformationRequest report {str(report).lower()}"
        + (" (N09.FR.01)" if report and clear is None else ""),
        payload,
    )
    if clear is not None:
        check(
            payload.get("clear") is clear,
            f"Step 1: CustomerInformationRequest clear {str(clear).lower()} (N10)",
            payload,
        )


def _check_token(payload: Mapping[str, Any], token: Mapping[str, str]) -> None:
    """<Configured valid_idtoken_idtoken> and <Configured valid_idtoken_type>."""
    sent = payload.get("idToken") or {}
    check(
        str(sent.get("idToken", "")).casefold() == token["idToken"].casefold()
        and sent.get("type") == token["type"],
        f"Step 1: CustomerInformationRequest idToken.idToken {token['idToken']}, idToken.type "
        f"{token['type']} (the configured valid idToken, the customer the CSMS was asked about)",
        payload,
    )


def _found(token: Mapping[str, str]) -> str:
    return (
        f"idToken {token['idToken']} ({token['type']}): authorization cache entry, status "
        "Accepted; 2 transactions"
    )


def _not_found(token: Mapping[str, str]) -> str:
    return f"No customer data found for idToken {token['idToken']} ({token['type']})"


# -- N09 Get Customer Information ------------------------------------------------------------
async def _get(
    station: Station201,
    csms_operator: CsmsOperator,
    tags: IdTags,
    *,
    answer: str,
    data: str | None,
) -> None:
    token = _token(station, tags)
    payload = await _customer_information(
        station,
        csms_operator,
        {"report": True, "clear": False, "idToken": token},
        answer=answer,
    )
    _check_flags(payload, report=True, clear=None)
    _check_token(payload, token)
    if data is not None:
        await _notify(station, payload, data)


@ocpp_case("TC_N_27_CSMS", version="2.0.1")
async def test_tc_n_27_csms(station: Station201, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS retrieves the customer information of the configured valid idToken (N09:
    report true, N09.FR.01; one reference, N09.FR.04) and answers the report of the data
    found (N09.FR.05).

    Part 5 makes the case mandatory for a CSMS; its condition ((C-30 or C-31 or C-34) and
    (Local Authorization List Management or C-49)) is the station's."""
    token = _token(station, tags)
    await _get(station, csms_operator, tags, answer="Accepted", data=_found(token))


@ocpp_case("TC_N_28_CSMS", version="2.0.1")
async def test_tc_n_28_csms(station: Station201, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """As TC_N_27_CSMS, but the station has no data on the idToken and says so in its one
    NotifyCustomerInformationRequest (N09.FR.06), which the CSMS answers."""
    token = _token(station, tags)
    await _get(station, csms_operator, tags, answer="Accepted", data=_not_found(token))


@ocpp_case("TC_N_29_CSMS", version="2.0.1")
async def test_tc_n_29_csms(station: Station201, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS asks for the configured valid idToken's customer information and the station
    rejects the request (N09.FR.03); nothing follows. The request is judged as in
    TC_N_27_CSMS."""
    await _get(station, csms_operator, tags, answer="Rejected", data=None)


# -- N10 Clear Customer Information ----------------------------------------------------------
async def _clear_token(
    station: Station201,
    csms_operator: CsmsOperator,
    tags: IdTags,
    *,
    report: bool,
    data: str,
) -> None:
    token = _token(station, tags)
    payload = await _customer_information(
        station,
        csms_operator,
        {"report": report, "clear": True, "idToken": token},
        answer="Accepted",
    )
    _check_flags(payload, report=report, clear=True)
    _check_token(payload, token)
    await _notify(station, payload, data)


@ocpp_case("TC_N_30_CSMS", version="2.0.1")
async def test_tc_n_30_csms(station: Station201, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS clears and retrieves the configured valid idToken's customer information
    (N10: report true, clear true, one reference, N10.FR.08) and answers the report of the
    cleared data (N10.FR.03). Part 5's condition for this case is the station's."""
    token = _token(station, tags)
    await _clear_token(station, csms_operator, tags, report=True, data=_found(token))


@ocpp_case("TC_N_31_CSMS", version="2.0.1")
async def test_tc_n_31_csms(station: Station201, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """As TC_N_30_CSMS, but the station had no data on the idToken and says so (N10.FR.04)."""
    token = _token(station, tags)
    await _clear_token(station, csms_operator, tags, report=True, data=_not_found(token))


@ocpp_case("TC_N_32_CSMS", version="2.0.1")
async def test_tc_n_32_csms(station: Station201, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS clears the configured valid idToken's customer information without a report
    (report false, clear true); the station still sends one NotifyCustomerInformationRequest
    saying the data was cleared (N10.FR.06), which the CSMS answers."""
    token = _token(station, tags)
    cleared = f"Customer data of idToken {token['idToken']} ({token['type']}) cleared"
    await _clear_token(station, csms_operator, tags, report=False, data=cleared)


@ocpp_case("TC_N_62_CSMS", version="2.0.1", requires="C-14")
async def test_tc_n_62_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS clears and retrieves the customer information of a customerIdentifier (N10,
    Part 5 C-14): report true, clear true, customerIdentifier "OpenChargeAlliance", and
    (errata 2025-04 §6.3.22) neither idToken nor customerCertificate."""
    payload = await _customer_information(
        station,
        csms_operator,
        {"report": True, "clear": True, "customerIdentifier": CUSTOMER_IDENTIFIER},
        answer="Accepted",
    )
    _check_flags(payload, report=True, clear=True)
    check(
        payload.get("customerIdentifier") == CUSTOMER_IDENTIFIER,
        f'Step 1: CustomerInformationRequest customerIdentifier "{CUSTOMER_IDENTIFIER}" (the '
        "customer the CSMS was asked about)",
        payload,
    )
    await _notify(station, payload, f"customerIdentifier {CUSTOMER_IDENTIFIER}: data cleared")


@ocpp_case("TC_N_63_CSMS", version="2.0.1", requires="ISO-4")
async def test_tc_n_63_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS clears and retrieves the customer information of a contract certificate (N10,
    Part 5 ISO-4): report true, clear true, customerCertificate with the configured hash data
    (N10.FR.09: the hash algorithm the certificate was installed with, hence all four fields
    compared; hex digests case-insensitively)."""
    certificate = _certificate(ocpp_config)
    payload = await _customer_information(
        station,
        csms_operator,
        {"report": True, "clear": True, "customerCertificate": certificate},
        answer="Accepted",
    )
    _check_flags(payload, report=True, clear=True)
    sent = payload.get("customerCertificate") or {}
    check(
        sent.get("hashAlgorithm") == certificate["hashAlgorithm"]
        and all(
            str(sent.get(f, "")).casefold() == certificate[f].casefold() for f in HASH_FIELDS[1:]
        ),
        f"Step 1: CustomerInformationRequest customerCertificate = the configured hash data "
        f"{certificate} (the customer the CSMS was asked about)",
        payload,
    )
    await _notify(station, payload, f"contract certificate {certificate['serialNumber']}: removed")


# -- N10.FR.02: the Local Authorization List follows a clear ---------------------------------
@ocpp_case("TC_N_46_CSMS", version="2.0.1")
async def test_tc_n_46_csms(
    station: Station201, csms_operator: CsmsOperator, tags: IdTags, ocpp_config: OcppConfig
) -> None:
    """After clearing the customer information of an idToken in the station's Local
    Authorization List, the CSMS removes it from that list (N10.FR.02) with a
    SendLocalListRequest (D01).

    Before: Table 670's memory state ("a local authorization list with <Configured
    valid_idtoken_idtoken> is configured") is reached the way a CSMS configures one: it is made
    to send a Full SendLocalListRequest, version ``[station] local_list_version`` (1 unless
    configured), holding the configured valid idToken; answered Accepted. Step 5: errata
    2025-02 §6.3.24 allows the SendLocalListRequest to come by itself or, "if not triggered
    automatically", by a manual action: the station waits the message timeout for it, then
    asks the operator for the errata's request.

    Judged by Part 2: a Differential update whose versionNumber is above the list's and whose
    entry for the idToken has no idTokenInfo (D01.FR.17, D01.FR.19), or a Full update without
    the idToken (D01.FR.15; the earlier errata §6.3.23 allows it). Held OCTT-specifically to
    errata §6.3.24: Differential, versionNumber <configured local list version> + 1, the
    idToken and its type alone, without idTokenInfo."""
    token = _token(station, tags)
    version = int(ocpp_config.station.extra.get("local_list_version", DEFAULT_LOCAL_LIST_VERSION))
    step("Before: the CSMS sends a SendLocalListRequest (Full) with the valid idToken")
    before = await csms_operator.request(
        station,
        "SendLocalList",
        {
            "versionNumber": version,
            "updateType": "Full",
            "localAuthorizationList": [{"idToken": token, "idTokenInfo": {"status": "Accepted"}}],
        },
    )
    await before.reply({"status": "Accepted"})
    link = station.link
    assert link is not None
    updated = link.claim("SendLocalList")
    try:
        await _clear_token(station, csms_operator, tags, report=True, data=_found(token))
        step("5. The CSMS sends a SendLocalListRequest")
        done, _ = await asyncio.wait({updated}, timeout=station.ctx.config.timeouts.message)
    finally:
        link.unclaim(updated)
    if done:
        request = updated.result()
    else:
        current().warn(
            "the CSMS did not update the Local Authorization List by itself after the clear; "
            "the operator was asked to (errata 2025-02 §6.3.24 allows it)"
        )
        request = await csms_operator.request(
            station,
            "SendLocalList",
            {
                "versionNumber": version + 1,
                "updateType": "Differential",
                "localAuthorizationList": [{"idToken": token}],
            },
        )
    step("6. The OCTT responds with a SendLocalListResponse with status Accepted")
    await request.reply({"status": "Accepted"})
    _check_removal(request.payload, token, version)


def _check_removal(sent: Mapping[str, Any], token: Mapping[str, str], version: int) -> None:
    """Step 5 of TC_N_46_CSMS (see its docstring)."""
    entries = [e for e in sent.get("localAuthorizationList") or [] if isinstance(e, dict)]
    mine = [
        e
        for e in entries
        if str((e.get("idToken") or {}).get("idToken", "")).casefold()
        == token["idToken"].casefold()
    ]
    kind = sent.get("updateType")
    number = sent.get("versionNumber")
    removes = (
        kind == "Differential"
        and isinstance(number, int)
        and number > version
        and bool(mine)
        and all(e.get("idTokenInfo") is None for e in mine)
    ) or (kind == "Full" and not mine)
    check(
        removes,
        f"Step 5: SendLocalListRequest removing idToken {token['idToken']} from the list: "
        f"Differential with versionNumber above {version} and the idToken without idTokenInfo "
        "(D01.FR.17, D01.FR.19), or Full without it (D01.FR.15); N10.FR.02",
        sent,
    )
    check_octt(
        kind == "Differential"
        and number == version + 1
        and len(entries) == 1
        and entries[0].get("idToken") == dict(token)
        and "idTokenInfo" not in entries[0],
        f"Step 5: SendLocalListRequest updateType Differential, versionNumber {version + 1}, "
        f"localAuthorizationList only idToken {dict(token)} without idTokenInfo",
        sent,
        octt="TC_N_46_CSMS step 5 (errata 2025-02 §6.3.24)",
        spec="Part 2 D01 also removes the idToken with any higher Differential version or a "
        "Full list without it (errata 2024-11 §6.3.23 allowed the latter)",
    )

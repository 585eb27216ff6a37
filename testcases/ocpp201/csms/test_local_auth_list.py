"""OCPP 2.0.1, CSMS under test, D. Local Authorization List Management (2.0.1 Edition 3 Part 6
§3.5, Tables 499-504, and the 2025 errata: §6.3.10 adds to TC_D_01_CSMS that every entry
carries an idTokenInfo).

pytest-ocpp plays the Charging Station. The CSMS operator is asked for the request each
scenario needs (the tables' "Manual Action"; TC_D_01_CSMS names none, but a CSMS sends a list
when its user asks): the configured valid idTokens as entries, a versionNumber above the
station's. Only the tables' tool validations and what Part 2 requires of the request are
judged, not which idTokens the CSMS puts in its list. Each request is answered before it is
judged, so a failed check never leaves the CSMS waiting.

The station's Local Authorization List has the version each table gives it: 1 in TC_D_01/D_02
("GetLocalListVersionResponse with versionNumber 1"), else OCTT's <Configured versionNumber>,
``[station] local_list_version`` (default 1). A GetLocalListVersionRequest the CSMS sends
first, optional in TC_D_01 and the CSMS's own choice elsewhere, gets that version; further
SendLocalListRequests of a list too big for one message (the tables' notes) are Accepted.
"""

from __future__ import annotations

from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import IdTags, OcppConfig
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station201, check

TABLE_LIST_VERSION = 1
"""TC_D_01/D_02 step 2: "GetLocalListVersionResponse with versionNumber 1"."""

DEFAULT_LIST_VERSION = 1
"""``[station] local_list_version`` (OCTT's <Configured versionNumber>) when not configured."""


def _configured_version(ocpp_config: OcppConfig) -> int:
    return int(ocpp_config.station.extra.get("local_list_version", DEFAULT_LIST_VERSION))


def _entry(station: Station201, token: str, *, with_info: bool = True) -> dict[str, Any]:
    """AuthorizationData for ``token`` (its configured type), Accepted unless ``with_info`` is
    false (a removal in a Differential update, D01.FR.17)."""
    entry: dict[str, Any] = {"idToken": station.id_token(token)}
    if with_info:
        entry["idTokenInfo"] = {"status": "Accepted"}
    return entry


def _keep_answering(station: Station201, list_version: int) -> int:
    """Answer a GetLocalListVersionRequest with ``list_version`` and further SendLocalList
    chunks with Accepted while the case runs; returns the inbox mark to look back from."""
    link = station.link
    link.handlers["GetLocalListVersion"] = lambda call: {"versionNumber": list_version}
    link.handlers["SendLocalList"] = lambda call: {"status": "Accepted"}
    return int(link.mark())


def _note_version_asked(station: Station201, since: int, steps: str) -> None:
    """Trace whether the CSMS asked for the list version first (steps 1-2, not judged)."""
    asked = any(item.action == "GetLocalListVersion" for item in station.link.inbox[since:])
    station.link.trace.event(
        station.station_id,
        f"steps {steps}: the CSMS "
        + ("asked for the list version first" if asked else "did not ask for the list version"),
    )


async def _send_local_list(
    station: Station201, csms_operator: CsmsOperator, payload: dict[str, Any], number: int
) -> dict[str, Any]:
    """Step ``number``: the CSMS sends the SendLocalListRequest asked for; the station answers
    Accepted (step ``number + 1``) before it is judged. Returns the request's payload."""
    step(f"{number}. The CSMS sends a SendLocalListRequest ({payload['updateType']})")
    request: IncomingCall = await csms_operator.request(station, "SendLocalList", payload)
    step(f"{number + 1}. The OCTT responds with a SendLocalListResponse with status Accepted")
    await request.reply({"status": "Accepted"})
    return request.payload


def _check_update_type(payload: dict[str, Any], number: int, update_type: str) -> None:
    check(
        payload.get("updateType") == update_type,
        f"Step {number}: SendLocalListRequest updateType {update_type} (D01.FR.01)",
        payload,
    )


def _check_version_above(payload: dict[str, Any], number: int, floor: int, why: str) -> None:
    version = payload.get("versionNumber")
    check(
        isinstance(version, int) and version > floor,
        f"Step {number}: SendLocalListRequest versionNumber bigger than {floor} ({why})",
        payload,
    )


def _entries(payload: dict[str, Any]) -> list[dict[str, Any]]:
    entries = payload.get("localAuthorizationList")
    return entries if isinstance(entries, list) else []


def _check_not_empty(payload: dict[str, Any], number: int) -> None:
    check(
        bool(_entries(payload)),
        f"Step {number}: SendLocalListRequest localAuthorizationList not empty",
        payload,
    )


# -- D01: send a Local Authorization List ----------------------------------------------------
@ocpp_case("TC_D_01_CSMS", version="2.0.1")
async def test_tc_d_01_csms(station: Station201, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS replaces the station's list with a full one (D01.FR.15) whose version is above
    0 (D01.FR.18) and whose every entry has an idTokenInfo (errata §6.3.10): a Full list says
    what each idToken's status is. The table's validations of "Step 1" concern the
    SendLocalListRequest of step 3."""
    since = _keep_answering(station, TABLE_LIST_VERSION)
    step(
        "1-2. (optional) The CSMS may send a GetLocalListVersionRequest; the OCTT responds "
        f"with versionNumber {TABLE_LIST_VERSION}"
    )
    payload = await _send_local_list(
        station,
        csms_operator,
        {
            "versionNumber": TABLE_LIST_VERSION + 1,
            "updateType": "Full",
            "localAuthorizationList": [_entry(station, tags.valid), _entry(station, tags.valid_2)],
        },
        3,
    )
    _note_version_asked(station, since, "1-2 (optional)")
    _check_update_type(payload, 3, "Full")
    _check_version_above(payload, 3, 0, "D01.FR.18")
    _check_not_empty(payload, 3)
    without = [e.get("idToken") for e in _entries(payload) if not e.get("idTokenInfo")]
    check(
        not without,
        "Step 3: SendLocalListRequest localAuthorizationList[n].idTokenInfo not empty for every "
        f"entry (errata 2025-04 §6.3.10; D01.FR.15); entries without: {without}",
        payload,
    )


@ocpp_case("TC_D_02_CSMS", version="2.0.1")
async def test_tc_d_02_csms(station: Station201, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS updates the station's list with a differential one (D01.FR.16) whose version
    is above the station's list version (D01.FR.19: else the station refuses it with
    VersionMismatch).

    Steps 1-2 (GetLocalListVersionRequest, answered 1) are how a CSMS learns the version;
    Part 2 does not require asking (D01 keeps the version in the CSMS), so one that knows it
    is not failed for not asking, as TC_D_01_CSMS says of the same steps. The station's list
    version is 1 either way. The validations of "Step 1" concern step 3's request."""
    since = _keep_answering(station, TABLE_LIST_VERSION)
    step(
        "Manual Action: request the CSMS to send a Differential Local Authorization List "
        "with some idTokens"
    )
    step(
        "1-2. The CSMS sends a GetLocalListVersionRequest; the OCTT responds with "
        f"versionNumber {TABLE_LIST_VERSION}"
    )
    payload = await _send_local_list(
        station,
        csms_operator,
        {
            "versionNumber": TABLE_LIST_VERSION + 1,
            "updateType": "Differential",
            "localAuthorizationList": [_entry(station, tags.valid_2)],
        },
        3,
    )
    _note_version_asked(station, since, "1-2")
    _check_update_type(payload, 3, "Differential")
    _check_version_above(
        payload, 3, TABLE_LIST_VERSION, "the station's list version; D01.FR.01, D01.FR.19"
    )
    _check_not_empty(payload, 3)


@ocpp_case("TC_D_03_CSMS", version="2.0.1")
async def test_tc_d_03_csms(
    station: Station201, csms_operator: CsmsOperator, tags: IdTags, ocpp_config: OcppConfig
) -> None:
    """The CSMS removes idTokens from the station's list with a differential update whose
    entries carry no idTokenInfo (D01.FR.17), versioned above the station's list (D01.FR.19)."""
    version = _configured_version(ocpp_config)
    _keep_answering(station, version)
    step(
        "Manual Action: request the CSMS to send a Differential Local Authorization List with "
        "AuthorizationData elements without idTokenInfo"
    )
    payload = await _send_local_list(
        station,
        csms_operator,
        {
            "versionNumber": version + 1,
            "updateType": "Differential",
            "localAuthorizationList": [_entry(station, tags.valid_2, with_info=False)],
        },
        1,
    )
    _check_update_type(payload, 1, "Differential")
    _check_version_above(
        payload, 1, version, "the station's list version, [station] local_list_version; D01.FR.19"
    )
    entries = _entries(payload)
    with_info = [e.get("idToken") for e in entries if "idTokenInfo" in e]
    check(
        bool(entries) and not with_info,
        "Step 1: SendLocalListRequest localAuthorizationList of AuthorizationData elements "
        f"without idTokenInfo (D01.FR.17: removals); entries with one: {with_info}",
        payload,
    )


@ocpp_case("TC_D_04_CSMS", version="2.0.1")
async def test_tc_d_04_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS clears the station's list with a full update without entries (D01.FR.04),
    versioned above 0 (D01.FR.18, a requirement of this case). The schema allows no empty
    array, so "empty" is an absent localAuthorizationList."""
    version = _configured_version(ocpp_config)
    _keep_answering(station, version)
    step(
        "Manual Action: request the CSMS to send a Full Local Authorization List without "
        "AuthorizationData elements"
    )
    payload = await _send_local_list(
        station, csms_operator, {"versionNumber": version + 1, "updateType": "Full"}, 1
    )
    _check_update_type(payload, 1, "Full")
    check(
        not _entries(payload),
        "Step 1: SendLocalListRequest localAuthorizationList empty (D01.FR.04)",
        payload,
    )
    _check_version_above(payload, 1, 0, "D01.FR.18")


# -- D02: get the Local Authorization List version -------------------------------------------
async def _get_local_list_version(
    station: Station201, csms_operator: CsmsOperator, version: int
) -> None:
    """The CSMS sends a GetLocalListVersionRequest (it has no fields: it arriving,
    schema-valid, is what the table checks) and takes ``version`` for an answer (D02)."""
    step("Manual Action: request the CSMS to get the Local Authorization List version")
    step("1. The CSMS sends a GetLocalListVersionRequest")
    request = await csms_operator.request(station, "GetLocalListVersion", {})
    step(f"2. The OCTT responds with a GetLocalListVersionResponse with versionNumber {version}")
    await request.reply({"versionNumber": version})


@ocpp_case("TC_D_08_CSMS", version="2.0.1", requires="LA-2")
async def test_tc_d_08_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS can ask for the version of a station's Local Authorization List (D02.FR.01);
    the answer is OCTT's <Configured versionNumber>, ``[station] local_list_version``."""
    await _get_local_list_version(station, csms_operator, _configured_version(ocpp_config))


@ocpp_case("TC_D_09_CSMS", version="2.0.1")
async def test_tc_d_09_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can ask for the list version of a station that has no Local Authorization List
    and takes 0 for an answer (D02.FR.02)."""
    await _get_local_list_version(station, csms_operator, 0)

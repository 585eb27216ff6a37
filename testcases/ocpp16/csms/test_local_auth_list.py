"""OCTT 1.6, Central System under test, Local Auth List Management (OCTT 1.6 test case document,
§3.14.1 Get Local List Version TC_042_*, §3.14.2 Send Local Authorization List TC_043_*).

pytest-ocpp plays the Charge Point. The CSMS operator is asked to send the request each scenario
needs; the request is answered first and judged afterwards, so a failed check never leaves the
CSMS waiting. What OCTT leaves to the CSMS (the list version it numbers its list with, which
idTags it puts in the list) is not judged: only the tables' tool validations are.
"""

from __future__ import annotations

from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import IdTags
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station16, check

FULL_LIST_VERSION = 1
"""The listVersion the operator is asked for in a Full update; the CSMS may number its own."""

DIFFERENTIAL_LIST_VERSION = 2
"""The listVersion asked for in a Differential update: "the version number of the list after
the update has been applied" (OCPP 1.6 §6.41), above the 0 our station reports (§5.10)."""


# -- §3.14.1 Get Local List Version ----------------------------------------------------------
async def _get_local_list_version(
    station: Station16, csms_operator: CsmsOperator, list_version: int
) -> None:
    """TC_042_x: the CSMS sends GetLocalListVersion.req (OCPP 1.6 §5.10, §6.27: no fields) and
    takes the answer ``list_version``. The request arriving, schema-valid, is the CSMS-side
    validation: the table has none on its payload, which has no fields."""
    step("1. The Central System sends a GetLocalListVersion.req")
    request = await csms_operator.request(station, "GetLocalListVersion", {})
    step(
        f"2. The Charge Point responds with a GetLocalListVersion.conf (listVersion {list_version})"
    )
    await request.reply({"listVersion": list_version})


@ocpp_case("TC_042_1_CSMS")
async def test_tc_042_1_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """The CSMS can ask for the local list version of a charge point that does not support a
    Local Authorization List and takes -1 for an answer (OCPP 1.6 §5.10 Get Local List Version:
    "a version number of -1 SHALL be used to indicate that the Charge Point does not support
    Local Authorization Lists"). Only the answer plays the unsupported list: the station's
    SupportedFeatureProfiles stays as configured, since the CSMS is not judged on it."""
    await _get_local_list_version(station, csms_operator, -1)


@ocpp_case("TC_042_2_CSMS")
async def test_tc_042_2_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """The CSMS can ask for the local list version of a charge point whose list is empty and
    takes 0 for an answer (OCPP 1.6 §5.10: "a version number of 0 (zero) SHALL be used to
    indicate that the local authorization list is empty")."""
    await _get_local_list_version(station, csms_operator, 0)


# -- §3.14.2 Send Local Authorization List ---------------------------------------------------
def _local_list(tags: IdTags, update_type: str, list_version: int) -> dict[str, Any]:
    """The SendLocalList.req the operator is asked for: the configured valid idTag, Accepted
    (OCPP 1.6 §6.41, §7.1 AuthorizationData)."""
    return {
        "listVersion": list_version,
        "updateType": update_type,
        "localAuthorizationList": [{"idTag": tags.valid, "idTagInfo": {"status": "Accepted"}}],
    }


async def _send_local_list(
    station: Station16,
    csms_operator: CsmsOperator,
    tags: IdTags,
    *,
    update_type: str,
    list_version: int,
    answer: str,
    request_step: int,
) -> IncomingCall:
    """SendLocalList.req of ``update_type``, answered ``answer`` before it is judged; checks
    the table's "updateType should be ..." (OCPP 1.6 §5.15: the request "SHALL contain the type
    of update (full or differential)")."""
    step(f"{request_step}. The Central System sends a SendLocalList.req ({update_type})")
    request = await csms_operator.request(
        station, "SendLocalList", _local_list(tags, update_type, list_version)
    )
    step(f"{request_step + 1}. The Charge Point responds with a SendLocalList.conf ({answer})")
    await request.reply({"status": answer})
    check(
        request.payload["updateType"] == update_type,
        f"Step {request_step}: SendLocalList.req updateType {update_type} (OCPP 1.6 §5.15, "
        "§7.48 UpdateType)",
        request.payload,
    )
    return request


def _check_every_entry_has_id_tag_info(payload: dict[str, Any], request_step: int) -> None:
    """The table's "All localAuthorizationList entries have an idTagInfo". The prerequisite
    ("the Central System ... has at least 1 IdToken to add to the local authorization list")
    makes an empty list no answer to the scenario. For a Full update OCPP 1.6 §7.1 requires
    idTagInfo anyway; for a Differential one an entry without idTagInfo means "delete this
    idTag" (§7.1), which OCTT does not accept here: we follow OCTT."""
    entries = payload.get("localAuthorizationList") or []
    without = [entry.get("idTag") for entry in entries if "idTagInfo" not in entry]
    check(
        bool(entries) and not without,
        f"Step {request_step}: SendLocalList.req localAuthorizationList with at least one entry, "
        f"every entry with an idTagInfo (OCTT; OCPP 1.6 §7.1 AuthorizationData); entries "
        f"without idTagInfo: {without}",
        payload,
    )


@ocpp_case("TC_043_1_CSMS")
async def test_tc_043_1_csms(station: Station16, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS sends a full local list and handles a NotSupported answer (OCPP 1.6 §5.15 Send
    Local List, §7.47 UpdateStatus NotSupported)."""
    await _send_local_list(
        station,
        csms_operator,
        tags,
        update_type="Full",
        list_version=FULL_LIST_VERSION,
        answer="NotSupported",
        request_step=1,
    )


@ocpp_case("TC_043_3_CSMS")
async def test_tc_043_3_csms(station: Station16, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS sends a full local list and handles a Failed answer (OCPP 1.6 §5.15, §7.47
    UpdateStatus Failed). §5.15's retry with a Full list concerns a failed Differential update
    only, so nothing further is expected."""
    await _send_local_list(
        station,
        csms_operator,
        tags,
        update_type="Full",
        list_version=FULL_LIST_VERSION,
        answer="Failed",
        request_step=1,
    )


@ocpp_case("TC_043_4_CSMS")
async def test_tc_043_4_csms(station: Station16, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS replaces the charge point's local list with a full one whose every entry
    carries an idTagInfo (OCPP 1.6 §5.15, §6.41, §7.1: idTagInfo "Required when UpdateType is
    Full")."""
    request = await _send_local_list(
        station,
        csms_operator,
        tags,
        update_type="Full",
        list_version=FULL_LIST_VERSION,
        answer="Accepted",
        request_step=1,
    )
    _check_every_entry_has_id_tag_info(request.payload, 1)


@ocpp_case("TC_043_5_CSMS")
async def test_tc_043_5_csms(station: Station16, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS updates the charge point's local list with a differential one (OCPP 1.6 §5.15,
    §6.41). Steps 1-2 (GetLocalListVersion) are optional in OCTT: a CSMS that asks first gets
    our station's answer, listVersion 0 (an empty list, §5.10), from its standing handler; one
    that does not is not judged for it."""
    step(
        "1. (optional) The Central System may send a GetLocalListVersion.req; 2. the Charge "
        "Point responds with a GetLocalListVersion.conf (listVersion 0)"
    )
    since = station.link.mark()
    request = await _send_local_list(
        station,
        csms_operator,
        tags,
        update_type="Differential",
        list_version=DIFFERENTIAL_LIST_VERSION,
        answer="Accepted",
        request_step=3,
    )
    asked = [i for i in station.link.inbox[since:] if i.action == "GetLocalListVersion"]
    station.link.trace.event(
        station.station_id,
        "optional steps 1-2: the Central System "
        + ("asked for the list version first" if asked else "did not ask for the list version"),
    )
    _check_every_entry_has_id_tag_info(request.payload, 3)

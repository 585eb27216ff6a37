"""OCTT 1.6, Charge Point under test, Local Auth List Management (OCTT 1.6 test case document,
§2.17: TC_042_*, TC_043_*, TC_008_*).

pytest-ocpp plays the Central System. Each case puts the station in the table's "Before"
configuration state with ChangeConfiguration, restores the previous values afterwards, and
leaves no local list installed (OCTT 1.6 §1.3 post-condition: "no installed local
authorization list").
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import OcppConfig
from pytest_ocpp.csms import FakeCsms16 as FakeCsms
from pytest_ocpp.csms import StationConnection
from pytest_ocpp.verdicts import NotApplicable, check, check_octt

PROFILE = "LocalAuthListManagement"


# -- capabilities ------------------------------------------------------------------------------
def _require_no_profile(ocpp_config: OcppConfig) -> None:
    if PROFILE in ocpp_config.station.features:
        raise NotApplicable(
            f"negative variant for stations without the {PROFILE} feature profile, which this "
            "station declares"
        )


# -- configuration states ----------------------------------------------------------------------
async def _change(sut: StationConnection, key: str, value: str) -> str:
    answer = await sut.call("ChangeConfiguration", {"key": key, "value": value})
    return str(answer["status"])


async def _clear_local_list(csms: FakeCsms) -> None:
    """Leave no list installed: a Full update without entries (as in TC_042_2_CS)."""
    sut = await csms.station()
    await sut.call("SendLocalList", {"listVersion": 1, "updateType": "Full"}, allow_error=True)


@asynccontextmanager
async def _list_cleared_after(csms: FakeCsms) -> AsyncIterator[None]:
    """Clear the local list when the block ends, without hiding the scenario's verdict."""
    failed = False
    try:
        yield
    except BaseException:
        failed = True
        raise
    finally:
        try:
            await _clear_local_list(csms)
        except Exception:
            if not failed:
                raise


def _entry(id_tag: str, status: str = "Accepted") -> dict[str, Any]:
    return {"idTag": id_tag, "idTagInfo": {"status": status}}


# -- 2.17.1 Get Local List Version -------------------------------------------------------------
@ocpp_case("TC_042_1_CS")
async def test_tc_042_1_cs(csms, station_operator, ocpp_config) -> None:
    """OCTT TC_042_1_CS: GetLocalListVersion answers listVersion -1 or CallError NotSupported.
    Its prerequisite: the station does not support the profile, or allows LocalAuthListEnabled
    false. Applicability is decided from what the station declares ([station] features).

    OCPP 1.6 §5.10 reserves -1 for a Charge Point that "does not support Local Authorization
    Lists": for a station without the profile that is the specification's rule. For one that
    declares the profile and only has the list disabled (§9.2.1), the specification states no
    value; OCTT still requires -1, so such a failure is marked OCTT-specific."""
    sut = await csms.ready(station_operator)
    declared = PROFILE in ocpp_config.station.features
    key = "LocalAuthListEnabled"
    step("Before: LocalAuthListEnabled is false (if implemented)")
    async with csms.configured(sut, {}, {key: "false"}) as holding:
        if declared and key not in holding:
            raise NotApplicable(
                f"the station declares {PROFILE} and does not allow {key}=false (the "
                "prerequisite of TC_042_1_CS)"
            )
        step("1-2. GetLocalListVersion.req; the Charge Point answers")
        answer = await sut.call("GetLocalListVersion", {}, allow_error=True)
        if "errorCode" in answer:
            ok = answer["errorCode"] == "NotSupported"
            received: object = answer
        else:
            ok = answer["listVersion"] == -1
            received = answer["listVersion"]
        expectation = "GetLocalListVersion.conf listVersion -1 or CallError NotSupported"
        if not declared:
            check(
                ok,
                f"{expectation} (OCPP 1.6 §5.10: -1 indicates that the Charge Point does not "
                "support Local Authorization Lists)",
                received,
            )
        else:
            check_octt(
                ok,
                f"{expectation} ({key} is false)",
                received,
                octt="TC_042_1_CS step 2 (listVersion is -1, for a station that allows "
                "LocalAuthListEnabled=false)",
                spec="OCPP 1.6 §5.10 reserves -1 for a Charge Point that does not support "
                "Local Authorization Lists; for a supported but disabled list (§9.2.1) it states "
                "no value",
            )


@ocpp_case("TC_042_2_CS")
async def test_tc_042_2_cs(csms, station_operator, ocpp_config) -> None:
    """OCPP 1.6 §5.10: listVersion 0 means the local list is empty, whatever version the empty
    Full update carried."""
    csms.require_profile(PROFILE)
    sut = await csms.ready(station_operator)
    step("Before: LocalAuthListEnabled is true")
    async with csms.configured(sut, {"LocalAuthListEnabled": "true"}):
        step("1-2. SendLocalList.req Full, listVersion 1, no localAuthorizationList")
        answer = await sut.call("SendLocalList", {"listVersion": 1, "updateType": "Full"})
        check(answer["status"] == "Accepted", "SendLocalList.conf status Accepted", answer)
        step("3-4. GetLocalListVersion.req")
        version = await sut.call("GetLocalListVersion", {})
        check(
            version["listVersion"] == 0,
            "GetLocalListVersion.conf listVersion 0 (empty list, OCPP 1.6 §5.10)",
            version["listVersion"],
        )


# -- 2.17.2 Send Local Authorization List ------------------------------------------------------
@ocpp_case("TC_043_CS")
async def test_tc_043_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.15: a station with the profile accepts a Full and then a Differential local
    list update."""
    csms.require_profile(PROFILE)
    sut = await csms.ready(station_operator)
    step("Before: LocalAuthListEnabled is true")
    async with csms.configured(sut, {"LocalAuthListEnabled": "true"}), _list_cleared_after(csms):
        step("1-2. SendLocalList.req Full")
        full = {
            "listVersion": 1,
            "updateType": "Full",
            "localAuthorizationList": [_entry(tags.valid)],
        }
        answer = await sut.call("SendLocalList", full)
        check(answer["status"] == "Accepted", "SendLocalList.conf status Accepted", answer)
        step("3-4. SendLocalList.req Differential")
        differential = {
            "listVersion": 2,
            "updateType": "Differential",
            "localAuthorizationList": [_entry(tags.valid_2)],
        }
        answer = await sut.call("SendLocalList", differential)
        check(answer["status"] == "Accepted", "SendLocalList.conf status Accepted", answer)


@ocpp_case("TC_043_1_CS")
async def test_tc_043_1_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.15 / §7.47 UpdateStatus NotSupported: a station without the profile refuses
    a local list instead of pretending to install it."""
    _require_no_profile(ocpp_config)
    sut = await csms.ready(station_operator)
    async with _list_cleared_after(csms):
        step("1-2. SendLocalList.req Full; the Charge Point answers")
        full = {
            "listVersion": 1,
            "updateType": "Full",
            "localAuthorizationList": [_entry(tags.valid)],
        }
        answer = await sut.call("SendLocalList", full, allow_error=True)
        if "errorCode" in answer:
            check(
                answer["errorCode"] == "NotSupported",
                "SendLocalList.conf status NotSupported or CallError NotSupported",
                answer,
            )
        else:
            check(
                answer["status"] == "NotSupported",
                "SendLocalList.conf status NotSupported (no Local Auth List Management)",
                answer["status"],
            )


@ocpp_case("TC_043_2_CS")
async def test_tc_043_2_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.15: a Differential update whose version is not newer than the installed list
    is refused with VersionMismatch and leaves the list (and its version) as it was."""
    csms.require_profile(PROFILE)
    sut = await csms.ready(station_operator)
    step("Before: LocalAuthListEnabled is true")
    async with csms.configured(sut, {"LocalAuthListEnabled": "true"}), _list_cleared_after(csms):
        step("1-2. SendLocalList.req Full, listVersion 2")
        answer = await sut.call(
            "SendLocalList",
            {
                "listVersion": 2,
                "updateType": "Full",
                "localAuthorizationList": [_entry(tags.valid)],
            },
        )
        check(answer["status"] == "Accepted", "SendLocalList.conf status Accepted", answer)
        step("3-4. GetLocalListVersion.req")
        version = await sut.call("GetLocalListVersion", {})
        check(version["listVersion"] == 2, "GetLocalListVersion.conf listVersion 2", version)
        step("5-6. SendLocalList.req Differential, listVersion 5")
        answer = await sut.call(
            "SendLocalList",
            {
                "listVersion": 5,
                "updateType": "Differential",
                "localAuthorizationList": [_entry(tags.valid_2)],
            },
        )
        check(answer["status"] == "Accepted", "SendLocalList.conf status Accepted", answer)
        step("7-8. GetLocalListVersion.req")
        version = await sut.call("GetLocalListVersion", {})
        check(version["listVersion"] == 5, "GetLocalListVersion.conf listVersion 5", version)
        step("9-10. SendLocalList.req Differential, listVersion 4 (older)")
        answer = await sut.call(
            "SendLocalList",
            {
                "listVersion": 4,
                "updateType": "Differential",
                "localAuthorizationList": [_entry(tags.valid_with_parent)],
            },
        )
        check(
            answer["status"] == "VersionMismatch",
            "SendLocalList.conf status VersionMismatch",
            answer,
        )
        step("11-12. GetLocalListVersion.req")
        version = await sut.call("GetLocalListVersion", {})
        check(
            version["listVersion"] == 5,
            "GetLocalListVersion.conf listVersion still 5 after the refused update",
            version,
        )


@ocpp_case("TC_043_3_CS")
async def test_tc_043_3_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §7.47 UpdateStatus Failed: a station that cannot store a list says so rather
    than answering Accepted."""
    csms.require_profile(PROFILE)
    sut = await csms.ready(station_operator)
    step("Before: LocalAuthListEnabled is true")
    async with csms.configured(sut, {"LocalAuthListEnabled": "true"}), _list_cleared_after(csms):
        step("[Prerequisite: the Charge Point is in a state in which it fails to set a list]")
        await station_operator.perform("set_local_list_failure", failing=True)
        try:
            step("1-2. SendLocalList.req Full, listVersion 2")
            answer = await sut.call(
                "SendLocalList",
                {
                    "listVersion": 2,
                    "updateType": "Full",
                    "localAuthorizationList": [_entry(tags.valid)],
                },
            )
            check(answer["status"] == "Failed", "SendLocalList.conf status Failed", answer)
        finally:
            await station_operator.perform("set_local_list_failure", failing=False)


# -- 2.17.3 Start Charging Session – Id in Local Authorization List ----------------------------
async def _start_with_local_list(
    csms: FakeCsms,
    station_operator: Any,
    ocpp_config: OcppConfig,
    id_tag: str,
    *,
    remote: bool,
) -> None:
    """The TC_008 scenario: install a list holding ``id_tag``, plug in, start (by a card swipe
    or RemoteStartTransaction), and check that the transaction started on the list's word.

    LocalPreAuthorize true means the station starts "without waiting for or requesting an
    Authorize.conf" for locally authorized identifiers (OCPP 1.6 §9.1.13), and with
    AuthorizeRemoteTxRequests true a remote start behaves as a local one (§5.11): so an
    Authorize.req for the listed tag is a failure, the proof that the list was used."""
    csms.require_profile(PROFILE)
    sut = await csms.ready(station_operator)
    required = {"LocalPreAuthorize": "true", "LocalAuthListEnabled": "true"}
    prerequisites = {"AuthorizeRemoteTxRequests": "true"} if remote else {}
    step(
        "Before: LocalPreAuthorize true, AuthorizationCacheEnabled false (if implemented), "
        "LocalAuthListEnabled true" + (", AuthorizeRemoteTxRequests true" if remote else "")
    )
    async with (
        csms.configured(sut, required, {"AuthorizationCacheEnabled": "false"}, prerequisites),
        _list_cleared_after(csms),
    ):
        step("1-2. GetLocalListVersion.req")
        await sut.call("GetLocalListVersion", {})
        step("3-4. SendLocalList.req Full with the valid idTag, Accepted")
        answer = await sut.call(
            "SendLocalList",
            {"listVersion": 1, "updateType": "Full", "localAuthorizationList": [_entry(id_tag)]},
        )
        check(answer["status"] == "Accepted", "SendLocalList.conf status Accepted", answer)
        step("[EV driver plugs in the cable.] 5. StatusNotification.req Preparing")
        mark = sut.mark()
        await station_operator.plug_in(csms.connector)
        preparing = await sut.wait_for(
            "StatusNotification",
            lambda p: p["connectorId"] == csms.connector and p["status"] != "Available",
            since=mark,
            describe=f"StatusNotification.req connectorId {csms.connector} after plug-in",
        )
        check(
            preparing.payload["status"] == "Preparing",
            "StatusNotification.req status Preparing",
            preparing.payload,
        )
        mark = sut.mark()
        if remote:
            step("7-8. RemoteStartTransaction.req with the listed idTag")
            answer = await sut.call(
                "RemoteStartTransaction", {"connectorId": csms.connector, "idTag": id_tag}
            )
            check(
                answer["status"] == "Accepted",
                "RemoteStartTransaction.conf status Accepted",
                answer,
            )
        else:
            step("[EV driver presents the listed idTag.]")
            await station_operator.present_id_tag(id_tag, csms.connector)
        step("9-10. StartTransaction.req, answered idTagInfo Accepted")
        start = await sut.wait_for(
            "StartTransaction",
            lambda p: p["connectorId"] == csms.connector,
            since=mark,
            describe=f"StartTransaction.req on connector {csms.connector}",
        )
        check(
            start.payload["idTag"] == id_tag, f"StartTransaction.req idTag {id_tag}", start.payload
        )
        asked = [
            c
            for c in sut.link.inbox[mark : sut.link.inbox.index(start)]
            if c.action == "Authorize" and c.payload.get("idTag") == id_tag
        ]
        check(
            not asked,
            "no Authorize.req for an idTag on the local list with LocalPreAuthorize true "
            "(OCPP 1.6 §9.1.13: start without waiting for or requesting an Authorize.conf)",
            [c.payload for c in asked],
        )
        step("11-12. StatusNotification.req Charging")
        await sut.wait_for(
            "StatusNotification",
            lambda p: p["connectorId"] == csms.connector and p["status"] == "Charging",
            since=mark,
            describe=f"StatusNotification.req connectorId {csms.connector} Charging",
        )
        await _end_session(csms, sut, station_operator, start)


async def _end_session(
    csms: FakeCsms, sut: StationConnection, station_operator: Any, start: Any
) -> None:
    """Back to the general precondition (OCTT 1.6 §1.3): stop the transaction remotely, unplug,
    connector Available."""
    step("After: stop the transaction and unplug")
    transaction_id = (start.reply_payload or {}).get("transactionId")
    mark = sut.mark()
    if transaction_id is not None:
        await sut.call("RemoteStopTransaction", {"transactionId": transaction_id})
        await sut.wait_for(
            "StopTransaction",
            lambda p: p["transactionId"] == transaction_id,
            since=mark,
            describe=f"StopTransaction.req for transaction {transaction_id}",
        )
    await station_operator.plug_out(csms.connector)
    await sut.wait_for(
        "StatusNotification",
        lambda p: p["connectorId"] == csms.connector and p["status"] == "Available",
        since=mark,
        describe=f"StatusNotification.req connectorId {csms.connector} Available after unplugging",
    )


@ocpp_case("TC_008_CS")
async def test_tc_008_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §3.5.2, §5.11, §9.1.13: a remote start for an idTag on the local list starts on
    the list's word (FINAL 2024-04 table 54; the newer revision calls it TC_008_2_CS)."""
    await _start_with_local_list(csms, station_operator, ocpp_config, tags.valid, remote=True)


@ocpp_case("TC_008_1_CS")
async def test_tc_008_1_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §3.5.2, §9.1.13: a regular (local) start with an idTag on the local list
    starts without an Authorize.req (newer OCTT revision's split of TC_008_CS, local start)."""
    await _start_with_local_list(csms, station_operator, ocpp_config, tags.valid, remote=False)


@ocpp_case("TC_008_2_CS")
async def test_tc_008_2_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §3.5.2, §5.11, §9.1.13: a remote start for an idTag on the local list starts
    without an Authorize.req (newer OCTT revision's split of TC_008_CS, remote start)."""
    await _start_with_local_list(csms, station_operator, ocpp_config, tags.valid, remote=True)

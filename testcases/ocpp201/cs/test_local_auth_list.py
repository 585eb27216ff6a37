"""OCPP 2.0.1, Charging Station under test, D. Local Authorization List Management (2.0.1
Edition 3 Part 6 §2.5).

pytest-ocpp plays the CSMS (the OCTT column). Each case first re-establishes Part 6 §2.1's
general preconditions (``csms.ready``). OCTT's <Configured versionNumber> is ``[station]
local_list_version`` (2 when the config has none: TC_D_06 needs it above 1). The memory state
IdTokenLocalAuthList (Part 6 §2.19, Table 444) is the fake CSMS's ``id_token_local_auth_list``.

Departure common to every case: Table 444 and TC_D_01 list only ``idToken`` for the entry of a
Full list. A Full list entry without ``idTokenInfo`` says nothing about the token (Part 2
AuthorizationData: idTokenInfo "required when UpdateType is Full"), so the entry carries
``idTokenInfo.status Accepted``, the status that makes the token "valid" as the tables mean.
"""

from __future__ import annotations

from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import check, not_applicable

DEFAULT_VERSION = 2
"""<Configured versionNumber> when ``[station] local_list_version`` is not set."""


def configured_version(csms: FakeCsms201) -> int:
    """OCTT's <Configured versionNumber> (``[station] local_list_version``)."""
    return int(csms.config.station.extra.get("local_list_version", DEFAULT_VERSION))


def list_entry(
    csms: FakeCsms201, value: str | None = None, status: str = "Accepted"
) -> dict[str, Any]:
    """An AuthorizationData entry for a configured token with ``idTokenInfo.status``."""
    return {"idToken": csms.id_token(value), "idTokenInfo": {"status": status}}


async def send_local_list(
    sut: StationConnection,
    label: str,
    update_type: str,
    version: int,
    entries: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    """A SendLocalListRequest; ``entries`` None leaves localAuthorizationList out (<Empty>)."""
    step(
        f"{label} The OCTT sends a SendLocalListRequest updateType {update_type}, versionNumber {version}"
    )
    payload: dict[str, Any] = {"versionNumber": version, "updateType": update_type}
    if entries is not None:
        payload["localAuthorizationList"] = entries
    return await sut.call("SendLocalList", payload)


async def _enable_list(csms: FakeCsms201, sut: StationConnection) -> None:
    """Configuration State "LocalAuthListEnabled is true (If implemented)"."""
    if await csms.get_variable(sut, "LocalAuthListCtrlr.Enabled") is not None:
        await csms.configure(sut, {"LocalAuthListCtrlr.Enabled": "true"})


async def _version_is(sut: StationConnection, label: str, expected: int) -> None:
    step(f"{label} The OCTT sends a GetLocalListVersionRequest")
    answer = await sut.call("GetLocalListVersion", {})
    check(
        answer.get("versionNumber") == expected,
        f"{label} GetLocalListVersionResponse versionNumber {expected}",
        answer,
    )


@ocpp_case("TC_D_01_CS", version="2.0.1")
async def test_tc_d_01_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Send Local Authorization List - Full (D01.FR.02, D01.FR.15): a Full list with the valid
    idToken is Accepted and GetLocalListVersion then reports its version (D02.FR.01)."""
    sut = await csms.ready(station_operator)
    await _enable_list(csms, sut)
    version = configured_version(csms)
    answer = await send_local_list(sut, "1.", "Full", version, [list_entry(csms)])
    check(
        answer.get("status") == "Accepted", "step 2: SendLocalListResponse status Accepted", answer
    )
    await _version_is(sut, "step 3/4:", version)


@ocpp_case("TC_D_02_CS", version="2.0.1")
async def test_tc_d_02_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Send Local Authorization List - Differential Update (D01.FR.02, D01.FR.16): after the
    valid idToken is installed, a Differential list adding valid_idtoken2 with version + 1 is
    Accepted and becomes the installed version."""
    sut = await csms.ready(station_operator)
    await _enable_list(csms, sut)
    await csms.id_token_local_auth_list(sut)
    version = configured_version(csms) + 1
    entry = list_entry(csms, csms.config.tags.valid_2)
    answer = await send_local_list(sut, "1.", "Differential", version, [entry])
    check(
        answer.get("status") == "Accepted", "step 2: SendLocalListResponse status Accepted", answer
    )
    await _version_is(sut, "step 3/4:", version)


@ocpp_case("TC_D_03_CS", version="2.0.1")
async def test_tc_d_03_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Send Local Authorization List - Differential Remove (D01.FR.02, D01.FR.17): a
    Differential list whose entry has no idTokenInfo (remove the valid idToken), version + 1,
    is Accepted and becomes the installed version."""
    sut = await csms.ready(station_operator)
    await _enable_list(csms, sut)
    await csms.id_token_local_auth_list(sut)
    version = configured_version(csms) + 1
    answer = await send_local_list(
        sut, "1.", "Differential", version, [{"idToken": csms.id_token()}]
    )
    check(
        answer.get("status") == "Accepted", "step 2: SendLocalListResponse status Accepted", answer
    )
    await _version_is(sut, "step 3/4:", version)


@ocpp_case("TC_D_04_CS", version="2.0.1")
async def test_tc_d_04_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Send Local Authorization List - Full with empty list (D01.FR.02, D01.FR.04): a Full
    update without localAuthorizationList (empties the list) is Accepted and its version is
    installed. <Empty> is sent as the field left out, which the schema allows (an empty array
    violates its minItems 1)."""
    sut = await csms.ready(station_operator)
    await _enable_list(csms, sut)
    await csms.id_token_local_auth_list(sut)
    version = configured_version(csms)
    answer = await send_local_list(sut, "1.", "Full", version, None)
    check(
        answer.get("status") == "Accepted", "step 2: SendLocalListResponse status Accepted", answer
    )
    await _version_is(sut, "step 3/4:", version)


@ocpp_case("TC_D_05_CS", version="2.0.1")
async def test_tc_d_05_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Send Local Authorization List - Differential with empty list (D01.FR.02, D01.FR.05): a
    Differential update without entries, version + 1, is Accepted and its version installed
    (D01.FR.05: the version number is updated even when nothing changes)."""
    sut = await csms.ready(station_operator)
    await _enable_list(csms, sut)
    await csms.id_token_local_auth_list(sut)
    version = configured_version(csms) + 1
    answer = await send_local_list(sut, "1.", "Differential", version, None)
    check(
        answer.get("status") == "Accepted", "step 2: SendLocalListResponse status Accepted", answer
    )
    await _version_is(sut, "step 3/4:", version)


@ocpp_case("TC_D_06_CS", version="2.0.1")
async def test_tc_d_06_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Send Local Authorization List - VersionMismatch (D01.FR.19): a Differential update
    with a version below the installed one is answered VersionMismatch and the installed
    version stays."""
    sut = await csms.ready(station_operator)
    version = configured_version(csms)
    if version <= 1:
        raise not_applicable(
            "the table needs <Configured versionNumber> > 1 ([station] local_list_version)"
        )
    await _enable_list(csms, sut)
    await csms.id_token_local_auth_list(sut)
    entry = list_entry(csms, csms.config.tags.valid_2)
    answer = await send_local_list(sut, "1.", "Differential", version - 1, [entry])
    check(
        answer.get("status") == "VersionMismatch",
        "step 2: SendLocalListResponse status VersionMismatch (D01.FR.19)",
        answer,
    )
    await _version_is(sut, "step 3/4:", version)


@ocpp_case("TC_D_07_CS", version="2.0.1")
async def test_tc_d_07_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Send Local Authorization List - Persistent over reboot (D01.FR.10): after the list is
    installed and the station reboots (Charging State Booted, reached by the Reset of
    reusable state Booted), GetLocalListVersion still reports the installed version."""
    sut = await csms.ready(station_operator)
    await _enable_list(csms, sut)
    await csms.id_token_local_auth_list(sut)
    step("(Charging State) Execute Reusable State Booted")
    sut = await csms.booted(sut, station_operator)
    await _version_is(sut, "step 1/2:", configured_version(csms))


@ocpp_case("TC_D_08_CS", version="2.0.1")
async def test_tc_d_08_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Get Local List Version - Success (D02.FR.01): the installed version is reported."""
    sut = await csms.ready(station_operator)
    await _enable_list(csms, sut)
    await csms.id_token_local_auth_list(sut)
    await _version_is(sut, "step 1/2:", configured_version(csms))


@ocpp_case("TC_D_10_CS", version="2.0.1")
async def test_tc_d_10_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Get Local List Version - Function disabled (D02.FR.03): with LocalAuthListEnabled false
    the station reports version 0. The table has no memory state; the list of an earlier case
    may still be installed, which is what makes the check meaningful."""
    sut = await csms.ready(station_operator)
    if await csms.get_variable(sut, "LocalAuthListCtrlr.Enabled") is not None:
        await csms.configure(sut, {"LocalAuthListCtrlr.Enabled": "false"})
    await _version_is(sut, "step 1/2:", 0)

"""OCPP 2.0.1, Charging Station under test, P. DataTransfer (2.0.1 Edition 3 Part 6 §2.17,
Tables 419-421; the 2025 errata change none of them).

pytest-ocpp plays the CSMS (the OCTT column of each scenario table). Each case first
re-establishes Part 6 §2.1's general preconditions (``csms.ready``), which also puts back the
variable TC_P_03_CS changes.

CustomData (Part 2 §1.4 "CustomData"): every OCPP 2.0.1 message and object may carry a
``customData`` object (CustomDataType: a vendorId and any further properties) that a receiver
not knowing it ignores. TC_P_03/04_CS are named "receive custom data" but their tables do not
show where the customData goes; the requests here carry it at the top and inside the objects
the table names (the SetVariableData/GetVariableData entry, the ChargingProfile and its
ChargingSchedulePeriod), vendorId ``org.openchargealliance.octt`` as in TC_P_01_CS.

Configured values: <Configured msgageId> is ``[station] data_transfer_message_id`` (default
``TestMessage``); TC_P_04_CS's <Configured chargingProfileId/duration/chargingRateUnit/
numberPhases> are ``[station] charging_profile_id`` (default 901), ``charging_schedule_duration``
(300), ``charging_rate_unit`` (A) and ``number_phases`` (3), the keys the CSMS-side smart
charging cases read.
"""

from __future__ import annotations

from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import check

OCTT_VENDOR_ID = "org.openchargealliance.octt"
"""TC_P_01_CS's vendorId, also the vendorId of the customData sent here."""

DEFAULT_MESSAGE_ID = "TestMessage"
"""<Configured msgageId> when ``[station] data_transfer_message_id`` is not set."""


def _custom_data(where: str) -> dict[str, Any]:
    """<CustomData>: a CustomDataType with the OCTT vendorId and one vendor property."""
    return {"vendorId": OCTT_VENDOR_ID, "pytestOcppNote": f"custom data in {where}"}


# -- P01 -----------------------------------------------------------------------------------------
@ocpp_case("TC_P_01_CS", version="2.0.1")
async def test_tc_p_01_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """DataTransfer of an unknown vendor (P01.FR.05/06): the station answers UnknownVendorId,
    UnknownMessageId or Rejected (Part 6 also allows Rejected, for stations without any
    vendor-specific feature). Prerequisite: the vendorId is not implemented by the station."""
    sut = await csms.ready(station_operator)
    message_id = str(csms.config.station.extra.get("data_transfer_message_id", DEFAULT_MESSAGE_ID))
    step(f"1. The OCTT sends a DataTransferRequest with vendorId {OCTT_VENDOR_ID}")
    answer = await sut.call("DataTransfer", {"vendorId": OCTT_VENDOR_ID, "messageId": message_id})
    check(
        answer.get("status") in ("UnknownVendorId", "UnknownMessageId", "Rejected"),
        "Step 2: DataTransferResponse status must be UnknownVendorId OR UnknownMessageId OR "
        "Rejected (P01.FR.05/06)",
        answer,
    )


# -- customData ----------------------------------------------------------------------------------
@ocpp_case("TC_P_03_CS", version="2.0.1")
async def test_tc_p_03_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Requests carrying customData are handled as without it: SetVariables
    OCPPCommCtrlr.OfflineThreshold = 200 (Actual) Accepted, and GetVariables then reads 200
    (attributeType Actual or omitted). Departures: the table's component name "OCPPCommCtrl" is
    the Part 2 controller OCPPCommCtrlr; the customData (see the module docstring) is ours. The
    variable is put back when the next case starts."""
    sut = await csms.ready(station_operator)
    # Read first, so that the next case's preconditions put the value back.
    await csms.get_variable(sut, "OCPPCommCtrlr.OfflineThreshold")
    component = {"name": "OCPPCommCtrlr"}
    variable = {"name": "OfflineThreshold"}
    step("1. The OCTT sends a SetVariablesRequest OCPPCommCtrlr.OfflineThreshold = 200 (Actual)")
    answer = await sut.call(
        "SetVariables",
        {
            "setVariableData": [
                {
                    "attributeType": "Actual",
                    "attributeValue": "200",
                    "component": component,
                    "variable": variable,
                    "customData": _custom_data("SetVariableData"),
                }
            ],
            "customData": _custom_data("SetVariablesRequest"),
        },
    )
    result = (answer.get("setVariableResult") or [{}])[0]
    check(
        result.get("attributeStatus") == "Accepted",
        "Step 2: SetVariablesResponse setVariableResult[0].attributeStatus Accepted",
        answer,
    )
    step("3. The OCTT sends a GetVariablesRequest OCPPCommCtrlr.OfflineThreshold (Actual)")
    answer = await sut.call(
        "GetVariables",
        {
            "getVariableData": [
                {
                    "attributeType": "Actual",
                    "component": component,
                    "variable": variable,
                    "customData": _custom_data("GetVariableData"),
                }
            ],
            "customData": _custom_data("GetVariablesRequest"),
        },
    )
    result = (answer.get("getVariableResult") or [{}])[0]
    check(
        result.get("attributeStatus") == "Accepted",
        "Step 4: GetVariablesResponse getVariableResult[0].attributeStatus Accepted",
        answer,
    )
    check(
        result.get("attributeType", "Actual") == "Actual",
        "Step 4: getVariableResult[0].attributeType Actual or omitted",
        answer,
    )
    check(
        result.get("attributeValue") == "200",
        "Step 4: getVariableResult[0].attributeValue 200",
        answer,
    )


async def _clear_profile(sut: StationConnection, profile_id: int) -> None:
    await sut.link.call("ClearChargingProfile", {"chargingProfileId": profile_id}, allow_error=True)


@ocpp_case("TC_P_04_CS", version="2.0.1", requires="SC-2.1 or SC-2.2")
async def test_tc_p_04_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A SetChargingProfileRequest with customData in the ChargingProfile and in its
    ChargingSchedulePeriod is Accepted: a TxDefaultProfile for the configured EVSE, limit 6 A
    or 6000 W. Prerequisite "supports Smart Charging": Part 5's charging rate units (SC-2.1
    A, SC-2.2 W). The fields the table leaves out but the schema requires are the plainest:
    stackLevel 0, chargingProfileKind Relative (no startSchedule), chargingSchedule.id 1. The
    profile is cleared (ClearChargingProfile by id) when the next case starts."""
    sut = await csms.ready(station_operator)
    extra = csms.config.station.extra
    profile_id = int(extra.get("charging_profile_id", 901))
    unit = str(extra.get("charging_rate_unit", "A"))
    period: dict[str, Any] = {
        "startPeriod": 0,
        "limit": 6.0 if unit == "A" else 6000.0,
        "numberPhases": int(extra.get("number_phases", 3)),
        "customData": _custom_data("ChargingSchedulePeriod"),
    }
    profile = {
        "id": profile_id,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": [
            {
                "id": 1,
                "duration": int(extra.get("charging_schedule_duration", 300)),
                "chargingRateUnit": unit,
                "chargingSchedulePeriod": [period],
            }
        ],
        "customData": _custom_data("ChargingProfile"),
    }
    step(
        f"1. The OCTT sends a SetChargingProfileRequest (TxDefaultProfile {profile_id}, "
        "customData in the profile and its period)"
    )
    csms.after_case(f"charging profile {profile_id}", lambda s: _clear_profile(s, profile_id))
    answer = await sut.call("SetChargingProfile", {"evseId": csms.evse, "chargingProfile": profile})
    check(
        answer.get("status") == "Accepted",
        "Step 2: SetChargingProfileResponse status Accepted",
        answer,
    )

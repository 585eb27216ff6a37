"""OCPP 2.0.1, Charging Station under test, F. Remote Control: TriggerMessage for the status
notifications of a transfer in progress (2.0.1 Edition 3 Part 6 §2.7, Tables 189 and 192,
errata 6.2.59). The other F cases are in test_remote_control.py.

A LogStatusNotification (TC_F_16) or FirmwareStatusNotification (TC_F_19) is triggered while
an upload / a download is in progress: pytest-ocpp's file server (:mod:`pytest_ocpp.fileserver`)
keeps the transfer going for ``[station] transfer_hold`` seconds (default 1) so the request
arrives during it, on a real charger as on the reference station. The triggered message must
report the transfer's status and requestId (F06.FR.15/16 send Idle only when nothing is in
progress; N01 and L01.FR.20/26: requestId unless Idle).
"""

from __future__ import annotations

import contextlib
import itertools
import random

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import TargetFailure, check

from ._firmware_support import (
    FirmwareRun,
    expect_log_status,
    firmware_setup,
    get_log,
    hours_ago,
    log_server,
    ready,
    update_firmware,
)

_REQUEST_IDS = itertools.count(random.randint(1000, 900000))


async def _trigger(sut: StationConnection, requested: str) -> int:
    """Steps 5/6: TriggerMessageRequest ``requested``, answered Accepted. Returns the inbox
    mark before it (the triggered message may come before the answer is read)."""
    mark = sut.mark()
    step(f"5. The OCTT sends a TriggerMessageRequest with requestedMessage {requested}")
    answer = await sut.call("TriggerMessage", {"requestedMessage": requested})
    check(
        answer.get("status") == "Accepted",
        "Step 6: TriggerMessageResponse status must be Accepted",
        answer,
    )
    return mark


@ocpp_case("TC_F_16_CS", version="2.0.1", requires="C-29.3")
async def test_tc_f_16_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Triggered LogStatusNotification while uploading (F06.FR.04/05/10/14): GetLog
    DiagnosticsLog to <Configured log_location> Accepted; LogStatusNotification Uploading;
    TriggerMessage LogStatusNotification Accepted; a LogStatusNotification Uploading with the
    GetLog's requestId. The upload's end is awaited (not judged) so no upload runs into the
    next case."""
    server = await log_server(csms)
    sut = await ready(csms, station_operator)
    request_id = next(_REQUEST_IDS)
    mark = sut.mark()
    location = server.upload_url("trigger", hold=True)
    answer = await get_log(sut, "DiagnosticsLog", request_id, location, "1.")
    check(
        answer.get("status") == "Accepted", "Step 2: GetLogResponse status must be Accepted", answer
    )
    await expect_log_status(csms, sut, ("Uploading",), request_id, mark, "Step 3:")
    since = await _trigger(sut, "LogStatusNotification")
    step("7. The Charging Station sends a LogStatusNotificationRequest")
    item = await sut.wait_for(
        "LogStatusNotification",
        since=since,
        describe="Step 7: the triggered LogStatusNotificationRequest",
    )
    check(
        item.payload.get("status") == "Uploading",
        "Step 7: LogStatusNotificationRequest status must be Uploading",
        item.payload,
    )
    check(
        item.payload.get("requestId") == request_id,
        f"Step 7: requestId {request_id}: an upload is in progress (N01, F06)",
        item.payload,
    )
    with contextlib.suppress(TargetFailure):  # clean-up: outside the scenario
        await sut.wait_for(
            "LogStatusNotification",
            lambda p: p.get("status") != "Uploading",
            since=since,
            timeout=csms.config.timeouts.transfer,
            describe="the end of the upload (clean-up)",
        )


@ocpp_case("TC_F_19_CS", version="2.0.1", requires="C-29.4")
async def test_tc_f_19_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Triggered FirmwareStatusNotification while downloading (F06.FR.04/05/10, L01.FR.26):
    UpdateFirmware (installDateTime omitted) with <Configured invalid firmware signature>
    (errata 6.2.59: the update then ends with InvalidSignature instead of installing),
    Accepted; FirmwareStatusNotification Downloading; TriggerMessage FirmwareStatusNotification
    Accepted; FirmwareStatusNotification Downloading. Steps 9-14 (Downloaded, InvalidSignature,
    SecurityEventNotification) are the erratum's clean-up: awaited, not judged."""
    setup = await firmware_setup(csms)
    sut = await ready(csms, station_operator)
    request_id = next(_REQUEST_IDS)
    mark = sut.mark()
    firmware = setup.firmware(
        location=setup.slow_location,
        retrieveDateTime=hours_ago(),
        installDateTime=None,
        signature=setup.invalid_signature,
    )
    answer = await update_firmware(sut, request_id, firmware, "1.")
    check(
        answer.get("status") == "Accepted",
        "Step 2: UpdateFirmwareResponse status must be Accepted",
        answer,
    )
    run = FirmwareRun(csms, sut, request_id, mark)
    await run.expect(("Downloading",), "Step 3:")
    since = await _trigger(run.sut, "FirmwareStatusNotification")
    step("7. The Charging Station sends a FirmwareStatusNotificationRequest")
    item = await run.sut.wait_for(
        "FirmwareStatusNotification",
        since=since,
        describe="Step 7: the triggered FirmwareStatusNotificationRequest",
    )
    check(
        item.payload.get("status") == "Downloading",
        "Step 7: FirmwareStatusNotificationRequest status must be Downloading",
        item.payload,
    )
    check(
        item.payload.get("requestId") == request_id,
        f"Step 7: requestId {request_id}: a firmware update is in progress (L01.FR.20)",
        item.payload,
    )
    with contextlib.suppress(TargetFailure):  # errata 6.2.59 clean-up, not judged
        await run.sut.wait_for(
            "SecurityEventNotification",
            lambda p: p.get("type") == "InvalidFirmwareSignature",
            since=since,
            timeout=csms.config.timeouts.transfer,
            describe="the end of the update (clean-up)",
        )

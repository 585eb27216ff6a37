"""OCPP 2.0.1, Charging Station under test, N. Diagnostics: log retrieval (2.0.1 Edition 3
Part 6 §2.15, Tables 358, 359, 369-371, errata 6.2.93 and 6.2.97).

pytest-ocpp plays the CSMS: GetLogRequest with a remoteLocation on pytest-ocpp's own HTTP
file server (:mod:`pytest_ocpp.fileserver`), which accepts PUT and multipart POST uploads, so
a case proves that the log file really arrived before the station said Uploaded (N01.FR.09);
a location with a non-existing path makes every upload fail (TC_N_26). Upload waits are the
station's to pace and use ``--ocpp-transfer-timeout``.

Configuration (``[station]``): ``log_retry_interval`` (TC_N_26 <Configured retryInterval>,
default 1 s), ``log_type`` (TC_N_36 <Configured logType>, default DiagnosticsLog),
``log_type_without_logs`` (TC_N_34: a logType the station has no information of; the case is
not applicable without it, its prerequisite), ``transfer_hold`` (how long the file server
keeps an upload in progress for TC_N_36, default 1 s).
"""

from __future__ import annotations

import itertools
import random
import time

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import TargetTimeout, check, not_applicable

from ._firmware_support import (
    FAILED,
    TRANSFER,
    expect_log_status,
    get_log,
    log_server,
    ready,
    upload_arrived,
)

_REQUEST_IDS = itertools.count(random.randint(1000, 900000))


async def _success(
    csms: FakeCsms201, station_operator: StationOperator, log_type: str, *, filename: bool
) -> None:
    """TC_N_25/35: GetLog Accepted (with a filename for TC_N_25), Uploading, Uploaded with
    the requestId, and the file at the location."""
    server = await log_server(csms)
    sut = await ready(csms, station_operator)
    request_id = next(_REQUEST_IDS)
    location = server.upload_url(f"{log_type}-{request_id}")
    mark, upload_mark = sut.mark(), server.mark()
    answer = await get_log(sut, log_type, request_id, location, "1.")
    check(answer.get("status") == "Accepted", "Step 2: GetLogResponse status Accepted", answer)
    await expect_log_status(csms, sut, ("Uploading",), request_id, mark, "Step 3:")
    await expect_log_status(csms, sut, ("Uploaded",), request_id, mark, "Step 5:")
    await upload_arrived(csms, server, upload_mark, location, "Step 5")
    if filename:  # judged last: the upload it started has ended (no cascade)
        check(
            bool(answer.get("filename")),
            "Step 2: GetLogResponse filename not omitted AND not empty",
            answer,
        )


@ocpp_case("TC_N_25_CS", version="2.0.1")
async def test_tc_n_25_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Diagnostics log uploaded (N01.FR.01/02/04/07/08/09/13): GetLog DiagnosticsLog
    Accepted with a filename; LogStatusNotification Uploading then Uploaded, with the
    GetLogRequest's requestId (the table's "Updated" is a typo for Uploaded); the file is on
    the file server."""
    await _success(csms, station_operator, "DiagnosticsLog", filename=True)


@ocpp_case("TC_N_35_CS", version="2.0.1")
async def test_tc_n_35_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Security log uploaded (N01.FR.01/02/03/07/08/09/13): GetLog SecurityLog Accepted;
    Uploading then Uploaded with the requestId; the file is on the file server."""
    await _success(csms, station_operator, "SecurityLog", filename=False)


@ocpp_case("TC_N_26_CS", version="2.0.1")
async def test_tc_n_26_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Upload failed (N01.FR.10, errata 6.2.93): GetLog DiagnosticsLog, retries 3,
    retryInterval <Configured> (``[station] log_retry_interval``, default 1 s), to a location
    with a non-existing path (404): Uploading 1 or 4 times, then UploadFailure, BadMessage,
    PermissionDenied or NotSupportedOperation 1 or 4 times, the last one 3 x retryInterval
    after the first Uploading (a 10 % margin for the station's clock; later is a warning).
    The case waits at least 3 x retryInterval before ending, as the erratum asks."""
    server = await log_server(csms)
    interval = int(csms.config.station.extra.get("log_retry_interval", 1))
    sut = await ready(csms, station_operator)
    request_id = next(_REQUEST_IDS)
    mark = sut.mark()
    answer = await get_log(
        sut,
        "DiagnosticsLog",
        request_id,
        server.missing_url(),
        "1.",
        retries=3,
        retryInterval=interval,
    )
    check(answer.get("status") == "Accepted", "Step 2: GetLogResponse status Accepted", answer)
    first = await expect_log_status(csms, sut, ("Uploading",), request_id, mark, "Step 3:")
    failures: list[IncomingCall] = []
    uploads = 1
    end = first.received_at + 3 * interval
    while len(failures) < 4:
        # A station may report the failure once, after its retries (3 x retryInterval after
        # the first Uploading): the transfer timeout counts from there, not from Uploading.
        after = csms.config.timeouts.message if failures else csms.config.timeouts.transfer
        wait = max(0.0, end + after - time.time())
        try:
            item = await sut.wait_for(
                "LogStatusNotification",
                since=mark,
                timeout=wait,
                describe="LogStatusNotificationRequest UploadFailure (step 5)",
            )
        except TargetTimeout as exc:
            if failures:
                break
            raise TargetTimeout(f"{exc} ({TRANSFER})") from None
        status = item.payload.get("status")
        if status == "Uploading":
            uploads += 1
            continue
        check(
            status in FAILED and item.payload.get("requestId") == request_id,
            f"Step 5: LogStatusNotificationRequest status {' or '.join(FAILED)}, requestId "
            f"{request_id}",
            item.payload,
        )
        failures.append(item)
        if len(failures) == 1 and item.received_at >= end - 0.1 * 3 * interval:
            break  # one final report after the retries
    check(len(failures) in (1, 4), "Step 5: sent exactly 1 or 4 times (errata 6.2.93)", failures)
    check(uploads in (1, 4), "Step 3: Uploading sent exactly 1 or 4 times (errata 6.2.93)", uploads)
    elapsed = failures[-1].received_at - first.received_at
    check(
        elapsed >= 0.9 * 3 * interval,
        f"the last failure report {3 * interval} s (3 x retryInterval) after the first "
        f"Uploading (N01.FR.10); it came after {elapsed:.1f} s",
        [f.payload for f in failures],
    )
    if elapsed > 3 * interval + 5:
        warn(f"the last failure report came {elapsed:.1f} s after Uploading (3 x {interval} s)")


@ocpp_case("TC_N_34_CS", version="2.0.1")
async def test_tc_n_34_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """No log information (N01.FR.05): GetLog with <Configured logType> (``[station]
    log_type_without_logs``) is Rejected. Prerequisite "possible to have no log information
    available": not applicable unless that key names such a logType."""
    log_type = csms.config.station.extra.get("log_type_without_logs")
    if not log_type:
        raise not_applicable(
            "prerequisite: a logType the station has no information of ([station] "
            "log_type_without_logs)"
        )
    server = await log_server(csms)
    sut = await ready(csms, station_operator, transfer=False)
    answer = await get_log(sut, str(log_type), next(_REQUEST_IDS), server.upload_url(), "1.")
    check(answer.get("status") == "Rejected", "Step 2: GetLogResponse status Rejected", answer)


@ocpp_case("TC_N_36_CS", version="2.0.1", requires="C-57")
async def test_tc_n_36_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A second GetLog cancels the upload in progress (N01.FR.12): the first upload is kept in
    progress by the file server (``[station] transfer_hold`` s); the second GetLog is
    answered AcceptedCanceled, the first upload reported AcceptedCanceled (before or after
    that answer, errata 6.2.97); then Uploading and Uploaded for the second, whose file
    arrives."""
    server = await log_server(csms)
    log_type = str(csms.config.station.extra.get("log_type", "DiagnosticsLog"))
    sut = await ready(csms, station_operator)
    first_id, second_id = next(_REQUEST_IDS), next(_REQUEST_IDS)
    mark = sut.mark()
    answer = await get_log(sut, log_type, first_id, server.upload_url("held", hold=True), "1.")
    check(answer.get("status") == "Accepted", "Step 2: GetLogResponse status Accepted", answer)
    await expect_log_status(csms, sut, ("Uploading",), first_id, mark, "Step 3:")
    mark, upload_mark = sut.mark(), server.mark()
    location = server.upload_url(f"second-{second_id}")
    answer = await get_log(sut, log_type, second_id, location, "5.")
    check(
        answer.get("status") == "AcceptedCanceled",
        "Step 6: GetLogResponse status AcceptedCanceled",
        answer,
    )
    step("7. The Charging Station sends a LogStatusNotificationRequest AcceptedCanceled")
    canceled = await sut.wait_for(
        "LogStatusNotification",
        lambda p: p.get("requestId") == first_id,
        since=mark,
        timeout=csms.config.timeouts.transfer,
        describe=f"Step 7: LogStatusNotificationRequest AcceptedCanceled, requestId {first_id}",
    )
    check(
        canceled.payload.get("status") == "AcceptedCanceled",
        f"Step 7: LogStatusNotificationRequest status AcceptedCanceled (requestId {first_id})",
        canceled.payload,
    )
    await expect_log_status(csms, sut, ("Uploading",), second_id, mark, "Step 9:")
    await expect_log_status(csms, sut, ("Uploaded",), second_id, mark, "Step 11:")
    await upload_arrived(csms, server, upload_mark, location, "Step 11")

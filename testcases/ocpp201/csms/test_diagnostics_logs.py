"""OCPP 2.0.1, CSMS under test, N. Diagnostics: Retrieve Log Information (2.0.1 Edition 3
Part 6 §3.15, Tables 657, 666-668; the 2025 errata change none of these CSMS cases).

pytest-ocpp plays the Charging Station (the OCTT column of each table). The CSMS is made to send
its GetLogRequest through ``csms_operator``, asking for the log type the table validates, a
requestId of ours and the upload location ``[station] diagnostics_location`` (the 1.6 key; OCTT
does not prescribe one). A real CSMS may pick its own requestId: every LogStatusNotification
carries the requestId of the request that actually arrived (N01.FR.07). The upload itself is
simulated: the locations are never contacted. Every request is answered before it is judged, so
a failed check never leaves the CSMS waiting.

What every GetLogRequest the station accepts is held to, although the tables name it only in
their Description ("upload a file with log information to a given location (URL)"): N01's remark
that "the URL also contains the protocol which must be used to upload the file", i.e. an
absolute URL naming a file transfer protocol (FileTransferProtocolEnum of the FileTransferProtocols
variable: FTP, FTPS, HTTP, HTTPS, SFTP). A protocol the fake station does not list in its
``OCPPCommCtrlr.FileTransferProtocols`` is a warning, not a failure.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from pytest_ocpp import step
from pytest_ocpp.case import current
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import OcppConfig
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station201, check

DEFAULT_DIAGNOSTICS_LOCATION = "https://diagnostics.pytest-ocpp.invalid/logs/"
"""``[station] diagnostics_location`` when the config has none: a URL of the reserved
``.invalid`` domain (RFC 2606), since our station never uploads."""

LOG_FILE = "pytest-ocpp-{kind}.log"
"""The file name our station reports in an accepted GetLogResponse (N01.FR.01)."""

TRANSFER_PROTOCOLS = ("FTP", "FTPS", "HTTP", "HTTPS", "SFTP")
"""Part 2 FileTransferProtocolEnum: the protocols a log upload URL may name."""


def _location(ocpp_config: OcppConfig) -> str:
    return str(
        ocpp_config.station.extra.get("diagnostics_location") or DEFAULT_DIAGNOSTICS_LOCATION
    )


async def _get_log(
    station: Station201,
    csms_operator: CsmsOperator,
    ocpp_config: OcppConfig,
    *,
    number: int,
    kind: str,
    answer: str,
) -> dict[str, Any]:
    """Step ``number``: the CSMS sends a GetLogRequest for ``kind``; answered ``answer`` (with
    the file name when the upload is accepted, N01.FR.01) before it is judged. Returns the
    request payload."""
    step(f"{number}. The CSMS sends a GetLogRequest ({kind})")
    request: IncomingCall = await csms_operator.request(
        station,
        "GetLog",
        {
            "logType": kind,
            "requestId": secrets.randbelow(2**31 - 1) + 1,
            "log": {"remoteLocation": _location(ocpp_config)},
        },
    )
    step(f"{number + 1}. The OCTT responds with a GetLogResponse with status {answer}")
    reply: dict[str, Any] = {"status": answer}
    if answer != "Rejected":
        reply["filename"] = LOG_FILE.format(kind=kind)
    await request.reply(reply)
    return request.payload


def _check_location(station: Station201, payload: dict[str, Any], number: int) -> None:
    """N01 remark: the upload URL names the protocol to upload with (see the module doc)."""
    location = str((payload.get("log") or {}).get("remoteLocation", ""))
    parts = urlsplit(location)
    scheme = parts.scheme.upper()
    check(
        scheme in TRANSFER_PROTOCOLS and bool(parts.netloc),
        f"Step {number}: GetLogRequest log.remoteLocation an absolute URL naming the upload "
        f"protocol, one of {', '.join(TRANSFER_PROTOCOLS)} (N01: 'the URL also contains the "
        "protocol which must be used to upload the file')",
        payload,
    )
    offered = str(station.device_model.value("OCPPCommCtrlr.FileTransferProtocols") or "")
    if scheme not in {p.strip().upper() for p in offered.split(",")}:
        current().warn(
            f"GetLogRequest asks for an upload over {scheme}, which this station does not list "
            f"in OCPPCommCtrlr.FileTransferProtocols ({offered})"
        )


def _check_log_type(payload: dict[str, Any], kind: str, number: int) -> None:
    check(
        payload.get("logType") == kind,
        f"Step {number}: GetLogRequest logType {kind} (N01.FR.03/N01.FR.04: the station uploads "
        "the log type asked for)",
        payload,
    )


async def _log_status(station: Station201, number: int, status: str, request_id: Any) -> None:
    """Step ``number``: a LogStatusNotificationRequest the CSMS must answer (N01.FR.07: the
    requestId of the GetLogRequest that started the upload)."""
    step(
        f"{number}. The OCTT sends a LogStatusNotificationRequest with status {status}, "
        f"requestId {request_id}"
    )
    await station.call("LogStatusNotification", {"status": status, "requestId": request_id})


async def _successful_upload(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig, kind: str
) -> None:
    """Tables 657 and 667: GetLogRequest for ``kind`` accepted, then Uploading and Uploaded
    with its requestId, each answered by the CSMS."""
    payload = await _get_log(
        station, csms_operator, ocpp_config, number=1, kind=kind, answer="Accepted"
    )
    _check_log_type(payload, kind, 1)
    _check_location(station, payload, 1)
    await _log_status(station, 3, "Uploading", payload["requestId"])
    await _log_status(station, 5, "Uploaded", payload["requestId"])


@ocpp_case("TC_N_25_CSMS", version="2.0.1")
async def test_tc_n_25_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS has a station upload its diagnostics log and follows the upload (N01: GetLog
    logType DiagnosticsLog, N01.FR.04; LogStatusNotification Uploading then Uploaded with the
    request's requestId, N01.FR.07-09, each answered by the CSMS)."""
    await _successful_upload(station, csms_operator, ocpp_config, "DiagnosticsLog")


@ocpp_case("TC_N_35_CSMS", version="2.0.1")
async def test_tc_n_35_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS has a station upload its security log and follows the upload (N01: GetLog
    logType SecurityLog, N01.FR.03; Uploading then Uploaded, N01.FR.07-09).

    Table 667 says "6. The OCTT responds with a LogStatusNotificationResponse" for the last
    step; the OCTT is the station here, so the CSMS responds, as in Table 657."""
    await _successful_upload(station, csms_operator, ocpp_config, "SecurityLog")


@ocpp_case("TC_N_34_CSMS", version="2.0.1")
async def test_tc_n_34_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS sends a GetLogRequest that the station rejects (N01.FR.05: no log information
    available). Table 666 validates nothing of the request; the case fails only when the CSMS
    cannot send one (or the request is not valid 2.0.1). What the CSMS does with the
    rejection cannot be observed from the station."""
    await _get_log(
        station, csms_operator, ocpp_config, number=1, kind="DiagnosticsLog", answer="Rejected"
    )


@ocpp_case("TC_N_36_CSMS", version="2.0.1")
async def test_tc_n_36_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """A second GetLogRequest while the first upload runs: the station cancels the first
    (N01.FR.12, AcceptedCanceled; N01.FR.20) and uploads the second; the CSMS answers every
    LogStatusNotification.

    Table 668 validates nothing of the requests. Its steps 7 and 9 tell the two uploads apart
    by their requestIds ("from Step1", "from Step5"), which N01.FR.07 makes the only link
    between a LogStatusNotification and its GetLogRequest: the second request must carry a
    requestId of its own, and that is checked. Both requests are asked for DiagnosticsLog
    (the table names no log type); both locations are held to the module's URL rule."""
    first = await _get_log(
        station, csms_operator, ocpp_config, number=1, kind="DiagnosticsLog", answer="Accepted"
    )
    _check_location(station, first, 1)
    await _log_status(station, 3, "Uploading", first["requestId"])
    second = await _get_log(
        station,
        csms_operator,
        ocpp_config,
        number=5,
        kind="DiagnosticsLog",
        answer="AcceptedCanceled",
    )
    check(
        second.get("requestId") != first.get("requestId"),
        f"Step 5: the second GetLogRequest has a requestId other than the first one's "
        f"({first.get('requestId')}), so the canceled and the new upload can be told apart "
        "(N01.FR.07; Table 668 steps 7 and 9)",
        second,
    )
    _check_location(station, second, 5)
    await _log_status(station, 7, "AcceptedCanceled", first["requestId"])
    await _log_status(station, 9, "Uploading", second["requestId"])
    await _log_status(station, 11, "Uploaded", second["requestId"])

"""Tests of the reference CSMS, driven by a plain ``websockets`` client.

The reference is the target every CSMS test case is proven against, so it is checked here with
hand-written frames rather than with our own protocol core: a bug shared by both would
otherwise go unnoticed.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import sys
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
import pytest_asyncio
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from pytest_ocpp.reference.csms import DEFECTS, IdTagSpec, ReferenceCsms
from pytest_ocpp.reference.runner import BackgroundLoop

TIMEOUT = 5.0

TAGS = {
    "VALID": IdTagSpec("Accepted"),
    "CHILD": IdTagSpec("Accepted", parent_id_tag="PARENT"),
    "BLOCKED": IdTagSpec("Blocked"),
    "EXPIRED": IdTagSpec("Expired", expiry_date="2020-01-01T00:00:00.000Z"),
}

BOOT_16 = {"chargePointVendor": "Acme", "chargePointModel": "Model1"}
BOOT_201 = {"reason": "PowerUp", "chargingStation": {"vendorName": "Acme", "model": "Model1"}}
SECOND_16 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
MILLIS_201 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$")


@pytest_asyncio.fixture
async def csms() -> AsyncIterator[ReferenceCsms]:
    async with ReferenceCsms(id_tags=TAGS) as server:
        yield server


async def open_station(
    url: str, subprotocols: Sequence[str] = ("ocpp1.6",), **kwargs: Any
) -> ClientConnection:
    return await asyncio.wait_for(
        connect(url, subprotocols=list(subprotocols), open_timeout=TIMEOUT, **kwargs), TIMEOUT
    )


async def recv(ws: ClientConnection) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


async def call(ws: ClientConnection, action: str, payload: dict[str, Any], uid: str = "1") -> Any:
    await ws.send(json.dumps([2, uid, action, payload]))
    return await recv(ws)


def start_tx(id_tag: str) -> dict[str, Any]:
    return {"connectorId": 1, "idTag": id_tag, "meterStart": 0, "timestamp": "2026-01-01T00:00:00Z"}


# --- boot and handshake -------------------------------------------------------------------


@pytest.mark.asyncio
async def test_boot_16(csms: ReferenceCsms) -> None:
    """OCPP 1.6 §4.2: BootNotification Accepted with interval and a UTC currentTime."""
    async with await open_station(f"{csms.url}/CP1") as ws:
        assert ws.subprotocol == "ocpp1.6"
        message_type, uid, body = await call(ws, "BootNotification", BOOT_16)
        assert (message_type, uid) == (3, "1")
        assert body["status"] == "Accepted" and body["interval"] == 300
        assert SECOND_16.match(body["currentTime"])
        _, _, beat = await call(ws, "Heartbeat", {}, uid="2")
        assert SECOND_16.match(beat["currentTime"])


@pytest.mark.asyncio
async def test_boot_201_uses_milliseconds(csms: ReferenceCsms) -> None:
    """2.0.1 Part 2 dateTime: at most 3 fractional digits (B01, TC_B_01_CSMS)."""
    async with await open_station(f"{csms.url}/CP2", ["ocpp2.0.1"]) as ws:
        _, _, body = await call(ws, "BootNotification", BOOT_201)
        assert body["status"] == "Accepted"
        assert MILLIS_201.match(body["currentTime"]), body
        _, _, body = await call(
            ws,
            "NotifyReport",
            {"requestId": 1, "generatedAt": body["currentTime"], "seqNo": 0},
            "2",
        )
        assert body == {}


@pytest.mark.asyncio
async def test_client_preference_picks_subprotocol(csms: ReferenceCsms) -> None:
    """OCPP-J: the client lists subprotocols by preference; TC_B_58_CSMS echoes ocpp2.0.1."""
    async with await open_station(f"{csms.url}/CP1", ["ocpp0.1", "ocpp2.0.1"]) as ws:
        assert ws.subprotocol == "ocpp2.0.1"
    async with await open_station(f"{csms.url}/CP1", ["ocpp2.0.1", "ocpp1.6"]) as ws:
        assert ws.subprotocol == "ocpp2.0.1"


@pytest.mark.asyncio
async def test_unsupported_subprotocol_refused(csms: ReferenceCsms) -> None:
    """TC_B_58_CSMS: a client offering only ocpp0.1 must not get a connection."""
    with pytest.raises(InvalidStatus) as refused:
        await open_station(f"{csms.url}/CP1", ["ocpp0.1"])
    assert refused.value.response.status_code == 400


@pytest.mark.asyncio
async def test_version_restriction() -> None:
    """A reference serving only 1.6 does not accept ocpp2.0.1."""
    async with ReferenceCsms(versions=("1.6",)) as server:
        with pytest.raises(InvalidStatus):
            await open_station(f"{server.url}/CP1", ["ocpp2.0.1"])


@pytest.mark.asyncio
async def test_basic_auth() -> None:
    """Security profile 1: HTTP Basic with username = station id, else HTTP 401."""

    def header(user: str, password: str) -> dict[str, str]:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    async with ReferenceCsms(basic_auth={"CP1": "s3cret-password"}) as server:
        url = f"{server.url}/CP1"
        for headers in ({}, header("CP1", "wrong"), header("CP2", "s3cret-password")):
            with pytest.raises(InvalidStatus) as refused:
                await open_station(url, additional_headers=headers)
            assert refused.value.response.status_code == 401
        async with await open_station(url, additional_headers=header("CP1", "s3cret-password")):
            pass
    defective = ReferenceCsms(
        basic_auth={"CP1": "s3cret-password"}, defects=["accept_wrong_password"]
    )
    async with defective as server:
        async with await open_station(f"{server.url}/CP1", additional_headers=header("CP1", "x")):
            pass


@pytest.mark.asyncio
async def test_wrong_path_is_404(csms: ReferenceCsms) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await open_station(csms.url.replace("/ocpp", "/other") + "/CP1")
    assert refused.value.response.status_code == 404


@pytest.mark.asyncio
async def test_second_connection_replaces_first(csms: ReferenceCsms) -> None:
    async with await open_station(f"{csms.url}/CP1") as first:
        async with await open_station(f"{csms.url}/CP1") as second:
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(first.recv(), TIMEOUT)
            _, _, body = await call(second, "Heartbeat", {})
            assert "currentTime" in body


# --- authorization and transactions --------------------------------------------------------


@pytest.mark.asyncio
async def test_id_tags_16(csms: ReferenceCsms) -> None:
    """OCPP 1.6 §7.24 IdTagInfo; unknown tags Invalid; tags compared case-insensitively."""
    async with await open_station(f"{csms.url}/CP1") as ws:
        expected = {
            "valid": {"status": "Accepted"},
            "CHILD": {"status": "Accepted", "parentIdTag": "PARENT"},
            "BLOCKED": {"status": "Blocked"},
            "EXPIRED": {"status": "Expired", "expiryDate": "2020-01-01T00:00:00.000Z"},
            "NOBODY": {"status": "Invalid"},
        }
        for tag, info in expected.items():
            _, _, body = await call(ws, "Authorize", {"idTag": tag})
            assert body == {"idTagInfo": info}, tag


@pytest.mark.asyncio
async def test_transaction_ids_unique_across_stations(csms: ReferenceCsms) -> None:
    """TC_037_3_CSMS: an Invalid tag still gets a transactionId; ids never repeat."""
    async with (
        await open_station(f"{csms.url}/CP1") as one,
        await open_station(f"{csms.url}/CP2") as two,
    ):
        _, _, first = await call(one, "StartTransaction", start_tx("VALID"))
        _, _, second = await call(two, "StartTransaction", start_tx("NOBODY"))
        assert second["idTagInfo"] == {"status": "Invalid"}
        assert second["transactionId"] > first["transactionId"]
        stop = {"transactionId": 424242, "meterStop": 5, "timestamp": "2026-01-01T01:00:00Z"}
        _, _, body = await call(one, "StopTransaction", {**stop, "idTag": "VALID"}, "2")
        assert body == {"idTagInfo": {"status": "Accepted"}}


@pytest.mark.asyncio
async def test_id_tokens_201(csms: ReferenceCsms) -> None:
    """2.0.1: unknown tokens are Unknown (TC_C_02_CSMS); groupIdToken from the parent tag."""
    async with await open_station(f"{csms.url}/CP2", ["ocpp2.0.1"]) as ws:
        token = {"idToken": "nobody", "type": "ISO14443"}
        _, _, body = await call(ws, "Authorize", {"idToken": token})
        assert body == {"idTokenInfo": {"status": "Unknown"}}
        event = {
            "eventType": "Started",
            "timestamp": "2026-01-01T00:00:00.000Z",
            "triggerReason": "Authorized",
            "seqNo": 0,
            "transactionInfo": {"transactionId": "tx-1"},
            "idToken": {"idToken": "child", "type": "ISO14443"},
        }
        _, _, body = await call(ws, "TransactionEvent", event, "2")
        assert body["idTokenInfo"]["status"] == "Accepted"
        assert body["idTokenInfo"]["groupIdToken"]["idToken"] == "PARENT"


@pytest.mark.asyncio
async def test_data_transfer_unknown_vendor(csms: ReferenceCsms) -> None:
    """TC_064_CSMS: the reference supports no vendor-specific DataTransfer."""
    async with await open_station(f"{csms.url}/CP1") as ws:
        _, _, body = await call(ws, "DataTransfer", {"vendorId": "com.example"})
        assert body == {"status": "UnknownVendorId"}


@pytest.mark.asyncio
async def test_error_codes_are_the_versions(csms: ReferenceCsms) -> None:
    """OCPP-J 1.6 §4.2.3: unknown action NotImplemented, bad syntax FormationViolation."""
    async with await open_station(f"{csms.url}/CP1") as ws:
        assert (await call(ws, "NoSuchAction", {}))[2] == "NotImplemented"
        assert (await call(ws, "Heartbeat", {"extra": 1}, "2"))[2] == "FormationViolation"


# --- requests sent by the CSMS ---------------------------------------------------------


@pytest.mark.asyncio
async def test_send_request_returns_once_sent(csms: ReferenceCsms) -> None:
    async with await open_station(f"{csms.url}/CP1") as ws:
        await call(ws, "BootNotification", BOOT_16)
        await asyncio.wait_for(
            csms.send_request(
                "CP1", "RemoteStartTransaction", {"connectorId": 1, "idTag": "VALID"}
            ),
            TIMEOUT,
        )
        message_type, uid, action, payload = await recv(ws)
        assert (message_type, action) == (2, "RemoteStartTransaction")
        assert payload == {"connectorId": 1, "idTag": "VALID"}
        await ws.send(json.dumps([3, uid, {"status": "Accepted"}]))
        await call(ws, "Heartbeat", {}, "2")  # the reply has been routed by now
        assert csms.responses[-1] == (
            "CP1",
            "RemoteStartTransaction",
            "CallResult",
            {"status": "Accepted"},
        )


@pytest.mark.asyncio
async def test_send_request_errors(csms: ReferenceCsms) -> None:
    with pytest.raises(LookupError, match="not connected"):
        await csms.send_request("NOPE", "Reset", {"type": "Hard"})
    async with await open_station(f"{csms.url}/CP1"):
        with pytest.raises(ValueError, match=r"not an OCPP 1\.6 action"):
            await csms.send_request("CP1", "RequestStartTransaction", {})
        with pytest.raises(ValueError, match="not valid"):
            await csms.send_request("CP1", "Reset", {"type": "Sideways"})
        with pytest.raises(ValueError, match=r"connected with OCPP 1\.6"):
            await csms.send_request("CP1", "Reset", {"type": "Hard"}, ocpp_version="2.0.1")


async def run_control(url: str, command: Any) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pytest_ocpp.reference.control",
        url,
        "--timeout",
        "3",
        stdin=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(
        process.communicate(json.dumps(command).encode()), TIMEOUT + 5
    )
    assert process.returncode is not None
    return process.returncode, stderr.decode()


@pytest.mark.asyncio
async def test_control_cli(csms: ReferenceCsms) -> None:
    """The `command` operator path: stdin JSON -> /_control -> a Call on the station."""
    async with await open_station(f"{csms.url}/CP1") as ws:
        command = {
            "station_id": "CP1",
            "action": "UnlockConnector",
            "payload": {"connectorId": 1},
            "ocpp_version": "1.6",
        }
        code, stderr = await run_control(csms.control_url, command)
        assert code == 0, stderr
        _, _, action, payload = await recv(ws)
        assert (action, payload) == ("UnlockConnector", {"connectorId": 1})

        code, stderr = await run_control(csms.control_url, {**command, "station_id": "X"})
        assert code == 1 and "not connected" in stderr


@pytest.mark.asyncio
async def test_control_cli_unreachable() -> None:
    async with ReferenceCsms() as server:
        url = server.control_url
    code, stderr = await run_control(url, {"station_id": "CP1", "action": "Reset"})
    assert code == 1 and "Could not connect" in stderr


async def control(url: str, command: Any) -> Any:
    """One command over a plain websocket to ``/_control``, as a team's own tooling would."""
    async with await asyncio.wait_for(connect(url, open_timeout=TIMEOUT), TIMEOUT) as ws:
        await ws.send(json.dumps(command))
        return await recv(ws)


@pytest.mark.asyncio
async def test_control_setup_outlives_the_connection(csms: ReferenceCsms) -> None:
    """``"kind": "setup"`` stores a per-station setting in the server: each session of that
    station reads it with ``setting()``, across reconnects and both versions; a setting sent
    for one version reaches only that version; JSON null removes it again."""
    value = {"status": "Pending", "retry": [1, 2]}
    setup = {"kind": "setup", "station_id": "CP1", "setting": "boot", "value": value}
    # The shape the CSMS operator sends: the extra "action" is ignored, a null version is none.
    job = {**setup, "action": "setup", "ocpp_version": None}
    assert await control(csms.control_url, job) == {"ok": True}
    # The operator command forwards a setup job from stdin unchanged, like a send job.
    scoped = {**setup, "setting": "only_201", "value": 7, "ocpp_version": "2.0.1"}
    code, stderr = await run_control(csms.control_url, scoped)
    assert code == 0, stderr
    for subprotocol, only_201 in (("ocpp1.6", "unset"), ("ocpp2.0.1", 7), ("ocpp1.6", "unset")):
        async with await open_station(f"{csms.url}/CP1", [subprotocol]) as ws:
            await call(ws, "Heartbeat", {})  # the session is up once it answers
            session = csms._sessions["CP1"]
            assert session.setting("boot") == value
            session.setting("boot")["status"] = "changed by a session"
            assert session.setting("boot") == value
            assert session.setting("only_201", "unset") == only_201
            assert session.setting("nobody_set_this", 3) == 3
            assert await control(csms.control_url, {**setup, "value": None}) == {"ok": True}
            assert session.setting("boot", "default") == "default"
            assert await control(csms.control_url, setup) == {"ok": True}
    assert csms.station_setting("CP2", "1.6", "boot") is None  # per station


@pytest.mark.asyncio
async def test_control_setup_refusals(csms: ReferenceCsms) -> None:
    """A setup without a station id or a setting is refused with a sentence, not stored."""
    setup = {"kind": "setup", "station_id": "CP1", "setting": "boot", "value": 1}
    for missing in ("station_id", "setting"):
        reply = await control(csms.control_url, {k: v for k, v in setup.items() if k != missing})
        assert reply["ok"] is False and missing in reply["error"], reply
    reply = await control(csms.control_url, {**setup, "setting": ""})
    assert reply["ok"] is False and "setting" in reply["error"], reply
    reply = await control(csms.control_url, {**setup, "kind": "teardown"})
    assert reply["ok"] is False and "teardown" in reply["error"], reply
    assert csms.station_setting("CP1", "1.6", "boot") is None
    code, stderr = await run_control(csms.control_url, {"kind": "setup", "station_id": "CP1"})
    assert code == 1 and "lacks setting" in stderr, stderr


# --- defects -----------------------------------------------------------------------------


def test_unknown_defect_is_refused() -> None:
    with pytest.raises(ValueError, match="boot_rejected"):
        ReferenceCsms(defects=["no_such_defect"])


def test_every_defect_is_documented() -> None:
    assert all(isinstance(text, str) and text.endswith(".") for text in DEFECTS.values())
    ReferenceCsms(defects=list(DEFECTS))


async def exchange(defect: str, subprotocol: str, action: str, payload: dict[str, Any]) -> str:
    """One Call against a reference with ``defect``; returns the raw reply frame."""
    async with ReferenceCsms(id_tags=TAGS, defects=[defect]) as server:
        async with await open_station(f"{server.url}/CP1", [subprotocol]) as ws:
            await ws.send(json.dumps([2, "42", action, payload]))
            reply = await asyncio.wait_for(ws.recv(), TIMEOUT)
            assert isinstance(reply, str)
            return reply


@pytest.mark.asyncio
async def test_defect_boot_rejected() -> None:
    reply = json.loads(await exchange("boot_rejected", "ocpp1.6", "BootNotification", BOOT_16))
    assert reply[2]["status"] == "Rejected"


@pytest.mark.asyncio
async def test_defect_boot_missing_current_time() -> None:
    reply = await exchange("boot_missing_current_time", "ocpp1.6", "BootNotification", BOOT_16)
    assert "currentTime" not in json.loads(reply)[2]


@pytest.mark.asyncio
async def test_defect_wrong_unique_id() -> None:
    reply = json.loads(await exchange("wrong_unique_id_in_reply", "ocpp1.6", "Heartbeat", {}))
    assert reply[0] == 3 and reply[1] != "42"


@pytest.mark.asyncio
async def test_defect_data_transfer_frames() -> None:
    garbage = await exchange(
        "garbage_frame_on_data_transfer", "ocpp1.6", "DataTransfer", {"vendorId": "x"}
    )
    with pytest.raises(ValueError):
        json.loads(garbage)
    bad = json.loads(
        await exchange("data_transfer_bad_error_code", "ocpp1.6", "DataTransfer", {"vendorId": "x"})
    )
    assert bad[:3] == [4, "42", "FormatViolation"]


@pytest.mark.asyncio
async def test_defect_accept_unknown_id_tag() -> None:
    reply = await exchange("accept_unknown_id_tag", "ocpp1.6", "Authorize", {"idTag": "NOBODY"})
    assert json.loads(reply)[2] == {"idTagInfo": {"status": "Accepted"}}


@pytest.mark.asyncio
async def test_defect_v201_six_digit_fraction() -> None:
    reply = await exchange(
        "v201_boot_six_digit_fraction", "ocpp2.0.1", "BootNotification", BOOT_201
    )
    assert re.search(r"\.\d{6}Z$", json.loads(reply)[2]["currentTime"])


@pytest.mark.asyncio
async def test_defect_never_answers_authorize() -> None:
    async with ReferenceCsms(defects=["never_answers_authorize"]) as server:
        async with await open_station(f"{server.url}/CP1") as ws:
            await ws.send(json.dumps([2, "1", "Authorize", {"idTag": "VALID"}]))
            await ws.send(json.dumps([2, "2", "Heartbeat", {}]))
            assert (await recv(ws))[1] == "2"  # the Authorize reply never came first


@pytest.mark.asyncio
async def test_defect_remote_start_wrong_id_tag() -> None:
    async with ReferenceCsms(defects=["remote_start_wrong_id_tag"]) as server:
        async with await open_station(f"{server.url}/CP1") as ws:
            await server.send_request("CP1", "RemoteStartTransaction", {"idTag": "VALID"})
            assert (await recv(ws))[3]["idTag"] != "VALID"


@pytest.mark.asyncio
async def test_defect_accept_unsupported_subprotocol() -> None:
    async with ReferenceCsms(defects=["accept_unsupported_subprotocol"]) as server:
        async with await open_station(f"{server.url}/CP1", ["ocpp0.1"]) as ws:
            assert ws.subprotocol is None


TX_EVENT = {
    "eventType": "Started",
    "timestamp": "2026-01-01T00:00:00.000Z",
    "triggerReason": "Authorized",
    "seqNo": 0,
    "transactionInfo": {"transactionId": "tx-1"},
    "idToken": {"idToken": "VALID", "type": "ISO14443"},
}
STATUS_16 = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
STOP_16 = {"transactionId": 1, "meterStop": 5, "timestamp": "2026-01-01T01:00:00Z"}
TOKEN = {"type": "ISO14443"}

INBOUND_DEFECTS: list[tuple[str, str, str, dict[str, Any], Any]] = [
    ("heartbeat_bad_datetime", "ocpp1.6", "Heartbeat", {}, [3, "42", {"currentTime": "yesterday"}]),
    ("accept_blocked_id_tag", "ocpp1.6", "Authorize", {"idTag": "BLOCKED"}, None),
    ("accept_expired_id_tag", "ocpp1.6", "Authorize", {"idTag": "EXPIRED"}, None),
    ("reject_valid_start_transaction", "ocpp1.6", "StartTransaction", start_tx("VALID"), None),
    ("status_notification_internal_error", "ocpp1.6", "StatusNotification", STATUS_16, None),
    ("stop_transaction_call_error", "ocpp1.6", "StopTransaction", STOP_16, None),
    ("v201_boot_rejected", "ocpp2.0.1", "BootNotification", BOOT_201, None),
    ("v201_heartbeat_bad_datetime", "ocpp2.0.1", "Heartbeat", {}, None),
    (
        "v201_accept_unknown_id_token",
        "ocpp2.0.1",
        "Authorize",
        {"idToken": {**TOKEN, "idToken": "X"}},
        None,
    ),
    (
        "v201_accept_blocked_id_token",
        "ocpp2.0.1",
        "Authorize",
        {"idToken": {**TOKEN, "idToken": "BLOCKED"}},
        None,
    ),
    (
        "v201_accept_expired_id_token",
        "ocpp2.0.1",
        "Authorize",
        {"idToken": {**TOKEN, "idToken": "EXPIRED"}},
        None,
    ),
    (
        "v201_transaction_event_missing_id_token_info",
        "ocpp2.0.1",
        "TransactionEvent",
        TX_EVENT,
        None,
    ),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("defect", "subprotocol", "action", "payload", "expected"),
    INBOUND_DEFECTS,
    ids=[case[0] for case in INBOUND_DEFECTS],
)
async def test_inbound_defect_changes_the_reply(
    defect: str, subprotocol: str, action: str, payload: dict[str, Any], expected: Any
) -> None:
    """Each defect changes the reply to its message, and only under its own name."""
    broken = json.loads(await exchange(defect, subprotocol, action, payload))
    async with ReferenceCsms(id_tags=TAGS) as server:
        async with await open_station(f"{server.url}/CP1", [subprotocol]) as ws:
            sound = await call(ws, action, payload, uid="42")
    assert broken != sound
    if expected is not None:
        assert broken == expected


@pytest.mark.asyncio
async def test_defect_reuse_transaction_id() -> None:
    async with ReferenceCsms(id_tags=TAGS, defects=["reuse_transaction_id"]) as server:
        async with await open_station(f"{server.url}/CP1") as ws:
            first = await call(ws, "StartTransaction", start_tx("VALID"))
            second = await call(ws, "StartTransaction", start_tx("VALID"), "2")
            assert first[2]["transactionId"] == second[2]["transactionId"] == 1


OUTBOUND_DEFECTS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("reset_wrong_type", "ocpp1.6", "Reset", {"type": "Hard"}),
    ("unlock_wrong_connector", "ocpp1.6", "UnlockConnector", {"connectorId": 1}),
    ("get_configuration_drops_keys", "ocpp1.6", "GetConfiguration", {"key": ["HeartbeatInterval"]}),
    (
        "change_configuration_wrong_value",
        "ocpp1.6",
        "ChangeConfiguration",
        {"key": "MeterValueSampleInterval", "value": "-1"},
    ),
    (
        "v201_request_start_wrong_id_token",
        "ocpp2.0.1",
        "RequestStartTransaction",
        {"remoteStartId": 1, "idToken": {**TOKEN, "idToken": "VALID"}},
    ),
    ("v201_reset_wrong_type", "ocpp2.0.1", "Reset", {"type": "Immediate"}),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("defect", "subprotocol", "action", "payload"),
    OUTBOUND_DEFECTS,
    ids=[case[0] for case in OUTBOUND_DEFECTS],
)
async def test_outbound_defect_alters_the_request(
    defect: str, subprotocol: str, action: str, payload: dict[str, Any]
) -> None:
    for defects, should_match in (((), True), ((defect,), False)):
        async with ReferenceCsms(defects=defects) as server:
            async with await open_station(f"{server.url}/CP1", [subprotocol]) as ws:
                await server.send_request("CP1", action, payload)
                sent = await recv(ws)
                assert sent[2] == action
                assert (sent[3] == payload) is should_match, (defects, sent)


# --- background loop ------------------------------------------------------------------------


def test_background_loop_runs_and_times_out() -> None:
    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    with BackgroundLoop() as loop:
        assert loop.run(answer(), timeout=TIMEOUT) == 42
        assert loop.submit(answer()).result(TIMEOUT) == 42
        with pytest.raises(TimeoutError):
            loop.run(asyncio.Event().wait(), timeout=0.05)
    assert not loop.running


@pytest.mark.asyncio
async def test_reference_hosted_in_background_loop() -> None:
    """The plugin's use: the server lives in its own thread, the test in its own loop."""
    with BackgroundLoop() as loop:
        server = ReferenceCsms()
        loop.run(server.start(), timeout=TIMEOUT)
        async with await open_station(f"{server.url}/CP1") as ws:
            assert (await call(ws, "BootNotification", BOOT_16))[2]["status"] == "Accepted"
        loop.run(server.stop(), timeout=TIMEOUT)

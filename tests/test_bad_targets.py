"""Targets that misbehave on the wire get a readable *fail* verdict, never a hang or a
traceback from our internals, and the rest of the run continues.

Each misbehaving CSMS is a few lines of plain ``websockets`` on loopback, hosted in a
background loop; the suite runs against it in a subprocess, as a user would run it (the
plumbing is in ``harness.py``).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

from harness import (
    Report,
    assert_fails,
    assert_ran_exactly,
    free_port,
    hosted_server,
    run_pytest,
    run_suite,
)
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Response

Behaviour = Callable[[ServerConnection], Awaitable[None]]

CASES = ("TC_001_CSMS", "TC_003_CSMS")
"""Two cases per run: the boot, and one going on after it, so a run that stops at the first
failure shows."""


def _run(tmp_path: Path, target: str, cases: tuple[str, ...] = CASES) -> Report:
    """``cases`` against ``target`` with short timeouts; exactly those cases must report."""
    report = run_suite(
        tmp_path, "--ocpp-target", target, ids=cases, connect_timeout=2, response_timeout=1.5
    )
    assert_ran_exactly(report, cases)
    return report


def _against(tmp_path: Path, behaviour: Behaviour, **options: Any) -> Report:
    """Serve ``behaviour`` on an ephemeral loopback port and run :data:`CASES` against it."""
    start = partial(serve, behaviour, "127.0.0.1", 0, **options)
    with hosted_server(start, name="bad-target") as target:
        return _run(tmp_path, target.url)


def _ocpp16(connection: ServerConnection, offered: list[str]) -> str | None:
    return "ocpp1.6" if "ocpp1.6" in offered else None


async def _never(connection: ServerConnection) -> None:
    """Accept and then say nothing at all."""
    await connection.wait_closed()


def test_unreachable_target_is_reported_once_before_any_case(tmp_path: Path) -> None:
    """Connection refused or an unknown host would fail every case the same way: one
    sentence, exit status 4 (usage error), no case run (issue 12 point 6)."""
    url = f"ws://127.0.0.1:{free_port()}/ocpp"  # nobody listens there
    completed = run_pytest(tmp_path, "--ocpp-target", url, timeout=60)
    assert completed.returncode == 4, completed.stdout + completed.stderr
    assert "cannot be reached" in completed.stderr and "Connection refused" in completed.stderr
    assert completed.stderr.count("cannot be reached") == 1
    assert "Traceback" not in completed.stdout + completed.stderr
    unknown = run_pytest(tmp_path, "--ocpp-target", "ws://no-such-host.invalid:9/ocpp", timeout=60)
    assert unknown.returncode == 4
    assert "does not resolve" in unknown.stderr


def test_busy_listen_port_is_reported_once(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        completed = run_pytest(tmp_path, f"--ocpp-listen=127.0.0.1:{port}", timeout=60)
    assert completed.returncode == 4, completed.stdout + completed.stderr
    assert "cannot listen on" in completed.stderr and "(--ocpp-listen)" in completed.stderr


def test_unbundled_version_says_so(tmp_path: Path) -> None:
    completed = run_pytest(tmp_path, "--ocpp-reference", "--ocpp-version=2.1", timeout=60)
    assert completed.returncode == 4
    assert "no OCPP 2.1 test cases are bundled yet" in completed.stderr


def test_invalid_url_is_a_usage_error(tmp_path: Path) -> None:
    completed = run_pytest(tmp_path, "--ocpp-target", "http://example/ocpp", timeout=60)
    assert completed.returncode == 4
    assert "is not a websocket URL" in completed.stderr


def test_http_401_names_the_credentials(tmp_path: Path) -> None:
    def refuse(connection: ServerConnection, request: Any) -> Response:
        return connection.respond(401, "who are you?\n")

    report = _against(tmp_path, _never, process_request=refuse)
    assert_fails(report, CASES, because=("HTTP 401", "--ocpp-basic-auth-password"))


def test_refused_handshake_404(tmp_path: Path) -> None:
    def not_found(connection: ServerConnection, request: Any) -> Response:
        return Response(404, "Not Found", Headers(), b"")

    report = _against(tmp_path, _never, process_request=not_found)
    assert_fails(report, CASES, because="HTTP 404")


def test_wrong_subprotocol(tmp_path: Path) -> None:
    report = _against(
        tmp_path,
        _never,
        subprotocols=["ocpp2.0.1"],
        select_subprotocol=lambda connection, offered: None,
    )
    assert_fails(report, CASES, because="without selecting one of the offered subprotocols")


def test_csms_that_never_answers_times_out(tmp_path: Path) -> None:
    report = _against(tmp_path, _never, select_subprotocol=_ocpp16)
    assert_fails(report, CASES, because="did not answer BootNotification within 1.5 s")


async def _close_after_boot(connection: ServerConnection) -> None:
    """Answer the boot, then drop the connection in the middle of the scenario."""
    message = json.loads(await connection.recv())
    reply = {"status": "Accepted", "currentTime": "2026-01-01T00:00:00Z", "interval": 300}
    await connection.send(json.dumps([3, message[1], reply]))
    await connection.recv()
    await connection.close(1011, "going away mid-scenario")


def test_csms_that_closes_mid_scenario(tmp_path: Path) -> None:
    report = _against(tmp_path, _close_after_boot, select_subprotocol=_ocpp16)
    assert_fails(report, CASES, because=("closed the connection", "1011"))


async def _garbage(connection: ServerConnection) -> None:
    await connection.recv()
    await connection.send("this is not json")
    await connection.wait_closed()


def test_csms_that_sends_non_json(tmp_path: Path) -> None:
    report = _against(tmp_path, _garbage, select_subprotocol=_ocpp16)
    assert_fails(report, CASES, because="breaks OCPP-J framing: not JSON")
    assert "Traceback" not in report.stdout


async def _hang_in_handshake_server(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    await reader.read(1)  # accept TCP, never answer HTTP
    await asyncio.Event().wait()


def test_target_that_hangs_in_the_handshake(tmp_path: Path) -> None:
    start = partial(asyncio.start_server, _hang_in_handshake_server, "127.0.0.1", 0)
    with hosted_server(start, name="hangs-in-handshake") as target:
        report = _run(tmp_path, target.url, cases=("TC_001_CSMS",))
    assert_fails(report, ("TC_001_CSMS",), because=("no websocket handshake", "within 2 s"))


async def _not_ready(connection: ServerConnection) -> None:
    """What a CSMS behind a message broker did when a case reconnected quickly: accept the
    upgrade, then close at once with 1011 before answering anything."""
    await connection.close(1011, "Failed to subscribe to message broker")


def test_csms_closing_right_after_the_handshake_is_an_error_quoting_the_close(
    tmp_path: Path,
) -> None:
    """Not a failure of whatever step came next: an error that quotes the close code and
    reason and names the setting that gives such a target time (issue 22 pt 6)."""
    report = _against(tmp_path, _not_ready, select_subprotocol=_ocpp16)
    verdict, message = report.verdicts["TC_003_CSMS"]
    assert verdict == "error", message
    assert "1011" in message and "Failed to subscribe to message broker" in message
    assert "--ocpp-case-pause" in message
    assert "internal error" not in message

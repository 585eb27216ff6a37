"""Targets that misbehave on the wire get a readable *fail* verdict, never a hang or a
traceback from our internals, and the rest of the run continues.

Each misbehaving CSMS is a few lines of plain ``websockets`` on loopback, hosted in a
background loop; the suite runs against it in a subprocess, as a user would run it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Response

from pytest_ocpp.reference.runner import BackgroundLoop

Behaviour = Callable[[ServerConnection], Awaitable[None]]


def run_suite(
    tmp_path: Path, target: str, *extra: str, cases: str = "tc_001_csms or tc_003_csms"
) -> dict[str, Any]:
    """Run two cases against ``target``; return the JSON compliance report."""
    report = tmp_path / "report.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--ocpp-target",
            target,
            "--ocpp-report",
            str(report),
            "--ocpp-connect-timeout",
            "2",
            "--ocpp-response-timeout",
            "1.5",
            "-k",
            cases,
            *extra,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert report.exists(), completed.stdout + completed.stderr
    document = json.loads(report.read_text())
    document["stdout"] = completed.stdout
    document["returncode"] = completed.returncode
    return document


def verdicts(document: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["id"]: (c["verdict"], c["message"]) for c in document["cases"]}


@pytest.fixture(scope="module")
def background() -> Iterator[BackgroundLoop]:
    with BackgroundLoop("bad-targets") as loop:
        yield loop


def host(background: BackgroundLoop, behaviour: Behaviour, **options: Any) -> tuple[str, Any]:
    """Serve ``behaviour`` on an ephemeral loopback port; returns (base URL, server)."""

    async def start() -> Any:
        return await serve(behaviour, "127.0.0.1", 0, **options)

    server = background.run(start())
    port = server.sockets[0].getsockname()[1]
    return f"ws://127.0.0.1:{port}/ocpp", server


def close(background: BackgroundLoop, server: Any) -> None:
    async def stop() -> None:
        server.close()
        await server.wait_closed()

    background.run(stop())


def _ocpp16(connection: ServerConnection, offered: list[str]) -> str | None:
    return "ocpp1.6" if "ocpp1.6" in offered else None


def test_unreachable_target_fails_fast_with_a_sentence(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    document = run_suite(tmp_path, f"ws://127.0.0.1:{port}/ocpp")
    for verdict, message in verdicts(document).values():
        assert verdict == "fail"
        assert "cannot reach ws://127.0.0.1" in message
    assert document["returncode"] == 1


def test_invalid_url_is_a_usage_error(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "--ocpp-target", "http://example/ocpp"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 4
    assert "is not a websocket URL" in completed.stderr


def test_http_401_names_the_credentials(tmp_path: Path, background: BackgroundLoop) -> None:
    def refuse(connection: ServerConnection, request: Any) -> Response:
        return connection.respond(401, "who are you?\n")

    url, server = host(background, _never, process_request=refuse)
    try:
        document = run_suite(tmp_path, url)
    finally:
        close(background, server)
    for verdict, message in verdicts(document).values():
        assert verdict == "fail"
        assert "HTTP 401" in message and "--ocpp-basic-auth-password" in message


def test_refused_handshake_404(tmp_path: Path, background: BackgroundLoop) -> None:
    def not_found(connection: ServerConnection, request: Any) -> Response:
        return Response(404, "Not Found", Headers(), b"")

    url, server = host(background, _never, process_request=not_found)
    try:
        document = run_suite(tmp_path, url)
    finally:
        close(background, server)
    assert {v for v, _ in verdicts(document).values()} == {"fail"}
    assert all("HTTP 404" in m for _, m in verdicts(document).values())


def test_wrong_subprotocol(tmp_path: Path, background: BackgroundLoop) -> None:
    url, server = host(
        background,
        _never,
        subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
        select_subprotocol=lambda connection, offered: None,
    )
    try:
        document = run_suite(tmp_path, url)
    finally:
        close(background, server)
    for verdict, message in verdicts(document).values():
        assert verdict == "fail"
        assert "without selecting one of the offered subprotocols" in message


async def _never(connection: ServerConnection) -> None:
    """Accept and then say nothing at all."""
    await connection.wait_closed()


def test_csms_that_never_answers_times_out(tmp_path: Path, background: BackgroundLoop) -> None:
    url, server = host(background, _never, select_subprotocol=_ocpp16)
    try:
        document = run_suite(tmp_path, url)
    finally:
        close(background, server)
    for verdict, message in verdicts(document).values():
        assert verdict == "fail"
        assert "did not answer BootNotification within 1.5 s" in message


async def _close_after_boot(connection: ServerConnection) -> None:
    """Answer the boot, then drop the connection in the middle of the scenario."""
    message = json.loads(await connection.recv())
    reply = {"status": "Accepted", "currentTime": "2026-01-01T00:00:00Z", "interval": 300}
    await connection.send(json.dumps([3, message[1], reply]))
    await connection.recv()
    await connection.close(1011, "going away mid-scenario")


def test_csms_that_closes_mid_scenario(tmp_path: Path, background: BackgroundLoop) -> None:
    url, server = host(background, _close_after_boot, select_subprotocol=_ocpp16)
    try:
        document = run_suite(tmp_path, url)
    finally:
        close(background, server)
    for verdict, message in verdicts(document).values():
        assert verdict == "fail"
        assert "closed the connection" in message and "1011" in message


async def _garbage(connection: ServerConnection) -> None:
    await connection.recv()
    await connection.send("this is not json")
    await connection.wait_closed()


def test_csms_that_sends_non_json(tmp_path: Path, background: BackgroundLoop) -> None:
    url, server = host(background, _garbage, select_subprotocol=_ocpp16)
    try:
        document = run_suite(tmp_path, url)
    finally:
        close(background, server)
    for verdict, message in verdicts(document).values():
        assert verdict == "fail"
        assert "breaks OCPP-J framing: not JSON" in message
    assert "Traceback" not in document["stdout"]


async def _hang_in_handshake_server(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    await reader.read(1)  # accept TCP, never answer HTTP
    await asyncio.Event().wait()


def test_target_that_hangs_in_the_handshake(tmp_path: Path, background: BackgroundLoop) -> None:
    async def start() -> asyncio.Server:
        return await asyncio.start_server(_hang_in_handshake_server, "127.0.0.1", 0)

    server = background.run(start())
    port = server.sockets[0].getsockname()[1]
    try:
        document = run_suite(tmp_path, f"ws://127.0.0.1:{port}/ocpp", cases="tc_001_csms")
    finally:
        close(background, server)
    ((verdict, message),) = verdicts(document).values()
    assert verdict == "fail"
    assert "no websocket handshake" in message and "within 2 s" in message

"""Stations that misbehave on the wire get a readable *fail* verdict from the fake CSMS, never
a hang or a traceback from our internals.

A scenario file written into tmp_path runs in a pytest subprocess with ``--ocpp-listen``;
the misbehaving "station" is a few lines of plain ``websockets`` in this process (the plumbing
is in ``harness.py``).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from harness import Report, assert_fails, assert_ran_exactly, free_port, run_pytest, run_suite
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from pytest_ocpp.reference.runner import BackgroundLoop

SCENARIO = """
from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case


@ocpp_case("TC_003_CS")
async def test_scenario(csms):
    step("wait for the station and its boot")
    sut = await csms.station()
    await sut.wait_for("BootNotification")
    step("ask for its configuration")
    await sut.call("GetConfiguration", {})
    step("wait for a StartTransaction")
    await sut.wait_for("StartTransaction")
"""

CASE = ("TC_003_CS",)
"""The scenario's one case."""

Client = Callable[[str], Awaitable[None]]


def run_against(tmp_path: Path, client: Client | None, *extra: str) -> Report:
    """Run SCENARIO with the fake CSMS listening; ``client`` plays the station."""
    (tmp_path / "test_scenario.py").write_text(SCENARIO)
    port = free_port()
    stop = threading.Event()
    with BackgroundLoop("bad-station") as loop:
        if client is not None:

            async def keep_trying() -> None:
                url = f"ws://127.0.0.1:{port}/ocpp"
                while not stop.is_set():
                    try:
                        await client(url)
                        return
                    except OSError:
                        await asyncio.sleep(0.05)  # listener not up yet: retry promptly

            loop.submit(keep_trying())
        try:
            report = run_suite(
                tmp_path,
                "test_scenario.py",
                "--ocpp-listen",
                f"127.0.0.1:{port}",
                *extra,
                timeout=60,
                connect_timeout=3,
                message_timeout=2,
                response_timeout=1.5,
            )
        finally:
            stop.set()
    assert_ran_exactly(report, CASE)
    return report


async def boot(ws: ClientConnection) -> None:
    await ws.send(
        json.dumps(
            [2, "b1", "BootNotification", {"chargePointVendor": "v", "chargePointModel": "m"}]
        )
    )
    await ws.recv()


def test_station_that_never_connects(tmp_path: Path) -> None:
    report = run_against(tmp_path, None)
    assert_fails(report, CASE, because=("did not connect", "within 3 s"))


def test_station_with_the_wrong_id(tmp_path: Path) -> None:
    async def client(url: str) -> None:
        async with connect(url + "/SOMEONE_ELSE", subprotocols=["ocpp1.6"]) as ws:  # type: ignore[list-item]
            await ws.wait_closed()

    report = run_against(tmp_path, client)
    assert_fails(report, CASE, because=("'SOMEONE_ELSE'", "--ocpp-station-id"))


def test_station_without_subprotocol(tmp_path: Path) -> None:
    async def client(url: str) -> None:
        async with connect(url + "/CP_1") as ws:
            await ws.wait_closed()

    report = run_against(tmp_path, client)
    assert_fails(report, CASE, because="did not offer subprotocol ocpp1.6")


def test_station_with_wrong_password(tmp_path: Path) -> None:
    async def client(url: str) -> None:
        headers = {"Authorization": "Basic Q1BfMTp3cm9uZw=="}  # CP_1:wrong
        try:
            async with connect(
                url + "/CP_1", subprotocols=["ocpp1.6"], additional_headers=headers
            ) as ws:  # type: ignore[list-item]
                await ws.wait_closed()
        except InvalidStatus:  # the 401 is the point
            return

    report = run_against(tmp_path, client, "--ocpp-basic-auth-password", "right")
    assert_fails(report, CASE, because=("basic-auth", "401"))


def test_station_sending_garbage(tmp_path: Path) -> None:
    async def client(url: str) -> None:
        async with connect(url + "/CP_1", subprotocols=["ocpp1.6"]) as ws:  # type: ignore[list-item]
            await ws.send("\x00\x01 definitely not OCPP")
            await ws.wait_closed()

    report = run_against(tmp_path, client)
    assert_fails(report, CASE, because="breaks OCPP-J framing")
    assert "Traceback" not in report.stdout


def test_station_that_does_not_answer(tmp_path: Path) -> None:
    async def client(url: str) -> None:
        async with connect(url + "/CP_1", subprotocols=["ocpp1.6"]) as ws:  # type: ignore[list-item]
            await boot(ws)
            await ws.wait_closed()  # GetConfiguration.req is never answered

    report = run_against(tmp_path, client)
    assert_fails(report, CASE, because="did not answer GetConfiguration within 1.5 s")


def test_station_closing_mid_scenario(tmp_path: Path) -> None:
    async def client(url: str) -> None:
        async with connect(url + "/CP_1", subprotocols=["ocpp1.6"]) as ws:  # type: ignore[list-item]
            await boot(ws)
            request = json.loads(await ws.recv())
            await ws.send(json.dumps([3, request[1], {"configurationKey": []}]))
            await ws.close(1001, "leaving mid-transaction")

    report = run_against(tmp_path, client)
    assert_fails(report, CASE, because=("closed the connection", "1001"))


def test_reconnect_storm_ends_with_a_verdict(tmp_path: Path) -> None:
    """Fifty connect/close cycles, then silence: the case still ends, with a sentence."""

    async def client(url: str) -> None:
        for _ in range(50):
            async with connect(url + "/CP_1", subprotocols=["ocpp1.6"]) as ws:  # type: ignore[list-item]
                await ws.close()

    report = run_against(tmp_path, client)
    assert_fails(report, CASE, because=())  # any sentence, as long as there is one
    assert "Traceback" not in report.stdout


@pytest.mark.parametrize("listen", ["nonsense", "127.0.0.1:notaport"])
def test_bad_listen_address_is_a_usage_error(tmp_path: Path, listen: str) -> None:
    completed = run_pytest(tmp_path, "--ocpp-listen", listen, timeout=60)
    assert completed.returncode == 4
    assert "HOST:PORT" in completed.stderr

"""The file server of the 2.0.1 firmware and log cases (pytest_ocpp/fileserver.py), over real
sockets with ``httpx`` as a charger would use it: downloads, PUT and multipart POST uploads,
chunked bodies, refusals, the bounded wait, and the paced download that keeps a transfer in
progress."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import httpx
import pytest

from pytest_ocpp.fileserver import FileServer, file_server, started_file_server
from pytest_ocpp.verdicts import TargetTimeout

pytestmark = pytest.mark.asyncio


async def _server() -> FileServer:
    server = FileServer()
    await server.start()
    return server


async def test_download_and_missing() -> None:
    server = await _server()
    try:
        url = server.publish("fw.bin", b"firmware bytes")
        async with httpx.AsyncClient() as client:
            ok = await client.get(url)
            missing = await client.get(url + "_does.not Exist")
        assert ok.status_code == 200 and ok.content == b"firmware bytes"
        assert missing.status_code == 404
        assert [(t.method, t.status, t.name) for t in server.transfers] == [
            ("GET", 200, "fw.bin"),
            ("GET", 404, "fw.bin_does.not Exist"),
        ]
    finally:
        await server.stop()


async def test_put_post_multipart_and_chunked_uploads() -> None:
    server = await _server()
    try:
        base = server.upload_url("case")
        async with httpx.AsyncClient() as client:
            put = await client.put(base + "a.log", content=b"put body")
            post = await client.post(base, files={"file": ("b.log", b"multipart body")})

            async def chunks():  # type: ignore[no-untyped-def]
                yield b"chunk one, "
                yield b"chunk two"

            chunked = await client.put(base + "c.log", content=chunks())
        assert (put.status_code, post.status_code, chunked.status_code) == (201, 200, 201)
        stored = {t.name: t.data for t in server.transfers if t.stored}
        assert stored == {
            "a.log": b"put body",
            "b.log": b"multipart body",
            "c.log": b"chunk one, chunk two",
        }
    finally:
        await server.stop()


async def test_refused_and_missing_upload_locations() -> None:
    server = await _server()
    try:
        async with httpx.AsyncClient() as client:
            refused = await client.put(server.refusing_url() + "x.log", content=b"x")
            missing = await client.put(server.missing_url() + "x.log", content=b"x")
        assert (refused.status_code, missing.status_code) == (403, 404)
        assert not any(t.stored for t in server.transfers)
        assert len(server.transfers) == 2  # attempts are recorded
    finally:
        await server.stop()


async def test_wait_returns_the_upload_and_times_out_naming_the_setting() -> None:
    server = await _server()
    try:
        mark = server.mark()

        async def upload() -> None:
            await asyncio.sleep(0.05)
            async with httpx.AsyncClient() as client:
                await client.put(server.upload_url() + "late.log", content=b"late")

        task = asyncio.ensure_future(upload())
        got = await server.wait(lambda t: t.stored, since=mark, timeout=5, describe="an upload")
        await task
        assert got.name == "late.log"
        with pytest.raises(TargetTimeout, match=r"no another upload within 0.1 s \(--x\)"):
            await server.wait(
                lambda t: False, timeout=0.1, describe="another upload", setting="--x"
            )
    finally:
        await server.stop()


async def test_paced_download_and_held_upload_stay_in_progress() -> None:
    server = await _server()
    server.upload_hold = 0.3
    try:
        url = server.publish("slow.bin", b"0123456789" * 10, pace=0.3)
        async with httpx.AsyncClient() as client:
            start = time.monotonic()
            answer = await client.get(url)
            paced = time.monotonic() - start
            start = time.monotonic()
            held = await client.put(server.upload_url(hold=True) + "h.log", content=b"h")
            holding = time.monotonic() - start
        assert answer.content == b"0123456789" * 10
        assert paced >= 0.25 and holding >= 0.25 and held.status_code == 201
    finally:
        await server.stop()


async def test_started_once_per_owner_and_stopped_with_it() -> None:
    stopped: list[str] = []

    async def stop() -> None:
        stopped.append("owner")

    owner = SimpleNamespace(stop=stop)
    config = SimpleNamespace(
        station=SimpleNamespace(extra={"file_server_host": "127.0.0.1"}),
        listen=None,
        public_host="charger-net.example",
    )
    server = await started_file_server(owner, config)  # type: ignore[arg-type]
    assert server is file_server(owner, config)  # type: ignore[arg-type]
    assert server.running and server.url("x").startswith("http://charger-net.example:")
    await owner.stop()
    assert not server.running and stopped == ["owner"]

"""Issue 19 point 4: ``pytest-ocpp send`` and ``pytest-ocpp shell`` against real servers.

``send`` runs in this process (``main`` with its output captured): what it prints and its exit
status are the interface. ``shell`` runs as its own process on a pseudo-terminal, as a person
would use it, so readline's history and tab completion are the real ones.
"""

from __future__ import annotations

import io
import json
import os
import pty
import select
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any

import harness
import pytest
from websockets.asyncio.server import ServerConnection, serve

from pytest_ocpp import pki
from pytest_ocpp.reference.control import forward
from pytest_ocpp.reference.csms import ReferenceCsms
from pytest_ocpp.reference.runner import BackgroundLoop
from pytest_ocpp.sim import send

BOOT = '{"chargePointVendor": "X", "chargePointModel": "Y"}'


@pytest.fixture(scope="module")
def csms() -> Iterator[tuple[ReferenceCsms, BackgroundLoop]]:
    reference = ReferenceCsms(port=0)
    with BackgroundLoop("send-csms") as loop:
        loop.run(reference.start())
        try:
            yield reference, loop
        finally:
            loop.run(reference.stop())


@contextmanager
def odd_csms(
    answer: Callable[[ServerConnection, list[Any]], Awaitable[None]], **options: Any
) -> Iterator[str]:
    """A CSMS of a few lines that answers each Call with ``answer``: the behaviours the
    reference never shows (silence, a broken answer); ``options`` go to ``serve``."""

    async def handler(ws: ServerConnection) -> None:
        async for raw in ws:
            await answer(ws, json.loads(raw))

    with BackgroundLoop("odd-csms") as loop:

        async def start() -> Any:
            return await serve(handler, "127.0.0.1", 0, subprotocols=["ocpp1.6"], **options)  # type: ignore[list-item]

        server = loop.run(start())
        port = server.sockets[0].getsockname()[1]
        try:
            yield f"ws://127.0.0.1:{port}/ocpp/CP_1"
        finally:

            async def stop() -> None:
                server.close()
                await server.wait_closed()

            loop.run(stop())


def run_send(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = send.main(["send", *argv], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_send_prints_the_reply_and_exits_0(csms: tuple[ReferenceCsms, Any]) -> None:
    status, out, err = run_send(f"{csms[0].url}/CP_1", "BootNotification", BOOT)
    assert status == 0, err
    assert out.startswith("<- BootNotification result {")
    assert json.loads(out.partition("result ")[2])["status"] == "Accepted"
    assert "finding" not in out
    status, out, err = run_send(f"{csms[0].url}/CP_2", "Heartbeat", "{}", "--version", "2.0.1")
    assert status == 0, err
    assert out.startswith('<- Heartbeat result {"currentTime": ')


def test_send_refuses_bad_input_before_connecting(csms: tuple[ReferenceCsms, Any]) -> None:
    url = f"{csms[0].url}/CP_1"
    for argv, phrase in (
        (
            (url, "Bootnotification", BOOT),
            "'Bootnotification' is not an OCPP 1.6 action; did you mean BootNotification?",
        ),
        ((url, "Heartbeat", "{oops"), "the payload is not valid JSON"),
        ((url, "Heartbeat", "[1]"), "the payload must be a JSON object, not list"),
        ((url, "Authorize", "{}"), 'breaks the OCPP 1.6 schema: (payload): "idTag" is a required'),
        ((csms[0].url.rpartition(":")[0] + ":1", "Heartbeat"), "names no station id"),
        (("http://example/CP_1", "Heartbeat"), "is not a websocket URL"),
    ):
        status, _, err = run_send(*argv)
        assert status == send.EXIT_USAGE, (argv, err)
        assert phrase in err, (argv, err)


def test_send_says_when_nothing_listens() -> None:
    port = harness.free_port()
    status, _, err = run_send(f"ws://127.0.0.1:{port}/ocpp/CP_1", "Heartbeat")
    assert status == send.EXIT_CONNECT
    assert f"cannot reach ws://127.0.0.1:{port}/ocpp/CP_1" in err


def test_send_bounds_a_csms_that_never_answers() -> None:
    async def silent(ws: ServerConnection, frame: list[Any]) -> None:
        return None

    with odd_csms(silent) as url:
        started = time.monotonic()
        status, _, err = run_send(url, "Heartbeat", "{}", "--timeout", "0.5")
    assert status == send.EXIT_FINDING
    assert "the CSMS did not answer Heartbeat within 0.5 s (--timeout)" in err
    assert time.monotonic() - started < 5


def test_send_prints_every_finding_and_exits_1() -> None:
    """A reply breaking the schema (a date-time that is none) and a reply to nothing: both
    findings of the core's checks, printed, exit 1; the CSMS's own request after the answer is
    shown and answered."""

    async def broken(ws: ServerConnection, frame: list[Any]) -> None:
        if frame[0] != 2:
            return
        await ws.send(json.dumps([3, frame[1], {"currentTime": "yesterday"}]))
        await ws.send(json.dumps([3, "no-such-call", {}]))
        await ws.send(json.dumps([2, "csms-1", "ClearCache", {}]))

    with odd_csms(broken) as url:
        status, out, _ = run_send(url, "Heartbeat")
    assert status == send.EXIT_FINDING, out
    findings = [line for line in out.splitlines() if line.startswith("finding: ")]
    assert any("Heartbeat response breaks the OCPP 1.6 schema" in f for f in findings), out
    assert any("'no-such-call', which matches no Call we sent" in f for f in findings), out
    assert "<- CSMS request ClearCache {} (answered with defaults)" in out


# -- shell ------------------------------------------------------------------------------------
class Terminal:
    """A process on a pseudo-terminal; ``expect`` reads until a phrase shows up."""

    def __init__(self, *argv: str) -> None:
        master, slave = pty.openpty()
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, close_fds=True, start_new_session=True
        )
        os.close(slave)
        self.fd = master
        self.seen = ""
        self.pos = 0

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def expect(self, phrase: str, timeout: float = 10.0) -> str:
        """Read until ``phrase`` shows after what earlier calls consumed; return the text up to
        and including it."""
        deadline = time.monotonic() + timeout
        while phrase not in self.seen[self.pos :]:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{phrase!r} not shown within {timeout} s:\n{self.seen}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"the shell ended before {phrase!r}:\n{self.seen}")
                self.seen += chunk.decode(errors="replace")
        end = self.seen.index(phrase, self.pos) + len(phrase)
        found, self.pos = self.seen[self.pos : end], end
        return found

    def close(self) -> int:
        try:
            return self.process.wait(10)
        finally:
            os.close(self.fd)

    def stop(self) -> None:
        """A test's clean-up: the shell killed if an assertion left it running."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def test_the_shell_on_a_terminal(csms: tuple[ReferenceCsms, BackgroundLoop]) -> None:
    """Replies, bad lines, tab completion, history, and the CSMS's own request shown."""
    reference, loop = csms
    terminal = Terminal(
        sys.executable, "-m", "pytest_ocpp.sim.send", "shell", f"{reference.url}/CP_SH"
    )
    try:
        terminal.expect("CP_SH> ")
        terminal.type("Heartbeat {}\r")
        assert '"currentTime"' in terminal.expect("CP_SH> ")
        terminal.type("Heartbeat {x\r")
        assert "error: the payload is not valid JSON" in terminal.expect("CP_SH> ")
        terminal.type("FlyAway {}\r")
        assert "'FlyAway' is not an OCPP 1.6 action" in terminal.expect("CP_SH> ")
        terminal.type('Authorize {"idTag": 5}\r')
        assert "breaks the OCPP 1.6 schema" in terminal.expect("CP_SH> ")
        # Tab completes the action name; the line then goes out as typed.
        terminal.type("BootNot\t")
        terminal.expect("BootNotification ")
        terminal.type(BOOT + "\r")
        assert '"status": "Accepted"' in terminal.expect("CP_SH> ")
        # History: the up arrow brings the last line back.
        terminal.type("\x1b[A\r")
        again = terminal.expect("CP_SH> ")
        assert "BootNotification {" in again and '"status": "Accepted"' in again, again
        # The CSMS's own request, shown and answered while the prompt waits.
        command = {"station_id": "CP_SH", "action": "ClearCache", "payload": {}}
        loop.run(forward(reference.control_url, command, 5.0), timeout=10)
        terminal.expect("<- CSMS request ClearCache {} (answered)")
        deadline = time.monotonic() + 5
        answered = ("CP_SH", "ClearCache", "CallResult")
        while not any(r[:3] == answered for r in reference.responses):
            assert time.monotonic() < deadline, f"no ClearCache answer: {reference.responses}"
            time.sleep(0.02)
        terminal.type("quit\r")
        assert terminal.close() == 0
    finally:
        terminal.stop()


@pytest.mark.parametrize(
    ("argv", "phrase"),
    [
        (["send", "--timeout", "-1"], "pytest-ocpp send: --timeout must be a positive number"),
        (["send", "--connect-timeout", "0"], "--connect-timeout must be a positive number"),
        (["shell", "--timeout", "nan"], "pytest-ocpp shell: --timeout must be a positive"),
        (["shell", "--answer=ask", "--answer-timeout", "0"], "--answer-timeout must be a posi"),
    ],
)
def test_timeouts_must_be_positive(argv: list[str], phrase: str) -> None:
    """A timeout of 0, below 0 or not a number: one sentence, exit 2, before connecting (a
    negative --timeout once ran and reported "no answer within -1 s")."""
    out, err = io.StringIO(), io.StringIO()
    command, *options = argv
    url = "ws://127.0.0.1:1/ocpp/CP_1"
    full = [command, url, *(["Heartbeat"] if command == "send" else []), *options]
    assert send.main(full, out=out, err=err) == send.EXIT_USAGE
    assert phrase in err.getvalue(), err.getvalue()
    assert err.getvalue().count("\n") == 1


def test_connection_failures_name_sends_own_options() -> None:
    """The core's sentences name the pytest options; send's name its own: the URL for a 404,
    --connect-timeout for a server that never answers the upgrade."""

    async def not_found(connection: ServerConnection, request: Any) -> Any:
        return connection.respond(HTTPStatus.NOT_FOUND, "no such station\n")

    async def nothing(ws: ServerConnection, frame: list[Any]) -> None:
        return None

    with odd_csms(nothing, process_request=not_found) as url:
        status, _, err = run_send(url, "Heartbeat")
    assert status == send.EXIT_CONNECT, err
    assert "with HTTP 404" in err and "check the path in the URL" in err, err
    assert "--ocpp-" not in err, err
    with socket.socket() as deaf:  # accepts TCP (the backlog), never answers HTTP
        deaf.bind(("127.0.0.1", 0))
        deaf.listen()
        url = f"ws://127.0.0.1:{deaf.getsockname()[1]}/ocpp/CP_1"
        status, _, err = run_send(url, "Heartbeat", "--connect-timeout", "0.5")
    assert status == send.EXIT_CONNECT, err
    assert "within 0.5 s (--connect-timeout)" in err and "--ocpp-" not in err, err


def test_send_over_wss_with_the_users_ca_and_client_certificate(tmp_path: Any) -> None:
    """A wss:// CSMS behind a private CA (security profiles 2 and 3): ``--ca-file`` trusts it,
    ``--cert-file``/``--key-file`` present the station's certificate; without the CA the
    sentence names ``--ca-file`` (send's option, not the plugin's); a missing file is a usage
    error before connecting."""
    files = pki.write_tls_pki(tmp_path / "pki", ["127.0.0.1"], "CP_TLS")
    server = [(files.server_cert_file, files.server_key_file)]
    with harness.reference_csms((), tls_certificates=server) as hosted:
        url = f"{hosted.url}/CP_TLS"
        assert url.startswith("wss://")
        status, out, err = run_send(url, "BootNotification", BOOT, "--ca-file", files.ca_file)
        assert status == send.EXIT_OK, (out, err)
        assert '"status": "Accepted"' in out
        status, _, err = run_send(url, "Heartbeat", "{}", "--connect-timeout", "3")
        assert status == send.EXIT_CONNECT
        assert "--ca-file" in err and "--ocpp-" not in err, err
    with harness.reference_csms(
        (), tls_certificates=server, tls_client_ca_file=files.ca_file
    ) as hosted:
        url = f"{hosted.url}/CP_TLS"
        client = ("--cert-file", files.client_cert_file, "--key-file", files.client_key_file)
        status, out, err = run_send(
            url, "BootNotification", BOOT, "--ca-file", files.ca_file, *client
        )
        assert status == send.EXIT_OK, (out, err)
    status, _, err = run_send(
        "wss://127.0.0.1:1/ocpp/CP_TLS", "Heartbeat", "{}", "--ca-file", str(tmp_path / "nope")
    )
    assert status == send.EXIT_USAGE
    assert "--ca-file" in err and "is not a readable file" in err, err


def test_the_shell_bounds_a_csms_that_never_answers() -> None:
    """On a terminal, a CSMS that never answers: the error after --timeout, and the prompt
    comes back for the next line."""

    async def silent(ws: ServerConnection, frame: list[Any]) -> None:
        return None

    with odd_csms(silent) as url:
        terminal = Terminal(
            sys.executable, "-m", "pytest_ocpp.sim.send", "shell", url, "--timeout", "0.5"
        )
        try:
            terminal.expect("CP_1> ")
            started = time.monotonic()
            terminal.type("Heartbeat {}\r")
            said = terminal.expect("CP_1> ")
            assert "error: the CSMS did not answer Heartbeat within 0.5 s (--timeout)" in said
            assert time.monotonic() - started < 5
            assert "Traceback" not in said
            terminal.type("quit\r")
            assert terminal.close() == 0
        finally:
            terminal.stop()


def test_the_shell_says_when_nothing_listens() -> None:
    port = harness.free_port()
    done = subprocess.run(
        [sys.executable, "-m", "pytest_ocpp.sim.send", "shell", f"ws://127.0.0.1:{port}/o/CP_1"],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == send.EXIT_CONNECT
    assert "cannot reach" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_shell_lets_the_user_answer_the_csms(
    csms: tuple[ReferenceCsms, BackgroundLoop],
) -> None:
    """``--answer=ask``: each CSMS request is shown and the next line typed is its reply (a
    payload, ``!error CODE description`` or Enter for the default); wrong answers are refused
    and may be typed again; no answer within --answer-timeout sends the default with a
    notice; ``answer auto`` goes back to defaults. Checked from the CSMS's side."""
    reference, loop = csms
    terminal = Terminal(
        sys.executable,
        "-m",
        "pytest_ocpp.sim.send",
        "shell",
        f"{reference.url}/CP_ASK",
        "--answer=ask",
        "--answer-timeout",
        "3",
    )

    def request(action: str, payload: dict[str, Any]) -> None:
        command = {"station_id": "CP_ASK", "action": action, "payload": payload}
        loop.run(forward(reference.control_url, command, 5.0), timeout=10)

    def reply(count: int) -> tuple[str, Any]:
        """The CSMS's record of the station's ``count``-th reply (1-based)."""
        deadline = time.monotonic() + 5
        while True:
            mine = [r for r in reference.responses if r[0] == "CP_ASK"]
            if len(mine) >= count:
                return mine[count - 1][2], mine[count - 1][3]
            assert time.monotonic() < deadline, f"no reply {count}: {reference.responses}"
            time.sleep(0.02)

    try:
        assert "answered by you ('answer auto|ask')" in terminal.expect("CP_ASK> ")
        # A command still works when nothing waits for an answer.
        terminal.type("Heartbeat {}\r")
        assert '"currentTime"' in terminal.expect("CP_ASK> ")

        request("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"})
        asked = terminal.expect("(default in 3 s, --answer-timeout)")
        assert "<- CSMS request ChangeAvailability" in asked, asked
        assert 'Enter for {"status": "Accepted"}' in asked, asked
        terminal.type('{"status": "Rejected"}\r')
        terminal.expect('-> answered ChangeAvailability with {"status": "Rejected"}')
        assert reply(1) == ("CallResult", {"status": "Rejected"})

        request("ClearCache", {})
        terminal.expect("--answer-timeout)")
        for line, phrase in (
            ('{"status": 5}', "this ClearCache response breaks the OCPP 1.6 schema"),
            ("{oops", "the answer is not valid JSON"),
            ("!error Nope x", "'Nope' is not an OCPP 1.6 error code"),
        ):
            terminal.type(line + "\r")
            refused = terminal.expect("; answer ClearCache again")
            assert f"error: {phrase}" in refused, refused
        terminal.type("!error NotSupported not here\r")
        terminal.expect("-> answered ClearCache with CallError NotSupported 'not here'")
        assert reply(2) == ("CallError", "NotSupported")

        # Nobody answers: the default after --answer-timeout, said.
        request("ClearCache", {})
        terminal.expect("--answer-timeout)")
        notice = terminal.expect("answered with the default", 10)
        assert "-> no answer to ClearCache within 3 s (--answer-timeout)" in notice, notice
        assert reply(3) == ("CallResult", {"status": "Accepted"})

        # Enter: the default at once.
        request("ClearCache", {})
        terminal.expect("--answer-timeout)")
        terminal.type("\r")
        terminal.expect('-> answered ClearCache with {"status": "Accepted"}')
        assert reply(4) == ("CallResult", {"status": "Accepted"})

        terminal.type("answer auto\r")
        terminal.expect("now answered with defaults")
        request("ClearCache", {})
        terminal.expect("<- CSMS request ClearCache {} (answered)")
        assert reply(5) == ("CallResult", {"status": "Accepted"})
        terminal.type("quit\r")
        assert terminal.close() == 0
    finally:
        terminal.stop()

"""The reference CPO as an eMSP backend team runs it: a real process, outside any pytest run
(issue 20, "a fake CPO for your eMSP backend").

``python -m pytest_ocpp.reference.csms --ocpi-port ... --ocpi-token ...`` serves the reference
CSMS with its OCPI CPO interface wired to its OCPP side, so START_SESSION reaches a station
connected to it and Sessions and CDRs are pushed. The proof runs our own OCPI suite against
that process, as any CSMS team would run it: ``--ocpi-target`` at its versions URL,
``--ocpp-target`` at its OCPP endpoint; every OCPI case passes, the command cases through our
fake 2.0.1 station. ``python -m pytest_ocpp.reference.ocpi`` (no OCPP side) still serves the
registration and points at the wired mode.
"""

from __future__ import annotations

import base64
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from harness import assert_passes, run_suite
from test_ocpi import ALL, CASES_DIR

TOKEN_A = "standalone-token-a"
START_TIMEOUT = 20.0
"""Seconds a reference process may take to print its addresses (a cold Python start on a
busy CI machine takes a few)."""
STOP_TIMEOUT = 10.0


@contextmanager
def serving(module: str, *args: str, expect: tuple[str, ...]) -> Iterator[dict[str, str]]:
    """``python -m module *args`` in the background until it has printed a line matching each
    regular expression of ``expect`` (each with one group); yields the groups by pattern. It
    is stopped with SIGTERM afterwards and must exit cleanly."""
    process = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    found: dict[str, str] = {}
    try:
        while len(found) < len(expect):
            try:
                line = lines.get(timeout=START_TIMEOUT)
            except queue.Empty:
                raise AssertionError(
                    f"{module} printed no {expect} within {START_TIMEOUT} s"
                ) from None
            assert line is not None, f"{module} ended: {process.communicate()[1][-2000:]}"
            for pattern in expect:
                match = re.search(pattern, line)
                if match:
                    found[pattern] = match.group(1)
        yield found
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            _, stderr = process.communicate(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode in (0, -signal.SIGTERM), (process.returncode, stderr[-2000:])
    assert "Traceback" not in stderr, stderr[-3000:]


CSMS_LINE = r"reference CSMS: (ws://\S+)/<station_id>"
CPO_LINE = r"reference CPO \(OCPI 2\.2\.1\): versions at (http://\S+)"


def test_the_reference_csms_serves_a_cpo_wired_to_its_stations(tmp_path: Path) -> None:
    """Every OCPI case passes against the standalone process: the registration, and
    START_SESSION reaching our station over OCPP with the Session, CDR and CommandResults
    pushed back (OCPI_CMD_01), which the CPO alone cannot do."""
    with serving(
        "pytest_ocpp.reference.csms",
        "--port",
        "0",
        "--ocpi-port",
        "0",
        "--ocpi-token",
        TOKEN_A,
        "--log-level",
        "WARNING",
        expect=(CSMS_LINE, CPO_LINE),
    ) as found:
        report = run_suite(
            tmp_path,
            CASES_DIR,
            "--ocpp-target",
            found[CSMS_LINE],
            "--ocpi-target",
            found[CPO_LINE],
            "--ocpi-token",
            TOKEN_A,
            "--ocpp-version",
            "2.0.1",
            "--ocpi-callback-timeout",
            "3",
            "--ocpp-message-timeout",
            "1",
        )
    assert_passes(report, ALL)
    assert report.returncode == 0, report.output


def test_the_cpo_without_an_ocpp_side_points_at_the_wired_one() -> None:
    """``python -m pytest_ocpp.reference.ocpi`` still serves versions (Base64 token, message
    ids echoed, HTTP 401 for a raw one), and its help names the wired mode."""
    shown = subprocess.run(
        [sys.executable, "-m", "pytest_ocpp.reference.ocpi", "--help"],
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        check=True,
    ).stdout
    assert "python -m pytest_ocpp.reference.csms --ocpi-port" in " ".join(shown.split()), shown
    line = r"reference CPO: versions at (http://\S+)"
    with serving(
        "pytest_ocpp.reference.ocpi", "--port", "0", "--token", TOKEN_A, expect=(line,)
    ) as found:
        url = found[line]
        encoded = base64.b64encode(TOKEN_A.encode()).decode()
        ok = httpx.get(
            url, headers={"Authorization": f"Token {encoded}", "X-Request-ID": "r-1"}, timeout=5
        )
        raw = httpx.get(url, headers={"Authorization": f"Token {TOKEN_A}"}, timeout=5)
    assert ok.status_code == 200 and ok.headers["X-Request-ID"] == "r-1", ok.text
    assert [v["version"] for v in ok.json()["data"]] == ["2.2.1"], ok.text
    assert raw.status_code == 401, raw.text


def test_bad_ocpi_options_of_the_reference_csms_are_one_sentence() -> None:
    """An OCPI port without its token, and an OCPI port already taken: one line, no
    traceback, a non-zero exit."""
    missing = subprocess.run(
        [sys.executable, "-m", "pytest_ocpp.reference.csms", "--ocpi-port", "0"],
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
    )
    assert missing.returncode == 2, missing.stderr
    assert "--ocpi-port and --ocpi-token go together" in missing.stderr.splitlines()[-1]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest_ocpp.reference.csms",
                "--port",
                "0",
                "--ocpi-port",
                str(port),
                "--ocpi-token",
                TOKEN_A,
                "--log-level",
                "WARNING",
            ],
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
        )
    assert busy.returncode == 1, busy.stderr
    assert "Traceback" not in busy.stderr, busy.stderr
    assert f"the OCPI CPO cannot listen on 127.0.0.1:{port} (--ocpi-host / --ocpi-port)" in (
        busy.stderr
    )

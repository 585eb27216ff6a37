"""Every OCPP 2.0.1 CSMS-side test case must be able to fail: each run here breaks one
behaviour of the reference CSMS (a ``v201_*`` or handshake entry of
:data:`~pytest_ocpp.reference.csms.DEFECTS`) and proves that the cases checking that behaviour
report "fail", not "error" and not "not applicable", while a control case in the same run still
passes (so a harness that fails everything proves nothing).

TC_B_58_CSMS judges the websocket handshake, where the reference has only one defect; three
small hand-written CSMSs add the ways real servers get subprotocol negotiation wrong, plus one
that does what OCPP-J 2.0.1 Part 4 §3.2 literally prescribes, which must pass.

The runs are real end to end: a separate ``pytest`` process per target, pointed at it with
``--ocpp-target``, the command operator driving the reference through the control CLI,
verdicts read from the JSON compliance report. The processes run a few at a time.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import NegotiationError
from websockets.typing import Subprotocol

from pytest_ocpp.config import IdTags
from pytest_ocpp.embedded import reference_id_tags
from pytest_ocpp.reference.csms import DEFECTS, ReferenceCsms
from pytest_ocpp.reference.runner import BackgroundLoop

RUN_TIMEOUT = 60.0
"""Upper bound for one pytest process; the slowest (waiting out a 2 s timeout) needs ~3 s."""

OCPP201 = "ocpp2.0.1"


@dataclass(frozen=True)
class Broken:
    """One broken target, the cases that must fail on it with ``cause`` in their message (so
    a case failing for an unrelated reason does not count), and the cases that must pass."""

    name: str
    fails: tuple[str, ...]
    cause: str
    passes: tuple[str, ...] = ()
    reference_defect: bool = True
    """A :data:`DEFECTS` toggle of the reference CSMS; else a server from :data:`SERVERS`."""

    def __str__(self) -> str:
        return self.name


DEFECT_CASES: tuple[Broken, ...] = (
    Broken(
        "v201_boot_rejected",
        ("TC_B_01_CSMS",),
        "BootNotificationResponse status Accepted",
        passes=("TC_B_58_CSMS",),
    ),
    Broken(
        "v201_boot_six_digit_fraction",
        ("TC_B_01_CSMS",),
        "currentTime",
        passes=("TC_B_58_CSMS",),
    ),
    Broken(
        "v201_accept_unknown_id_token",
        ("TC_C_02_CSMS",),
        "status Invalid or Unknown",
        passes=("TC_C_06_CSMS",),
    ),
    Broken(
        "v201_accept_blocked_id_token",
        ("TC_C_06_CSMS",),
        "status Blocked or Invalid",
        passes=("TC_C_07_CSMS",),
    ),
    Broken(
        "v201_accept_expired_id_token",
        ("TC_C_07_CSMS",),
        "status Expired or Invalid",
        passes=("TC_C_02_CSMS",),
    ),
    Broken(
        "v201_transaction_event_missing_id_token_info",
        ("TC_E_03_CSMS", "TC_E_04_CSMS"),
        "TransactionEventResponse idTokenInfo.status Accepted",
        passes=("TC_C_02_CSMS",),
    ),
    Broken(
        "accept_unsupported_subprotocol",
        ("TC_B_58_CSMS",),
        "did not close the connection",
        passes=("TC_B_01_CSMS",),
    ),
    Broken(
        "echoes_ocpp201_to_any_offer",
        ("TC_B_58_CSMS",),
        "not one of the offered subprotocols",
        reference_defect=False,
    ),
    Broken(
        "echoes_first_offered",
        ("TC_B_58_CSMS",),
        "Step 2: no upgrade",
        reference_defect=False,
    ),
    Broken(
        "picks_unsupported_when_offered_first",
        ("TC_B_58_CSMS",),
        "Step 4",
        reference_defect=False,
    ),
    Broken(
        "part4_upgrade_then_close",
        (),
        "",
        passes=("TC_B_58_CSMS",),
        reference_defect=False,
    ),
)

HANDSHAKE_DEFECTS = {"accept_unsupported_subprotocol", "accept_wrong_password"}
"""Reference defects of the websocket handshake, felt by every OCPP version."""

NOT_IN_THIS_SLICE: dict[str, str] = {
    "v201_heartbeat_bad_datetime": "no case here sends a HeartbeatRequest (TC_F_20_CSMS does)",
    "v201_request_start_wrong_id_token": "RequestStartTransaction belongs to the F cases",
    "v201_reset_wrong_type": "ResetRequest belongs to the B reset cases (TC_B_20.. _CSMS)",
    "accept_wrong_password": "security profile 1 belongs to the A cases",
}
"""Reference defects that 2.0.1 sessions feel but no case of testcases/ocpp201/csms/test_core.py
checks; listed so a new defect cannot be forgotten silently."""


# -- hand-written CSMSs for TC_B_58_CSMS -----------------------------------------------------
Select = Callable[[ServerConnection, Sequence[Subprotocol]], Subprotocol | None]


async def _hold(connection: ServerConnection) -> None:
    """Keep a negotiated connection open until the station closes it."""
    await connection.wait_closed()


async def _close_unless_negotiated(connection: ServerConnection) -> None:
    """Part 4 §3.2: an upgrade without a subprotocol is closed at once."""
    if connection.subprotocol is None:
        await connection.close(1002, "no supported OCPP subprotocol offered")
        return
    await connection.wait_closed()


def _always_ocpp201(connection: ServerConnection, offered: Sequence[Subprotocol]) -> Subprotocol:
    return Subprotocol(OCPP201)


def _first_offered(
    connection: ServerConnection, offered: Sequence[Subprotocol]
) -> Subprotocol | None:
    return offered[0] if offered else None


def _ocpp201_if_offered(
    connection: ServerConnection, offered: Sequence[Subprotocol]
) -> Subprotocol | None:
    return Subprotocol(OCPP201) if OCPP201 in offered else None


def _first_if_ocpp201_offered(
    connection: ServerConnection, offered: Sequence[Subprotocol]
) -> Subprotocol:
    """Refuses (HTTP 400) an offer without ocpp2.0.1, else takes the client's first choice."""
    if OCPP201 not in offered:
        raise NegotiationError("no supported subprotocol offered")
    return offered[0]


SERVERS: dict[str, tuple[Select, Callable[[ServerConnection], Awaitable[None]]]] = {
    # Hard-codes its answer: the client aborts the handshake, yet the server did upgrade.
    "echoes_ocpp201_to_any_offer": (_always_ocpp201, _hold),
    # Echoes the client's first choice, so it "agrees" to ocpp0.1.
    "echoes_first_offered": (_first_offered, _hold),
    # Refuses a lone ocpp0.1 but picks it from "ocpp0.1, ocpp2.0.1" (step 4).
    "picks_unsupported_when_offered_first": (_first_if_ocpp201_offered, _hold),
    # Conformant to Part 4 §3.2: 101 without Sec-WebSocket-Protocol, then close at once.
    "part4_upgrade_then_close": (_ocpp201_if_offered, _close_unless_negotiated),
}


# -- running the suite -----------------------------------------------------------------------
def _keyword(cases: tuple[str, ...]) -> str:
    """``-k`` expression selecting exactly these cases (every id ends in _CSMS, so no id is a
    prefix of another)."""
    return " or ".join(f"test_{case.lower()}" for case in cases)


def _run(target: str, control_url: str | None, broken: Broken, workdir: Path) -> dict[str, Any]:
    """One pytest process against ``target``; returns the report and the process's output."""
    workdir.mkdir(parents=True, exist_ok=True)
    report = workdir / "r.json"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--ocpp-target",
        target,
        "--ocpp-version",
        "2.0.1",
        "--ocpp-report",
        str(report),
        "-k",
        _keyword(broken.fails + broken.passes),
        "--ocpp-connect-timeout",
        "2",
        "--ocpp-response-timeout",
        "2",
        "--ocpp-message-timeout",
        "2",
    ]
    if control_url is not None:
        operator = f"{shlex.quote(sys.executable)} -m pytest_ocpp.reference.control {control_url}"
        command += ["--ocpp-csms-operator", operator]
    done = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
    )
    output = done.stdout[-4000:] + done.stderr[-2000:]
    cases = json.loads(report.read_text("utf-8"))["cases"] if report.exists() else []
    return {"cases": cases, "output": output, "returncode": done.returncode}


@dataclass
class _Targets:
    loop: BackgroundLoop
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def start(self, broken: Broken) -> tuple[str, str | None]:
        """Start the broken target; returns (base URL, control URL or None)."""
        if broken.reference_defect:
            csms = ReferenceCsms(
                defects=[broken.name],
                id_tags=reference_id_tags(IdTags()),
                response_timeout=5.0,
            )
            self.loop.run(csms.start())
            self.closers.append(csms.stop)
            return csms.url, csms.control_url
        select, handler = SERVERS[broken.name]

        async def start() -> Server:
            return await serve(
                handler,
                "127.0.0.1",
                0,
                subprotocols=[Subprotocol(OCPP201)],
                select_subprotocol=select,
            )

        server = self.loop.run(start())

        async def stop() -> None:
            server.close()
            await server.wait_closed()

        self.closers.append(stop)
        port = server.sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{port}/ocpp", None


@pytest.fixture(scope="module")
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[dict[str, Any]]]]:
    """Start one broken target per selected entry and run their suites concurrently (each is
    mostly waiting on sockets and process start-up)."""
    selected = {
        item.callspec.params["broken"].name
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec")
    }
    targets = _Targets(BackgroundLoop("pytest-ocpp-csms201-defects"))
    targets.loop.start()
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            futures: dict[str, Future[dict[str, Any]]] = {}
            for broken in DEFECT_CASES:
                if broken.name not in selected:
                    continue
                url, control = targets.start(broken)
                workdir = tmp_path_factory.mktemp(broken.name)
                futures[broken.name] = pool.submit(_run, url, control, broken, workdir)
            yield futures
    finally:
        for stop in targets.closers:
            targets.loop.run(stop())
        targets.loop.stop()


def test_every_201_defect_is_covered_or_excused() -> None:
    """Each reference defect a 2.0.1 session can feel is either proven here or excused with a
    reason; a new ``v201_`` defect must land in one of the two."""
    proven = {b.name for b in DEFECT_CASES if b.reference_defect}
    relevant = {name for name in DEFECTS if name.startswith("v201_")} | HANDSHAKE_DEFECTS
    assert proven <= set(DEFECTS)
    assert relevant - proven == set(NOT_IN_THIS_SLICE)
    assert not proven & set(NOT_IN_THIS_SLICE)


@pytest.mark.parametrize("broken", DEFECT_CASES, ids=str)
def test_cases_fail_on_broken_target(
    broken: Broken, runs: dict[str, Future[dict[str, Any]]]
) -> None:
    """Each named case's verdict is "fail" with the cause in its message; the controls pass."""
    run = runs[broken.name].result(timeout=RUN_TIMEOUT * 2)
    verdicts = {c["id"]: c for c in run["cases"]}
    context = f"target {broken.name}; pytest output:\n{run['output']}"
    for case in broken.fails:
        assert case in verdicts, f"{case} did not run; {context}"
        verdict, message = verdicts[case]["verdict"], verdicts[case]["message"] or ""
        assert verdict == "fail", f"{case}: {verdict} ({message}); {context}"
        assert broken.cause in message, f"{case} failed for another reason: {message}"
    for case in broken.passes:
        assert case in verdicts, f"{case} did not run; {context}"
        verdict, message = verdicts[case]["verdict"], verdicts[case]["message"]
        assert verdict == "pass", f"control {case}: {verdict} ({message}); {context}"

"""Every OCPP 2.0.1 CSMS-side test case must be able to fail. The per-block files
(``test_csms201_defects_<block>.py``) each break one behaviour of the reference CSMS per run
(a ``v201_*`` entry of :data:`~pytest_ocpp.reference.csms.DEFECTS`) and prove that the cases
checking it report "fail", not "error" and not "not applicable", while a control case in the
same run still passes (so a harness that fails everything proves nothing). This file proves the
websocket handshake and checks that every 2.0.1 defect is proven somewhere or excused.

TC_B_58_CSMS judges the websocket handshake, where the reference has only one defect; three
small hand-written CSMSs add the ways real servers get subprotocol negotiation wrong, plus one
that does what OCPP-J 2.0.1 Part 4 §3.2 literally prescribes, which must pass.

The runs are real end to end: a separate ``pytest`` process per target, pointed at it with
``--ocpp-target``, the command operator driving the reference through the control CLI,
verdicts read from the JSON compliance report (the plumbing is in ``harness.py``). The
processes run a few at a time.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
from harness import (
    Hosted,
    Report,
    Runs,
    assert_fails,
    assert_passes,
    hosted_server,
    reference_csms,
    run_suite,
    runs_fixture,
)
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import NegotiationError
from websockets.typing import Subprotocol

from pytest_ocpp.reference.csms import DEFECTS

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

NOT_IN_THIS_SLICE: dict[str, str] = {}
"""Reference defects that 2.0.1 sessions feel but no case of testcases/ocpp201/csms
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
def _target(broken: Broken) -> AbstractContextManager[Hosted]:
    """The reference CSMS with the defect, or the hand-written server of that name."""
    if broken.reference_defect:
        return reference_csms([broken.name])
    select, handler = SERVERS[broken.name]
    return hosted_server(
        partial(
            serve,
            handler,
            "127.0.0.1",
            0,
            subprotocols=[Subprotocol(OCPP201)],
            select_subprotocol=select,
        ),
        name=broken.name,
    )


def _run(broken: Broken, workdir: Path) -> Report:
    """The target's failing and control cases in one 2.0.1 run."""
    with _target(broken) as target:
        return run_suite(
            workdir,
            *target.args,
            "--ocpp-version",
            "2.0.1",
            ids=broken.fails + broken.passes,
            connect_timeout=2,
            response_timeout=2,
            message_timeout=2,
        )


runs = runs_fixture({b.name: partial(_run, b) for b in DEFECT_CASES}, param="broken")
"""One broken target per selected entry, their suites run concurrently."""


PROOF_FILES = ("test_csms201_security", "test_load")
"""Proof files of other capabilities that prove 2.0.1 reference defects (``PROVEN_DEFECTS``)."""


def _proven_by_block_files() -> set[str]:
    """The defects the per-block proof files (``test_csms201_defects_<block>.py``) prove, and
    those the security and load proofs do."""
    names: set[str] = set()
    for path in sorted(Path(__file__).parent.glob("test_csms201_defects_*.py")):
        module = importlib.import_module(path.stem)
        names |= {defect.name for defect in module.DEFECT_CASES}
    for stem in PROOF_FILES:
        names |= set(importlib.import_module(stem).PROVEN_DEFECTS)
    return names


def test_every_201_defect_is_covered_or_excused() -> None:
    """Each reference defect a 2.0.1 session can feel is proven here or in a block's proof
    file, or excused with a reason; a new ``v201_`` defect must land in one of them."""
    proven = {b.name for b in DEFECT_CASES if b.reference_defect} | _proven_by_block_files()
    relevant = {name for name in DEFECTS if name.startswith("v201_")} | HANDSHAKE_DEFECTS
    assert proven <= set(DEFECTS), proven - set(DEFECTS)
    unexcused = relevant - proven - set(NOT_IN_THIS_SLICE)
    assert not unexcused, f"2.0.1 defects neither proven nor excused: {sorted(unexcused)}"
    stale = proven & set(NOT_IN_THIS_SLICE)
    assert not stale, f"excused yet proven: {sorted(stale)}"


@pytest.mark.parametrize("broken", DEFECT_CASES, ids=str)
def test_cases_fail_on_broken_target(broken: Broken, runs: Runs) -> None:
    """Each named case's verdict is "fail" with the cause in its message; the controls pass."""
    report = runs[broken.name]
    assert_fails(report, broken.fails, because=broken.cause)
    assert_passes(report, broken.passes)
    expected = 1 if broken.fails else 0
    assert report.returncode == expected, f"pytest should exit {expected}; {report.output}"


def test_id_token_type_comes_from_the_config(tmp_path: Path) -> None:
    """OCTT lets the tester configure each idToken's type; ``[tags.types]`` does it, and the
    fake station sends it (issue 12 point 5)."""
    config = tmp_path / "ocpp.toml"
    config.write_text('[tags.types]\nvalid = "Central"\n', "utf-8")
    with reference_csms(versions=("2.0.1",)) as csms:
        report = run_suite(
            tmp_path,
            *csms.args,
            "--ocpp-version",
            "2.0.1",
            "--ocpp-config",
            str(config),
            ids=("TC_E_04_CSMS",),
        )
    assert_passes(report, ("TC_E_04_CSMS",))
    (case,) = report.cases
    sent = [e["text"] for e in case["trace"] if '"Authorize"' in str(e.get("text", ""))]
    assert sent and all('"type":"Central"' in text.replace(" ", "") for text in sent), sent

"""Broken frames (issue 15 point 4), against a CSMS and against a charging station: not JSON,
not an array, an unknown message type, a message id that is no string or too long, a Call of
the wrong shape, an unknown action, one message id twice, a frame over 1 MiB. The target must
stay up and usable, and answer the way the version defines where it defines one
(:mod:`pytest_ocpp.fuzz.frames`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_ocpp.fuzz import rules
from pytest_ocpp.fuzz.cases import fuzz_cases

if TYPE_CHECKING:
    from pytest_ocpp.fuzz.frames import Drawn
    from pytest_ocpp.fuzz.run import FuzzRun

TITLES = {
    "not_json": "a frame that is not JSON",
    "not_array": "a JSON frame that is not a Call array",
    "message_type": "an unknown message type number",
    "message_id": "a message id that is not a string",
    "long_id": "a message id over 36 characters",
    "malformed_call": "a Call of the wrong shape",
    "unknown_action": "an action the version does not define",
    "repeated_id": "the same message id twice",
    "oversize": "a frame over 1 MiB",
}


def _frames(run: FuzzRun, side: str, name: str) -> None:
    from pytest_ocpp.fuzz import frames

    kind = frames.KINDS[name]
    action, payload = rules.LIVENESS[side][run.version.name]

    async def example(drawn: Drawn) -> None:
        await run.frame(kind, drawn)

    run.check(kind.draw(run.version, action, payload), example)
    run.ctx.raise_findings()


def _title(name: str) -> str:
    return f"{TITLES[name]}: no crash, no hang, the defined answer"


@fuzz_cases("FRAME", "CSMS", "Broken frames", lambda version: rules.FRAME_KINDS, _title)
def test_frames_to_csms(ocpp_fuzz: FuzzRun, fuzz_version: str, subject: str) -> None:
    _frames(ocpp_fuzz, "CSMS", subject)


@fuzz_cases("FRAME", "CS", "Broken frames", lambda version: rules.FRAME_KINDS, _title)
def test_frames_to_station(ocpp_fuzz: FuzzRun, fuzz_version: str, subject: str) -> None:
    _frames(ocpp_fuzz, "CS", subject)

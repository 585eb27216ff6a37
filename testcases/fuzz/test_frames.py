"""Broken frames (issue 15 point 4), against a CSMS and against a charging station: not JSON,
not an array, an unknown message type, a message id that is no string or too long, a Call of
the wrong shape, an unknown action, one message id twice, a frame over 1 MiB. The target must
stay up and usable, and answer the way the version defines where it defines one
(:mod:`pytest_ocpp.fuzz.frames`)."""

from __future__ import annotations

from pytest_ocpp.fuzz import frames, rules
from pytest_ocpp.fuzz.cases import fuzz_cases
from pytest_ocpp.fuzz.run import FuzzRun
from pytest_ocpp.versions import get_version


def _frames(run: FuzzRun, side: str, name: str) -> None:
    kind = frames.KINDS[name]
    action, payload = rules.LIVENESS[side][run.version.name]

    async def example(drawn: frames.Drawn) -> None:
        await run.frame(kind, drawn)

    run.check(kind.draw(get_version(run.version.name), action, payload), example)
    run.ctx.raise_findings()


def _title(name: str) -> str:
    return f"{frames.KINDS[name].title}: no crash, no hang, the defined answer"


@fuzz_cases("FRAME", "CSMS", "Broken frames", lambda version: list(frames.KINDS), _title)
def test_frames_to_csms(ocpp_fuzz: FuzzRun, fuzz_version: str, subject: str) -> None:
    _frames(ocpp_fuzz, "CSMS", subject)


@fuzz_cases("FRAME", "CS", "Broken frames", lambda version: list(frames.KINDS), _title)
def test_frames_to_station(ocpp_fuzz: FuzzRun, fuzz_version: str, subject: str) -> None:
    _frames(ocpp_fuzz, "CS", subject)

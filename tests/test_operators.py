"""Operator adapters: the command gets the action as JSON and its exit status is judged; the
prompt talks to the terminal, and without one the step is not applicable."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path

import pytest

from pytest_ocpp import operators
from pytest_ocpp.verdicts import (
    NotApplicable,
    OperatorFailed,
    OperatorRefused,
    RigError,
    TargetFailure,
)


def python_command(code: str) -> str:
    return f"{sys.executable} -c {json.dumps(code)}"


@pytest.mark.asyncio
async def test_command_gets_the_job_as_json_on_stdin(tmp_path: Path) -> None:
    out = tmp_path / "job.json"
    code = f"import sys, pathlib; pathlib.Path({str(out)!r}).write_text(sys.stdin.read())"
    station = operators.StationOperator(
        operators.command_performer(python_command(code), 10), "CP_9", "command"
    )
    await station.plug_in(2)
    assert json.loads(out.read_text()) == {
        "station_id": "CP_9",
        "action": "plug_in",
        "connector_id": 2,
        "ocpp_version": "1.6",
    }


@pytest.mark.asyncio
async def test_command_failure_carries_its_stderr() -> None:
    code = "import sys; sys.stderr.write('rig offline'); sys.exit(3)"
    perform = operators.command_performer(python_command(code), 10)
    with pytest.raises(OperatorFailed, match=r"exited with status 3 for plug_out: rig offline"):
        await perform({"station_id": "CP_1", "action": "plug_out", "connector_id": 1})


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("exit_code", "outcome", "verdict_text"),
    [
        (77, NotApplicable, "cannot plug_out on this rig: no connector 2 here"),
        (78, OperatorRefused, "the target refused plug_out (operator): no connector 2 here"),
        (1, OperatorFailed, "exited with status 1 for plug_out: no connector 2 here"),
    ],
)
async def test_command_says_done_refused_not_possible_or_could_not(
    exit_code: int, outcome: type[BaseException], verdict_text: str
) -> None:
    """The operator protocol's four answers (README, "The operator protocol"): only "the
    target refused" is a verdict on the target; a rig that cannot do a step is not applicable,
    one that could not do it is an error of the rig (issue 12 pt 6, issue 22 pt 5)."""
    code = f"import sys; sys.stderr.write('no connector 2 here'); sys.exit({exit_code})"
    perform = operators.command_performer(python_command(code), 10)
    with pytest.raises(outcome, match=re.escape(verdict_text)) as raised:
        await perform({"station_id": "CP_1", "action": "plug_out", "connector_id": 2})
    assert isinstance(raised.value, TargetFailure) == (outcome is OperatorRefused)
    assert isinstance(raised.value, RigError) == (outcome is OperatorFailed)


@pytest.mark.asyncio
async def test_missing_command_is_a_rig_error() -> None:
    perform = operators.command_performer("/no/such/rig-script", 10)
    with pytest.raises(OperatorFailed, match=r"status 127 \(command not found\)"):
        await perform({"station_id": "CP_1", "action": "power_cycle"})


@pytest.mark.asyncio
async def test_command_that_hangs_is_stopped() -> None:
    code = "import sys; sys.stdin.read(); import time; time.sleep(30)"
    perform = operators.command_performer(python_command(code), 0.5)
    with pytest.raises(OperatorFailed, match=r"did not finish power_cycle within 0\.5 s"):
        await perform({"station_id": "CP_1", "action": "power_cycle"})


@pytest.mark.asyncio
async def test_unknown_station_action_is_refused() -> None:
    station = operators.StationOperator(operators.unavailable_performer("x"), "CP_1", "none")
    with pytest.raises(ValueError, match=r"unknown OCPP 1\.6 station action"):
        await station.perform("make_coffee")
    # Each version has its vocabulary: 2.0.1 presents an id token, 1.6 an id tag.
    v201 = operators.StationOperator(
        operators.unavailable_performer("x"), "CP_1", "none", ocpp_version="2.0.1"
    )
    with pytest.raises(ValueError, match=r"unknown OCPP 2\.0\.1 station action 'present_id_tag'"):
        await v201.perform("present_id_tag", id_tag="X")
    with pytest.raises(NotApplicable):
        await v201.present_id_token("X", "ISO14443", evse_id=1)


@pytest.mark.asyncio
async def test_without_operator_the_step_is_not_applicable() -> None:
    perform, name = operators.choose(None, "station", timeout=1, embedded=None)
    assert name == "none"
    with pytest.raises(NotApplicable, match="--ocpp-station-operator"):
        await perform({"station_id": "CP_1", "action": "plug_in", "connector_id": 1})


@pytest.mark.asyncio
async def test_prompt_without_a_terminal_is_not_applicable(tmp_path: Path) -> None:
    perform = operators.prompt_performer(
        operators.describe_station_job, confirm=True, timeout=1, tty_path=str(tmp_path / "none")
    )
    with pytest.raises(NotApplicable, match="no terminal"):
        await perform({"station_id": "CP_1", "action": "plug_in", "connector_id": 1})


@pytest.mark.asyncio
@pytest.mark.parametrize(("answer", "outcome"), [(b"\n", None), (b"na\n", NotApplicable)])
async def test_prompt_asks_the_person_on_the_terminal(
    answer: bytes, outcome: type[Exception] | None
) -> None:
    master, slave = os.openpty()
    try:
        perform = operators.prompt_performer(
            operators.describe_station_job, confirm=True, timeout=5, tty_path=os.ttyname(slave)
        )
        task = asyncio.ensure_future(
            perform({"station_id": "CP_1", "action": "plug_in", "connector_id": 1})
        )
        shown = b""
        loop = asyncio.get_running_loop()
        readable = asyncio.Event()
        loop.add_reader(master, readable.set)
        try:
            while b"press Enter" not in shown:
                await asyncio.wait_for(readable.wait(), 5)
                readable.clear()
                shown += os.read(master, 1024)
        finally:
            loop.remove_reader(master)
        assert b"perform 'plug_in' on station CP_1 (connector_id=1)" in shown
        os.write(master, answer)
        if outcome is None:
            await asyncio.wait_for(task, 5)
        else:
            with pytest.raises(outcome):
                await asyncio.wait_for(task, 5)
    finally:
        os.close(master)
        os.close(slave)

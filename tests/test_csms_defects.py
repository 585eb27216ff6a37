"""Every CSMS-side test case must be able to fail: each run here breaks one behaviour of the
reference CSMS (a :data:`~pytest_ocpp.reference.csms.DEFECTS` toggle) and proves that the test
cases checking that behaviour report "fail", not "error" and not "not applicable".

The runs are real end to end: a separate ``pytest`` process per defect, pointed at the broken
reference through ``--ocpp-target``, with the command operator driving it through the control
CLI, verdicts read from the JSON compliance report. The conformant half of the proof is
``test_suite_against_reference.py``. The processes run a few at a time, so the whole file stays
well under a minute.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_ocpp.config import IdTags
from pytest_ocpp.embedded import reference_id_tags
from pytest_ocpp.reference.csms import DEFECTS, ReferenceCsms
from pytest_ocpp.reference.runner import BackgroundLoop

RUN_TIMEOUT = 60.0
"""Upper bound for one defect's pytest process; the slowest (a silent CSMS) needs ~5 s."""


@dataclass(frozen=True)
class Defect:
    """One broken behaviour, the cases that must fail on it, and a phrase their failure
    message must contain, so a case failing for an unrelated reason does not count."""

    name: str
    cases: tuple[str, ...]
    cause: str

    def __str__(self) -> str:
        return self.name


DEFECT_CASES: tuple[Defect, ...] = (
    Defect("boot_rejected", ("TC_001_CSMS", "TC_013_CSMS"), "BootNotification.conf status"),
    Defect("boot_missing_current_time", ("TC_001_CSMS",), "currentTime"),
    Defect("heartbeat_bad_datetime", ("TC_001_CSMS",), "currentTime"),
    Defect("wrong_unique_id_in_reply", ("TC_001_CSMS",), "matches no Call"),
    Defect("accept_unknown_id_tag", ("TC_023_1_CSMS", "TC_037_3_CSMS"), "status Invalid"),
    Defect("accept_expired_id_tag", ("TC_023_2_CSMS",), "status Expired"),
    Defect("accept_blocked_id_tag", ("TC_023_3_CSMS",), "status Blocked"),
    Defect("never_answers_authorize", ("TC_023_1_CSMS", "TC_004_2_CSMS"), "did not answer"),
    Defect(
        "reject_valid_start_transaction",
        ("TC_003_CSMS", "TC_007_CSMS", "TC_037_1_CSMS", "TC_039_CSMS"),
        "StartTransaction.conf idTagInfo.status Accepted",
    ),
    # The second transaction of the run gets transactionId 1 again.
    Defect("reuse_transaction_id", ("TC_004_1_CSMS",), "transactionId 1 again"),
    Defect(
        "status_notification_internal_error",
        ("TC_001_CSMS", "TC_024_CSMS", "TC_004_2_CSMS"),
        "InternalError",
    ),
    Defect(
        "stop_transaction_call_error",
        ("TC_005_1_CSMS", "TC_012_CSMS", "TC_039_CSMS"),
        "InternalError",
    ),
    Defect("data_transfer_bad_error_code", ("TC_064_CSMS",), "FormatViolation"),
    Defect("garbage_frame_on_data_transfer", ("TC_064_CSMS",), "framing"),
    Defect(
        "remote_start_wrong_id_tag",
        ("TC_010_CSMS", "TC_011_1_CSMS", "TC_011_2_CSMS", "TC_026_CSMS"),
        "RemoteStartTransaction.req idTag",
    ),
    Defect("reset_wrong_type", ("TC_013_CSMS", "TC_014_CSMS"), "Reset.req type"),
    Defect(
        "unlock_wrong_connector",
        ("TC_017_1_CSMS", "TC_017_2_CSMS", "TC_018_1_CSMS", "TC_030_CSMS", "TC_031_CSMS"),
        "UnlockConnector.req connectorId",
    ),
    Defect("get_configuration_drops_keys", ("TC_019_2_CSMS",), "GetConfiguration.req key"),
    Defect(
        "change_configuration_wrong_value",
        ("TC_021_CSMS", "TC_040_1_CSMS", "TC_040_2_CSMS"),
        "ChangeConfiguration.req key",
    ),
)

#: Cases run beside the failing ones: they must still pass, so a defect that breaks
#: everything (or a harness that fails every case) cannot prove anything.
EXTRA_CASES: dict[str, tuple[str, ...]] = {"reuse_transaction_id": ("TC_003_CSMS",)}


def _keyword(cases: tuple[str, ...]) -> str:
    """``-k`` expression selecting exactly these cases (pytest matches names case-insensitively,
    and every id ends in _CSMS, so no id is a prefix of another)."""
    return " or ".join(f"test_{case.lower()}" for case in cases)


def _run(csms: ReferenceCsms, defect: Defect, workdir: Path) -> dict[str, Any]:
    """One pytest process against ``csms``; returns the report and the process's output."""
    workdir.mkdir(parents=True, exist_ok=True)
    report = workdir / "r.json"
    operator = f"{shlex.quote(sys.executable)} -m pytest_ocpp.reference.control {csms.control_url}"
    cases = defect.cases + EXTRA_CASES.get(defect.name, ())
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--ocpp-target",
        csms.url,
        "--ocpp-version",
        "1.6",
        "--ocpp-csms-operator",
        operator,
        "--ocpp-report",
        str(report),
        "-k",
        _keyword(cases),
        "--ocpp-response-timeout",
        "2",
        "--ocpp-message-timeout",
        "2",
        "--ocpp-operator-timeout",
        "10",
    ]
    done = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
    )
    output = done.stdout[-4000:] + done.stderr[-2000:]
    if not report.exists():
        return {"cases": [], "output": output, "returncode": done.returncode}
    return {
        **json.loads(report.read_text("utf-8")),
        "output": output,
        "returncode": done.returncode,
    }


@pytest.fixture(scope="module")
def defect_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[dict[str, Any]]]]:
    """Start one broken reference CSMS per selected defect and run their suites concurrently
    (each is mostly waiting on sockets and process start-up)."""
    selected = {
        item.callspec.params["defect"].name
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec")
    }
    chosen = [d for d in DEFECT_CASES if d.name in selected]
    loop = BackgroundLoop("pytest-ocpp-defect-csms")
    loop.start()
    servers: list[ReferenceCsms] = []
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            futures: dict[str, Future[dict[str, Any]]] = {}
            for defect in chosen:
                csms = ReferenceCsms(
                    defects=[defect.name],
                    versions=("1.6",),
                    id_tags=reference_id_tags(IdTags()),
                    response_timeout=5.0,
                )
                loop.run(csms.start())
                servers.append(csms)
                workdir = tmp_path_factory.mktemp(defect.name)
                futures[defect.name] = pool.submit(_run, csms, defect, workdir)
            yield futures
    finally:
        for csms in servers:
            loop.run(csms.stop())
        loop.stop()


def test_defect_table_names_real_16_defects() -> None:
    """The table must name existing 1.6 defects, each once, and at least 15 of them."""
    names = [d.name for d in DEFECT_CASES]
    assert len(set(names)) == len(names) >= 15
    assert all(name in DEFECTS and not name.startswith("v201_") for name in names)


@pytest.mark.parametrize("defect", DEFECT_CASES, ids=str)
def test_case_fails_on_defect(
    defect: Defect, defect_runs: dict[str, Future[dict[str, Any]]]
) -> None:
    """Each named case's verdict is "fail" with the defect's cause in its message."""
    run = defect_runs[defect.name].result(timeout=RUN_TIMEOUT * 2)
    verdicts = {c["id"]: c for c in run["cases"]}
    context = f"defect {defect.name}; pytest output:\n{run['output']}"
    for case in defect.cases:
        assert case in verdicts, f"{case} did not run; {context}"
        result = verdicts[case]
        assert result["verdict"] == "fail", (
            f"{case} should fail on {defect.name} but was {result['verdict']}: "
            f"{result['message']}; {context}"
        )
        assert defect.cause in result["message"], (
            f"{case} failed on {defect.name}, but not because of it: {result['message']!r} "
            f"(expected the message to mention {defect.cause!r})"
        )
    for case in EXTRA_CASES.get(defect.name, ()):
        assert verdicts.get(case, {}).get("verdict") == "pass", (
            f"{case} should still pass on {defect.name}; {context}"
        )
    assert run["returncode"] == 1, f"pytest should exit 1 (tests failed); {context}"

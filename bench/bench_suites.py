"""Wall time of the bundled suites against the embedded reference targets:
``python bench/bench_suites.py [--side csms|cs|both] [--version 1.6|2.0.1|all] [--repeat N]``.

Issue 13's target: the whole 2.0.1 CSMS-side set in under 60 s on 2 cores
(``--side csms --version 2.0.1``); CSMS-side cases wait on nothing but the target's answers.
Station-side cases also wait for what the specification imposes (intervals, absence windows,
reboots): for the ten slowest cases the bench names the longest quiet stretch of each trace
and the step it fell in, which is what that case waits for.

Each run is a fresh ``pytest --ocpp-reference`` process, as a user runs it; the JSON
compliance report gives the verdict counts, so a faster run that passes less is visible.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SELECTORS = {"csms": "csms", "cs": "not csms"}


def run_suite(side: str, version: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        started = time.perf_counter()
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--ocpp-reference",
                f"--ocpp-version={version}",
                "-k",
                SELECTORS[side],
                "--ocpp-report",
                str(report),
            ],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        elapsed = time.perf_counter() - started
        document = json.loads(report.read_text()) if report.exists() else {"cases": []}
    slowest = sorted(document["cases"], key=lambda c: c["duration"], reverse=True)[:10]
    return {
        "seconds": round(elapsed, 2),
        "exit_code": completed.returncode,
        "totals": document.get("totals", {}),
        "slowest": [(c["id"], c["duration"], waits_for(c)) for c in slowest],
    }


def waits_for(case: dict[str, Any]) -> str:
    """The longest quiet stretch of a case's trace (no frame, no step) and the step it fell
    in: with the reference answering in milliseconds, that is the wait the case imposes."""
    trace = case.get("trace") or []
    if not trace:
        return ""
    start = trace[0]["time"]
    end = max(start + case["duration"], trace[-1]["time"])
    marks = [entry["time"] for entry in trace] + [end]
    step_text = "(before the first step)"
    longest, where = 0.0, step_text
    for index, entry in enumerate(trace):
        if entry.get("link") == "step":
            step_text = entry["text"]
        gap = marks[index + 1] - entry["time"]
        if gap > longest:
            longest, where = gap, step_text
    return f"{longest:.1f} s quiet in step: {where}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", choices=["csms", "cs", "both"], default="both")
    parser.add_argument("--version", choices=["1.6", "2.0.1", "all"], default="1.6")
    parser.add_argument("--slowest", action="store_true", help="print the ten slowest cases")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    sides = ["csms", "cs"] if args.side == "both" else [args.side]
    result: dict[str, Any] = {}
    for side in sides:
        runs = [run_suite(side, args.version) for _ in range(args.repeat)]
        result[side] = {**runs[-1], "median_seconds": statistics.median(r["seconds"] for r in runs)}
        print(
            f"{side} suite ({args.version}) against the reference: median {result[side]['median_seconds']} s over "
            f"{args.repeat} run(s), {result[side]['totals']}",
            file=sys.stderr,
        )
        if args.slowest:
            for case_id, duration, wait in result[side]["slowest"]:
                print(f"  {case_id:<16} {duration:6.1f} s  {wait}", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

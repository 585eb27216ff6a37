"""What the reports cost: ``python bench/bench_reporting.py [--version 1.6|2.0.1|all]
[--repeat N]``.

The whole CSMS-side suite against the embedded reference CSMS (``pytest --ocpp-reference
-k csms``, fuzz properties left out: their example counts vary run to run), once with no
report, once with ``--alluredir`` (three attachments per case: text trace, JSON trace, SVG
sequence diagram), once with ``--ocpp-report`` (the JSON compliance report) and once with
both. Issue 16's target: every variant within 1.2× the wall time of the bare run.

Each run is a fresh pytest process, as a user runs it; the variants are interleaved when
repeated, so a machine that slows down over time slows all of them alike. Besides wall time,
the child's CPU time (user + system) shows the cost even when the run is mostly waiting on
the reference's answers. One JSON object on stdout, a readable table on stderr. Speed is
measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

VARIANTS: dict[str, list[str]] = {
    "bare": [],
    "allure": ["--alluredir", "{tmp}/allure-results"],
    "json": ["--ocpp-report", "{tmp}/report.json"],
    "allure+json": ["--alluredir", "{tmp}/allure-results", "--ocpp-report", "{tmp}/report.json"],
}


def run_once(version: str, variant: str) -> dict[str, Any]:
    """One pytest process of the CSMS side with ``variant``'s report options: wall and CPU
    seconds, exit status, and the size of what the reports wrote."""
    with tempfile.TemporaryDirectory() as tmp:
        options = [option.format(tmp=tmp) for option in VARIANTS[variant]]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
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
                "csms",
                "-m",
                "not ocpp_fuzz",
                *options,
            ],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        written = sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file())
        results = Path(tmp) / "allure-results"
        attachments = len(list(results.glob("*-attachment.*"))) if results.is_dir() else 0
    summary = completed.stdout.strip().splitlines()[-1] if completed.stdout.strip() else ""
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2),
        "exit_code": completed.returncode,
        "written_mb": round(written / 1e6, 1),
        "attachments": attachments,
        "summary": summary,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", choices=["1.6", "2.0.1", "all"], default="all")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    os.environ.pop("PYTEST_ADDOPTS", None)  # the variants alone decide what is written
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in VARIANTS}
    for _ in range(args.repeat):
        for name in VARIANTS:
            runs[name].append(run_once(args.version, name))
            print(f"  {name:<12} {runs[name][-1]}", file=sys.stderr)
    bare_wall = statistics.median(r["wall_s"] for r in runs["bare"])
    bare_cpu = statistics.median(r["cpu_s"] for r in runs["bare"])
    result: dict[str, Any] = {"version": args.version, "repeat": args.repeat, "variants": {}}
    print(
        f"CSMS side ({args.version}) against the reference, median of {args.repeat}:",
        file=sys.stderr,
    )
    print(
        f"  {'variant':<12} {'wall s':>8} {'ratio':>6} {'cpu s':>8} {'ratio':>6}", file=sys.stderr
    )
    for name, variant_runs in runs.items():
        wall = statistics.median(r["wall_s"] for r in variant_runs)
        cpu = statistics.median(r["cpu_s"] for r in variant_runs)
        result["variants"][name] = {
            "wall_s": wall,
            "wall_ratio": round(wall / bare_wall, 3),
            "cpu_s": cpu,
            "cpu_ratio": round(cpu / bare_cpu, 3),
            "runs": variant_runs,
        }
        print(
            f"  {name:<12} {wall:>8.1f} {wall / bare_wall:>6.2f} {cpu:>8.1f} {cpu / bare_cpu:>6.2f}"
            f"  {variant_runs[-1]['summary']}",
            file=sys.stderr,
        )
    print("  target: every ratio of wall time at most 1.2", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""What a load run measured, read back from Locust's CSV files and our figures file, and the
gate's thresholds applied to it. Pure module (no gevent): the gate and the tests use it.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_ocpp.load.settings import LoadSettings


@dataclass(frozen=True)
class Row:
    """One line of ``<prefix>_stats.csv``: an OCPP action, the handshake, or the total."""

    type: str
    name: str
    count: int
    failures: int
    p50: float
    p95: float
    p99: float
    max: float


@dataclass
class Results:
    rows: dict[tuple[str, str], Row]
    failures: list[tuple[str, str, str, int]]
    """(type, name, reason, occurrences) from ``<prefix>_failures.csv``."""
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> Row:
        return self.rows[("", "Aggregated")]

    def row(self, name: str) -> Row | None:
        return next((r for (_, n), r in self.rows.items() if n == name), None)

    def reasons(self, name: str) -> dict[str, int]:
        """Failure reasons of one stat name, with their counts."""
        return {reason: n for _, row, reason, n in self.failures if row == name}


def _number(text: str) -> float:
    return float(text) if text not in ("", "N/A") else 0.0


def read(prefix: str | Path) -> Results:
    """The results of a run started with ``--csv PREFIX``."""
    prefix = str(prefix)
    rows = {}
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as handle:
        for line in csv.DictReader(handle):
            row = Row(
                line["Type"],
                line["Name"],
                int(line["Request Count"]),
                int(line["Failure Count"]),
                _number(line["50%"]),
                _number(line["95%"]),
                _number(line["99%"]),
                _number(line["Max Response Time"]),
            )
            rows[(row.type, row.name)] = row
    failures = []
    with open(f"{prefix}_failures.csv", newline="", encoding="utf-8") as handle:
        for line in csv.DictReader(handle):
            failures.append((line["Method"], line["Name"], line["Error"], int(line["Occurrences"])))
    figures_path = Path(f"{prefix}_ocpp.json")
    figures = json.loads(figures_path.read_text("utf-8")) if figures_path.exists() else {}
    return Results(rows, failures, figures)


def missed(results: Results, settings: LoadSettings, stations: int) -> list[str]:
    """The gate's verdict: each threshold of ``[load]`` the run missed, with the figures."""
    problems = []
    total = results.total
    ratio = total.failures / total.count if total.count else 1.0
    if total.count == 0:
        problems.append(
            f"no request was completed within gate_duration {settings.gate_duration:g} s "
            "(is the CSMS accepting connections? on a busy machine, raise gate_duration)"
        )
    elif ratio > settings.max_failure_ratio:
        worst = sorted(results.failures, key=lambda f: -f[3])[:3]
        detail = "; ".join(f"{name}: {reason} ({n}x)" for _, name, reason, n in worst)
        problems.append(
            f"failure ratio {ratio:.4f} ({total.failures} of {total.count}) is above "
            f"max_failure_ratio {settings.max_failure_ratio:g}" + (f" — {detail}" if detail else "")
        )
    if total.p95 > settings.p95_ms:
        slowest = sorted(
            (r for k, r in results.rows.items() if k != ("", "Aggregated")), key=lambda r: -r.p95
        )[:3]
        detail = ", ".join(f"{r.name} {r.p95:g} ms" for r in slowest)
        problems.append(
            f"p95 latency {total.p95:g} ms is above p95_ms {settings.p95_ms:g} (slowest: {detail})"
        )
    wanted = settings.min_stations if settings.min_stations is not None else stations
    peak = int(results.figures.get("stations_connected_peak", 0))
    if peak < wanted:
        problems.append(f"{peak} stations connected at the peak, fewer than min_stations {wanted}")
    return problems

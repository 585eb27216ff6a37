"""The machine-readable compliance report (``--ocpp-report=FILE.json``).

A documented, versioned format, so a dashboard or a certification pre-check can rely on it:
``"format": "pytest-ocpp-report"`` and ``"format_version": 1``, validated by the JSON Schema
shipped beside this module (``schema/report-v1.schema.json``, :data:`SCHEMA_PATH`). Within a
format version fields are only ever added, never renamed or removed: readers ignore keys they
do not know. A breaking change raises ``format_version``.

Contents: the run's metadata (``run``, with its security profile and whether the CSMS's
certificate was verified: a run with ``tls_verification`` false proves nothing about it), the
verdict ``totals``, the totals per version, side and certification profile (``groups``, with
the catalogue's size for coverage), what the baseline did (``baseline``, ``gate``) and one
record per case with its verdict, reason, failing step, requirement ids, warnings and full
frame trace as evidence. The keys of the first, unversioned report (``tool``, ``generated``,
``target``, ``message``, ``step`` ...) are kept at their places.
"""

from __future__ import annotations

import json
import platform
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from pytest_ocpp import security
from pytest_ocpp.config import OcppConfig
from pytest_ocpp.report.summary import (
    FUZZING,
    VERDICTS,
    CaseResult,
    Results,
    catalog_size,
    distinct_cases,
    group_notes,
)

FORMAT = "pytest-ocpp-report"
FORMAT_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "report-v1.schema.json"
"""The JSON Schema (draft 2020-12) every version-1 report validates against."""


def schema() -> dict[str, Any]:
    """The report's JSON Schema, as shipped with the package."""
    return json.loads(SCHEMA_PATH.read_text("utf-8"))


def _tool_version() -> str | None:
    try:
        return metadata.version("pytest-ocpp")
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return None


def case_record(r: CaseResult) -> dict[str, Any]:
    """One case of the report."""
    return {
        "id": r.case["id"],
        "title": r.case["title"],
        "version": r.case["version"],
        "side": r.case["side"],
        "profile": r.case["profile"],
        "block": r.case["block"],
        "nodeid": r.nodeid,
        "verdict": r.verdict,
        "reason": r.message,
        "message": r.message,
        "failing_step": r.step or None,
        "step": r.step,
        "requirements": list(r.requirements),
        "duration": round(r.duration, 4),
        "warnings": r.warnings,
        "secondary": r.secondary,
        "octt_specific": r.octt_specific,
        "provisional": r.provisional,
        "uncertified": r.uncertified or None,
        "cascade": r.cascade,
        "root_cause": r.root_cause or None,
        "baselined": r.baselined,
        "baseline_reason": r.baseline_reason or None,
        "baseline_expired": r.baseline_expired or None,
        "trace": r.trace,
    }


def document(
    results: Results, config: OcppConfig, pytest_config: pytest.Config | None = None
) -> dict[str, Any]:
    """The report as a JSON-ready dictionary."""
    generated = datetime.now(timezone.utc).isoformat()
    totals = results.totals()
    groups = []
    for (version, side, profile), cases in results.groups():
        fuzzing = profile == FUZZING
        groups.append(
            {
                "version": version,
                "side": side,
                "profile": profile,
                "fuzzing": fuzzing,
                "totals": results.totals(cases),
                "cases_run": distinct_cases(cases),
                "catalogue_cases": None if fuzzing else catalog_size(version, side, profile),
                "notes": group_notes(cases) or None,
            }
        )
    option = getattr(pytest_config, "option", None)
    applied = results.baseline
    gating = [r for r in results.cases.values() if r.gating]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tool": "pytest-ocpp",
        "generated": generated,
        "python": platform.python_version(),
        "target": config.target or ("reference" if config.reference else None),
        "listen": list(config.listen) if config.listen else None,
        "versions": [v.name for v in config.versions],
        "run": {
            "tool_version": _tool_version(),
            "pytest_version": pytest.__version__,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "generated": generated,
            "target": config.target,
            "listen": f"{config.listen[0]}:{config.listen[1]}" if config.listen else None,
            "reference": bool(config.reference),
            "versions": [v.name for v in config.versions],
            "profiles": sorted(config.profiles) if config.profiles is not None else None,
            "keyword": (getattr(option, "keyword", "") or None) if option else None,
            "markers": (getattr(option, "markexpr", "") or None) if option else None,
            **security.run_facts(config),
        },
        "totals": {v: totals[v] for v in VERDICTS},
        "gate": {
            "passed": not gating,
            "gating_cases": len(gating),
            "known_deviations": sum(1 for r in results.cases.values() if r.baselined),
        },
        "groups": groups,
        "baseline": None
        if applied is None
        else {
            "path": applied.path,
            "entries": len(applied.deviations),
            "known_deviations": sorted(
                {r.case["id"] for r in results.cases.values() if r.baselined}
            ),
            "expired": [_entry(d) for d in applied.expired],
            "fixed": [_entry(d) for d, _ in applied.fixed],
            "unused": [_entry(d) for d in applied.unused],
        },
        "cases": [case_record(r) for r in results.cases.values()],
    }


def _entry(deviation: Any) -> dict[str, Any]:
    return {
        "id": deviation.id,
        "version": deviation.version,
        "reason": deviation.reason,
        "expires": str(deviation.expires) if deviation.expires else None,
    }


def write_json(
    path: Path, results: Results, config: OcppConfig, pytest_config: pytest.Config | None = None
) -> None:
    """Write the report to ``path`` (its directory is created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document(results, config, pytest_config), indent=2), "utf-8")

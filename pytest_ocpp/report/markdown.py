"""The Markdown compliance summary (``--ocpp-report-md=FILE.md``), for a CI job's summary
page (GitHub Actions: append it to ``$GITHUB_STEP_SUMMARY``; GitLab: publish it as an
artifact).

A reviewer opening a pipeline wants the answer first (did it pass, what broke), then the
evidence: so a headline, the totals per version, side and certification profile, every failed
case with its reason, failing step and the requirements it checks, the known deviations of
the baseline, and the not-applicable cases grouped by reason. The frame traces stay in the
JSON report and Allure: a job summary page has a size limit (1 MiB on GitHub).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from pytest_ocpp import security
from pytest_ocpp.config import OcppConfig
from pytest_ocpp.report.summary import (
    FUZZING,
    NA,
    VERDICTS,
    CaseResult,
    Results,
    catalog_size,
    distinct_cases,
    group_notes,
    total_line,
    under_test,
)

MAX_REASON = 400
"""Characters of a reason shown in a table cell; the JSON report has the whole message."""


def cell(text: object) -> str:
    """``text`` made safe for one Markdown table cell: a ``|`` would end the cell and a
    newline the row, so pipes are escaped and line breaks become ``<br>``."""
    value = str(text).replace("\\", "\\\\").replace("|", "\\|")
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "<br>".join(part.strip() for part in value.split("\n")).strip()


def _short(text: str, limit: int = MAX_REASON) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render(results: Results, config: OcppConfig | None = None) -> str:
    """The Markdown document; ``config`` (the run's :class:`~pytest_ocpp.config.OcppConfig`)
    adds the run's transport security under the headline (:func:`_security`)."""
    gating = [r for r in results.cases.values() if r.gating]
    known = [r for r in results.cases.values() if r.baselined]
    lines: list[str] = []
    if not results.cases:
        headline = "⚠️ **No OCPP test case ran** (no bundled case matches the selection)"
    elif gating:
        headline = f"❌ **OCPP compliance: {len(gating)} case(s) failed or errored**"
    else:
        headline = "✅ **OCPP compliance: no failures**"
        if known:
            headline += f" outside the baseline ({len(known)} known deviations)"
    lines += ["## OCPP compliance summary", "", headline, "", f"`{total_line(results)}`", ""]
    lines += _security(config)
    if results.cases:
        lines += _totals_table(results)
    lines += _failures(gating)
    lines += _known(results, known)
    lines += _not_applicable(results)
    return "\n".join(lines).rstrip() + "\n"


def _security(config: OcppConfig | None) -> list[str]:
    """The security profile, and a warning when the CSMS's certificate was not verified: a
    reviewer reading only the job page must not take a green run as proof of valid TLS."""
    if config is None:
        return []
    facts = security.run_facts(config)
    lines = []
    profile = facts["security_profile"]
    if profile is not None:
        lines += [f"**Security profile {profile}**: {security.PROFILES[profile]}.", ""]
    if not facts["tls_verification"]:
        lines += [f"⚠️ **{security.INSECURE_NOTICE}.**", ""]
    return lines


def _totals_table(results: Results) -> list[str]:
    lines = [
        "| OCPP | under test | profile | pass | fail | n/a | error | run / catalogue |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for (version, side, profile), cases in results.groups():
        counts = results.totals(cases)
        if profile == FUZZING:
            coverage = f"{len(cases)} hypothesis properties, not OCTT cases"
        else:
            coverage = f"{distinct_cases(cases)} / {catalog_size(version, side, profile)}"
            notes = group_notes(cases)
            if notes:
                coverage += f" ({notes})"
        row = [version, under_test(side), profile, *(counts[v] for v in VERDICTS), coverage]
        lines.append("| " + " | ".join(cell(value) for value in row) + " |")
    return [*lines, ""]


def _case_rows(cases: list[CaseResult], baseline: bool = False) -> list[str]:
    head = "| case | OCPP | title | verdict | reason | failing step | requirements |"
    if baseline:
        head += " baseline |"
    lines = [head, "| " + " | ".join(["---"] * (head.count("|") - 1)) + " |"]
    for r in sorted(cases, key=lambda r: (r.case["version"], r.case["side"], r.case["id"])):
        tags = [t for t, on in (("cascade", r.cascade), ("OCTT-specific", r.octt_specific)) if on]
        if r.baseline_expired:
            tags.append(f"baseline entry expired {r.baseline_expired}")
        reason = _short(r.message) + (f" ({', '.join(tags)})" if tags else "")
        row = [
            f"`{r.case['id']}`",
            r.case["version"],
            r.case["title"],
            r.verdict,
            reason,
            r.step,
            ", ".join(r.requirements),
        ]
        if baseline:
            row.append(r.baseline_reason)
        lines.append("| " + " | ".join(cell(value) for value in row) + " |")
    return [*lines, ""]


def _failures(gating: list[CaseResult]) -> list[str]:
    if not gating:
        return []
    return [f"### Failed and errored cases ({len(gating)})", "", *_case_rows(gating)]


def _known(results: Results, known: list[CaseResult]) -> list[str]:
    applied = results.baseline
    if applied is None:
        return []
    lines = [f"### Known deviations ({len(known)}, baseline `{cell(applied.path)}`)", ""]
    if known:
        lines += ["Listed in the baseline: reported, not failing the run.", ""]
        lines += _case_rows(known, baseline=True)
    else:
        lines += ["None of this run's failures is in the baseline.", ""]
    for deviation in applied.expired:
        lines.append(
            f"- ⚠️ baseline entry expired: `{deviation.describe()}` expired {deviation.expires} "
            f"({cell(deviation.reason)}): it fails the run again"
        )
    for deviation, ids in applied.fixed:
        lines.append(
            f"- ✅ baseline can shrink: {', '.join(f'`{i}`' for i in ids)} now passes; "
            f"remove the entry `{deviation.describe()}`"
        )
    return [*lines, ""] if lines[-1] else lines


def _not_applicable(results: Results) -> list[str]:
    by_reason: dict[str, list[str]] = defaultdict(list)
    for r in results.cases.values():
        if r.verdict == NA:
            by_reason[r.reason_line.removeprefix("not applicable: ")].append(r.case["id"])
    if not by_reason:
        return []
    count = sum(len(ids) for ids in by_reason.values())
    lines = [
        f"### Not applicable ({count})",
        "",
        "<details><summary>reasons, grouped</summary>",
        "",
        "| cases | reason |",
        "| ---: | --- |",
    ]
    for reason, ids in sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        shown = ", ".join(sorted(ids)[:20]) + (" …" if len(ids) > 20 else "")
        lines.append(f"| {len(ids)} | {cell(_short(reason, 300))}<br>{cell(shown)} |")
    return [*lines, "", "</details>", ""]


def write_markdown(path: Path, results: Results, config: OcppConfig | None = None) -> None:
    """Write the summary to ``path`` (its directory is created); appending to an existing
    file (``$GITHUB_STEP_SUMMARY`` collects every step's output) is the caller's choice."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(results, config), "utf-8")

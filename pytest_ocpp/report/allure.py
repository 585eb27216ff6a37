"""Allure results: labels that organise the report by version, profile, functional block and
OCA id, links to the requirements a case cites, the evidence attached to every case (text
trace, JSON trace, sequence diagram, warnings) and the run-wide files (environment,
categories).

Labels and links go on as markers at collection (allure-pytest reads ``allure_label`` and
``allure_link`` markers); the evidence is attached after the call phase, because a title or
attachment added during fixture setup is overwritten once setup ends.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_ocpp import parallel
from pytest_ocpp.config import OcppConfig
from pytest_ocpp.report import sequence
from pytest_ocpp.report.requirements import requirement, requirement_ids


def label(item: pytest.Item, case: dict[str, Any], ocpp_config: OcppConfig) -> None:
    """Label ``item`` for Allure, link the requirements its docstring cites and title it
    "TC_010_CSMS Remote Start ...".

    ``ocpp_config`` brings ``--ocpp-spec-url``, so the links point where the JSON report's
    requirement ids point (the plugin passes it in: importing it from here would be circular).
    """
    for mark in _markers(case):
        item.add_marker(mark)
    function = getattr(item, "obj", None)
    for mark in _links(case["version"], getattr(function, "__doc__", None), ocpp_config):
        item.add_marker(mark)
    if function is not None:
        function.__allure_display_name__ = f"{case['id']} {case['title']}"


def _links(version: str, doc: str | None, ocpp_config: OcppConfig) -> list[pytest.MarkDecorator]:
    """One Allure link per cited requirement, named "E14.FR.01 (OCPP 2.0.1 edition 3 Part 2,
    E14)": the reader sees which rule the case is evidence for before following the link.
    Type "link", not "tms" or "issue": ``--allure-link-pattern`` rewrites those types' urls."""
    return [
        pytest.mark.allure_link(found.url, link_type="link", name=found.name)
        for found in (
            requirement(version, rid, template=ocpp_config.spec_url)
            for rid in requirement_ids(version, doc)
        )
    ]


def _markers(case: dict[str, Any]) -> list[pytest.MarkDecorator]:
    side = "CSMS" if case["side"] == "CSMS" else "Charging Station"
    # an OCPI case's version names its protocol ("OCPI 2.2.1"); an OCA case's is a bare number
    protocol = case["version"] if case["version"].startswith("OCPI") else f"OCPP {case['version']}"
    return [
        pytest.mark.allure_label(f"{protocol} · {side} under test", label_type="epic"),
        pytest.mark.allure_label(case["profile"], label_type="feature"),
        pytest.mark.allure_label(case["block"], label_type="story"),
        pytest.mark.allure_label(case["id"], label_type="tag"),
        *(
            [pytest.mark.allure_label("provisional (no OCTT table)", label_type="tag")]
            if case.get("provisional")
            else []
        ),
        *(
            [pytest.mark.allure_label(f"not certified: {case['uncertified']}", label_type="tag")]
            if case.get("uncertified")
            else []
        ),
    ]


def attach_trace(config: pytest.Config, ctx: Any) -> None:
    """Attach the case's evidence: the text trace, the same trace as JSON (for tools), the
    sequence diagram (for people) and the warnings.

    Called from the ``pytest_runtest_call`` wrapper's ``finally``: while the call's exception
    propagates, :func:`sys.exc_info` holds it, and its ``.step`` is the step the verdict names
    (the case's current step may already be a clean-up step run after the failure)."""
    if ctx is None or not config.pluginmanager.hasplugin("allure_pytest"):
        return
    if not getattr(config.option, "allure_report_dir", None):
        return
    import allure

    allure.attach(
        ctx.trace.render(), name="OCPP trace", attachment_type=allure.attachment_type.TEXT
    )
    entries = ctx.trace.to_list()
    allure.attach(
        json.dumps(entries, indent=1, ensure_ascii=False),
        name="OCPP trace (JSON)",
        attachment_type=allure.attachment_type.JSON,
    )
    allure.attach(
        sequence.render_svg(
            entries,
            csms_under_test=_csms_under_test(ctx, entries),
            failed_step=failed_step(ctx, sys.exc_info()[1]),
            title=f"{ctx.case_id}: pytest-ocpp and the target, frame by frame",
        ),
        name="OCPP sequence diagram",
        attachment_type=allure.attachment_type.SVG,
    )
    if ctx.warnings:
        allure.attach(
            "\n".join(ctx.warnings),
            name=f"OCPP warnings ({len(ctx.warnings)})",
            attachment_type=allure.attachment_type.TEXT,
        )
        allure.dynamic.tag("warnings")


def attach_text(config: pytest.Config, name: str, text: str) -> None:
    """Attach ``text`` to the running case's Allure result (an OCPI case's HTTP exchanges);
    nothing when the run writes no Allure results."""
    if results_dir(config) is None:
        return
    import allure

    allure.attach(text, name=name, attachment_type=allure.attachment_type.TEXT)


def _csms_under_test(ctx: Any, entries: list[dict[str, Any]]) -> bool:
    """Which side pytest-ocpp plays, for the diagram's lifelines: the OCA id says it
    (``…_CSMS``, ``…_CS``); a fuzz property's id does not, but its connections do: fake
    stations own theirs, a fake CSMS only borrows the station's (:meth:`CaseContext.register`).
    """
    case_id = str(ctx.case_id)
    links = list(getattr(ctx, "links", ()))
    if not case_id.endswith(("_CSMS", "_CS")) and links:
        return all(link in ctx.owned for link in links)
    return sequence.side_of(case_id, entries)


def failed_step(ctx: Any, exc: BaseException | None) -> str | None:
    """The step a failed or errored call failed at, as the verdict names it (the primary
    failure's stamped ``.step``, else the case's current step); None when it did not fail.
    A "not applicable" skip is no failure."""
    if exc is None or isinstance(exc, pytest.skip.Exception | KeyboardInterrupt):
        return None
    from pytest_ocpp.report.summary import failing_step, primary_failure

    primary, _ = primary_failure(exc)
    return failing_step(ctx, primary)


def results_dir(config: pytest.Config) -> Path | None:
    """The ``--alluredir`` of this run, when allure-pytest is there to fill it."""
    if not config.pluginmanager.hasplugin("allure_pytest"):
        return None
    directory = getattr(config.option, "allure_report_dir", None)
    return Path(directory) if directory else None


ENVIRONMENT_KEY = pytest.StashKey[dict[str, str]]()
"""More of what was tested, from the plugins beside the OCPP one (the OCPI target)."""


def environment(ocpp_config: OcppConfig, operators: dict[str, str]) -> dict[str, str]:
    """What Allure's Environment widget shows: what was tested, with what, how."""
    from pytest_ocpp import __version__

    target = ocpp_config.target or ("embedded reference targets" if ocpp_config.reference else "")
    values = {
        "target": target,
        "listen": ":".join(map(str, ocpp_config.listen)) if ocpp_config.listen else "",
        "ocpp.versions": ", ".join(v.name for v in ocpp_config.versions),
        "station.id": ocpp_config.station_id,
        "pytest_ocpp.version": __version__,
        "config.file": str(ocpp_config.config_file or ""),
        **operators,
    }
    return {key: value for key, value in values.items() if value}


def write_environment(directory: Path, values: dict[str, str]) -> None:
    """``environment.properties`` (Java properties: ``key = value``, one per line, with
    ``\\``, ``=`` and ``:`` escaped)."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("=", "\\=").replace(":", "\\:")

    directory.mkdir(parents=True, exist_ok=True)
    lines = [f"{escape(key)} = {escape(value)}" for key, value in values.items()]
    (directory / "environment.properties").write_text("\n".join(lines) + "\n", "utf-8")


def finish(config: pytest.Config, ocpp_config: OcppConfig) -> None:
    """Files Allure reads from the results directory as a whole, written once the run ends."""
    directory = results_dir(config)
    if directory is None:
        return
    operators = {
        "operator.csms": _operator_kind(ocpp_config.csms_operator),
        "operator.station": _operator_kind(ocpp_config.station_operator),
    }
    if parallel.planned_workers(config) > 1:
        operators["station.id"] = ", ".join(parallel.worker_ids(config, ocpp_config))
    operators.update(config.stash.get(ENVIRONMENT_KEY, {}))
    write_environment(directory, environment(ocpp_config, operators))
    write_categories(directory)


_CONNECTION = "ConnectionLost|ConnectFailed|UnexpectedSubprotocol"
_TIMEOUT = "TargetTimeout"

CATEGORIES: list[dict[str, Any]] = [
    {
        "name": "Non-conformance: the target broke a rule",
        "description": "A verdict on the target: a frame, an answer or a behaviour the "
        "specification or the OCTT table forbids (TargetFailure, a scenario's assert).",
        "matchedStatuses": ["failed"],
        "messageRegex": rf"(?!pytest_ocpp\.verdicts\.(?:{_TIMEOUT}|{_CONNECTION}):).*",
    },
    {
        "name": "Timeouts: the target did not answer or act in time",
        "description": "TargetTimeout: no answer within --ocpp-response-timeout, no expected "
        "message within --ocpp-message-timeout, or the case over --ocpp-case-timeout.",
        "matchedStatuses": ["failed"],
        "messageRegex": rf"pytest_ocpp\.verdicts\.{_TIMEOUT}: .*",
    },
    {
        "name": "Connection failures: the target closed, dropped or refused the connection",
        "description": "ConnectionLost, ConnectFailed (no websocket opened or accepted), and "
        "'target unavailable' (closed right after the handshake with 1011/1012/1013).",
        "matchedStatuses": ["failed", "broken"],
        "messageRegex": rf"pytest_ocpp\.verdicts\.(?:{_CONNECTION}|TargetUnavailable): .*",
    },
    {
        "name": "Not applicable to this target or run",
        "description": "Skipped on purpose, with the reason: a profile the target does not "
        "claim, no operator configured, a version not selected.",
        "matchedStatuses": ["skipped"],
        "messageRegex": ".*not applicable: .*",
    },
    {
        "name": "Test rig error: an operator command, a person or the machine failed",
        "description": "Not a verdict on the target: fix the rig and run the case again.",
        "matchedStatuses": ["broken"],
        "traceRegex": ".*test rig error: .*",
    },
    {
        "name": "pytest-ocpp internal error: a bug on our side",
        "description": "Not a verdict on the target: please report it with the trace.",
        "matchedStatuses": ["broken"],
        "messageRegex": r"(?!pytest_ocpp\.verdicts\.TargetUnavailable:).*",
        "traceRegex": r"(?!.*test rig error: ).*",
    },
]
"""Allure's categories (``categories.json``): each failed, broken or skipped case lands in
exactly one. Allure matches ``messageRegex`` against ``statusDetails.message``, which
allure-pytest writes as ``call.excinfo.exconly()`` ("pytest_ocpp.verdicts.TargetTimeout: the
CSMS did not answer ..."), and ``traceRegex`` against the trace, which is the report's
``longrepr`` (:func:`pytest_ocpp.report.summary.record` makes it "OperatorFailed: test rig
error: ..."). Java's ``Pattern.matches`` with DOTALL: the regexes must match the whole text
and stay within the syntax Java and Python share (the tests evaluate them with ``re``)."""


def write_categories(directory: Path) -> None:
    """``categories.json``, so Allure's Categories tab separates the target's defects from
    timeouts, connection trouble, not applicable cases and our own errors."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "categories.json").write_text(json.dumps(CATEGORIES, indent=2), "utf-8")


def _operator_kind(setting: str | None) -> str:
    """'prompt', 'command' or '' (none set): never the command line itself, which may hold
    secrets."""
    if not setting:
        return ""
    return "prompt" if setting.strip() == "prompt" else "command"

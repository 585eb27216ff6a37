"""Allure results: labels that organise the report by version, profile, functional block and
OCA id, and the frame trace attached to every case.

Labels go on as markers at collection (allure-pytest reads ``allure_label`` markers); the
trace is attached after the call phase, because a title or attachment added during fixture
setup is overwritten once setup ends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_ocpp.config import OcppConfig


def label(item: pytest.Item, case: dict[str, Any]) -> None:
    """Label ``item`` for Allure and title it "TC_010_CSMS Remote Start ..."."""
    for mark in _markers(case):
        item.add_marker(mark)
    function = getattr(item, "obj", None)
    if function is not None:
        function.__allure_display_name__ = f"{case['id']} {case['title']}"


def _markers(case: dict[str, Any]) -> list[pytest.MarkDecorator]:
    side = "CSMS" if case["side"] == "CSMS" else "Charging Station"
    return [
        pytest.mark.allure_label(f"OCPP {case['version']} · {side} under test", label_type="epic"),
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
    if ctx is None or not config.pluginmanager.hasplugin("allure_pytest"):
        return
    if not getattr(config.option, "allure_report_dir", None):
        return
    import allure

    allure.attach(
        ctx.trace.render(), name="OCPP trace", attachment_type=allure.attachment_type.TEXT
    )
    if ctx.warnings:
        allure.attach(
            "\n".join(ctx.warnings),
            name=f"OCPP warnings ({len(ctx.warnings)})",
            attachment_type=allure.attachment_type.TEXT,
        )
        allure.dynamic.tag("warnings")


def results_dir(config: pytest.Config) -> Path | None:
    """The ``--alluredir`` of this run, when allure-pytest is there to fill it."""
    if not config.pluginmanager.hasplugin("allure_pytest"):
        return None
    directory = getattr(config.option, "allure_report_dir", None)
    return Path(directory) if directory else None


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
    write_environment(directory, environment(ocpp_config, operators))


def _operator_kind(setting: str | None) -> str:
    """'prompt', 'command' or '' (none set): never the command line itself, which may hold
    secrets."""
    if not setting:
        return ""
    return "prompt" if setting.strip() == "prompt" else "command"

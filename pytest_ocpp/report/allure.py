"""Allure results: labels that organise the report by version, profile, functional block and
OCA id, and the frame trace attached to every case.

Labels go on as markers at collection (allure-pytest reads ``allure_label`` markers); the
trace is attached after the call phase, because a title or attachment added during fixture
setup is overwritten once setup ends.
"""

from __future__ import annotations

from typing import Any

import pytest


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

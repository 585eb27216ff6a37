"""The Allure report as a user sees it: results of a real run rendered by the real Allure CLI
(``allure generate --single-file``) and opened in headless Chromium.

The result files can be right and the report still show nothing (a link type the UI drops, an
SVG it will not display, a category that matches nothing), so this reads the page the browser
built: the case page with its tags, requirement links, attachments and category, the
not-applicable case with its reason, the Behaviors tree by version, side, profile and block, and
the sequence diagram opened full screen. Both tools are installed in CI (see the skip
messages); without them the test skips, naming the install command.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from test_allure_results import (
    FAILS_SCHEMA,
    NOT_APPLICABLE,
    TIMEOUT_STEP,
    TIMES_OUT,
    allure_run,
)

from pytest_ocpp.report import sequence

ALLURE = shutil.which("allure")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOT_TO = os.environ.get("PYTEST_OCPP_ALLURE_SCREENSHOT")
"""Where to copy the case page's screenshot (the README's ``docs/allure-case.png``)."""

pytestmark = [
    pytest.mark.skipif(
        ALLURE is None,
        reason="the Allure 2 CLI is not installed: npm install -g allure-commandline "
        "(needs Java 8+)",
    ),
    pytest.mark.skipif(
        shutil.which("java") is None and not os.environ.get("JAVA_HOME"),
        reason="the Allure CLI needs Java, which is not installed: "
        "apt-get install -y default-jre-headless",
    ),
    pytest.mark.skipif(
        CHROMIUM is None, reason="Chromium is not installed: apt-get install -y chromium"
    ),
]


def chromium(url: str, profile: Path, *extra: str) -> str:
    """Load ``url`` in headless Chromium, let its scripts run (15 s of virtual time, which
    passes as fast as the page lets it) and return what Chromium printed."""
    assert CHROMIUM is not None
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=15000",
            *extra,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def visible_text(dom: str) -> str:
    """The page's text as a reader sees it: no scripts, no styles, whitespace collapsed."""
    dom = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", dom).replace("&lt;", "<").split())


def paths(node: dict[str, Any], above: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every root-to-leaf path of a report tree (behaviors, categories), a test case leaf
    shortened to its OCA id."""
    below = node.get("children")
    name = node["name"] if below is not None else node["name"].split(" ", 1)[0]
    here = (*above, name)
    return set().union(*(paths(child, here) for child in below)) if below else {here}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The single-file HTML report of the run of ``test_allure_results``."""
    assert ALLURE is not None
    results = allure_run(tmp_path_factory.getbasetemp() / "allure-shared")
    out = tmp_path_factory.mktemp("allure-report")
    done = subprocess.run(
        [ALLURE, "generate", "--single-file", str(results), "-o", str(out), "--clean"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "ALLURE_NO_ANALYTICS": "1"},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return out / "index.html"


@pytest.fixture(scope="module")
def embedded(report: Path) -> dict[str, str]:
    """The report's data files (a single-file report embeds each one base64-encoded)."""
    html = report.read_text("utf-8")
    return {
        path: base64.b64decode(data).decode("utf-8")
        for path, data in re.findall(r"d\('(data/[^']+)','([^']*)'\)", html)
    }


@pytest.fixture(scope="module")
def cases(embedded: dict[str, str]) -> dict[str, dict[str, Any]]:
    """OCA id → the report's test case (its uid addresses the page)."""
    found = {}
    for path, text in embedded.items():
        if path.startswith("data/test-cases/"):
            case = json.loads(text)
            found[case["name"].split(" ", 1)[0]] = case
    return found


def test_case_page(report: Path, cases: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    """A failed case's page: title, status message, tags, the category it landed in, the
    requirement links by name, and the three evidence attachments."""
    case = cases[FAILS_SCHEMA]
    text = visible_text(
        chromium(f"{report.as_uri()}#testresult/{case['uid']}", tmp_path, "--dump-dom")
    )
    assert "TC_001_CSMS Cold Boot Charge Point" in text, text[:2000]
    assert "Failed" in text and "currentTime" in text
    assert "TC_001_CSMS" in text.split("Tags:", 1)[1][:200]
    assert "Categories: Non-conformance: the target broke a rule" in text
    for name in ("OCPP 1.6 edition 2 §4.2", "OCPP 1.6 edition 2 §4.6"):
        assert name in text.split("Links", 1)[1], name
    for name in ("OCPP trace", "OCPP trace (JSON)", "OCPP sequence diagram"):
        assert name in text, name


def test_not_applicable_page(
    report: Path, cases: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """A not applicable case reads as skipped, with its reason and its category."""
    case = cases[NOT_APPLICABLE]
    text = visible_text(
        chromium(f"{report.as_uri()}#testresult/{case['uid']}", tmp_path, "--dump-dom")
    )
    assert "Skipped" in text, text[:2000]
    assert "not applicable: TC_B_02_CSMS is conditional on C-44" in text
    assert "Categories: Not applicable to this target or run" in text


def test_behaviors_and_categories(report: Path, embedded: dict[str, str], tmp_path: Path) -> None:
    """The Behaviors tree groups by our epic (version and side) and feature (profile); the
    Categories the report computed hold the cases where categories.json puts them."""
    text = visible_text(chromium(f"{report.as_uri()}#behaviors", tmp_path, "--dump-dom"))
    for epic in ("OCPP 1.6 · CSMS under test", "OCPP 2.0.1 · CSMS under test"):
        assert epic in text, text[:3000]
    behaviors = paths(json.loads(embedded["data/behaviors.json"]))
    assert (
        "behaviors",
        "OCPP 1.6 · CSMS under test",
        "Local Auth List Management",
        "Local Authorization List",
        TIMES_OUT,
    ) in behaviors, behaviors
    placed = {(path[1], path[-1]) for path in paths(json.loads(embedded["data/categories.json"]))}
    assert placed == {
        ("Non-conformance: the target broke a rule", FAILS_SCHEMA),
        ("Timeouts: the target did not answer or act in time", TIMES_OUT),
        ("Not applicable to this target or run", NOT_APPLICABLE),
    }, placed


def test_sequence_diagram_shown(
    report: Path, cases: dict[str, dict[str, Any]], embedded: dict[str, str], tmp_path: Path
) -> None:
    """The diagram opens as an image in the report, and the SVG the report serves marks the
    failing step in red; a screenshot of it is taken (and kept for the README when
    ``PYTEST_OCPP_ALLURE_SCREENSHOT`` names a file)."""
    case = cases[TIMES_OUT]
    (diagram,) = [
        a for a in case["testStage"]["attachments"] if a["name"] == "OCPP sequence diagram"
    ]
    url = f"{report.as_uri()}#testresult/{case['uid']}?attachment={diagram['uid']}"
    dom = chromium(url, tmp_path / "dom", "--dump-dom")
    assert re.search(r'class="[^"]*attachment-preview_fullscreen[^"]*attachment-preview_svg', dom)
    assert 'class="attachment-preview__media"' in dom
    svg = ET.fromstring(embedded[f"data/attachments/{diagram['source']}"])
    red = [
        "".join(t.itertext())
        for t in svg.iter("{http://www.w3.org/2000/svg}text")
        if t.get("fill") == sequence.RED
    ]
    assert f"FAILED at: {TIMEOUT_STEP}" in red, red
    png = tmp_path / "case.png"
    chromium(url, tmp_path / "shot", f"--screenshot={png}", "--window-size=1400,1000")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    if SCREENSHOT_TO:
        shutil.copyfile(png, SCREENSHOT_TO)

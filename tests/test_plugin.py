"""The plugin as a user meets it: settings from four sources, verdicts that tell our bugs
from the target's, a user's own operator fixture, reports a CI gate can read."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_ocpp.config import ConfigError, IdTags, build_config
from pytest_ocpp.embedded import reference_id_tags
from pytest_ocpp.reference.csms import ReferenceCsms
from pytest_ocpp.reference.runner import BackgroundLoop


def config_from(cli: dict[str, Any], ini: dict[str, Any], env: dict[str, str], tmp: Path) -> Any:
    return build_config(lambda n: cli.get(n), lambda n: ini.get(n), env, rootdir=tmp)


def test_setting_sources_in_order_of_strength(tmp_path: Path) -> None:
    toml = tmp_path / "ocpp.toml"
    toml.write_text(
        textwrap.dedent(
            """
            [ocpp]
            target = "ws://from-file/ocpp"
            station_id = "FILE"
            response_timeout = 7
            message_timeout = 8
            [tags]
            valid = "MY_TAG"
            [station]
            connectors = 3
            backup_power = true
            """
        )
    )
    cfg = config_from(
        {"config": str(toml), "response_timeout": "1"},
        {"station_id": "INI", "message_timeout": "2"},
        {"OCPP_STATION_ID": "ENV"},
        tmp_path,
    )
    assert cfg.target == "ws://from-file/ocpp"
    assert cfg.station_id == "ENV"  # env beats ini and file
    assert cfg.timeouts.response == 1.0  # command line beats the file
    assert cfg.timeouts.message == 2.0  # ini beats the file
    assert cfg.tags.valid == "MY_TAG" and cfg.tags.blocked == "BLOCKED_TAG"
    assert cfg.station.connectors == 3 and cfg.station.extra == {"backup_power": True}


@pytest.mark.parametrize(
    ("cli", "message"),
    [
        ({"target": "http://x/ocpp"}, "is not a websocket URL"),
        ({"target": "ws://x:99999/ocpp"}, "invalid port"),
        ({"response_timeout": "soon"}, "must be a positive number"),
        ({"response_timeout": "-1"}, "must be a positive number"),
        ({"version": "3.0"}, "unknown OCPP version"),
        ({"config": "missing.toml"}, "does not exist"),
    ],
)
def test_bad_settings_are_sentences(tmp_path: Path, cli: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from(cli, {}, {}, tmp_path)


def test_typo_in_tags_is_an_error(tmp_path: Path) -> None:
    toml = tmp_path / "t.toml"
    toml.write_text('[tags]\nvalidd = "X"\n')
    with pytest.raises(ConfigError, match="unknown key"):
        config_from({"config": str(toml)}, {}, {}, tmp_path)


@pytest.fixture(scope="module")
def reference() -> Iterator[ReferenceCsms]:
    csms = ReferenceCsms(id_tags=reference_id_tags(IdTags()))
    with BackgroundLoop("test-plugin") as loop:
        loop.run(csms.start())
        yield csms
        loop.run(csms.stop())


def run(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    report = tmp_path / "r.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--ocpp-report",
            str(report),
            "--junitxml",
            str(tmp_path / "j.xml"),
            *args,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert report.exists(), completed.stdout + completed.stderr
    return completed, json.loads(report.read_text())


def test_our_bug_is_an_error_not_a_fail(tmp_path: Path, reference: ReferenceCsms) -> None:
    (tmp_path / "test_mine.py").write_text(
        textwrap.dedent(
            """
            from pytest_ocpp.catalog import ocpp_case

            @ocpp_case("TC_001_CSMS")
            async def test_broken_scenario(station):
                {}["a scenario bug"]
            """
        )
    )
    completed, document = run(tmp_path, "test_mine.py", "--ocpp-target", reference.url)
    (case,) = document["cases"]
    assert case["verdict"] == "error"
    assert "pytest-ocpp internal error (KeyError)" in case["message"]
    assert document["totals"]["error"] == 1 and document["totals"]["fail"] == 0
    assert 'name="ocpp_verdict" value="error"' in (tmp_path / "j.xml").read_text()
    assert completed.returncode == 1


def test_user_fixture_overrides_the_csms_operator(tmp_path: Path, reference: ReferenceCsms) -> None:
    """A team drives its CSMS's own API from conftest.py; here the "API" is the reference's
    control channel, called in-process."""
    (tmp_path / "conftest.py").write_text(
        textwrap.dedent(
            f"""
            import pytest
            from pytest_ocpp.operators import CsmsOperator
            from pytest_ocpp.reference.control import forward

            CALLS = []

            @pytest.fixture
            def csms_operator():
                async def perform(job):
                    CALLS.append(job["action"])
                    await forward({reference.control_url!r}, job)
                return CsmsOperator(perform, timeout=10, name="my API")

            def pytest_sessionfinish(session):
                print("OPERATOR CALLS", CALLS)
            """
        )
    )
    completed, document = run(
        tmp_path, "--ocpp-target", reference.url, "-k", "TC_061_CSMS or TC_013_CSMS", "-s"
    )
    verdicts = {c["id"]: c["verdict"] for c in document["cases"]}
    assert verdicts == {"TC_061_CSMS": "pass", "TC_013_CSMS": "pass"}
    assert "OPERATOR CALLS ['Reset', 'ClearCache']" in completed.stdout or (
        "OPERATOR CALLS ['ClearCache', 'Reset']" in completed.stdout
    )


def test_without_operator_cases_are_not_applicable_never_passed(
    tmp_path: Path, reference: ReferenceCsms
) -> None:
    completed, document = run(
        tmp_path, "--ocpp-target", reference.url, "-k", "TC_061_CSMS or TC_001_CSMS", "-v"
    )  # -v: the summary's per-case list, where the N/A line is checked below
    verdicts = {c["id"]: (c["verdict"], c["message"]) for c in document["cases"]}
    assert verdicts["TC_001_CSMS"][0] == "pass"
    assert verdicts["TC_061_CSMS"][0] == "not applicable"
    assert "no csms operator configured" in verdicts["TC_061_CSMS"][1]
    assert completed.returncode == 0
    assert "N/A   TC_061_CSMS" in completed.stdout

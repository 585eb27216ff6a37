"""The warm pytest the suite runs fork from (tests/zygote.py) behaves as ``python -m pytest``:
its own directory, environment, output and exit status per run, different random draws, and a
run that outlives its timeout is killed with whatever it started."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import zygote

PROBE = """
import os, random, sys, time

def test_probe():
    print("cwd", os.getcwd())
    print("marker", os.environ.get("ZYGOTE_PROBE"))
    print("path0", sys.path[0])
    print("draw", random.random())
    if os.environ.get("ZYGOTE_SLEEP"):
        open("started", "w").close()
        time.sleep(60)
    assert os.environ.get("ZYGOTE_FAIL") is None
"""


def _run(
    tmp_path: Path, name: str, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    workdir = tmp_path / name
    workdir.mkdir()
    (workdir / "test_probe.py").write_text(PROBE, "utf-8")
    usual = dict(os.environ)
    return zygote.run(
        workdir,
        ["-p", "no:cacheprovider", "-s", "-q", "test_probe.py"],
        {**usual, **env},
        timeout,
        usual_env=usual,
    )


def _said(done: subprocess.CompletedProcess[str], key: str) -> str:
    return next(line.split(" ", 1)[1] for line in done.stdout.splitlines() if line.startswith(key))


def test_each_run_has_its_own_directory_environment_output_and_status(tmp_path: Path) -> None:
    one = _run(tmp_path, "one", ZYGOTE_PROBE="1")
    two = _run(tmp_path, "two", ZYGOTE_PROBE="2", ZYGOTE_FAIL="1")
    assert one.returncode == 0, one.stdout + one.stderr
    assert two.returncode == 1, two.stdout + two.stderr
    assert _said(one, "cwd") == str(tmp_path / "one") == _said(one, "path0")
    assert (_said(one, "marker"), _said(two, "marker")) == ("1", "2")
    assert _said(one, "draw") != _said(two, "draw")
    assert "1 passed" in one.stdout and "1 failed" in two.stdout
    assert "PytestAssertRewriteWarning" not in one.stdout + one.stderr


def test_a_run_past_its_timeout_is_killed(tmp_path: Path) -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        _run(tmp_path, "slow", timeout=3, ZYGOTE_SLEEP="1")
    assert (tmp_path / "slow" / "started").exists()

"""A warm ``python -m pytest`` for the ~600 suite runs of this test suite.

Each run is a process of its own, as a user's is, but starting one costs ~0.9 s of CPU, half of
it importing pytest, its plugins and ours: on CI's two cores that was a third of the whole
suite's CPU. This process imports them once and forks a child per run (Unix ``fork``: the
imports are shared, copy-on-write). The child then does what ``python -m pytest`` does: its
own working directory, environment, ``sys.path[0]`` and ``sys.argv``, ``pytest.main()`` and a
normal interpreter exit (atexit handlers, finalizers, their warnings on stderr, which the
harness inspects). Nothing of a run survives into the next: each child starts from the zygote's
state, in which no test ran and no event loop exists.

Fork is only safe from a process with a single thread; that is why this is a process of its
own rather than part of an xdist worker (which runs reference targets in background threads).

Protocol, one Unix-socket connection per run: the harness sends one JSON line (``cwd``,
``args``, ``env``, ``stdout``, ``stderr`` file paths); the child answers ``pid N`` when it
starts and ``exit C`` before it exits; the connection's end means the process is gone (its
output files are complete). The zygote exits when its standard input closes (its worker ended).
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import random
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

PRELOAD = (
    "pytest",
    "pytest_asyncio.plugin",
    "allure_pytest.plugin",
    "xdist.plugin",
    "xdist.looponfail",
    "anyio.pytest_plugin",
    "pytest_locust.plugin",
    "pytest_ocpp.plugin",
    "pytest_ocpp.csms.v16",
    "pytest_ocpp.csms.v201",
    "pytest_ocpp.station",
    "pytest_ocpp.fuzz.cases",
)
"""What every run imports before its first case: pytest, the installed plugins (hypothesis's
aside: most runs disable it, and it reads CI variables when imported), ours and the fake peers
the catalogue uses. A module left out is imported by the child as usual."""


def _serve(path: str) -> dict[str, Any]:
    """Accept runs until stdin closes; returns, in a forked child only, that child's request."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(64)
    # Children are not waited for here (the harness learns their end from the connection).
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    watch = selectors.DefaultSelector()
    watch.register(server, selectors.EVENT_READ, "accept")
    watch.register(sys.stdin, selectors.EVENT_READ, "stdin")
    print("ready", flush=True)
    while True:
        for key, _ in watch.select():
            if key.data == "stdin":
                if not sys.stdin.readline():
                    raise SystemExit(0)
                continue
            connection, _ = server.accept()
            with connection.makefile("rb") as lines:
                request = json.loads(lines.readline())
            pid = os.fork()
            if pid == 0:
                watch.close()
                server.close()
                request["connection"] = connection
                return request
            connection.close()


def _run(request: dict[str, Any]) -> None:
    """Become ``python -m pytest *args`` in ``cwd`` with ``env``; exits the process."""
    connection: socket.socket = request["connection"]
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the run waits for its own subprocesses
    os.setsid()  # a timeout kills the run and whatever it started
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.path[0] = os.getcwd()  # what ``python -m`` puts first
    random.seed()  # else every run draws the same "random" numbers as its siblings
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        target = os.open(request[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    connection.sendall(f"pid {os.getpid()}\n".encode())
    import pytest

    sys.argv = [os.path.join(os.path.dirname(pytest.__file__), "__main__.py"), *request["args"]]
    code = 1
    try:
        code = int(pytest.main(request["args"]))
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        connection.sendall(f"exit {code}\n".encode())
    raise SystemExit(code)


def main() -> None:
    path = sys.argv[1]
    # Only the package's own imports, not this file's folder (a user's run has no tests/).
    sys.path[0] = os.getcwd()
    _preload()
    zygote = os.getpid()
    try:
        request = _serve(path)
    finally:
        if os.getpid() == zygote:  # the zygote ending, not a child leaving the loop
            shutil.rmtree(os.path.dirname(path), ignore_errors=True)
    _run(request)


def _preload() -> None:
    """Import :data:`PRELOAD` as a run would: pytest rewrites the asserts of its plugins'
    packages (ours included), and warns about any it finds already imported without its
    loader. So the imports happen under pytest's own rewriting hook, marked as a run marks
    it; the hook then leaves ``sys.meta_path`` (each run installs its own)."""
    from _pytest.assertion import install_importhook
    from _pytest.config import get_config

    config = get_config()
    hook = install_importhook(config)
    config._mark_plugins_for_rewrite(hook, disable_autoload=False)
    for name in PRELOAD:
        importlib.import_module(name)
    sys.meta_path.remove(hook)
    # What the imports made is kept out of the collector's sight: a run's collections would
    # otherwise touch, and so copy, every page the zygote shares with it.
    gc.collect()
    gc.freeze()


# -- the harness's side ------------------------------------------------------------------------
_lock = threading.Lock()
_zygote: tuple[subprocess.Popen[str], str] | None = None


def _started(env: Mapping[str, str]) -> str:
    """This process's zygote, started on first use in ``env`` (the runs' usual environment:
    it decides the interpreter's bytecode settings, which every run inherits); its socket."""
    global _zygote
    with _lock:
        if _zygote is None or _zygote[0].poll() is not None:
            home = tempfile.mkdtemp(prefix="pytest-ocpp-zygote-")
            path = os.path.join(home, "socket")
            process = subprocess.Popen(
                [sys.executable, __file__, path],
                cwd=home,
                env=dict(env),
                stdin=subprocess.PIPE,  # closes when this process ends: the zygote follows
                stdout=subprocess.PIPE,
                text=True,
            )
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError(f"the pytest zygote did not start (exit {process.wait()})")
            _zygote = (process, path)
        return _zygote[1]


def run(
    cwd: Path,
    args: Sequence[str],
    env: Mapping[str, str],
    timeout: float,
    *,
    usual_env: Mapping[str, str],
) -> subprocess.CompletedProcess[str]:
    """``python -m pytest *args`` in ``cwd`` with ``env``, forked from the zygote (started in
    ``usual_env``); as ``subprocess.run(..., capture_output=True, text=True,
    timeout=timeout)`` would return, or raise ``TimeoutExpired`` after killing the run and
    whatever it started."""
    path = _started(usual_env)
    command = [sys.executable, "-m", "pytest", *args]
    with tempfile.TemporaryDirectory(prefix="pytest-ocpp-run-") as out:
        stdout, stderr = Path(out, "stdout"), Path(out, "stderr")
        request = {"cwd": str(cwd), "args": list(args), "env": dict(env)}
        request |= {"stdout": str(stdout), "stderr": str(stderr)}
        deadline = time.monotonic() + timeout
        lines: list[str] = []
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(path)
            connection.sendall((json.dumps(request) + "\n").encode())
            received = b""
            while True:
                connection.settimeout(max(deadline - time.monotonic(), 0.01))
                try:
                    chunk = connection.recv(4096)
                except TimeoutError:
                    pid = _pid(received)
                    if pid is not None:
                        os.killpg(pid, signal.SIGKILL)
                    raise subprocess.TimeoutExpired(
                        command, timeout, _read(stdout), _read(stderr)
                    ) from None
                if not chunk:
                    break
                received += chunk
            lines = received.decode().splitlines()
        codes = [int(line.split()[1]) for line in lines if line.startswith("exit ")]
        # No "exit" line: the run died of a signal (as subprocess reports it, negative).
        returncode = codes[0] if codes else -signal.SIGKILL
        return subprocess.CompletedProcess(command, returncode, _read(stdout), _read(stderr))


def _pid(received: bytes) -> int | None:
    for line in received.decode().splitlines():
        if line.startswith("pid "):
            return int(line.split()[1])
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text("utf-8", errors="replace")
    except FileNotFoundError:
        return ""


if __name__ == "__main__":
    main()

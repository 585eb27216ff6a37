"""``pytest-ocpp-load``: Locust with our locustfile and our options.

Our options are translated to Locust's and ours (``--target`` → ``--host``, ``--version`` →
``--ocpp-version``, ``--config`` → ``--ocpp-config``, ``--stations`` → ``--users``,
``--duration`` → ``--run-time``); everything else goes to Locust untouched (``--headless``,
``--csv``, ``--html``, ``--processes``, ``--master``, ``--worker``, ...), and without
``--headless`` Locust's web UI starts, as with ``locust`` itself. ``--version`` and ``--config``
mean Locust's own (print its version, read a locust.conf) under ``locust``; here they are the
suite's, as in ``pytest --ocpp-version/--ocpp-config``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

LOCUSTFILE = Path(__file__).with_name("locustfile.py")

_RENAMED = {
    "--target": "--host",
    "--version": "--ocpp-version",
    "--config": "--ocpp-config",
    "--stations": "--users",
    "--duration": "--run-time",
}


def translate(argv: Sequence[str]) -> list[str]:
    """Our command line as Locust's, with our locustfile unless ``-f`` names another; a
    ``[load] boot_storm`` without ``--spawn-rate`` spawns every station at once."""
    out: list[str] = []
    for arg in argv:
        name, sep, value = arg.partition("=")
        if name in _RENAMED:
            out.append(_RENAMED[name] + sep + value)
        else:
            out.append(arg)
    if not any(a in ("-f", "--locustfile") or a.startswith("--locustfile=") for a in out):
        out = ["-f", str(LOCUSTFILE), *out]
    if not _has(out, "-r", "--spawn-rate"):
        config = _value(out, "--ocpp-config")
        users = _value(out, "--users") or _value(out, "-u")
        if config and users:
            from pytest_ocpp.load.settings import load_settings

            if load_settings(config).boot_storm:
                out += ["--spawn-rate", users]
    return out


def _has(args: list[str], *names: str) -> bool:
    return any(a in names or a.split("=", 1)[0] in names for a in args)


def _value(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


USAGE = """pytest-ocpp-load: Locust with pytest-ocpp's charging stations.

  --target URL       the CSMS, without the station id (Locust's --host)
  --version V        OCPP version: 1.6 or 2.0.1 (--ocpp-version)
  --config FILE      the suite's TOML file; its [load] table drives the stations (--ocpp-config)
  --stations N       simulated stations (Locust's --users)
  --spawn-rate R     stations started per second
  --duration T       e.g. 90s, 10m (Locust's --run-time)

Everything else is Locust's (--headless, --csv, --html, --processes, --master, --worker, ...):
"""


def main(argv: Sequence[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    if "-h" in raw or "--help" in raw:
        print(USAGE)
    args = translate(raw)
    users = _value(args, "--users") or _value(args, "-u")
    if users and users.isdigit() and not _has(args, "--master", "--processes"):
        from pytest_ocpp.load.limits import raise_open_files

        problem = raise_open_files(int(users))
        if problem:
            print(f"pytest-ocpp-load: {problem}", file=sys.stderr)
    sys.argv = ["pytest-ocpp-load", *args]
    from locust.main import main as locust_main

    return locust_main() or 0


if __name__ == "__main__":
    raise SystemExit(main())

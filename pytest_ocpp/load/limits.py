"""The open-file limit: each simulated station holds one socket. Pure module (no gevent), so
the ``pytest-ocpp-load`` command can check it before Locust starts, and the locustfile again
in each worker process (a worker may be started on its own, on another machine)."""

from __future__ import annotations

import resource


def raise_open_files(stations: int) -> str | None:
    """Raise the soft RLIMIT_NOFILE to the hard limit (each station is one socket); a warning
    naming the command when even that is too low for ``stations``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1_048_576)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    needed = stations + 100
    if soft < needed:
        return (
            f"the open-file limit is {soft}, too low for {stations} stations in one process "
            f"(each needs a socket): raise it with `ulimit -n {needed}` (the hard limit is "
            f"{hard}; beyond it: /etc/security/limits.conf or `prlimit --nofile={needed}`), "
            "or spread the stations with --processes / --worker"
        )
    return None

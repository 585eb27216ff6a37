"""The hypothesis profiles the fuzz properties run under.

Example counts, seeds and the example database are hypothesis's own business: a user picks a
profile with ``--hypothesis-profile`` and a seed with ``--hypothesis-seed`` exactly as for any
hypothesis test. Without a choice the fuzz properties run under ``ocpp-quick``, small enough
that every property of both versions finishes against the reference targets in well under a
minute; ``ocpp-thorough`` is for nightly runs. The properties never touch the global default
profile, so a user's own hypothesis tests in the same run keep theirs.

Deadlines are off in both: every wait on the wire is bounded by the user's OCPP timeouts,
and a slow target is judged by those, not by hypothesis's 200 ms per example.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

QUICK = "ocpp-quick"
THOROUGH = "ocpp-thorough"

_CHECKS = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]

settings.register_profile(
    QUICK,
    max_examples=12,
    deadline=None,
    suppress_health_check=_CHECKS,
    # Replay the database and generate; the explain phase re-runs examples over the network
    # for a hint the reproducer already gives.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)
settings.register_profile(
    THOROUGH,
    max_examples=400,
    deadline=None,
    suppress_health_check=_CHECKS,
)

_chosen: str | None = None


def choose(name: str | None) -> None:
    """Record the profile the user asked for (``--hypothesis-profile``), if any."""
    global _chosen
    _chosen = name


def current() -> settings:
    """The settings a fuzz property runs under: the user's profile, else ``ocpp-quick``. Health
    checks that cannot apply to a network property stay suppressed either way."""
    base = settings.get_profile(_chosen) if _chosen else settings.get_profile(QUICK)
    return settings(base, deadline=None, suppress_health_check=_CHECKS)

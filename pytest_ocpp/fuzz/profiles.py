"""The hypothesis profiles the fuzz properties run under.

Example counts, seeds and the example database are hypothesis's own business: a user picks a
profile with ``--hypothesis-profile`` and a seed with ``--hypothesis-seed`` exactly as for any
hypothesis test. Without a choice the fuzz properties run under ``ocpp-quick``, small enough
that every property of both versions finishes against the reference targets in well under a
minute; ``ocpp-thorough`` is for nightly runs, ``ocpp-smoke`` for a first check. The properties never touch the global default
profile, so a user's own hypothesis tests in the same run keep theirs.

Deadlines are off in both: every wait on the wire is bounded by the user's OCPP timeouts,
and a slow target is judged by those, not by hypothesis's 200 ms per example.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

from pytest_ocpp.fuzz import rules

QUICK = "ocpp-quick"
THOROUGH = "ocpp-thorough"
SMOKE = "ocpp-smoke"
"""3 examples per property and no shrinking: a first check that finds gross breakage fast
(the project's own CI proves the properties with it); its failures are not minimal."""

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

settings.register_profile(
    SMOKE,
    max_examples=3,
    deadline=None,
    suppress_health_check=_CHECKS,
    # No shrinking: a failure is reported as found. Shrinking replays the failing property
    # dozens of times, each time waiting out what the target does wrong.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)


def current() -> settings:
    """The settings a fuzz property runs under: the user's profile, else ``ocpp-quick``. Health
    checks that cannot apply to a network property stay suppressed either way.

    One failure per property: with several distinct ones hypothesis raises an ExceptionGroup,
    which a verdict cannot name (it surfaced as a pytest-ocpp internal error); the simplest
    failure is the reproducer the user needs, and the next run finds the others."""
    chosen = rules.chosen_profile()
    base = settings.get_profile(chosen) if chosen else settings.get_profile(QUICK)
    return settings(base, deadline=None, suppress_health_check=_CHECKS, report_multiple_bugs=False)

"""Marking fuzz properties so the plugin treats them like cases: one pytest item per version
and subject (an action, a frame kind), deselected with the version and side the run does not
test, reported under their own "Fuzzing" heading, selected with ``-m ocpp_fuzz``.

They are not OCTT cases: every report says so (``uncertified``), and nothing here touches the
OCA catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from pytest_ocpp.config import ALL_VERSIONS

PROFILE = "Fuzzing"
NOT_OCTT = "property-based fuzzing (issue 15), not an OCTT test case"

Subjects = Callable[[str], Iterable[str]]
"""The subjects of one property for a version: actions, frame kinds, or a single name."""


def fuzz_cases(
    prefix: str, side: str, block: str, subjects: Subjects, title: Callable[[str], str]
) -> Callable[[Callable[..., Any]], Any]:
    """Parametrize a property over ``(version, subject)``, each item marked as a case
    ``FZ_<prefix>_<subject>`` of ``side`` ("CSMS": the CSMS is under test; "CS": the station)."""
    params = []
    for version in ALL_VERSIONS:
        for subject in subjects(version):
            case = {
                "id": f"FZ_{prefix}_{subject}" if subject else f"FZ_{prefix}",
                "version": version,
                "side": side,
                "profile": PROFILE,
                "block": block,
                "title": title(subject),
                "provisional": False,
                "uncertified": NOT_OCTT,
                "requires": "",
            }
            params.append(
                pytest.param(
                    version,
                    subject,
                    id=f"{version}-{subject}" if subject else version,
                    marks=[pytest.mark.ocpp_case(**case), pytest.mark.ocpp_fuzz],
                )
            )
    return pytest.mark.parametrize(("fuzz_version", "subject"), params)

"""Collecting only what ``-k`` can select, when it names test cases by id.

A run that names its cases (``-k TC_010_CSMS``, ``-k "tc_b_01_csms or tc_b_02_csms"``) would
otherwise import and collect all ~950 bundled cases to keep a few: about half a second of CPU
per run, which CI jobs that run one case at a time, and this project's own proofs (hundreds
of runs), pay every time. pytest's ``-k`` is a case-insensitive substring match on node
names, so a module can only hold a match if its path or its text contains one of the named
ids; the others are not collected (the plugin's ``pytest_ignore_collect``), node ids stay
as they are, and ``-k`` still decides exactly as before among what is collected.

Only a plain disjunction of ids is narrowed (optionally ``and not <word>``): any other
expression (a negation, a word that is not an id) collects everything, as pytest would.

Selection by certification profile (``--ocpp-profile``, ``-m profile_<key>``) is here too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_ocpp.config import OcppConfig, profile_key

_ID = r"(?:test_)?tc_[a-z0-9_]+"
_PLAIN = re.compile(
    rf"^\(?\s*(?P<ids>{_ID}(?:\s+or\s+{_ID})*)\s*\)?(?:\s+and\s+not\s+[a-z0-9_]+)?$"
)


def modules_for(testcases: Path, keyword: str | None) -> list[str] | None:
    """The case modules under ``testcases`` that can hold what ``keyword`` selects, or None
    when it is not a plain list of ids (then everything is collected)."""
    match = _PLAIN.match((keyword or "").strip().lower())
    if match is None:
        return None
    terms = [t for t in re.split(r"\s+or\s+", match.group("ids")) if t]
    found: list[str] = []
    for path in sorted(testcases.rglob("test_*.py")):
        haystack = (path.as_posix() + "\n" + path.read_text("utf-8")).lower()
        if any(term in haystack for term in terms):
            found.append(str(path))
    return found or None


def known_profiles() -> dict[str, str]:
    """Selection key → profile name, for every certification profile of the catalogue and
    the fuzz properties' own heading."""
    from pytest_ocpp.catalog import catalog
    from pytest_ocpp.report.summary import FUZZING

    names = {info.profile_name for info in catalog().values()} | {FUZZING}
    return {profile_key(name): name for name in sorted(names)}


def selected_profiles(ocpp_config: OcppConfig) -> set[str] | None:
    """``--ocpp-profile`` as selection keys; a name no profile has is a usage error (a typo
    would otherwise select nothing and pass)."""
    if ocpp_config.profiles is None:
        return None
    known = known_profiles()
    unknown = [p for p in ocpp_config.profiles if p not in known]
    if unknown:
        raise pytest.UsageError(
            f"pytest-ocpp: --ocpp-profile {', '.join(unknown)}: no such certification profile; "
            f"known: {', '.join(n for n in known.values() if not n.startswith('not '))}"
        )
    return set(ocpp_config.profiles)

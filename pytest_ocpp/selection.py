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
"""

from __future__ import annotations

import re
from pathlib import Path

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

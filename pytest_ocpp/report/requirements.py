"""The specification requirements a test case cites, and where a reader finds them.

A case's docstring names the rules it checks, as the OCA documents number them: functional
requirements in 2.0.1 and 2.1 (``E14.FR.01``, ranges such as ``M03.FR.01/03-05``), sections
in 1.6 (``§4.9``). Every report lists them from here, so the JSON report, the Markdown summary
and Allure agree on what a case is evidence for.

The OCA documents are not published at stable per-section addresses, so links go to the
version's document page by default; ``--ocpp-spec-url`` (a template with ``{version}``,
``{id}`` and ``{section}``) points them at a team's own copy instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FR = re.compile(r"\b([A-Z]\d{2})\.FR\.(\d{2,3}(?:[-/]\d{2,3})*)")
_SECTION = re.compile(r"§\s?(\d+(?:\.\d+)*)")

DOCUMENT_PAGE = "https://openchargealliance.org/protocols/open-charge-point-protocol/"
"""Where the OCA publishes every OCPP version's documents (registration required)."""

DOCUMENTS = {
    "1.6": "OCPP 1.6 edition 2",
    "2.0.1": "OCPP 2.0.1 edition 3 Part 2",
    "2.1": "OCPP 2.1 Part 2",
}


@dataclass(frozen=True)
class Requirement:
    """One cited requirement: ``id`` as the documents write it, the ``section`` (use case or
    chapter) it belongs to, and a link to read it."""

    id: str
    section: str
    name: str
    url: str


def _expand(use_case: str, numbers: str) -> list[str]:
    """``E14``, ``01-03/05`` → E14.FR.01, E14.FR.02, E14.FR.03, E14.FR.05."""
    found: list[str] = []
    for part in numbers.split("/"):
        ends = part.split("-")
        width = len(ends[0])
        if len(ends) == 2 and ends[0].isdigit() and ends[1].isdigit():
            low, high = int(ends[0]), int(ends[1])
            if 0 <= high - low <= 30:
                found += [f"{use_case}.FR.{n:0{width}d}" for n in range(low, high + 1)]
                continue
        found += [f"{use_case}.FR.{end}" for end in ends if end.isdigit()]
    return found


def requirement_ids(version: str, text: str | None) -> list[str]:
    """The requirement ids ``text`` cites, in order of first mention, without repeats:
    FR ids for 2.x, sections (``§4.9``) for 1.6."""
    if not text:
        return []
    ids: list[str] = []
    if version == "1.6":
        ids = [f"§{m.group(1)}" for m in _SECTION.finditer(text)]
    else:
        for match in _FR.finditer(text):
            ids += _expand(match.group(1), match.group(2))
    return list(dict.fromkeys(ids))


def requirement(version: str, rid: str, template: str | None = None) -> Requirement:
    """``rid`` with its section, a readable name and a link (``template`` or the OCA page)."""
    section = rid.split(".FR.")[0] if ".FR." in rid else rid.lstrip("§")
    document = DOCUMENTS.get(version, f"OCPP {version}")
    name = f"{document} {rid}" if rid.startswith("§") else f"{rid} ({document}, {section})"
    url = DOCUMENT_PAGE
    if template:
        url = template.format(version=version, id=rid.lstrip("§"), section=section)
    return Requirement(id=rid, section=section, name=name, url=url)

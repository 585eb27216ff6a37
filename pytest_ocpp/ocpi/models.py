"""OCPI 2.2.1 objects checked against the specification's own property tables.

Why our own models rather than a package: ``extrawest-ocpi`` (2025.7) and ``py-ocpi`` (0.3.1,
2023) are FastAPI server frameworks pinning ``fastapi==0.101`` / ``<0.69``, ``httpx==0.24`` /
``<0.24`` and pydantic 1, which conflict with our ``httpx>=0.27``; ``ocpi-types`` (0.3.0,
2026-06, covers 2.2.1) is quicktype output whose checks are bare ``assert`` statements: it
names no field, ignores lengths, CiString and DateTime rules, and vanishes under ``python -O``.
A verdict must say *which* property of *which* object broke *which* rule, so
:mod:`.definitions` is generated from the spec's tables (every object, class and enum of the
modules we test) and :func:`problems` walks an object against them.

Rules applied (OCPI 2.2.1 ``types`` §CiString, §DateTime, §string, §URL, §number and each
object's table): required properties (cardinality ``1`` / ``+``) present and not null; lists
where the cardinality is ``*`` / ``+`` (``+``: not empty); maximum lengths; CiString printable
ASCII; string printable (no control characters); DateTime RFC 3339 in UTC (``Z`` or no
designator, at most string(25)); enums from their tables; numbers, ints, booleans by JSON type.
Properties the table does not list are tolerated (OCPI allows custom fields).
"""

from __future__ import annotations

import re
from typing import Any

from pytest_ocpp.ocpi.definitions import ENUMS, MODELS, SECTIONS

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?$")
"""OCPI 2.2.1 types §DateTime: RFC 3339, UTC only; the examples show ``Z`` or no designator
("other formats/patterns are not allowed"), so an offset such as ``+02:00`` is a failure."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

VERSION = "version_information_endpoint_version_class"
VERSION_DETAILS = "version_information_get_details_endpoint_data"
CREDENTIALS = "credentials_credentials_object"
LOCATION = "mod_locations_location_object"
EVSE = "mod_locations_evse_object"
CONNECTOR = "mod_locations_connector_object"
SESSION = "mod_sessions_session_object"
CDR = "mod_cdrs_cdr_object"
TOKEN = "mod_tokens_token_object"
COMMAND_RESPONSE = "mod_commands_commandresponse_object"
COMMAND_RESULT = "mod_commands_commandresult_object"
LOCATION_REFERENCES = "mod_tokens_locationreferences_class"
START_SESSION = "mod_commands_startsession_object"
STOP_SESSION = "mod_commands_stopsession_object"


def section(definition: str) -> str:
    """Where the rule comes from: ``OCPI 2.2.1 mod_sessions §Session Object``."""
    return f"OCPI 2.2.1 {SECTIONS.get(definition, definition)}"


def problems(value: Any, definition: str, path: str = "") -> list[str]:
    """Every way ``value`` breaks ``definition`` (an anchor of :mod:`.definitions`), each one
    sentence naming the property path; empty when it conforms."""
    found: list[str] = []
    _check(value, definition, None, path or _short(definition), found)
    return found


def patch_problems(value: Any, definition: str, path: str = "") -> list[str]:
    """Every way a PATCH body breaks ``definition``: only the properties it holds are judged
    (mod_sessions / mod_locations §PATCH: "only the fields/objects that need to be updated have
    to be present"), each against its row of the table, and ``last_updated`` must be there
    ("Any request to the PATCH method SHALL contain the last_updated field")."""
    where = path or _short(definition)
    if not isinstance(value, dict):
        return [f"{where} must be a JSON object ({section(definition)}), got {value!r:.80}"]
    found: list[str] = []
    if value.get("last_updated") is None:
        module = SECTIONS.get(definition, definition).split(" ")[0]
        found.append(
            f"{where}.last_updated is required in a PATCH (OCPI 2.2.1 {module} §PATCH Method: "
            "'Any request to the PATCH method SHALL contain the last_updated field')"
        )
    rows = {row[0]: row for row in MODELS[definition]}
    for name, item in value.items():
        if name not in rows or item is None:
            continue  # custom fields are tolerated; null is not an update
        _, kind, length, card = rows[name]
        # A PATCH may empty a list, so "+" is judged as "*" here.
        _check_property(
            item, kind, length, "*" if card == "+" else card, definition, f"{where}.{name}", found
        )
    return found


def _short(definition: str) -> str:
    title = SECTIONS.get(definition, definition).split("§")[-1]
    return title.split(" ")[0] or definition


def _check_property(
    item: Any,
    kind: str,
    length: int | None,
    card: str,
    owner: str,
    where: str,
    found: list[str],
) -> None:
    """One present property of an ``owner`` object, by its row: a list for cardinality ``*``
    and ``+`` (``+`` not empty), each entry (or the single value) checked as ``kind``."""
    if card in ("*", "+"):
        if not isinstance(item, list):
            found.append(f"{where} must be a list ({section(owner)}), got {item!r:.80}")
            return
        if card == "+" and not item:
            found.append(f"{where} must hold at least one entry ({section(owner)})")
        for index, entry in enumerate(item):
            _check(entry, kind, length, f"{where}[{index}]", found)
    else:
        _check(item, kind, length, where, found)


def _check(value: Any, kind: str, length: int | None, path: str, found: list[str]) -> None:
    if kind in MODELS:
        if not isinstance(value, dict):
            found.append(f"{path} must be a JSON object ({section(kind)}), got {value!r:.80}")
            return
        for name, field_kind, field_length, card in MODELS[kind]:
            where = f"{path}.{name}"
            present = name in value and value[name] is not None
            if not present:
                if card in ("1", "+"):
                    found.append(f"{where} is required ({section(kind)})")
                continue
            _check_property(value[name], field_kind, field_length, card, kind, where, found)
        return
    if kind in ENUMS:
        if value not in ENUMS[kind]:
            found.append(
                f"{path} = {value!r:.60} is not a value of {section(kind)} "
                f"({', '.join(ENUMS[kind][:8])}{', ...' if len(ENUMS[kind]) > 8 else ''})"
            )
        return
    if kind in ("string", "cistring", "url", "datetime"):
        if not isinstance(value, str):
            found.append(f"{path} must be a string ({kind}), got {value!r:.60}")
            return
        limit = length or (255 if kind == "url" else 25 if kind == "datetime" else None)
        if limit is not None and len(value) > limit:
            found.append(f"{path} is {len(value)} characters long, longer than {kind}({limit})")
        if kind == "cistring" and not all(" " <= ch <= "~" for ch in value):
            found.append(f"{path} = {value!r:.60} is not printable ASCII (types §CiString)")
        elif _CONTROL.search(value):
            found.append(f"{path} = {value!r:.60} holds non-printable characters (types §string)")
        if kind == "datetime" and not DATETIME.match(value):
            found.append(
                f"{path} = {value!r} is not an OCPI DateTime in UTC "
                "(types §DateTime: RFC 3339, 'Z' or no designator, e.g. 2015-06-29T20:39:09Z)"
            )
        if kind == "url" and not re.match(r"^https?://", value):
            found.append(f"{path} = {value!r:.80} is not an http(s) URL (types §URL)")
        return
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            found.append(f"{path} must be a number, got {value!r:.60}")
        return
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            found.append(f"{path} must be an integer, got {value!r:.60}")
        return
    if kind == "boolean":
        if not isinstance(value, bool):
            found.append(f"{path} must be true or false, got {value!r:.60}")
        return
    raise KeyError(f"no OCPI definition {kind!r}")  # a typo in our cases, not the target's


def endpoint_url(details: dict[str, Any], module: str, role: str | None = None) -> str | None:
    """The URL of ``module`` (and ``role``: SENDER / RECEIVER) in version details, or None."""
    for endpoint in details.get("endpoints") or ():
        if endpoint.get("identifier") == module and (role is None or endpoint.get("role") == role):
            return str(endpoint.get("url"))
    return None

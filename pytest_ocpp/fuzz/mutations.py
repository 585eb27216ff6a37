"""Invalid payloads, one class of mutation at a time (issue 15 point 3).

Each mutant is a schema-valid payload with exactly one thing broken, so the CallError code a
target answers with can be judged against the class (:mod:`pytest_ocpp.fuzz.rules`). The
strategy is shaped to shrink well: it draws the *site* first (a place in the schema, shallow
ones first, so a failure shrinks to the shallowest place that shows it), then a valid payload
that contains that place (optional properties along the path present, arrays along it with at
least one item, the site being item 0), then one mutation there.

The payload always stays a JSON object: a top-level value of another type is a frame test.
2.0.1 ``customData`` (CustomDataType) is no site: it is the vendor extension point, and
mutating it in every object would double the sites without testing any OCPP field. Every other
object whose schema says ``additionalProperties: false`` is a site for an extra property, the
top level included, so even Heartbeat has that one.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from pytest_ocpp.fuzz.rules import (
    BAD_DATETIME,
    ENUM_VALUE,
    EXTRA_PROPERTY,
    MISSING_REQUIRED,
    MUTATIONS,
    TOO_LONG,
    WRONG_TYPE,
)
from pytest_ocpp.fuzz.strategies import Path, SchemaCompiler, compiler
from pytest_ocpp.versions import OcppVersion

EXTRA_NAME = "pytestOcppExtra"
"""The property added where the schema forbids extras: obviously ours in a target's log."""
NOT_A_MEMBER = "PytestOcppNotAValue"

BAD_DATETIMES: tuple[str, ...] = (
    "not-a-date-time",
    "2024-13-01T00:00:00Z",
    "2024-02-30T10:00:00Z",
    "2024-01-01T25:00:00Z",
    "2024-01-01T00:00:00+25:00",
    "",
)
"""Date-times that no reading accepts: not ISO 8601 (1.6 §3.15) nor RFC 3339 (2.0.1 Part 2
§3.1). Forms one of them may accept (a space separator, the basic format, no offset) are left
out, so a target that takes them is not a finding."""

_VENDOR_REF = "#/definitions/CustomDataType"

_ARTICLE_TYPE = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
}


@dataclass(frozen=True)
class Mutant:
    """One invalid payload and what was broken, in words fit for a bug report."""

    payload: dict[str, Any]
    """The invalid payload."""
    kind: str
    """One of :data:`pytest_ocpp.fuzz.rules.MUTATIONS`."""
    path: str
    """Where: the property removed, added or changed, e.g.
    ``chargingProfile/chargingSchedule/chargingSchedulePeriod/0/limit`` ("" = the payload)."""
    description: str
    """A sentence: "required property 'idTag' removed"."""


@dataclass(frozen=True, eq=False)
class _Site:
    path: Path
    """Where the mutation lands (the property removed or added, or the value changed)."""
    force: Path
    """What the valid payload must contain for the mutation to apply."""
    node: Mapping[str, Any]
    """The resolved schema at ``path`` (for an extra property: of the object it goes into)."""


def has_sites(version: OcppVersion, action: str, kind: str) -> bool:
    """Does the request schema offer any place for this class of mutation?"""
    return bool(_sites(version, action)[_known(kind)])


def mutants(version: OcppVersion, action: str, kind: str) -> SearchStrategy[Mutant]:
    """Invalid requests of ``action`` with one mutation of class ``kind``; ValueError when the
    schema has no place for it (see :func:`has_sites`)."""
    return _mutants(version, action, _known(kind))


def _known(kind: str) -> str:
    if kind not in MUTATIONS:
        raise ValueError(f"unknown mutation class {kind!r} (one of {', '.join(MUTATIONS)})")
    return kind


@cache
def _mutants(version: OcppVersion, action: str, kind: str) -> SearchStrategy[Mutant]:
    sites = _sites(version, action)[kind]
    if not sites:
        raise ValueError(
            f"OCPP {version} {action} request has no place for a {kind} mutation "
            "(ask has_sites first)"
        )
    schema = compiler(version, action)
    return st.sampled_from(sites).flatmap(lambda site: _at_site(schema, kind, site))


@cache
def _sites(version: OcppVersion, action: str) -> dict[str, list[_Site]]:
    """Every place of every class in the request schema, shallow ones first."""
    schema = compiler(version, action)
    found: dict[str, list[_Site]] = {kind: [] for kind in MUTATIONS}
    _walk(schema, schema.root, (), found)
    for sites in found.values():
        sites.sort(key=lambda site: len(site.path))
    return found


def _walk(
    schema: SchemaCompiler, raw: Mapping[str, Any], path: Path, found: dict[str, list[_Site]]
) -> None:
    if raw.get("$ref") == _VENDOR_REF:
        return
    node = schema.resolve(raw)
    kind = node.get("type")
    if kind is None:
        return  # any JSON value: nothing to break
    if path:
        found[WRONG_TYPE].append(_Site(path, path, node))
    if kind == "string":
        if "enum" in node:
            found[ENUM_VALUE].append(_Site(path, path, node))
        elif node.get("format") == "date-time":
            found[BAD_DATETIME].append(_Site(path, path, node))
        elif "maxLength" in node and "format" not in node:
            found[TOO_LONG].append(_Site(path, path, node))
    elif kind == "object":
        properties = node.get("properties", {})
        for name in node.get("required", []):
            if properties[name].get("$ref") != _VENDOR_REF:
                found[MISSING_REQUIRED].append(_Site((*path, name), path, properties[name]))
        if node.get("additionalProperties") is False:
            found[EXTRA_PROPERTY].append(_Site((*path, EXTRA_NAME), path, node))
        for name, sub in properties.items():
            _walk(schema, sub, (*path, name), found)
    elif kind == "array":
        _walk(schema, node["items"], (*path, "0"), found)


def _at_site(schema: SchemaCompiler, kind: str, site: _Site) -> SearchStrategy[Mutant]:
    return st.builds(
        _apply, st.just(kind), st.just(site), schema.forced(site.force), _choices(kind, site)
    )


def _choices(kind: str, site: _Site) -> SearchStrategy[Any]:
    """What to draw besides the payload: which wrong value, in shrinking order."""
    if kind == WRONG_TYPE:
        return st.sampled_from((0, 1))
    if kind == ENUM_VALUE:
        return st.sampled_from((NOT_A_MEMBER, *_case_changed(site.node["enum"])))
    if kind == BAD_DATETIME:
        return st.sampled_from(BAD_DATETIMES)
    return st.just(None)


def _case_changed(members: list[str], limit: int = 4) -> list[str]:
    """Members with their case changed ("accepted" for "Accepted"): a lenient parser that
    compares case-insensitively takes them, a strict one does not."""
    taken = set(members)
    found: list[str] = []
    for member in members:
        for variant in (member.lower(), member.upper()):
            if variant not in taken and variant not in found:
                found.append(variant)
    return found[:limit]


def _apply(kind: str, site: _Site, valid: dict[str, Any], choice: Any) -> Mutant:
    payload = copy.deepcopy(valid)
    *parent_path, last = site.path
    parent: Any = payload
    for step in parent_path:
        parent = parent[int(step)] if isinstance(parent, list) else parent[step]
    key: Any = int(last) if isinstance(parent, list) else last
    where = "/".join(site.path)
    if kind == MISSING_REQUIRED:
        del parent[key]
        owner = "/".join(parent_path)
        description = f"required property {last!r} removed" + (f" from '{owner}'" if owner else "")
    elif kind == EXTRA_PROPERTY:
        parent[key] = 1
        owner = "/".join(parent_path)
        description = (
            f"property {last!r} added to {f'{owner!r}' if owner else 'the payload'}, "
            "where the schema forbids additional properties"
        )
    else:
        value, description = _new_value(kind, site, parent[key], choice)
        parent[key] = value
        description = f"'{where}' set to {description}"
    return Mutant(payload=payload, kind=kind, path=where, description=description)


def _new_value(kind: str, site: _Site, old: Any, choice: Any) -> tuple[Any, str]:
    """The replacement value and the end of the sentence that describes it."""
    if kind == WRONG_TYPE:
        wanted = site.node["type"]
        value = _wrong_types(wanted, old)[choice]
        return value, (
            f"{_shown(value)} ({_json_type(value)}) where the schema wants {_ARTICLE_TYPE[wanted]}"
        )
    if kind == ENUM_VALUE:
        return choice, (
            f"{_shown(choice)}, which is not one of its {len(site.node['enum'])} allowed values"
        )
    if kind == TOO_LONG:
        limit = int(site.node["maxLength"])
        value = (old + "X" * (limit + 1))[: limit + 1]
        return value, f"a string of {limit + 1} characters where maxLength is {limit}"
    if kind == BAD_DATETIME:
        return choice, f"{_shown(choice)}, which is not a date-time"
    raise ValueError(f"unknown mutation class {kind!r}")


def _wrong_types(wanted: str, old: Any) -> tuple[Any, Any]:
    """Two values of JSON types ``wanted`` does not admit. A numeric string for a number is
    first: a lenient parser coerces it, which is the bug to catch. Never an integral float for
    an integer (2.0 is an integer in draft 6, not in draft 4)."""
    if wanted == "string":
        return 42, True
    if wanted == "integer":
        return str(old), 1.5
    if wanted == "number":
        return str(old), True
    if wanted == "boolean":
        return json.dumps(old), 1
    if wanted == "object":
        return "x", []
    if wanted == "array":
        return {}, "x"
    raise ValueError(f"no wrong type known for {wanted!r}")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number with a fraction"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _shown(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + '..."'

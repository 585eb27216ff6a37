"""The fuzzer's own generators: valid payloads are valid and realistic, mutants are invalid for
the reason their class names (issue 15 points 2 and 3)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from pytest_ocpp.fuzz import profiles
from pytest_ocpp.fuzz.mutations import BAD_DATETIMES, Mutant, has_sites, mutants
from pytest_ocpp.fuzz.rules import (
    EXTRA_PROPERTY,
    MISSING_REQUIRED,
    MUTATIONS,
)
from pytest_ocpp.fuzz.strategies import (
    INT32_MAX,
    INT32_MIN,
    SchemaCompiler,
    UnsupportedSchemaError,
    compiler,
    datetimes,
    from_schema,
    payloads,
)
from pytest_ocpp.schemas import is_rfc3339, schema_set
from pytest_ocpp.verdicts import TargetFailure
from pytest_ocpp.versions import V16, V21, V201, OcppVersion

FEW = settings(
    max_examples=3,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
"""Enough to catch a generator that is wrong for a schema; the breadth is in the parameters."""

OCPP_DATETIME = re.compile(r"^20(2\d|3[0-5])-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")

VALID_CASES = [
    pytest.param(version, action, response, id=f"{version}-{action}-{'res' if response else 'req'}")
    for version in (V16, V201)
    for action in schema_set(version).actions()
    for response in (False, True)
] + [
    # 2.1 schemas all carry "$id", which hypothesis-jsonschema refused.
    pytest.param(V21, action, False, id=f"2.1-{action}-req")
    for action in schema_set(V21).actions()
]

MUTANT_CASES = [
    pytest.param(version, action, kind, id=f"{version}-{action}-{kind}")
    for version in (V16, V201)
    for action in schema_set(version).actions()
    for kind in MUTATIONS
    if has_sites(version, action, kind)
]

REASON = {
    "missing_required": "is a required property",
    "wrong_type": "is not of type",
    "enum_value": "is not one of",
    "too_long": "is longer than",
    "extra_property": "Additional properties are not allowed",
    "bad_datetime": 'is not a "date-time"',
}
"""The phrase SchemaSet (jsonschema-rs) uses for each class's violation."""


def _leaves(
    schema: SchemaCompiler, node: Mapping[str, Any], value: Any
) -> Iterator[tuple[Mapping[str, Any], Any]]:
    """Every scalar in ``value`` with the schema that governs it."""
    node = schema.resolve(node)
    if "type" not in node:
        return
    if isinstance(value, dict):
        for name, sub in value.items():
            yield from _leaves(schema, node["properties"][name], sub)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(schema, node["items"], item)
    else:
        yield node, value


def _assert_realistic(node: Mapping[str, Any], value: Any) -> None:
    """OCPP's rules for what the schemas leave loose (issue 15 point 2)."""
    kind = node["type"]
    if kind == "string":
        assert value and value.isascii() and value.isprintable(), repr(value)
        assert value.strip() == value, repr(value)
        if node.get("format") == "date-time":
            assert OCPP_DATETIME.match(value), value
            assert is_rfc3339(value, 3), value
        elif node.get("format") == "uri":
            assert value.startswith("https://example.com/"), value
    elif kind == "integer":
        assert not isinstance(value, bool)
        assert INT32_MIN <= value <= INT32_MAX
    elif kind == "number":
        assert math.isfinite(value)
        decimals = 1 if node.get("multipleOf") == 0.1 else 3
        assert round(value, decimals) == value, value
        assert len(repr(value).partition(".")[2]) <= decimals, repr(value)


@pytest.mark.parametrize(("version", "action", "response"), VALID_CASES)
@FEW
@given(data=st.data())
def test_generated_payloads_are_schema_valid_and_realistic(
    version: OcppVersion, action: str, response: bool, data: st.DataObject
) -> None:
    payload = data.draw(payloads(version, action, response=response))
    assert isinstance(payload, dict)
    json.dumps(payload, allow_nan=False)
    assert schema_set(version).errors(action, payload, response=response) == []
    schema = compiler(version, action, response=response)
    for node, value in _leaves(schema, schema.root, payload):
        _assert_realistic(node, value)


@settings(max_examples=200, deadline=None, database=None)
@given(value=datetimes(V201))
def test_datetimes_follow_the_ocpp_rule(value: str) -> None:
    # 2.0.1 Part 2 §3.1: UTC, at most 3 fractional digits; years kept realistic.
    assert OCPP_DATETIME.match(value), value
    parsed = datetime.strptime(value.rstrip("Z").partition(".")[0], "%Y-%m-%dT%H:%M:%S")
    assert 2020 <= parsed.year <= 2035


def test_boundaries_and_optional_properties_are_reached() -> None:
    # No shrinking: finding one is the point, and shrinking large payloads costs seconds.
    quick = settings(database=None, max_examples=2000, phases=[Phase.generate])
    # A string exactly maxLength long: the boundary a receiver is most likely to get wrong.
    found = find(payloads(V16, "Authorize"), lambda p: len(p["idTag"]) == 20, settings=quick)
    assert len(found["idTag"]) == 20
    found = find(payloads(V16, "StartTransaction"), lambda p: "reservationId" in p, settings=quick)
    assert set(found) == {"connectorId", "idTag", "meterStart", "timestamp", "reservationId"}
    # A 2.0.1 certificate (maxLength 5500) reaches its boundary too, cheaply.
    found = find(payloads(V201, "SignCertificate"), lambda p: len(p["csr"]) == 5500, settings=quick)
    assert len(found["csr"]) == 5500
    # multipleOf 0.1 gives the short decimal, never 0.30000000000000004.
    found = find(
        payloads(V16, "SetChargingProfile"),
        lambda p: any(
            round(period["limit"]) != period["limit"]
            for period in p["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"]
        ),
        settings=quick,
    )
    limits = found["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"]
    assert all(len(repr(period["limit"]).partition(".")[2]) == 1 for period in limits)


def _expected_error_path(mutant: Mutant) -> str:
    """Where SchemaSet reports the violation: the owning object for a removed or added
    property, the value itself otherwise."""
    path = mutant.path
    if mutant.kind in (MISSING_REQUIRED, EXTRA_PROPERTY):
        path = path.rpartition("/")[0]
    return path or "(payload)"


@pytest.mark.parametrize(("version", "action", "kind"), MUTANT_CASES)
@FEW
@given(data=st.data())
def test_mutants_are_invalid_for_the_reason_of_their_class(
    version: OcppVersion, action: str, kind: str, data: st.DataObject
) -> None:
    mutant = data.draw(mutants(version, action, kind))
    assert mutant.kind == kind
    assert isinstance(mutant.payload, dict), "a top-level wrong type is a frame test"
    json.dumps(mutant.payload, allow_nan=False)
    errors = schema_set(version).errors(action, mutant.payload, response=False)
    assert errors, mutant
    # Exactly one place is broken, and broken the way the class says.
    where = _expected_error_path(mutant)
    assert all(error.startswith(f"{where}: ") for error in errors), (mutant, errors)
    assert any(REASON[kind] in error for error in errors), (mutant, errors)
    assert mutant.description
    if kind == "wrong_type":
        assert "where the schema wants" in mutant.description


def test_mutant_descriptions_read_like_a_bug_report() -> None:
    quick = settings(database=None)
    missing = find(mutants(V16, "StartTransaction", MISSING_REQUIRED), bool, settings=quick)
    assert missing.description == "required property 'connectorId' removed"
    assert missing.path == "connectorId"
    wrong = find(
        mutants(V16, "StartTransaction", "wrong_type"),
        lambda m: m.path == "connectorId" and isinstance(m.payload["connectorId"], str),
        settings=quick,
    )
    assert wrong.description == (
        "'connectorId' set to \"0\" (a string) where the schema wants an integer"
    )
    deep = find(
        mutants(V16, "SetChargingProfile", "wrong_type"),
        lambda m: m.path.endswith("/limit"),
        # Derandomized: the same draws every run, so finding the deep site is not luck.
        settings=settings(
            database=None, phases=[Phase.generate], derandomize=True, max_examples=2000
        ),
    )
    assert deep.path == "csChargingProfiles/chargingSchedule/chargingSchedulePeriod/0/limit"
    assert deep.payload["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"]


def test_mutants_shrink_to_the_shallowest_site() -> None:
    # Sites are sampled shallow-first, so a failure anywhere shrinks towards the top level.
    found = find(
        mutants(V16, "SetChargingProfile", "wrong_type"),
        lambda m: m.path != "connectorId",
        settings=settings(database=None),
    )
    assert found.path == "csChargingProfiles", found


@settings(max_examples=30, deadline=None, database=None)
@given(mutant=mutants(V16, "StopTransaction", "bad_datetime"))
def test_bad_datetimes_come_from_the_unambiguous_list(mutant: Mutant) -> None:
    value: Any = mutant.payload
    for step in mutant.path.split("/"):
        value = value[int(step)] if isinstance(value, list) else value[step]
    assert value in BAD_DATETIMES


def test_heartbeat_offers_only_an_extra_property() -> None:
    for version in (V16, V201):
        for kind in MUTATIONS:
            # Heartbeat has no property of its own; its schema still forbids extras, and
            # 2.0.1 customData (the vendor extension) is deliberately no site.
            assert has_sites(version, "Heartbeat", kind) is (kind == EXTRA_PROPERTY)
            if kind != EXTRA_PROPERTY:
                with pytest.raises(ValueError, match="no place"):
                    mutants(version, "Heartbeat", kind)
    with pytest.raises(ValueError, match="unknown mutation class"):
        has_sites(V16, "Authorize", "nonsense")


@pytest.mark.parametrize(
    ("schema", "complaint"),
    [
        ({"type": "object", "properties": {"a": {"type": "string", "pattern": "x"}}}, "'pattern'"),
        (
            {
                "type": "object",
                "definitions": {"T": {"type": "integer", "exclusiveMinimum": 0}},
                "properties": {"a": {"$ref": "#/definitions/T"}},
            },
            "'exclusiveMinimum' at #/definitions/T",
        ),
        ({"type": ["string", "null"]}, "type ['string', 'null']"),
        ({"type": "string", "format": "email"}, "format 'email'"),
        ({"type": "number", "multipleOf": 0.3}, "multipleOf 0.3"),
        ({"type": "object", "properties": {"a": {"$ref": "other.json#/x"}}}, "other.json"),
        (
            {
                "type": "object",
                "definitions": {"T": {"type": "array", "items": {"$ref": "#/definitions/T"}}},
                "properties": {"a": {"$ref": "#/definitions/T"}},
            },
            "recursive",
        ),
    ],
)
def test_a_schema_outside_the_known_keywords_is_refused(
    schema: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(UnsupportedSchemaError, match=re.escape(complaint)) as raised:
        from_schema(schema, V201, where="future schema")
    assert "future schema" in str(raised.value)
    assert "teach it" in str(raised.value)


def test_a_property_with_two_distinct_failures_reports_one() -> None:
    """A verdict names one failure: hypothesis's ExceptionGroup of several distinct bugs used to
    reach the report as "pytest-ocpp internal error (ExceptionGroup)"."""

    @profiles.current()
    @given(st.integers(min_value=0, max_value=100))
    def prop(value: int) -> None:
        if value % 2:
            raise TargetFailure(f"odd {value}")
        if value > 10:
            raise ValueError(f"large even {value}")

    with pytest.raises((TargetFailure, ValueError)):
        prop()

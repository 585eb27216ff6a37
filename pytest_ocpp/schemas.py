"""Compiled validators over the official OCPP JSON schemas shipped in the ``ocpp`` package.

``ocpp``'s own validator costs 24-117 µs a message, validates draft-06 schemas with a draft-4
validator and never checks ``date-time``. A conformance tool has to judge formats, so we compile
the same schema files with ``jsonschema-rs`` (0.3-0.5 µs a message), with:

* ``date-time`` checked as RFC 3339, and for 2.x at most 3 fractional digits
  (OCPP 2.0.1 Part 2, "dateTime" datatype);
* ``multipleOf`` judged with a float tolerance: ``234.10000000000002`` is a multiple of 0.1 to any
  sender that computes in binary floating point, and Python's ``jsonschema`` agrees.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs

from pytest_ocpp.versions import OcppVersion

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$"
)
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def is_rfc3339(value: str, max_fraction_digits: int | None = None) -> bool:
    """True when ``value`` is an RFC 3339 date-time (with an explicit offset, as JSON Schema
    requires), optionally with at most ``max_fraction_digits`` fractional digits."""
    match = _RFC3339.match(value)
    if not match:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, _sign, off_h, off_m = match.group(7), match.group(8), match.group(9), match.group(10)
    if not 1 <= month <= 12 or not 1 <= day <= _DAYS[month - 1]:
        return False
    if month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        return False
    if hour > 23 or minute > 59 or second > 60:
        return False
    if off_h is not None and (int(off_h) > 23 or int(off_m) > 59):
        return False
    return not (
        max_fraction_digits is not None and fraction and len(fraction) > max_fraction_digits
    )


def _is_multiple(value: float, step: float) -> bool:
    quotient = value / step
    return math.isclose(quotient, round(quotient), rel_tol=1e-9, abs_tol=1e-9)


class SchemaSet:
    """The request and response validators of one OCPP version, compiled on first use."""

    def __init__(self, version: OcppVersion) -> None:
        self.version = version
        self._root = resources.files("ocpp") / version.schema_dir / "schemas"
        self._validators: dict[str, Any] = {}
        limit = version.max_datetime_fraction_digits
        self._formats = {"date-time": lambda v: is_rfc3339(v, limit)}

    def actions(self) -> list[str]:
        """Every action the version defines, as named in its schema files."""
        suffix = self.version.request_suffix + ".json"
        names = [p.name for p in self._root.iterdir() if p.name.endswith(".json")]
        return sorted(
            n.removesuffix(suffix)
            for n in names
            if n.endswith(suffix) and not n.endswith("Response.json")
        )

    def knows(self, action: str) -> bool:
        return (self._root / self._file_name(action, response=False)).is_file()

    def schema(self, action: str, *, response: bool) -> dict[str, Any]:
        """The raw schema, for generating payloads (fuzzing) or for documentation."""
        text = (self._root / self._file_name(action, response=response)).read_text("utf-8")
        return json.loads(text)

    def errors(self, action: str, payload: Any, *, response: bool) -> list[str]:
        """Every schema violation of ``payload``, as readable sentences naming the JSON path."""
        validator = self._validator(action, response=response)
        found = []
        for error in validator.iter_errors(payload):
            if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.MultipleOf):
                if _is_multiple(error.instance, error.kind.multiple_of):
                    continue
            path = "/".join(str(p) for p in error.instance_path) or "(payload)"
            message = error.message
            limit = self.version.max_datetime_fraction_digits
            if (
                isinstance(error.kind, jsonschema_rs.ValidationErrorKind.Format)
                and isinstance(error.instance, str)
                and limit is not None
                and is_rfc3339(error.instance)
            ):
                # Valid RFC 3339, so "not a date-time" would be false: name the rule it breaks.
                found_fraction = re.search(r"\.(\d+)", error.instance)
                digits = len(found_fraction.group(1)) if found_fraction else 0
                message = (
                    f"{error.instance!r} is a valid RFC 3339 date-time with {digits} fractional "
                    f"digits, but OCPP {self.version} Part 2 §3.1 (Time Format Requirements) "
                    f"says the number of decimal places SHALL NOT exceed {limit}"
                )
            found.append(f"{path}: {message}")
        return found

    def _file_name(self, action: str, *, response: bool) -> str:
        suffix = "Response" if response else self.version.request_suffix
        return f"{action}{suffix}.json"

    def _validator(self, action: str, *, response: bool) -> Any:
        key = f"{action}/{response}"
        validator = self._validators.get(key)
        if validator is None:
            schema = self.schema(action, response=response)
            schema.pop("$id", None)
            validator = jsonschema_rs.validator_for(
                schema, validate_formats=True, formats=self._formats
            )
            self._validators[key] = validator
        return validator


@cache
def schema_set(version: OcppVersion) -> SchemaSet:
    """One shared, lazily compiled schema set per version (validators are immutable)."""
    return SchemaSet(version)

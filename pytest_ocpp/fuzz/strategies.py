"""Hypothesis strategies for schema-valid OCPP payloads, compiled from the official schemas.

Why our own compiler and not ``hypothesis-jsonschema`` (DESIGN.md, "Known traps"): 0.23.1 breaks
with hypothesis >= 6.170.10, refuses schemas carrying ``$id`` (22 of the 1.6 schemas, all of
2.1), generates date-times OCPP forbids (6 fractional digits, year 0866), NUL characters and
floats that fail ``multipleOf: 0.1``, and makes 10-17 examples/s on 2.0.1
TransactionEventRequest. The OCPP schemas use a small, fixed keyword set (:data:`KNOWN`), so a
compiler over exactly that set is short; any other keyword raises
:class:`UnsupportedSchemaError`, so a schema update that needs more is noticed, not guessed at.

Values follow OCPP's rules where the schemas are loose (issue 15 point 2):

* date-times are RFC 3339 in UTC with ``Z``, years 2020-2035, with 0 or 3 fractional digits
  (OCPP 2.0.1 Part 2 §3.1 allows at most 3; OCPP 1.6 §3.15 allows any ISO 8601 fraction, so 3
  is what every version accepts);
* strings are printable ASCII (letters, digits, ``-_.:/`` and space), at least one character
  (an empty identifier is schema-legal and unrealistic), sometimes exactly ``maxLength`` long
  (the boundary matters); ``uri`` strings are ``https://example.com/<path>``;
* integers respect minimum/maximum, otherwise stay in 32 bits (2.0.1 Part 2 §2.1.4, the
  "integer" datatype) and are mostly small and non-negative (they shrink towards 0);
* numbers with ``multipleOf: 0.1`` are ``k / 10`` (division gives the shortest repr;
  ``k * 0.1`` gives ``0.30000000000000004``), others have at most 3 decimals within ±1e6;
  never NaN or infinity;
* arrays hold ``minItems`` to ``min(maxItems, minItems + 3)`` items;
* objects always carry their required properties, each optional one maybe, and never a
  property the schema does not name (2.0.1 ``customData`` is generated as its schema says).
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from pytest_ocpp.schemas import schema_set
from pytest_ocpp.versions import OcppVersion

KNOWN: frozenset[str] = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "maxLength",
        "minLength",
        "enum",
        "$ref",
        "definitions",
        "items",
        "minItems",
        "maxItems",
        "multipleOf",
        "format",
        "minimum",
        "maximum",
    }
)
"""The keywords the compiler understands (measured over the 1.6, 2.0.1 and 2.1 schemas;
``minLength`` is used by none of them but costs nothing)."""

IGNORED: frozenset[str] = frozenset(
    {
        "$schema",
        "$id",
        "title",
        "comment",
        "description",
        "javaType",
        "default",
        # Meaningless next to a single-schema "items", which is the only form OCPP uses.
        "additionalItems",
    }
)
"""Keywords that do not constrain a value (annotations), skipped."""

FORMATS: frozenset[str] = frozenset({"date-time", "uri"})
TYPES: frozenset[str] = frozenset({"object", "string", "integer", "number", "boolean", "array"})

ALPHABET = string.ascii_letters + string.digits + "-_.:/ "
"""Printable ASCII a real identifier uses: no control characters, no NUL, no quotes."""
_URI_ALPHABET = string.ascii_letters + string.digits + "-_."

UNBOUNDED_STRING_CAP = 64
"""Longest string drawn where the schema sets no maxLength."""
RANDOM_LENGTH_CAP = 1000
"""Random strings stop here; a maxLength above it is still reached by the boundary branch
(one repeated pattern, cheap to build even for 2.0.1's 5500-character certificates)."""
BOUNDARY_ONE_IN = 6
"""About one bounded string in this many is exactly maxLength long."""

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
NUMBER_LIMIT = 1_000_000
NUMBER_DECIMALS = 3


class UnsupportedSchemaError(ValueError):
    """The schema uses a keyword or value the compiler does not know: a schema update that the
    generator has to learn before it can be trusted."""


@cache
def datetimes(version: OcppVersion) -> SearchStrategy[str]:
    """RFC 3339 UTC date-times every OCPP version accepts: ``2027-03-14T09:26:53Z`` or
    ``2027-03-14T09:26:53.589Z``. OCPP 2.0.1 Part 2 §3.1 allows at most 3 fractional digits,
    1.6 any ISO 8601 fraction; years 2020-2035 keep them realistic. ``version`` is taken so a
    future version with another rule changes here only; today all share this one."""
    del version
    return st.builds(
        _format_datetime,
        st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31, 23, 59, 59)),
        st.booleans(),
    )


def _format_datetime(moment: datetime, with_millis: bool) -> str:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if with_millis:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


@cache
def payloads(
    version: OcppVersion, action: str, *, response: bool = False
) -> SearchStrategy[dict[str, Any]]:
    """Schema-valid payloads of the request (or response), cached per (version, action,
    response)."""
    return compiler(version, action, response=response).strategy()


@cache
def compiler(version: OcppVersion, action: str, *, response: bool = False) -> SchemaCompiler:
    """The compiled schema of one message, shared by :func:`payloads` and the mutations."""
    schema = schema_set(version).schema(action, response=response)
    where = f"OCPP {version} {action}{'Response' if response else 'Request'}"
    return SchemaCompiler(schema, version, where=where)


def from_schema(
    schema: Mapping[str, Any], version: OcppVersion, *, where: str = "schema"
) -> SearchStrategy[Any]:
    """Values valid against ``schema`` (an OCPP-style JSON schema); raises
    :class:`UnsupportedSchemaError` at once on a keyword outside :data:`KNOWN`/:data:`IGNORED`."""
    return SchemaCompiler(schema, version, where=where).strategy()


Path = tuple[str, ...]
"""A place in a payload: property names, and "0" for the first item of an array."""


class SchemaCompiler:
    """Turns one OCPP schema into hypothesis strategies.

    The whole schema is checked when the compiler is made, so an unknown keyword anywhere is
    reported even if the generator would never reach it. :meth:`strategy` gives plain payloads;
    :meth:`forced` gives payloads that contain a given path (its optional properties present,
    arrays along it non-empty), which is what a one-place mutation needs (``mutations.py``).
    """

    def __init__(self, schema: Mapping[str, Any], version: OcppVersion, *, where: str) -> None:
        self.root = schema
        self.version = version
        self.where = where
        self.definitions: Mapping[str, Any] = schema.get("definitions", {})
        self._by_id: dict[int, SearchStrategy[Any]] = {}
        self._checked: set[str] = set()
        self._check(schema, "#", ())

    # -- validation of the schema itself ------------------------------------------------------

    def _fail(self, pointer: str, problem: str) -> UnsupportedSchemaError:
        return UnsupportedSchemaError(
            f"{self.where}: {problem} at {pointer}; pytest_ocpp.fuzz.strategies compiles only "
            f"the keywords the OCPP schemas use ({', '.join(sorted(KNOWN))}); teach it this one "
            "before fuzzing with this schema"
        )

    def _check(self, node: Any, pointer: str, refs: tuple[str, ...]) -> None:
        if not isinstance(node, Mapping):
            raise self._fail(pointer, f"a schema that is not an object ({node!r})")
        for key in node:
            if key not in KNOWN and key not in IGNORED:
                raise self._fail(pointer, f"unknown keyword {key!r}")
        kind = node.get("type")
        if "$ref" in node:
            name = self._ref_name(node["$ref"], pointer)
            if name in refs:
                raise self._fail(pointer, f"a recursive reference to {name!r}")
            if len(set(node) & KNOWN) > 1:
                raise self._fail(pointer, "keywords next to '$ref' (draft 4-7 ignore them)")
            if name not in self._checked:
                self._check(self.definitions[name], f"#/definitions/{name}", (*refs, name))
                self._checked.add(name)
            return
        if kind is None and not set(node) & KNOWN:
            return  # no constraint at all: any JSON value (2.0.1 DataTransferRequest "data")
        if not isinstance(kind, str) or kind not in TYPES:
            raise self._fail(pointer, f"type {kind!r} (one of {sorted(TYPES)} expected)")
        fmt = node.get("format")
        if fmt is not None and (fmt not in FORMATS or kind != "string"):
            raise self._fail(pointer, f"format {fmt!r} on type {kind!r}")
        if "multipleOf" in node and (kind != "number" or _scale(node["multipleOf"]) is None):
            raise self._fail(pointer, f"multipleOf {node['multipleOf']!r} on type {kind!r}")
        if "enum" in node and (kind != "string" or not node["enum"]):
            raise self._fail(pointer, "an enum that is not a non-empty list of strings")
        if node.get("additionalProperties", False) is not False and kind == "object":
            raise self._fail(pointer, "additionalProperties other than false")
        if kind == "object":
            properties = node.get("properties", {})
            for name in node.get("required", []):
                if name not in properties:
                    raise self._fail(pointer, f"required property {name!r} without a schema")
            for name, sub in properties.items():
                self._check(sub, f"{pointer}/properties/{name}", refs)
        elif kind == "array":
            items = node.get("items")
            if not isinstance(items, Mapping):
                raise self._fail(pointer, "an array without a single 'items' schema")
            self._check(items, f"{pointer}/items", refs)

    def _ref_name(self, ref: Any, pointer: str) -> str:
        prefix = "#/definitions/"
        if not isinstance(ref, str) or not ref.startswith(prefix):
            raise self._fail(pointer, f"$ref {ref!r} (only '#/definitions/...' is supported)")
        name = ref.removeprefix(prefix)
        if name not in self.definitions:
            raise self._fail(pointer, f"$ref to a missing definition {name!r}")
        return name

    # -- strategies ---------------------------------------------------------------------------

    def resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        """The schema a node stands for, following ``$ref`` (checked non-recursive)."""
        while "$ref" in node:
            node = self.definitions[node["$ref"].removeprefix("#/definitions/")]
        return node

    def strategy(self, node: Mapping[str, Any] | None = None) -> SearchStrategy[Any]:
        """Valid values of ``node`` (the root by default), built once per schema node."""
        node = self.resolve(self.root if node is None else node)
        built = self._by_id.get(id(node))
        if built is None:
            built = self._build(node)
            self._by_id[id(node)] = built
        return built

    def forced(self, path: Path, node: Mapping[str, Any] | None = None) -> SearchStrategy[Any]:
        """Valid values that contain ``path``: each property along it present, each array along
        it with at least one item (the path's "0"). The value at the end of the path is drawn
        as usual."""
        node = self.resolve(self.root if node is None else node)
        if not path:
            return self.strategy(node)
        head, rest = path[0], path[1:]
        if node["type"] == "object":
            properties = node.get("properties", {})
            if head not in properties:
                raise KeyError(f"{self.where}: no property {head!r} at this level")
            required = {
                name: self.strategy(properties[name])
                for name in node.get("required", [])
                if name != head
            }
            required[head] = self.forced(rest, properties[head])
            optional = {
                name: self.strategy(sub) for name, sub in properties.items() if name not in required
            }
            return st.fixed_dictionaries(required, optional=optional)
        if node["type"] == "array" and head == "0":
            low, high = _item_counts(node)
            return st.builds(
                _prepend,
                self.forced(rest, node["items"]),
                st.lists(
                    self.strategy(node["items"]),
                    min_size=max(low - 1, 0),
                    max_size=max(high - 1, low - 1, 0),
                ),
            )
        raise KeyError(f"{self.where}: cannot go into {head!r} of a {node['type']}")

    def _build(self, node: Mapping[str, Any]) -> SearchStrategy[Any]:
        if "type" not in node:
            return any_json()
        builders: dict[str, Callable[[Mapping[str, Any]], SearchStrategy[Any]]] = {
            "object": self._object,
            "array": self._array,
            "string": self._string,
            "integer": _integers,
            "number": _numbers,
            "boolean": lambda _node: st.booleans(),
        }
        return builders[node["type"]](node)

    def _object(self, node: Mapping[str, Any]) -> SearchStrategy[dict[str, Any]]:
        properties = node.get("properties", {})
        required = set(node.get("required", []))
        return st.fixed_dictionaries(
            {name: self.strategy(properties[name]) for name in properties if name in required},
            optional={
                name: self.strategy(sub) for name, sub in properties.items() if name not in required
            },
        )

    def _array(self, node: Mapping[str, Any]) -> SearchStrategy[list[Any]]:
        low, high = _item_counts(node)
        return st.lists(self.strategy(node["items"]), min_size=low, max_size=high)

    def _string(self, node: Mapping[str, Any]) -> SearchStrategy[str]:
        if "enum" in node:
            return st.sampled_from(node["enum"])
        fmt = node.get("format")
        if fmt == "date-time":
            return datetimes(self.version)
        if fmt == "uri":
            return st.text(_URI_ALPHABET, min_size=1, max_size=20).map(
                lambda tail: f"https://example.com/{tail}"
            )
        return strings(node.get("minLength", 1), node.get("maxLength"))


@cache
def any_json() -> SearchStrategy[Any]:
    """Small JSON values of every type, for a schema that constrains nothing (2.0.1
    DataTransferRequest "data": vendor-defined)."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(0, 1000),
        st.integers(0, 10**6).map(lambda k: k / 1000),
        strings(1, 20),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(
                st.text(string.ascii_letters, min_size=1, max_size=10), inner, max_size=3
            ),
        ),
        max_leaves=6,
    )


def _prepend(first: Any, rest: list[Any]) -> list[Any]:
    return [first, *rest]


def _item_counts(node: Mapping[str, Any]) -> tuple[int, int]:
    low = int(node.get("minItems", 0))
    high = low + 3
    if "maxItems" in node:
        high = min(high, int(node["maxItems"]))
    return low, high


def strings(min_length: int = 1, max_length: int | None = None) -> SearchStrategy[str]:
    """Printable ASCII strings of ``min_length``..``max_length`` characters (see
    :data:`UNBOUNDED_STRING_CAP`, :data:`RANDOM_LENGTH_CAP`); about one in
    :data:`BOUNDARY_ONE_IN` is exactly ``max_length`` long when the schema bounds it. A space
    is only ever inside a string (" " is no realistic identifier)."""
    low = max(min_length, 1) if max_length is None or max_length >= 1 else 0
    if max_length is None:
        return st.text(ALPHABET, min_size=low, max_size=max(low, UNBOUNDED_STRING_CAP)).map(
            _inner_spaces
        )
    random_part = st.text(ALPHABET, min_size=low, max_size=min(max_length, RANDOM_LENGTH_CAP))
    if max_length <= UNBOUNDED_STRING_CAP:
        boundary = st.text(ALPHABET, min_size=max_length, max_size=max_length)
    else:
        boundary = st.text(ALPHABET, min_size=1, max_size=8).map(
            lambda seed: (seed * (max_length // len(seed) + 1))[:max_length]
        )
    return _weighted(random_part, boundary).map(_inner_spaces)


def _inner_spaces(text: str) -> str:
    """The same length, with a space at either end made a hyphen."""
    if text.startswith(" "):
        text = "-" + text[1:]
    if text.endswith(" "):
        text = text[:-1] + "-"
    return text


def _weighted(usual: SearchStrategy[str], rare: SearchStrategy[str]) -> SearchStrategy[str]:
    """``usual`` mostly, ``rare`` about one time in :data:`BOUNDARY_ONE_IN`; shrinks to
    ``usual`` (the selector shrinks to 0)."""

    @st.composite
    def pick(draw: st.DrawFn) -> str:
        if draw(st.integers(0, BOUNDARY_ONE_IN - 1)) == BOUNDARY_ONE_IN - 1:
            return draw(rare)
        return draw(usual)

    return pick()


def _integers(node: Mapping[str, Any]) -> SearchStrategy[int]:
    low = math.ceil(node["minimum"]) if "minimum" in node else None
    high = math.floor(node["maximum"]) if "maximum" in node else None
    return _small_or_wide(
        INT32_MIN if low is None else low, INT32_MAX if high is None else high, small=100
    )


def _small_or_wide(low: int, high: int, *, small: int) -> SearchStrategy[int]:
    """Mostly ``max(low, 0)`` .. ``+small`` (shrinking towards it), sometimes anywhere in
    ``low..high``."""
    start = min(max(low, 0), high)
    near = st.integers(start, min(start + small, high))
    if (low, high) == (start, min(start + small, high)):
        return near
    return st.one_of(near, st.integers(low, high))


def _scale(step: Any) -> int | None:
    """n when ``step`` is 1/n (0.1 -> 10), the only multipleOf OCPP uses; None otherwise."""
    if not isinstance(step, int | float) or isinstance(step, bool) or step <= 0 or step > 1:
        return None
    scale = round(1 / step)
    return scale if math.isclose(scale * step, 1.0) else None


def _numbers(node: Mapping[str, Any]) -> SearchStrategy[float]:
    step = node.get("multipleOf")
    scale = 10**NUMBER_DECIMALS if step is None else _scale(step)
    assert scale is not None, "checked by SchemaCompiler._check"
    low = math.ceil(node["minimum"] * scale) if "minimum" in node else -NUMBER_LIMIT * scale
    high = math.floor(node["maximum"] * scale) if "maximum" in node else NUMBER_LIMIT * scale
    # k / scale: the correctly rounded quotient, whose repr is the short decimal ("2.3").
    return _small_or_wide(low, high, small=100 * scale).map(lambda k: k / scale)

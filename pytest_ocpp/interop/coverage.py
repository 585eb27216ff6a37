"""The coverage statement: for every catalogue case, whether it is implemented, provisional,
declined (with the reason) or not yet built (``pytest --ocpp-coverage``).

A team choosing a conformance tool asks "what does it cover?" before anything else; a number
typed into a README by hand goes stale the day a case is added. So the statement is computed:
the catalogue (:func:`pytest_ocpp.catalog.catalog`) says what exists, the bundled scenarios
say what is implemented (every ``@ocpp_case("ID", version=...)`` and ``@ocpi_case("ID")`` found by reading their
source, so no target, no import of a case module and no pytest collection is needed), and
``data/octt-coverage.toml`` records the two things code cannot say: why a case is declined,
and which are not built yet.

"Provisional" is the catalogue's own mark (:attr:`CaseInfo.provisional
<pytest_ocpp.catalog.CaseInfo.provisional>`): implemented from a title only, never certified
coverage. A test whose body only raises (a stub reporting "not applicable") does not count as
implemented: it must be declined with its reason, or :func:`problems` says so.
"""

from __future__ import annotations

import ast
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pytest_ocpp.catalog import CaseInfo, catalog

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

IMPLEMENTED, PROVISIONAL, DECLINED, NOT_BUILT = (
    "implemented",
    "provisional",
    "declined",
    "not yet built",
)
STATES = (IMPLEMENTED, PROVISIONAL, DECLINED, NOT_BUILT)
FORMAT = "pytest-ocpp-coverage v1"


@dataclass(frozen=True)
class Found:
    """One ``@ocpp_case`` in the scenarios' source."""

    version: str
    id: str
    where: str
    """``path:line``, for messages that send a reader to the test."""
    stub: bool
    """The test body only raises (e.g. ``raise not_applicable(...)``): nothing is tested."""


@dataclass(frozen=True)
class CoverageData:
    """``data/octt-coverage.toml``: declined cases with their reasons, cases not yet built."""

    declined: Mapping[tuple[str, str], str]
    not_built: Mapping[str, frozenset[str]]
    """version -> ids; ``"*"`` in a version's set: every id of it without a test."""


@dataclass
class Group:
    version: str
    side: str
    profile: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))

    @property
    def catalogue(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Statement:
    """The whole statement: one state per catalogue case, and what is inconsistent."""

    states: Mapping[tuple[str, str], str]
    """(version, id) -> one of :data:`STATES`; a case in no state is missing here and named
    by :attr:`problems`."""
    reasons: Mapping[tuple[str, str], str]
    """(version, id) -> why a declined case is declined."""
    problems: tuple[str, ...]
    cases: Mapping[tuple[str, str], CaseInfo] = field(default_factory=dict)
    """The catalogue the statement was made over (its titles, sides and profiles)."""

    def groups(self) -> list[Group]:
        """Counts per version, side and certification profile, in the summary's order."""
        table: dict[tuple[str, str, str], Group] = {}
        for key, state in self.states.items():
            info = (self.cases or catalog())[key]
            group_key = (info.version, info.side, info.profile_name)
            group = table.setdefault(group_key, Group(*group_key))
            group.counts[state] += 1
        return [table[k] for k in sorted(table, key=_order)]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``--ocpp-coverage=json``), format :data:`FORMAT`."""
        groups = []
        for group in self.groups():
            row = asdict(group)
            row.pop("counts")
            row["under_test"] = _under_test(group.side)
            row.update({_json_key(s): group.counts[s] for s in STATES})
            row["catalogue"] = group.catalogue
            groups.append(row)
        totals: dict[str, dict[str, int]] = {}
        for group in self.groups():
            version_total = totals.setdefault(group.version, dict.fromkeys(STATES, 0))
            for state in STATES:
                version_total[state] += group.counts[state]
        return {
            "format": FORMAT,
            "groups": groups,
            "totals": {
                version: {
                    **{_json_key(s): n for s, n in counts.items()},
                    "catalogue": sum(counts.values()),
                }
                for version, counts in totals.items()
            },
            "declined": [
                {"version": v, "id": i, "reason": reason}
                for (v, i), reason in sorted(self.reasons.items())
            ],
            "not_yet_built": {
                version: sorted(
                    i for (v, i), s in self.states.items() if v == version and s == NOT_BUILT
                )
                for version in sorted(totals)
            },
            "problems": list(self.problems),
        }

    def render(self) -> str:
        """The terminal table, and the reasons of the declined cases below it."""
        groups = self.groups()
        width = max([6, *(len(g.version) + 1 for g in groups)])
        head = (
            f"{'OCPP':<{width}}{'under test':<18}{'profile':<40}"
            f"{'impl':>6}{'prov':>6}{'decl':>6}{'todo':>6}{'total':>7}"
        )
        lines = [
            "pytest-ocpp coverage of its test case catalogue (OCA ids; OCPI: our own)",
            "impl: implemented · prov: provisional (built from a title only, not certified "
            "coverage) · decl: declined · todo: not yet built",
            "",
            head,
        ]
        for group in groups:
            cells = "".join(f"{group.counts[s] or '·':>6}" for s in STATES)
            lines.append(
                f"{group.version:<{width}}{_under_test(group.side):<18}{group.profile[:39]:<40}"
                f"{cells}{group.catalogue:>7}"
            )
        for version, total in self.to_dict()["totals"].items():
            name = f"OCPP {version}" if version[:1].isdigit() else version
            lines.append(
                f"{name}: {total['catalogue']} catalogue cases, "
                f"{total['implemented']} implemented, {total['provisional']} provisional, "
                f"{total['declined']} declined, {total['not_yet_built']} not yet built"
            )
        if self.reasons:
            lines += ["", "declined:"]
            lines += [f"  {v} {i}: {reason}" for (v, i), reason in sorted(self.reasons.items())]
        if self.problems:
            lines += ["", "inconsistent (tests/test_coverage.py fails on these):"]
            lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)

    def markdown(self) -> str:
        """The README's table (generated, never typed)."""
        lines = [
            "| OCPP | under test | profile | implemented | provisional | declined | "
            "not yet built | catalogue |",
            "|---|---|---|---:|---:|---:|---:|---:|",
        ]
        for group in self.groups():
            cells = " | ".join(str(group.counts[s]) for s in STATES)
            lines.append(
                f"| {group.version} | {_under_test(group.side)} | {group.profile} | {cells} | "
                f"{group.catalogue} |"
            )
        return "\n".join(lines)


def _json_key(state: str) -> str:
    return state.replace(" ", "_")


def _under_test(side: str) -> str:
    return "CSMS" if side == "CSMS" else "charging station"


def _order(key: tuple[str, str, str]) -> tuple[Any, ...]:
    version, side, profile = key
    # Profiles first, then the "not listed ..." rows, as the compliance summary orders them.
    return (version, side, profile.startswith("not "), profile)


def testcases_dir() -> Path:
    """Where the bundled scenarios are (installed or in a source checkout)."""
    here = Path(__file__).resolve().parent.parent
    installed = here / "testcases"
    return installed if installed.is_dir() else here.parent / "testcases"


def scan(root: Path) -> list[Found]:
    """Every ``@ocpp_case(...)`` decorator under ``root``, read from the source (ast)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.AsyncFunctionDef, ast.FunctionDef)):
                continue
            for decorator in node.decorator_list:
                case = _case_of(decorator)
                if case is not None:
                    found.append(
                        Found(
                            case[0],
                            case[1],
                            f"{path.relative_to(root.parent)}:{node.lineno}",
                            _is_stub(node),
                        )
                    )
    return found


@cache
def _bundled() -> tuple[Found, ...]:
    """The bundled scenarios' cases (read once a process: half a second of parsing)."""
    return tuple(scan(testcases_dir()))


def _case_of(decorator: ast.expr) -> tuple[str, str] | None:
    """(version, id) of an ``ocpp_case("ID", "2.0.1")`` / ``ocpp_case("ID", version=...)``,
    or of an ``ocpi_case("ID")`` (the OCPI cases have one version, their catalogue's)."""
    if not isinstance(decorator, ast.Call):
        return None
    func = decorator.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    if name not in ("ocpp_case", "ocpi_case") or not decorator.args:
        return None
    values = [a.value for a in decorator.args if isinstance(a, ast.Constant)]
    keywords = {
        k.arg: k.value.value for k in decorator.keywords if isinstance(k.value, ast.Constant)
    }
    if not values or not isinstance(values[0], str):
        return None
    if name == "ocpi_case":
        from pytest_ocpp.ocpi.catalog import VERSION

        return VERSION, values[0]
    version = values[1] if len(values) > 1 else keywords.get("version", "1.6")
    return str(version), values[0]


def _is_stub(node: ast.AsyncFunctionDef | ast.FunctionDef) -> bool:
    body = [
        s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]
    return len(body) == 1 and isinstance(body[0], ast.Raise)


@cache
def load_data(text: str | None = None) -> CoverageData:
    """``data/octt-coverage.toml`` (or ``text`` in its format, for tests)."""
    if text is None:
        text = (resources.files("pytest_ocpp") / "data" / "octt-coverage.toml").read_text("utf-8")
    document = tomllib.loads(text)
    declined = {
        (str(entry["version"]), str(entry["id"])): str(entry.get("reason", "")).strip()
        for entry in document.get("declined", [])
    }
    not_built = {
        str(version): frozenset(str(i) for i in ids)
        for version, ids in document.get("not_yet_built", {}).items()
    }
    return CoverageData(declined, not_built)


def statement(
    found: Iterable[Found] | None = None,
    data: CoverageData | None = None,
    cases: Mapping[tuple[str, str], CaseInfo] | None = None,
) -> Statement:
    """Classify every catalogue case; name every case that fits no state, or two."""
    found = list(_bundled() if found is None else found)
    data = load_data() if data is None else data
    cases = catalog() if cases is None else cases
    by_key: dict[tuple[str, str], Found] = {}
    problems = []
    for item in found:
        key = (item.version, item.id)
        if key not in cases:
            problems.append(f"{item.where}: {item.version} {item.id} is not in the catalogue")
        elif key in by_key:
            problems.append(
                f"{item.where}: {item.version} {item.id} is implemented twice "
                f"(also {by_key[key].where})"
            )
        by_key[key] = item
    states: dict[tuple[str, str], str] = {}
    reasons: dict[tuple[str, str], str] = {}
    for key, info in cases.items():
        version, case_id = key
        test = by_key.get(key)
        listed_todo = case_id in data.not_built.get(version, frozenset())
        wildcard = "*" in data.not_built.get(version, frozenset())
        if key in data.declined:
            reason = data.declined[key]
            if not reason:
                problems.append(f"{version} {case_id} is declined without a reason")
                continue
            if test is not None and not test.stub:
                problems.append(
                    f"{version} {case_id} is declined in octt-coverage.toml but implemented "
                    f"at {test.where}: remove one"
                )
                continue
            states[key], reasons[key] = DECLINED, reason
        elif test is not None and test.stub:
            problems.append(
                f"{version} {case_id}: the test at {test.where} only raises, so nothing is "
                "tested; decline it with its reason in data/octt-coverage.toml"
            )
        elif test is not None:
            if listed_todo:
                problems.append(
                    f"{version} {case_id} is implemented at {test.where} but still listed as "
                    "not yet built in data/octt-coverage.toml: remove it there"
                )
            states[key] = PROVISIONAL if info.provisional else IMPLEMENTED
        elif listed_todo or wildcard:
            states[key] = NOT_BUILT
        else:
            problems.append(
                f"{version} {case_id} ({info.title}) is neither implemented, provisional, "
                "declined with a reason, nor listed as not yet built in data/octt-coverage.toml"
            )
    for version, ids in data.not_built.items():
        for case_id in sorted(ids - {"*"}):
            if (version, case_id) not in cases:
                problems.append(
                    f"{version} {case_id} is listed as not yet built but is not in the catalogue"
                )
    for version, case_id in data.declined:
        if (version, case_id) not in cases:
            problems.append(f"{version} {case_id} is declined but is not in the catalogue")
    return Statement(states, reasons, tuple(problems), cases)


def write(style: str, out: Any) -> int:
    """Print the statement (``table``, ``json`` or ``markdown``); exit status 0, or 1 when
    the data are inconsistent (the statement is then not to be trusted)."""
    result = statement()
    if style == "json":
        out.write(json.dumps(result.to_dict(), indent=2) + "\n")
    elif style == "markdown":
        out.write(result.markdown() + "\n")
    else:
        out.write(result.render() + "\n")
    return 1 if result.problems else 0

"""Regenerate :mod:`pytest_ocpp.ocpi.definitions` from the OCPI 2.2.1 specification's asciidoc
sources (the property tables ``|Property |Type |Card.`` and the enum tables ``|Value |...``)::

    python -m pytest_ocpp.ocpi.gen_definitions SPEC_DIR pytest_ocpp/ocpi/definitions.py

Generated rather than typed in so every object the cases judge follows the specification's own
tables, with no transcription slips; the output is committed, so a run never needs the spec.
"""

import pprint
import re
import sys
from pathlib import Path

FILES = [
    "types",
    "version_information_endpoint",
    "credentials",
    "mod_locations",
    "mod_sessions",
    "mod_cdrs",
    "mod_commands",
    "mod_tokens",
    "mod_tariffs",
]
anchor_re = re.compile(r"^\[\[([a-z0-9_]+)\]\]")
ref_re = re.compile(r"<<(?:[^#>,]*#)?([a-z0-9_]+)\s*,\s*([^>]+)>>\s*(?:\((\d+)\))?")
BASE = {
    "types_cistring_type": "cistring",
    "types_datetime_type": "datetime",
    "types_number_type": "number",
    "types_string_type": "string",
    "types_url_type": "url",
}


def main(argv: list[str]) -> None:
    spec = Path(argv[0]) if len(argv) > 1 else Path("spec/ocpi221")
    models, enums, sections = {}, {}, {}
    for name in FILES:
        lines = (spec / f"{name}.asciidoc").read_text().splitlines()
        i = 0
        anchor = None
        while i < len(lines):
            m = anchor_re.match(lines[i])
            if m and re.search(r"_(object|class|enum|type|data)$|_energy_contract$", m.group(1)):
                anchor = m.group(1)
                title = lines[i + 1].strip("= ").replace("_", "") if i + 1 < len(lines) else ""
                sections[anchor] = f"{name} \u00a7{title.strip()}"
            if lines[i].startswith("|===") and anchor:
                # header line(s)
                j = i + 1
                while j < len(lines) and not lines[j].strip():
                    j += 1
                header = lines[j].replace(" ", "")
                rows, cur = [], None
                k = j + 1
                while k < len(lines) and not lines[k].startswith("|==="):
                    line = lines[k]
                    if line.startswith("|"):
                        if cur:
                            rows.append(cur)
                        cur = line
                    elif cur is not None:
                        cur += " " + line.strip()
                    k += 1
                if cur:
                    rows.append(cur)
                if header.startswith("|Property|Type|Card"):
                    fields = []
                    for row in rows:
                        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:]]
                        if len(cells) < 3:
                            continue
                        prop, typ, card = cells[0], cells[1], cells[2]
                        m2 = ref_re.search(typ)
                        if m2:
                            target, label, length = m2.group(1), m2.group(2).strip(), m2.group(3)
                        else:
                            mm = re.match(r"([A-Za-z]+)\s*(?:\((\d+)\))?", typ)
                            target, label, length = (
                                None,
                                mm.group(1) if mm else typ,
                                mm.group(2) if mm else None,
                            )
                        fields.append(
                            (
                                prop.strip("`* "),
                                BASE.get(target, target) if target else label.lower(),
                                int(length) if length else None,
                                card.strip(),
                            )
                        )
                    if anchor not in models:
                        models[anchor] = fields
                elif header.startswith("|Value|") or header.startswith("|Module|ModuleID"):
                    col = 1 if header.startswith("|Module|") else 0
                    vals = []
                    for row in rows:
                        cells = [c.strip() for c in row.split("|")[1:]]
                        if len(cells) > col and re.match(r"^[A-Za-z0-9_.]+$", cells[col]):
                            vals.append(cells[col])
                    if anchor not in enums and vals:
                        enums[anchor] = vals
                i = k
            i += 1
    # VersionNumber and ModuleID tables use other headers
    out = [
        '"""OCPI 2.2.1 object definitions, generated from the specification\'s property and enum tables',
        "(``python -m pytest_ocpp.ocpi.gen_definitions`` over ``spec/ocpi221/*.asciidoc``): one row per property,",
        "``(name, type, max length, cardinality)``; a type is another definition's anchor or a base type",
        '(``string``, ``cistring``, ``datetime``, ``url``, ``number``, ``int``, ``boolean``, ...)."""',
        "",
        "from __future__ import annotations",
        "",
        "MODELS: dict[str, tuple[tuple[str, str, int | None, str], ...]] = "
        + pprint.pformat({k: tuple(v) for k, v in models.items()}, width=100),
        "",
        "ENUMS: dict[str, tuple[str, ...]] = "
        + pprint.pformat({k: tuple(v) for k, v in enums.items()}, width=100),
        "",
        "SECTIONS: dict[str, str] = "
        + pprint.pformat(
            {k: sections[k] for k in sorted(set(models) | set(enums)) if k in sections}, width=100
        ),
        "",
    ]
    Path(sys.argv[-1]).write_text("\n".join(out))
    print(len(models), "models", len(enums), "enums")
    missing = set()
    for fields in models.values():
        for f in fields:
            t = f[1]
            if "_" in t and t not in models and t not in enums:
                missing.add(t)
    print("missing refs:", sorted(missing))
    print(sorted(set(f[1] for fs in models.values() for f in fs if "_" not in f[1])))


if __name__ == "__main__":
    main(sys.argv[1:])

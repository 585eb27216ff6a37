"""A case's frame trace as an SVG sequence diagram, for the Allure report.

The text trace is exact but hard to scan; a reviewer deciding whether a failure is the
target's fault wants to see who sent what to whom, in which scenario step, and where it went
wrong. Allure shows ``image/svg+xml`` attachments inline, so the diagram needs no viewer and
no dependency: the SVG is built as a string here, every piece of trace text XML-escaped
(frames are whatever the target sent, including markup and control characters).

Layout, top to bottom one row per trace entry: a timestamp column (HH:MM:SS.mmm, UTC like the
text trace), then the lifelines: pytest-ocpp's side on the left (the fake station(s) when a
CSMS is under test, the fake CSMS when a station is), the target on the right (one lifeline per
station link when stations are under test). Each frame is one arrow labelled with its message
type, action, short message id and a payload excerpt; scenario steps are full-width notes, the
failing step in red, warnings in amber, violations red text.

Long traces: at most :data:`MAX_ROWS` rows are drawn. Beyond that the diagram keeps the
beginning, the end and the rows around the failing step, and says how many entries each gap
leaves out (the JSON and text attachments always hold everything). A row is 20 px, so the
largest diagram stays a few thousand pixels tall and a few hundred kilobytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

MAX_ROWS = 400
"""Rows drawn at most; above it the middle of the trace is elided (see the module doc)."""
HEAD_ROWS, TAIL_ROWS, AROUND_FAILURE = 120, 220, 25

EVENT_LINKS = frozenset({"step", "warning", "note", "csms", "listener"})
"""Trace links that are not a connection: scenario steps, warnings, notes, the fake CSMS's
own events."""

ROW = 20
TIME_WIDTH = 100
LANE = 280
"""The narrowest lane; with few lifelines they share :data:`WIDTH`, so labels get room."""
WIDTH = 1280
HEADER = 64
FONT = 'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="11"'
CHAR = 6.7
"""Approximate advance of one 11 px monospace character, to cut labels to their space."""

RED, RED_FILL = "#c62828", "#fde0dc"
AMBER, AMBER_FILL = "#b26a00", "#fff3cd"
STEP_FILL, STEP_STROKE = "#e8eef7", "#8da2c0"
OURS, TARGET = "#e3f2fd", "#fbe9e7"

_MESSAGE_TYPES = {2: "CALL", 3: "CALLRESULT", 4: "CALLERROR"}
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def escape(text: str) -> str:
    """``text`` safe inside an SVG element or a double-quoted attribute: markup escaped and
    the characters XML 1.0 forbids (control characters, lone surrogates) shown as ``?``, since
    a single one would make the whole attachment unreadable."""
    text = _INVALID_XML.sub("?", text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _clip(text: str, chars: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: max(chars - 1, 1)] + "…"


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%H:%M:%S.%f")[:-3]


def _entry(raw: Any) -> dict[str, Any]:
    """A trace entry as a dict, from :meth:`Trace.to_list` or a :class:`TraceEntry`."""
    if isinstance(raw, Mapping):
        return dict(raw)
    return {"time": raw.time, "link": raw.link, "direction": raw.direction, "text": raw.text}


def frame_label(text: str, actions: dict[str, str]) -> str:
    """An arrow's label, "CALL BootNotification #5f3aca88 {…}": message type, action (a
    CALLRESULT's or CALLERROR's from the CALL it answers, remembered in ``actions`` by
    message id), the first 8 characters of the message id and the payload. Anything that is not an OCPP-J
    array is shown as it is (the arrow still says who sent it)."""
    try:
        frame = json.loads(text)
    except ValueError:
        return text
    if not isinstance(frame, list) or len(frame) < 3 or not isinstance(frame[1], str):
        return text
    kind = _MESSAGE_TYPES.get(frame[0], str(frame[0])) if isinstance(frame[0], int) else "?"
    unique_id = frame[1]
    if frame[0] == 2 and len(frame) >= 4:
        action = str(frame[2])
        actions[unique_id] = action
        payload: Any = frame[3]
    elif frame[0] == 4:
        action = actions.get(unique_id, "")
        payload = " ".join(str(part) for part in frame[2:4])
    else:
        action = actions.get(unique_id, "")
        payload = frame[2]
    body = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    return " ".join(part for part in (kind, action, f"#{unique_id[:8]}", body) if part)


def _rows(count: int, failing: int | None, limit: int) -> list[int | tuple[int, int]]:
    """Indices of the entries to draw, with ``(first, last)`` gaps where entries are left
    out: everything up to ``limit``, else the head, the tail and the failing step's
    neighbourhood."""
    if count <= limit:
        return list(range(count))
    keep = set(range(min(HEAD_ROWS, count))) | set(range(max(count - TAIL_ROWS, 0), count))
    if failing is not None:
        keep |= set(range(max(failing - 3, 0), min(failing + AROUND_FAILURE, count)))
    rows: list[int | tuple[int, int]] = []
    gap_start: int | None = None
    for index in range(count):
        if index in keep:
            if gap_start is not None:
                rows.append((gap_start, index - 1))
                gap_start = None
            rows.append(index)
        elif gap_start is None:
            gap_start = index
    return rows


def render_svg(
    entries: Iterable[Any],
    *,
    csms_under_test: bool,
    failed_step: str | None = None,
    title: str = "",
    max_rows: int = MAX_ROWS,
) -> str:
    """The SVG document for ``entries`` (trace entries, as dicts or :class:`TraceEntry`).

    ``csms_under_test``: pytest-ocpp plays the station(s), one lifeline per station link;
    else pytest-ocpp plays the CSMS and each station link is a lifeline of the target.
    ``failed_step``: the text of the scenario step the verdict names; its last occurrence is
    drawn in red."""
    items = [_entry(e) for e in entries]
    links = list(
        dict.fromkeys(
            e["link"] for e in items if e["direction"] != "event" and e["link"] not in EVENT_LINKS
        )
    ) or ["(no connection)"]
    if csms_under_test:
        lanes = [f"pytest-ocpp: fake station {link}" for link in links] + ["CSMS under test"]
        ours = dict(zip(links, range(len(links)), strict=True))
        target = dict.fromkeys(links, len(links))
    else:
        lanes = ["pytest-ocpp: fake CSMS"] + [f"station under test {link}" for link in links]
        ours = dict.fromkeys(links, 0)
        target = {link: i + 1 for i, link in enumerate(links)}
    failing = None
    if failed_step:
        for index, entry in enumerate(items):
            if entry["link"] == "step" and entry["text"] == failed_step:
                failing = index
    rows = _rows(len(items), failing, max_rows)
    lane = max(LANE, (WIDTH - TIME_WIDTH - 30) // len(lanes))
    width = TIME_WIDTH + lane * len(lanes) + 20
    left = TIME_WIDTH + 10
    height = HEADER + ROW * len(rows) + 30
    centre = [left + lane * i + lane // 2 for i in range(len(lanes))]
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" {FONT}>',
        "<defs>"
        '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#37474f"/></marker>'
        "</defs>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="8" y="16" font-weight="bold">{escape(_clip(title, width // 7))}</text>',
        f'<text x="8" y="{HEADER - 8}" fill="#607d8b">time (UTC)</text>',
    ]
    for i, name in enumerate(lanes):
        is_ours = (i < len(links)) if csms_under_test else i == 0
        x = left + lane * i + 10
        out.append(
            f'<rect x="{x}" y="24" width="{lane - 20}" height="26" rx="4" '
            f'fill="{OURS if is_ours else TARGET}" stroke="#78909c"/>'
            f'<text x="{centre[i]}" y="41" text-anchor="middle" font-weight="bold">'
            f"{escape(_clip(name, int((lane - 28) / CHAR)))}</text>"
            f'<line x1="{centre[i]}" y1="50" x2="{centre[i]}" y2="{height - 10}" '
            f'stroke="#b0bec5" stroke-dasharray="4 3"/>'
        )
    actions: dict[str, str] = {}
    full = lane * len(lanes) - 8
    y = HEADER
    for row in rows:
        if isinstance(row, tuple):
            first, last = row
            out.append(
                f'<rect x="{left}" y="{y + 2}" width="{full}" height="{ROW - 4}" fill="#eceff1" '
                f'stroke="#90a4ae" stroke-dasharray="3 2"/>'
                f'<text x="{left + 6}" y="{y + 14}" fill="#455a64" font-style="italic">… '
                f"{last - first + 1} trace entries not drawn (the OCPP trace attachments have "
                f"all of them) …</text>"
            )
            y += ROW
            continue
        entry = items[row]
        text, link, direction = str(entry["text"]), str(entry["link"]), entry["direction"]
        out.append(f'<text x="8" y="{y + 14}" fill="#607d8b">{_stamp(entry["time"])}</text>')
        if direction != "event":
            label = frame_label(text, actions)
            start, end = ours.get(link, 0), target.get(link, len(lanes) - 1)
            if direction == "received":
                start, end = end, start
            x1, x2 = centre[start], centre[end]
            low, high = min(x1, x2), max(x1, x2)
            out.append(
                f'<line x1="{x1}" y1="{y + 15}" x2="{x2}" y2="{y + 15}" stroke="#37474f" '
                f'stroke-width="1.2" marker-end="url(#arrow)"/>'
                f'<text x="{low + 6}" y="{y + 11}">'
                f"{escape(_clip(label, int((high - low - 12) / CHAR)))}</text>"
            )
        elif link == "step":
            failed = row == failing
            fill, stroke = (RED_FILL, RED) if failed else (STEP_FILL, STEP_STROKE)
            prefix = "FAILED at: " if failed else ""
            marker = ' class="failed-step"' if failed else ""
            out.append(
                f'<rect x="{left}" y="{y + 2}" width="{full}" height="{ROW - 4}" rx="3" '
                f'fill="{fill}" stroke="{stroke}" stroke-width="{2 if failed else 1}"'
                f"{marker}/>"
                f'<text x="{left + 6}" y="{y + 14}" fill="{RED if failed else "#263238"}" '
                f'font-weight="bold">{escape(_clip(prefix + text, int((full - 12) / CHAR)))}</text>'
            )
        elif link == "warning":
            out.append(
                f'<rect x="{left}" y="{y + 2}" width="{full}" height="{ROW - 4}" rx="3" '
                f'fill="{AMBER_FILL}" stroke="{AMBER}"/>'
                f'<text x="{left + 6}" y="{y + 14}" fill="{AMBER}">'
                f"{escape(_clip('warning: ' + text, int((full - 12) / CHAR)))}</text>"
            )
        else:
            lane = ours.get(link, 0) if link in ours else 0
            colour = RED if text.startswith("VIOLATION") else "#546e7a"
            name = "" if link in ours else f"{link}: "
            x = centre[lane] + 6
            room = int((left + full - x) / CHAR)
            out.append(
                f'<circle cx="{centre[lane]}" cy="{y + 10}" r="3" fill="{colour}"/>'
                f'<text x="{x}" y="{y + 14}" fill="{colour}" font-style="italic">'
                f"{escape(_clip(name + text, room))}</text>"
            )
        y += ROW
    out.append("</svg>")
    return "\n".join(out)


def side_of(case_id: str, entries: Sequence[Any] = ()) -> bool:
    """Whether a CSMS is under test, from the OCA id's suffix (``TC_…_CSMS``, ``TC_…_CS``);
    for an id without one, from the trace (a fake CSMS notes its own events as "csms")."""
    if case_id.endswith("_CSMS"):
        return True
    if case_id.endswith("_CS"):
        return False
    return not any(_entry(e)["link"] == "csms" for e in entries)

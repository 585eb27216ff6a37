"""The recorded exchange: every frame in both directions, with a timestamp.

The trace is the evidence behind every verdict; the terminal summary, the JSON compliance
report and the Allure attachments all read it, none of them reach back into a connection.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Literal

from pytest_ocpp import masking

Direction = Literal["sent", "received", "event"]
_ARROWS = {"sent": "→", "received": "←", "event": "·"}


@dataclass(frozen=True)
class TraceEntry:
    time: float
    """Seconds since the epoch (wall clock), so entries from many links interleave correctly."""
    link: str
    """Which connection: the station id, or the listener for events before a station is known."""
    direction: Direction
    text: str

    def render(self) -> str:
        stamp = datetime.fromtimestamp(self.time, timezone.utc).strftime("%H:%M:%S.%f")[:-3]
        return f"{stamp} {self.link} {_ARROWS[self.direction]} {self.text}"


@dataclass
class Trace:
    entries: list[TraceEntry] = field(default_factory=list)

    def add(self, link: str, direction: Direction, text: str) -> None:
        """Record ``text`` with secrets masked (:mod:`pytest_ocpp.masking`): every report
        reads the trace, so nothing downstream can leak what is not kept here."""
        text = masking.mask_frame(text) if direction != "event" else masking.mask(text)
        self.entries.append(TraceEntry(time.time(), link, direction, text))

    def sent(self, link: str, raw: str) -> None:
        self.add(link, "sent", raw)

    def received(self, link: str, raw: str | bytes) -> None:
        text = raw if isinstance(raw, str) else f"<binary frame, {len(raw)} bytes: {raw[:64]!r}>"
        self.add(link, "received", text)

    def event(self, link: str, text: str) -> None:
        self.add(link, "event", text)

    def frames(self) -> list[TraceEntry]:
        return [e for e in self.entries if e.direction != "event"]

    def render(self, max_frame_chars: int = 2000) -> str:
        lines = []
        for entry in self.entries:
            line = entry.render()
            if len(line) > max_frame_chars:
                line = line[:max_frame_chars] + f"… ({len(line) - max_frame_chars} more chars)"
            lines.append(line)
        legend = "→ sent by pytest-ocpp   ← received from the target   · event"
        return "\n".join([legend, *lines])

    def to_list(self) -> list[dict[str, object]]:
        return [asdict(e) for e in self.entries]

"""Reading the date-times a peer sends, for judgments about *when* (order, windows, clock
offsets), in every version and on both sides.

Lenient on purpose: whether a value is a well-formed ``date-time`` (RFC 3339, the version's
fraction rule) is the schema check's verdict, reported on its own. A timing judgment that also
failed a malformed-but-readable value would report one defect twice, or a conformant station's
behaviour as wrong because of its clock format. So: ``Z``/``z`` or an offset, any number of
fraction digits, and a value without an offset read as UTC.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_timestamp(value: object) -> datetime | None:
    """``value`` as an aware datetime, or None when it is no date-time at all."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(_LONG_FRACTION.sub(r"\1", text))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def timestamp(value: object) -> datetime:
    """``value`` as an aware datetime, where the schema has already accepted it."""
    moment = parse_timestamp(value)
    if moment is None:
        raise ValueError(f"not a date-time: {value!r}")
    return moment

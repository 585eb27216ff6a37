"""The one reader of peers' date-times for timing judgments (pytest_ocpp/timestamps.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from pytest_ocpp.timestamps import parse_timestamp, timestamp

NOON = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-06T12:00:00Z",
        "2026-12-06T12:00:00z",
        "2026-12-06T12:00:00.000Z",
        "2026-12-06T13:00:00+01:00",
        "2026-12-06T12:00:00.0000000Z",  # more fraction digits than Python reads
        "2026-12-06T12:00:00",  # no offset: read as UTC (the schema check reports it)
        " 2026-12-06T12:00:00Z ",
    ],
)
def test_every_readable_form_is_the_same_instant(text: str) -> None:
    assert parse_timestamp(text) == NOON
    assert timestamp(text) == NOON


def test_long_fractions_keep_their_microseconds() -> None:
    moment = parse_timestamp("2026-12-06T12:00:00.1234567Z")
    assert moment == NOON + timedelta(microseconds=123456)


@pytest.mark.parametrize("value", [None, 17, "", "yesterday", "2026-13-06T12:00:00Z"])
def test_what_is_no_date_time_is_none_or_an_error(value: object) -> None:
    assert parse_timestamp(value) is None
    with pytest.raises(ValueError, match="not a date-time"):
        timestamp(value)

"""Calendar days in Asia/Shanghai, and instants as integer milliseconds of UTC.

Instants are stored and sent as UTC milliseconds; a permit's dates are calendar days in
Asia/Shanghai (UTC+8, no daylight saving since 1991), sent as integer days since
1970-01-01. A permit "valid until D" is valid through the last millisecond of D in
Shanghai. Vietnam is UTC+7: a scan at 23:30 in Móng Cái is already the next day here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

SHANGHAI_OFFSET_MS = 8 * 3600 * 1000
DAY_MS = 86_400_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def date_to_day(d: date) -> int:
    """Integer days since 1970-01-01 (the wire form of a date)."""
    return d.toordinal() - _EPOCH_ORDINAL


def day_to_date(day: int) -> date:
    return date.fromordinal(day + _EPOCH_ORDINAL)


def shanghai_date(instant_ms: int) -> date:
    """The calendar date in Asia/Shanghai at a UTC instant."""
    return day_to_date((instant_ms + SHANGHAI_OFFSET_MS) // DAY_MS)


def start_of_day_ms(d: date) -> int:
    """The UTC instant at which date ``d`` begins in Shanghai."""
    return date_to_day(d) * DAY_MS - SHANGHAI_OFFSET_MS


def end_of_day_ms(d: date) -> int:
    """The last UTC millisecond of date ``d`` in Shanghai."""
    return start_of_day_ms(d) + DAY_MS - 1


def instant_ms(dt: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime."""
    if dt.tzinfo is None:
        raise ValueError("naive datetime: store instants as UTC")
    return (dt - _EPOCH) // timedelta(milliseconds=1)  # exact: no float seconds


def to_datetime(instant: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=instant)

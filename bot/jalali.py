"""Jalali dates and Tehran time: store UTC, show and read Jalali with Persian digits."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import jdatetime

from bot import texts_fa
from bot.persian import to_ascii_digits, to_persian_digits

TEHRAN = ZoneInfo("Asia/Tehran")
# [0-9], not \d: \d also matches other scripts' digits (Devanagari, full-width …), which int()
# would read; only Persian, Arabic-Indic (translated first) and ASCII digits are a date.
_DATE_TIME = re.compile(
    r"^([0-9]{4})[/\-.]([0-9]{1,2})[/\-.]([0-9]{1,2})(?:\s+([0-9]{1,2}):([0-9]{2}))?$"
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def start_of_day(moment: datetime, tz: ZoneInfo = TEHRAN) -> datetime:
    """Midnight that began `moment`'s day on Tehran's clock (the server's clock is UTC)."""
    return moment.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)


def format_date(moment: datetime, tz: ZoneInfo = TEHRAN) -> str:
    """Day, month name and year (e.g. 15 Dey 1404), Persian digits."""
    local = jdatetime.datetime.fromgregorian(datetime=moment.astimezone(tz), locale="fa_IR")
    return to_persian_digits(local.strftime(texts_fa.DATE_FORMAT))


def format_datetime(moment: datetime, tz: ZoneInfo = TEHRAN) -> str:
    """Day, month name, year and time (e.g. 15 Dey 1404, 18:30), Persian digits."""
    local = jdatetime.datetime.fromgregorian(datetime=moment.astimezone(tz), locale="fa_IR")
    return to_persian_digits(local.strftime(texts_fa.DATETIME_FORMAT))


def format_numeric(moment: datetime, tz: ZoneInfo = TEHRAN) -> str:
    """'1404/10/15 18:30' in Persian digits: the form people type back."""
    local = jdatetime.datetime.fromgregorian(datetime=moment.astimezone(tz))
    return to_persian_digits(local.strftime("%Y/%m/%d %H:%M"))


def parse_jalali(text: str, tz: ZoneInfo = TEHRAN) -> datetime | None:
    """A typed Jalali date with optional time ('1404/10/15 18:30') as aware UTC; None if invalid.

    Persian, Arabic-Indic and ASCII digits are accepted; '/', '-' or '.' separate the parts.
    Without a time the moment is the start of that day in Tehran.
    """
    match = _DATE_TIME.match(to_ascii_digits(text).strip())
    if not match:
        return None
    year, month, day, hour, minute = (int(part) if part else 0 for part in match.groups())
    try:
        local = jdatetime.datetime(year, month, day, hour, minute).togregorian()
    except ValueError:
        return None
    return local.replace(tzinfo=tz).astimezone(UTC)


def seconds(duration: int | float | timedelta) -> float:
    """A Telegram duration (int today, timedelta in python-telegram-bot's future) in seconds."""
    return duration.total_seconds() if isinstance(duration, timedelta) else float(duration)

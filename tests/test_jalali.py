"""bot/jalali.py: typed Jalali dates read as UTC, UTC shown as Jalali in Tehran's time."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.jalali import (
    TEHRAN,
    format_date,
    format_datetime,
    format_numeric,
    parse_jalali,
    seconds,
    start_of_day,
    utc_now,
)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_nowruz_1404_is_midnight_21_march_in_tehran():
    moment = parse_jalali("1404/01/01")
    assert moment == utc(2025, 3, 20, 20, 30)
    assert moment.tzinfo is UTC
    assert moment.astimezone(TEHRAN).replace(tzinfo=None) == datetime(2025, 3, 21, 0, 0)


def test_esfand_30_only_in_leap_years():
    assert parse_jalali("۱۴۰۳/۱۲/۳۰") == utc(2025, 3, 19, 20, 30)  # 1403 is leap
    assert parse_jalali("1404/12/30") is None


@pytest.mark.parametrize(
    "typed",
    [
        "۱۴۰۴/۱۰/۱۵ ۱۸:۳۰",  # Persian digits
        "١٤٠٤/١٠/١٥ ١٨:٣٠",  # Arabic-Indic digits
        "1404/10/15 18:30",
        "1404-10-15 18:30",
        "1404.10.15 18:30",
        "  1404/10/15    18:30  ",
    ],
)
def test_parse_date_and_time(typed):
    assert parse_jalali(typed) == utc(2026, 1, 5, 15, 0)


def test_parse_unpadded_fields():
    assert parse_jalali("1404/1/5 8:05") == utc(2025, 3, 25, 4, 35)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "فردا",
        "garbage",
        "1404/13/01",  # month 13
        "1404/00/10",
        "1404/01/32",
        "1404/07/31",  # Mehr has 30 days
        "1404/01/01 25:00",  # hour 25
        "1404/01/01 24:00",
        "1404/01/01 10:60",
        "1404/01/01 10",
        "1404/01/01 10:5",
        "1404/01/0110:30",  # the time glued to the day
        "04/01/01",
        "1404/01",
        "1404/01/01/01",
        "१४०४/०१/०१",  # Devanagari digits (found by a property test: \d matched them)
        "1404/01/01 ०८:३०",
        "１４０４/０１/０１",  # full-width digits
    ],
)
def test_parse_rejects_invalid(typed):
    assert parse_jalali(typed) is None


def test_format_in_persian_digits_and_month_names():
    moment = utc(2026, 1, 5, 15, 0)  # 18:30 on 15 Dey 1404 in Tehran
    assert format_date(moment) == "۱۵ دی ۱۴۰۴"
    assert format_datetime(moment) == "۱۵ دی ۱۴۰۴، ساعت ۱۸:۳۰"
    assert format_numeric(moment) == "۱۴۰۴/۱۰/۱۵ ۱۸:۳۰"


def test_format_uses_tehran_day_not_utc_day():
    moment = utc(2025, 3, 20, 21, 0)  # still 20 March (Esfand 29) in UTC
    assert format_date(moment) == "۱ فروردین ۱۴۰۴"
    assert format_datetime(moment) == "۱ فروردین ۱۴۰۴، ساعت ۰۰:۳۰"
    assert format_numeric(moment) == "۱۴۰۴/۰۱/۰۱ ۰۰:۳۰"


@pytest.mark.parametrize(
    "moment", [utc(2026, 1, 5, 15, 0), utc(2025, 3, 20, 20, 30), utc(2025, 9, 22, 23, 59)]
)
def test_round_trip_parse_format_numeric(moment):
    assert parse_jalali(format_numeric(moment)) == moment


def test_round_trip_from_typed_text():
    assert format_numeric(parse_jalali("1404/1/5 8:05")) == "۱۴۰۴/۰۱/۰۵ ۰۸:۰۵"


def test_the_day_starts_at_tehrans_midnight():
    moment = utc(2025, 3, 20, 21, 0)  # 00:30 on 1404/01/01 in Tehran
    assert moment.date().isoformat() == "2025-03-20"
    assert start_of_day(moment) == utc(2025, 3, 20, 20, 30)  # 1404/01/01 00:00 in Tehran
    assert format_numeric(start_of_day(moment)) == "۱۴۰۴/۰۱/۰۱ ۰۰:۰۰"
    before = moment - timedelta(hours=1)  # 23:30 in Tehran, the day before
    assert format_numeric(start_of_day(before)) == "۱۴۰۳/۱۲/۳۰ ۰۰:۰۰"


def test_a_day_whose_midnight_did_not_exist_starts_at_its_first_moment():
    # 1399/01/02: Tehran's clocks went from 00:00 straight to 01:00 (daylight saving, until 1401).
    moment = parse_jalali("1399/01/02")
    assert format_numeric(moment) == "۱۳۹۹/۰۱/۰۲ ۰۱:۰۰"
    assert format_numeric(moment - timedelta(minutes=1)) == "۱۳۹۹/۰۱/۰۱ ۲۳:۵۹"


def test_the_day_starts_at_the_exact_midnight_whatever_the_seconds():
    moment = datetime(2025, 12, 21, 6, 30, 45, 123456, tzinfo=UTC)  # 10:00:45.123456 in Tehran
    assert start_of_day(moment) == utc(2025, 12, 20, 20, 30)  # 1404/09/30 00:00:00.000000


def test_the_servers_clock_is_read_as_aware_utc():
    assert utc_now().tzinfo is UTC


@pytest.mark.parametrize(
    ("duration", "expected"), [(40, 40.0), (timedelta(seconds=1.5), 1.5), (timedelta(0), 0.0)]
)
def test_a_telegram_duration_in_seconds_whether_int_or_timedelta(duration, expected):
    assert seconds(duration) == expected
    assert isinstance(seconds(duration), float)

"""Persian text and Jalali dates: the pure helpers every handler leans on."""

from datetime import UTC, datetime

import pytest

from bot.jalali import format_date, format_datetime, format_numeric, parse_jalali, tehran_today
from bot.persian import (
    escape,
    isolate_ltr,
    normalize,
    normalize_mobile,
    to_ascii_digits,
    to_persian_digits,
)
from bot.tickets import distance_m, format_code, parse_code


@pytest.mark.parametrize(
    ("typed", "clean"),
    [
        ("علي كريمي", "علی کریمی"),  # Arabic yeh and kaf
        ("مصطفى", "مصطفی"),  # alef maksura
        ("خیـــابان", "خیابان"),  # tatweel
        ("\u200fسلام\u200e\ufeff", "سلام"),  # RLM, LRM, BOM
        ("\u2067کوچه\u2069", "کوچه"),  # bidi isolates
        ("کوچه\u00a0دوم", "کوچه دوم"),  # no-break space
        ("می\u200c\u200cخواهم", "می\u200cخواهم"),  # ZWNJ runs collapse
        ("\u200cسلام \u200c دنیا\u200c", "سلام دنیا"),  # stray ZWNJ beside spaces or ends
        ("  یک   دو\t\tسه  ", "یک دو سه"),
        ("خط اول  \n  خط دوم", "خط اول\nخط دوم"),  # line breaks kept
        ("کوچه ١٢ و ۱۲ و 12", "کوچه ۱۲ و ۱۲ و 12"),  # Arabic-Indic digits become Persian
    ],
)
def test_normalize(typed, clean):
    assert normalize(typed) == clean


def test_digits():
    assert to_ascii_digits("۰۱۲۳۴۵۶۷۸۹ ٠١٢٣٤٥٦٧٨٩") == "0123456789 0123456789"
    assert to_persian_digits(1404) == "۱۴۰۴"
    assert to_persian_digits("12:30") == "۱۲:۳۰"


@pytest.mark.parametrize(
    "typed",
    ["09121234567", "۰۹۱۲۱۲۳۴۵۶۷", "٠٩١٢١٢٣٤٥٦٧", "+989121234567", "00989121234567",
     "989121234567", "9121234567", "0912 123 4567", "0912-123-4567", "(0912) 123 4567"],
)  # fmt: skip
def test_iranian_mobiles_to_e164(typed):
    assert normalize_mobile(typed) == "+989121234567"


@pytest.mark.parametrize(
    "typed", ["02112345678", "0812345678", "12345", "", "شماره", "+4915112345678"]
)
def test_not_iranian_mobiles(typed):
    assert normalize_mobile(typed) is None


def test_escape_and_isolate():
    assert escape("<b>x</b> & y") == "&lt;b&gt;x&lt;/b&gt; &amp; y"
    assert isolate_ltr("+98912") == "\u2066+98912\u2069"


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_nowruz_1404_is_21_march_2025():
    assert parse_jalali("1404/01/01") == at(2025, 3, 20, 20, 30)  # midnight in Tehran


def test_leap_years():
    assert parse_jalali("۱۴۰۳/۱۲/۳۰") is not None  # 1403 is leap
    assert parse_jalali("1404/12/30") is None  # 1404 is not


@pytest.mark.parametrize(
    "typed",
    ["۱۴۰۴/۱۰/۱۵ ۱۸:۳۰", "١٤٠٤/١٠/١٥ ١٨:٣٠", "1404/10/15 18:30", "1404-10-15 18:30",
     "1404.10.15 18:30", " ۱۴۰۴/۱۰/۱۵   ۱۸:۳۰ "],
)  # fmt: skip
def test_parse_date_and_time_in_any_digits(typed):
    assert parse_jalali(typed) == at(2026, 1, 5, 15, 0)


def test_unpadded_fields():
    assert parse_jalali("1404/1/5 8:05") == at(2025, 3, 25, 4, 35)


@pytest.mark.parametrize("typed", ["", "فردا", "1404/13/01", "1404/01/32", "1404/01/01 25:00",
                                   "1404/01/01 10:61", "14/01/01", "1404/01/01 10"])  # fmt: skip
def test_invalid_dates(typed):
    assert parse_jalali(typed) is None


def test_formatting_in_persian():
    moment = at(2026, 1, 5, 15, 0)
    assert format_date(moment) == "۱۵ دی ۱۴۰۴"
    assert format_datetime(moment) == "۱۵ دی ۱۴۰۴، ساعت ۱۸:۳۰"
    assert format_numeric(moment) == "۱۴۰۴/۱۰/۱۵ ۱۸:۳۰"
    assert parse_jalali(format_numeric(moment)) == moment  # what we show can be typed back


def test_today_is_tehrans_not_the_servers():
    moment = at(2025, 3, 20, 21, 0)  # 00:30 on 1404/01/01 in Tehran, still 20 March in UTC
    today = tehran_today(moment)
    assert (today.year, today.month, today.day) == (1404, 1, 1)


def test_tracking_codes():
    assert format_code("482317") == "۴۸۲-۳۱۷"
    for typed in ("482317", "۴۸۲-۳۱۷", "482 317", "٤٨٢٣١٧"):
        assert parse_code(typed) == "482317"
    assert parse_code("4823") is None


def test_distance():
    assert distance_m(34.64, 50.87, 34.64, 50.87) == 0
    assert 1100 < distance_m(34.64, 50.87, 34.65, 50.87) < 1120  # 0.01° of latitude

"""bot/persian.py: cleaning what people type, digits both ways, mobiles, safe HTML, LTR isolates.

Note: `normalize` keeps digits as typed (Persian stay Persian, ASCII stay ASCII) and turns only
Arabic-Indic digits into Persian ones; parsers call `to_ascii_digits` themselves.
"""

import pytest

from bot.persian import (
    escape,
    isolate_ltr,
    normalize,
    normalize_mobile,
    to_ascii_digits,
    to_persian_digits,
)

ZWNJ = "\u200c"


@pytest.mark.parametrize(
    ("typed", "clean"),
    [
        ("علي", "علی"),  # Arabic yeh
        ("موسى", "موسی"),  # alef maksura
        ("كوچه", "کوچه"),  # Arabic kaf
        ("خیـــــابان", "خیابان"),  # tatweel
        ("\u200eسلام\u200f", "سلام"),  # LRM, RLM
        ("\ufeffسلام", "سلام"),  # BOM
        ("\u2066کد\u2069 \u2067نام\u2069 \u2068x\u2069", "کد نام x"),  # bidi isolates
        ("\u202aa\u202c \u202bb\u202c \u202dc\u202e", "a b c"),  # bidi embeddings/overrides
        ("پلاک\u00a0۱۲", "پلاک ۱۲"),  # no-break space
        ("  یک    دو\t\tسه  ", "یک دو سه"),  # runs of spaces and tabs, trimmed
        ("خط اول   \n   خط دوم", "خط اول\nخط دوم"),  # line breaks kept, each line trimmed
        ("\n\nمتن\n\n", "متن"),  # outer blank lines trimmed
    ],
)
def test_normalize_letters_marks_and_spaces(typed, clean):
    assert normalize(typed) == clean


@pytest.mark.parametrize(
    ("typed", "clean"),
    [
        (f"می{ZWNJ}خواهم", f"می{ZWNJ}خواهم"),  # joins two letters: kept
        (f"می{ZWNJ}{ZWNJ}{ZWNJ}خواهم", f"می{ZWNJ}خواهم"),  # duplicates collapse to one
        (f"{ZWNJ}سلام{ZWNJ}", "سلام"),  # at the ends: removed
        (f"سلام{ZWNJ} دنیا", "سلام دنیا"),  # before a space: removed
        (f"سلام {ZWNJ}دنیا", "سلام دنیا"),  # after a space: removed
        (f"سلام {ZWNJ}{ZWNJ} دنیا", "سلام دنیا"),  # a run between spaces: removed
        (f"خط{ZWNJ}\n{ZWNJ}دوم", "خط\nدوم"),  # beside a line break: removed
    ],
)
def test_normalize_zwnj(typed, clean):
    assert normalize(typed) == clean


def test_normalize_digits_arabic_indic_become_persian_others_kept():
    assert normalize("پلاک ١٢٣ و ۴۵۶ و 789") == "پلاک ۱۲۳ و ۴۵۶ و 789"


def test_normalize_everything_at_once():
    typed = f"\ufeff  علي   كـريمي{ZWNJ}  \u200f\n  می{ZWNJ}{ZWNJ}خواهم\u00a0\u00a0بروم  "
    assert normalize(typed) == f"علی کریمی\nمی{ZWNJ}خواهم بروم"


def test_to_ascii_digits():
    assert to_ascii_digits("۰۱۲۳۴۵۶۷۸۹") == "0123456789"
    assert to_ascii_digits("٠١٢٣٤٥٦٧٨٩") == "0123456789"
    assert to_ascii_digits("کد ۴۸۲-٣١٧ و 9") == "کد 482-317 و 9"


def test_to_persian_digits():
    assert to_persian_digits("0123456789") == "۰۱۲۳۴۵۶۷۸۹"
    assert to_persian_digits(1404) == "۱۴۰۴"
    assert to_persian_digits(-3.5) == "-۳.۵"
    assert to_persian_digits("ساعت 18:30") == "ساعت ۱۸:۳۰"


@pytest.mark.parametrize(
    "typed",
    [
        "09121234567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
        "+989121234567",
        "00989121234567",
        "989121234567",
        "0912 123 4567",
        "0912-123-4567",
        " 09121234567 ",
    ],
)
def test_normalize_mobile_accepts_iranian_mobiles(typed):
    assert normalize_mobile(typed) == "+989121234567"


@pytest.mark.parametrize(
    "typed",
    [
        "0212345678",  # Tehran landline
        "0812345678",
        "02112345678",
        "12345",
        "",
        "شماره من",
        "0912abc4567",
        "091212345678",  # one digit too many
        "0912123456",  # one digit too few
        "+449121234567",
    ],
)
def test_normalize_mobile_rejects_the_rest(typed):
    assert normalize_mobile(typed) is None


def test_normalize_mobile_result_is_ascii_or_none():
    assert normalize_mobile("09१२१२३४५६७") is None


def test_escape_html():
    assert escape("<b>&amp;</b>") == "&lt;b&gt;&amp;amp;&lt;/b&gt;"
    assert escape("«سلام» 'x' \"y\"") == "«سلام» 'x' \"y\""  # quotes untouched


def test_isolate_ltr():
    assert isolate_ltr("+989121234567") == "\u2066+989121234567\u2069"
    assert normalize(isolate_ltr("۴۸۲-۳۱۷")) == "۴۸۲-۳۱۷"

"""Properties of the code that reads free-form input, checked on many generated inputs
(hypothesis): typed Jalali dates, digits in three scripts, typed text, mobiles, safe HTML.

Each property holds for every input; hypothesis looks for one where it does not.
"""

import html
import re
from datetime import UTC, datetime, timedelta

import jdatetime
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from bot.jalali import TEHRAN, format_numeric, parse_jalali
from bot.persian import (
    ARABIC_INDIC_DIGITS,
    PERSIAN_DIGITS,
    ZWNJ,
    escape,
    normalize,
    normalize_mobile,
    to_ascii_digits,
    to_persian_digits,
)
from tests.conftest import ADMIN
from tests.flows import register
from tests.harness import Person

FAST = settings(max_examples=150, deadline=None)
SCRIPTS = {"ascii": "0123456789", "persian": PERSIAN_DIGITS, "arabic": ARABIC_INDIC_DIGITS}
# Characters `normalize` removes or replaces; none of them may survive it.
GONE = "\u064a\u0649\u0643\u0640\u200e\u200f\ufeff\u202a\u202b\u202c\u202d\u202e" + (
    "\u2066\u2067\u2068\u2069\u00a0" + ARABIC_INDIC_DIGITS
)
# Text as people type it: Persian and Latin letters, digits of three scripts, the characters
# normalize handles, spaces, tabs and line breaks, and any other character now and then.
TYPED = st.text(
    alphabet=st.one_of(
        st.sampled_from(
            "سلام کوچه علی آب‌" + "abc" + "0123456789" + PERSIAN_DIGITS + GONE + ZWNJ + " \t\n\r"
        ),
        st.characters(),
    ),
    max_size=40,
)


def in_script(number: int, width: int, scripts: st.DataObject) -> str:
    """`number`, zero-padded to `width`, each digit in a script hypothesis picks."""
    return "".join(
        SCRIPTS[scripts.draw(st.sampled_from(sorted(SCRIPTS)))][int(d)]
        for d in f"{number:0{width}d}"
    )


# Since 1401/06/30 Iran keeps no daylight saving: every local time exists once, so a typed
# time reads back as itself. (Before, 00:00–00:59 did not exist on the day clocks moved on.)
NO_DST_YEARS = st.integers(1402, 1600)
ALL_YEARS = st.integers(2, 9377)  # jdatetime has no year 0 for "the minute before"


@st.composite
def jalali_moments(draw, years=NO_DST_YEARS):
    """A valid Jalali date and time."""
    year = draw(years)
    month = draw(st.integers(1, 12))
    days = jdatetime.j_days_in_month[month - 1] + (
        month == 12 and jdatetime.date(year, 1, 1).isleap()
    )
    return (
        year,
        month,
        draw(st.integers(1, days)),
        draw(st.integers(0, 23)),
        draw(st.integers(0, 59)),
    )


def typed(data: st.DataObject, year, month, day, hour=None, minute=None) -> str:
    """The date as a person might type it: any digit scripts, padded or not, any separators."""

    def part(value: int) -> str:
        return in_script(value, data.draw(st.sampled_from([1, 2])), data)

    separators = [data.draw(st.sampled_from("/-.")) for _ in range(2)]
    text = f"{in_script(year, 4, data)}{separators[0]}{part(month)}{separators[1]}{part(day)}"
    if hour is not None:
        gap = data.draw(st.sampled_from([" ", "  ", "\t", " \u00a0"]))
        text += f"{gap}{part(hour)}:{in_script(minute, 2, data)}"
    return (
        data.draw(st.sampled_from(["", " ", "\n"])) + text + data.draw(st.sampled_from(["", " "]))
    )


# ---------------------------------------------------------------- Jalali dates typed


@FAST
@given(jalali_moments(), st.data())
def test_every_typed_jalali_date_and_time_round_trips(moment, data):
    year, month, day, hour, minute = moment
    parsed = parse_jalali(typed(data, *moment))
    assert parsed is not None
    assert parsed.tzinfo is UTC
    expected = to_persian_digits(f"{year:04d}/{month:02d}/{day:02d} {hour:02d}:{minute:02d}")
    assert format_numeric(parsed) == expected


def tehran_day(moment: datetime) -> tuple[int, int, int]:
    local = jdatetime.datetime.fromgregorian(datetime=moment.astimezone(TEHRAN))
    return local.year, local.month, local.day


@FAST
@given(jalali_moments(years=ALL_YEARS), st.data())
def test_a_date_without_time_is_the_first_moment_of_that_day_in_tehran(moment, data):
    year, month, day, _, _ = moment
    assume((year, month, day) < (9377, 10, 11))  # later Jalali days pass Gregorian year 9999
    parsed = parse_jalali(typed(data, year, month, day))
    assert parsed is not None
    assert tehran_day(parsed) == (year, month, day)
    assert tehran_day(parsed - timedelta(minutes=1)) != (year, month, day)


@FAST
@given(
    st.integers(1000, 9377), st.integers(0, 99), st.integers(0, 99), st.integers(0, 99),
    st.integers(0, 99), st.data(),
)  # fmt: skip
def test_a_date_that_does_not_exist_is_refused_not_guessed(year, month, day, hour, minute, data):
    try:
        jdatetime.datetime(year, month, day, hour, minute)
        exists = (year, month, day) < (9377, 10, 11)
    except ValueError:
        exists = False
    parsed = parse_jalali(typed(data, year, month, day, hour, minute))
    assert (parsed is not None) == exists


@FAST
@given(
    st.one_of(
        TYPED, st.from_regex(r"\A[\d۰-۹٠-٩]{1,5}[/\-. ][\d]{1,3}[/\-.][\d]{1,3}( \d\d?:\d\d)?\Z")
    )
)
@example("9999/12/29 23:59")  # beyond the last Gregorian year
@example("0000/01/01")
def test_no_typed_text_breaks_the_date_reader(text):
    parsed = parse_jalali(text)
    assert parsed is None or parsed.tzinfo is UTC


OTHER_DIGITS = ["०१२३४५६७८९", "０１２３４５６７８９", "০১২৩৪৫৬৭৮৯", "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗"]


@FAST
@given(jalali_moments(), st.sampled_from(OTHER_DIGITS), st.data())
def test_digits_of_other_scripts_are_not_read_as_a_date(moment, foreign, data):
    """Persian, Arabic-Indic and ASCII digits only: one digit in, e.g., Devanagari or
    full-width form makes the text no date (the rule: validate [0-9] after translating)."""
    year, month, day, hour, minute = moment
    text = f"{year:04d}/{month:02d}/{day:02d} {hour:02d}:{minute:02d}"
    position = data.draw(st.sampled_from([i for i, c in enumerate(text) if c.isdigit()]))
    text = text[:position] + foreign[int(text[position])] + text[position + 1 :]
    assert parse_jalali(text) is None


# ---------------------------------------------------------------- digits


@FAST
@given(st.integers())
def test_persian_digits_read_back_as_the_same_number(number):
    shown = to_persian_digits(number)
    assert not re.search("[0-9]", shown)
    assert int(to_ascii_digits(shown)) == number
    assert to_ascii_digits(shown) == str(number)


@FAST
@given(TYPED)
def test_to_ascii_digits_leaves_no_persian_or_arabic_digit_and_nothing_else_changes(text):
    ascii_text = to_ascii_digits(text)
    assert len(ascii_text) == len(text)
    assert not set(ascii_text) & set(PERSIAN_DIGITS + ARABIC_INDIC_DIGITS)
    assert to_ascii_digits(ascii_text) == ascii_text
    for before, after in zip(text, ascii_text, strict=True):
        script_digit = before in PERSIAN_DIGITS + ARABIC_INDIC_DIGITS
        assert after == before or (script_digit and after == str(int(before)))


# ---------------------------------------------------------------- typed text


@FAST
@given(TYPED)
@example(f"a{ZWNJ}{ZWNJ} b")
@example(f"x\n {ZWNJ}y\u2028{ZWNJ}")
@example("\u00a0\u200c\u00a0")
def test_normalize_is_idempotent(text):
    assert normalize(normalize(text)) == normalize(text)


@FAST
@given(TYPED)
def test_normalized_text_is_clean(text):
    clean = normalize(text)
    assert not set(clean) & set(GONE)
    assert "  " not in clean
    assert "\t" not in clean
    assert ZWNJ * 2 not in clean
    assert clean == clean.strip()
    for line in clean.split("\n"):
        assert line == line.strip()
        assert not line.startswith(ZWNJ)
        assert not line.endswith(ZWNJ)
    assert not re.search(rf"\s{ZWNJ}|{ZWNJ}\s", clean)


@FAST
@given(TYPED)
def test_normalize_keeps_every_digit_and_its_value(text):
    def digits(value: str) -> str:
        return re.sub("[^0-9]", "", to_ascii_digits(value))

    assert digits(normalize(text)) == digits(text)
    assert not set(normalize(text)) & set(ARABIC_INDIC_DIGITS)


@FAST
@given(st.lists(st.text(alphabet="سلامکوچهآبabc۱۲۳123", min_size=1, max_size=8), max_size=6))
def test_clean_words_pass_through_normalize_untouched(words):
    text = " ".join(words)
    assert normalize(text) == text


# ---------------------------------------------------------------- mobiles


@FAST
@given(st.integers(0, 999_999_999), st.sampled_from(["", "0", "98", "+98", "0098"]), st.data())
def test_every_way_of_typing_a_mobile_gives_one_number(rest, prefix, data):
    typed_number = prefix + in_script(9, 1, data) + in_script(rest, 9, data)
    if data.draw(st.booleans()):
        typed_number = f" {typed_number[:-7]} {typed_number[-7:-4]}-{typed_number[-4:]} "
    assert normalize_mobile(typed_number) == f"+989{rest:09d}"


@FAST
@given(TYPED)
def test_a_mobile_is_e164_or_none(text):
    mobile = normalize_mobile(text)
    assert mobile is None or re.fullmatch(r"\+989[0-9]{9}", mobile)
    if mobile:
        assert normalize_mobile(mobile) == mobile


# ---------------------------------------------------------------- safe HTML


@FAST
@given(st.text())
def test_escaped_text_has_no_markup_and_reads_back_the_same(text):
    safe = escape(text)
    assert html.unescape(safe) == text
    assert "<" not in safe
    assert ">" not in safe
    assert "&" not in re.sub("&(amp|lt|gt);", "", safe)


@FAST
@given(st.text(alphabet=st.characters(blacklist_characters="<>&")))
def test_text_without_markup_characters_is_not_changed_by_escaping(text):
    assert escape(text) == text


# ---------------------------------------------------------------- button data (through the bot)

RESIDENT = Person(111222333, "زهرا")
PREFIXES = ["a:", "f:", "f:q:", "r:", "r:l:", "rp:c:", "rp:e:", "bc:a:", "bc:stop:", "nb:", "t:"]
PIECES = st.one_of(
    st.integers(-5, 10**30).map(str),
    st.sampled_from(["ack", "done", "no", "v", "i", "y", "n", "s", "to", "cx", "ok", "²", "١"]),
    st.text(max_size=6),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    prefix=st.sampled_from(PREFIXES),
    pieces=st.lists(PIECES, max_size=3),
    admin=st.booleans(),
)
async def test_no_forged_button_breaks_the_bot_and_every_press_gets_an_answer(
    bot, prefix, pieces, admin
):
    """Whatever a client puts in callback_data (at most 64 bytes), no handler raises (the
    harness fails the test if one does) and the presser is shown something."""
    data = (prefix + ":".join(pieces)).encode()[:64].decode(errors="ignore")
    person = ADMIN if admin else RESIDENT
    bot.errors.clear()  # each example on its own (the bot lives across examples)
    if await bot.app.storage.get_resident(RESIDENT.id) is None:
        await register(bot, RESIDENT)
    calls = await bot.press(person, data)
    assert [c for c in calls if c.chat_id == person.id or c.method == "answerCallbackQuery"]

"""Persian text at the edge: normalise what people type, show numbers the Persian way."""

import html
import re

PERSIAN_DIGITS = "".join(map(chr, range(0x06F0, 0x06FA)))
ARABIC_INDIC_DIGITS = "".join(map(chr, range(0x0660, 0x066A)))
_TO_ASCII_DIGITS = str.maketrans(PERSIAN_DIGITS + ARABIC_INDIC_DIGITS, "0123456789" * 2)
_TO_PERSIAN_DIGITS = str.maketrans("0123456789", PERSIAN_DIGITS)
_ARABIC_TO_PERSIAN_DIGITS = str.maketrans(ARABIC_INDIC_DIGITS, PERSIAN_DIGITS)
_LETTERS = str.maketrans(
    {
        "\u064a": "\u06cc",  # Arabic yeh -> Persian yeh
        "\u0649": "\u06cc",  # alef maksura -> Persian yeh
        "\u0643": "\u06a9",  # Arabic kaf -> Persian keheh
        "\u0640": None,  # tatweel
        "\u200e": None,  # LRM
        "\u200f": None,  # RLM
        "\ufeff": None,  # BOM
        "\u202a": None,
        "\u202b": None,
        "\u202c": None,
        "\u202d": None,
        "\u202e": None,
        "\u2066": None,
        "\u2067": None,
        "\u2068": None,
        "\u2069": None,
        "\u00a0": " ",
    }
)
ZWNJ = "\u200c"
_ZWNJ_RUNS = re.compile("\u200c{2,}")
_STRAY_ZWNJ = re.compile(r"\u200c(?=\s|$)|(?<=\s)\u200c|^\u200c")
_SPACES = re.compile(r"[ \t]+")
_MOBILE = re.compile(r"^(?:\+98|0098|98|0)?(9[0-9]{9})$")


def to_ascii_digits(text: str) -> str:
    return text.translate(_TO_ASCII_DIGITS)


def to_persian_digits(value: object) -> str:
    return str(value).translate(_TO_PERSIAN_DIGITS)


def normalize(text: str) -> str:
    """Clean typed text: Persian yeh and keheh, Persian digits for Arabic-Indic ones, no tatweel
    or bidi marks, tidy spaces.

    Digits otherwise stay as typed (this is text people read; parsers call `to_ascii_digits`).
    Line breaks are kept (a description may have several lines); a ZWNJ stays where it joins
    two letters and goes where it only sits beside a space or the ends.
    """
    text = text.translate(_LETTERS).translate(_ARABIC_TO_PERSIAN_DIGITS)
    text = _STRAY_ZWNJ.sub("", _ZWNJ_RUNS.sub(ZWNJ, text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(lines).strip()


def normalize_mobile(text: str) -> str | None:
    """An Iranian mobile number in E.164 (+989…), or None when it is not one."""
    digits = re.sub(r"[\s\-()]", "", to_ascii_digits(text))
    match = _MOBILE.match(digits)
    return f"+98{match.group(1)}" if match else None


def escape(text: str) -> str:
    """User text made safe for an HTML message."""
    return html.escape(text, quote=False)


def isolate_ltr(text: str) -> str:
    """Wrap a code or a phone number so it reads left to right inside a Persian sentence."""
    return f"\u2066{text}\u2069"

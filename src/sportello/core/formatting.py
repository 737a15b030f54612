"""Amounts and dates as each language writes them, the same in pages, PDFs and emails.

Amounts go through Babel with the active language's locale (thousands separators, the
currency sign where that language puts it). Dates use Django's formats from
`sportello.formats` (one format per language, months in lowercase in Italian and Spanish);
`fix_date_articles` then gives Italian dates the article they need ("l'11 novembre",
"dall'8 marzo"), which a translated sentence cannot know before the date is filled in.
"""

import functools
import re
from datetime import datetime
from decimal import Decimal

from babel.numbers import format_currency, format_decimal, format_percent
from django.conf import settings
from django.utils import timezone
from django.utils.dateformat import DateFormat, re_escaped, re_formatchars
from django.utils.formats import get_format, get_format_modules
from django.utils.translation import get_language

# The locale each interface language formats numbers with.
LOCALES = {"it": "it_IT", "en": "en_IE", "es": "es_ES"}


def locale_of(language: str | None = None) -> str:
    code = (language or get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return LOCALES.get(code, LOCALES[settings.LANGUAGE_CODE])


def format_money(
    amount: Decimal | int | str | None, currency: str = "EUR", language: str | None = None
) -> str:
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(amount)
    except (TypeError, ValueError, ArithmeticError):
        return str(amount)  # not an amount: shown as it is rather than failing the page
    return str(format_currency(value, currency or "EUR", locale=locale_of(language)))


def format_number(value: Decimal | int | str | None, language: str | None = None) -> str:
    """A quantity or a percentage: grouped, without trailing zeros (22, 4,5)."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(value)
    except (TypeError, ValueError, ArithmeticError):
        return str(value)
    return str(format_decimal(number, locale=locale_of(language)))


def format_rate(value: Decimal | int | str | None, language: str | None = None) -> str:
    """A VAT rate as the language writes a percentage: "22%" in Italian, "22 %" in Spanish,
    "5,5%" for a reduced rate: as many decimals as the rate has, never "22,00"."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(value)
    except (TypeError, ValueError, ArithmeticError):
        return str(value)
    fraction = number.normalize() / 100
    return str(format_percent(fraction, locale=locale_of(language), decimal_quantization=False))


@functools.lru_cache(maxsize=64)
def _date_pieces(format_string: str) -> tuple[tuple[bool, str], ...]:
    """A date format split once, as Django splits it on every date: (True, a format
    character) or (False, the text between them)."""
    pieces = []
    for position, piece in enumerate(re_formatchars.split(format_string)):
        if position % 2:
            pieces.append((True, piece))
        elif piece:
            pieces.append((False, re_escaped.sub(r"\1", piece)))
    return tuple(pieces)


def local_date(value: datetime | None, format_name: str = "SHORT_DATETIME_FORMAT") -> str:
    """A moment as `{{ value|date:format_name }}` writes it, in the current time zone and
    language. The format is split once rather than on every date: a queue page writes
    two hundred and fifty of them."""
    if value is None:
        return ""
    return _written(timezone.localtime(value), get_format(format_name))


def compact_date(value: datetime | None, now: datetime, with_time: bool = True) -> str:
    """A moment where room is short, as in the staff queue's columns: "7 dic, 10:15", with
    the year only when it is not the current one ("7 dic 2025, 10:15"), in one piece."""
    if value is None:
        return ""
    zone = timezone.get_current_timezone()  # read once: a thread-local look-up each time
    local = value.astimezone(zone)
    same_year = local.year == now.astimezone(zone).year
    name = "COMPACT_" + ("" if same_year else "YEAR_") + ("DATETIME" if with_time else "DATE")
    return _written(local, compact_format(f"{name}_FORMAT"))


def compact_format(name: str) -> str:
    """One of the `COMPACT_*` formats of `sportello.formats` in the active language."""
    return _compact_format(name, get_language())


@functools.lru_cache(maxsize=64)
def _compact_format(name: str, language: str | None) -> str:
    # Django's get_format() looks up only its own names; these are read from the same modules.
    for module in get_format_modules(language):
        if hasattr(module, name):
            return getattr(module, name)
    return "j M Y, H:i" if "DATETIME" in name else "j M Y"


def _written(local: datetime, format_string: str) -> str:
    formatter = DateFormat(local)
    return "".join(
        str(getattr(formatter, piece)()) if is_character else piece
        for is_character, piece in _date_pieces(format_string)
    )


_MONTHS_IT = (
    "gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|dicembre"
    "|gen|feb|mar|apr|mag|giu|lug|ago|set|ott|nov|dic"  # the compact dates' abbreviations
)
# Days whose name starts with a vowel: 1 ("uno"), 8 ("otto"), 11 ("undici").
_ELIDED = {"il": "l'", "dal": "dall'", "al": "all'", "del": "dell'", "nel": "nell'", "sul": "sull'"}
_ARTICLE_BEFORE_DATE = re.compile(
    r"\b([Ii]l|[Dd]al|[Aa]l|[Dd]el|[Nn]el|[Ss]ul) ((?:<[a-z]+>)*)(1|8|11)([ \u00a0](?:"
    + _MONTHS_IT
    + r")\b)"
)


def _elide(match: re.Match[str]) -> str:
    word = match.group(1)
    elided = _ELIDED[word.lower()]
    if word[0].isupper():
        elided = elided[0].upper() + elided[1:]
    # The tags that may open between the article and the day stay around the day.
    return f"{elided}{match.group(2)}{match.group(3)}{match.group(4)}"


def fix_date_articles(text: str, language: str | None = None) -> str:
    """Italian: "il 11 novembre" → "l'11 novembre"; other languages are returned as they are."""
    code = (language or get_language() or "").split("-")[0]
    if code != "it" or not text:
        return text
    return _ARTICLE_BEFORE_DATE.sub(_elide, text)

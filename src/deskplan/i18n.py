"""The words deskplan writes, in the plan's language (plan.yaml `language`: README, "plan.yaml").

Status comments, built-in task texts, review digests and the report are written through a
`Lang`: its `_` and `ngettext` look a message up in the gettext catalogue of the language
(`locale/<ll_CC>/LC_MESSAGES/deskplan.po`, refreshed with `make catalogue`) and fill in its
`{name}` placeholders; its `day`, `percent` and `number` format for the locale with Babel's CLDR
data. English is the source language: its catalogue is the messages themselves, and its dates
and numbers keep the forms deskplan has always written (`9 Nov 2026`, `88.2%`), so English
output does not change.

The catalogue is read from the `.po` source and compiled in memory (Babel's `read_po` and
`write_mo`) when a `Lang` is made: a fresh clone needs no build step, and no compiled `.mo` can
drift from the `.po` it was made from. A `Lang` is made once per command or run from the
workspace's `language` and handed down; nothing here is global.

Machine-read output (JSON keys and values, idempotency keys, markers) never goes through it.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

LANGUAGES = ("en", "zh-CN")
Language = Literal["en", "zh-CN"]
DEFAULT_LANGUAGE: Language = "en"
DOMAIN = "deskplan"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December")


def locale_name(language: str) -> str:
    """`zh-CN` (plan.yaml, BCP 47) -> `zh_CN` (gettext's and Babel's directory and locale name)."""
    return language.replace("-", "_")


def po_path(language: str) -> Path:
    return LOCALE_DIR / locale_name(language) / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of `language`; for English the messages as written."""
    if language == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    path = po_path(language)
    with path.open("rb") as source:
        catalog = read_po(source, locale=locale_name(language), domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)         # fuzzy entries are left out: an unchecked guess is not shown
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@dataclass(frozen=True)
class Lang:
    code: str
    translations: gettext.NullTranslations
    locale: Locale

    @property
    def english(self) -> bool:
        return self.code == DEFAULT_LANGUAGE

    def _(self, message: str, **values: Any) -> str:
        """The message in this language, its `{name}` placeholders filled from `values`."""
        text = self.translations.gettext(message)
        return text.format(**values) if values else text

    def p_(self, context: str, message: str, **values: Any) -> str:
        """As `_`, for a message whose words depend on where it stands (gettext's context)."""
        text = self.translations.pgettext(context, message)
        return text.format(**values) if values else text

    def listed(self, items: Iterable[str]) -> str:
        """Ids and names one after the other: `M1, M2` (`M1、M2`)."""
        return self._(", ").join(items)

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        """By count: `{n} ticket` / `{n} tickets` (one form in Chinese); `n` is among the values."""
        return self.translations.ngettext(singular, plural, n).format(n=n, **values)

    def day(self, value: date) -> str:
        """A day: `9 Nov 2026` in English, `2026年11月9日` in Chinese."""
        if self.english:
            return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
        return format_date(value, "long", locale=self.locale)

    def month(self, value: date, *, year: bool = False) -> str:
        """A month: `Nov` / `11月`; with the year `November 2026` / `2026年11月`."""
        if self.english:
            return f"{_MONTH_NAMES[value.month - 1]} {value.year}" if year else _MONTHS[value.month - 1]
        return format_skeleton("yMMMM" if year else "MMM", value, locale=self.locale)

    def percent(self, value: float | None, digits: int = 1) -> str:
        """A share: `88.2%`; a dash for nothing measured."""
        if value is None:
            return "–"
        if self.english:
            return f"{value * 100:.{digits}f}%"
        pattern = "0." + "0" * digits + "%" if digits else "0%"
        return format_percent(value, pattern, locale=self.locale)

    def number(self, value: float, digits: int = 1) -> str:
        if self.english:
            return f"{value:,.{digits}f}"
        return format_decimal(value, "#,##0." + "0" * digits if digits else "#,##0", locale=self.locale)


def translator(language: str | None) -> Lang:
    """The `Lang` of a plan's `language` (None: English)."""
    code = language or DEFAULT_LANGUAGE
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {code!r}; choose one of {', '.join(LANGUAGES)}")
    return Lang(code, load_translations(code), Locale.parse(locale_name(code)))


ENGLISH = Lang(DEFAULT_LANGUAGE, gettext.NullTranslations(), Locale.parse("en"))
"""English, for callers given no language: immutable (NullTranslations reads nothing)."""

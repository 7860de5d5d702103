"""The console's languages: gettext catalogs read from Babel ``.po`` files (not pure: it reads
the catalogs once, and keeps the request's language in a context variable).

Message ids are the Chinese text, which is what a user who chose nothing sees (``zh_CN``); the
``en`` catalog translates them, and the ``zh_CN`` catalog repeats them (so a wording can be
changed there without touching code, and a missing catalog still shows Chinese, never English).

The ``.po`` files are the only source: they are compiled in memory on first use, so a fresh
clone needs no build step and no ``.mo`` file can go stale beside its ``.po``.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from importlib import resources
from io import BytesIO
from pathlib import Path
from typing import TypeVar

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from store.said import Said

LOCALES = ("zh_CN", "en")
"""The console's languages, the default first."""
DEFAULT_LOCALE = LOCALES[0]
LOCALE_NAMES = {"zh_CN": "中文", "en": "English"}
"""Each language in its own words, for the switch (never translated)."""
LOCALE_DIR = Path(str(resources.files("console") / "locale"))
DOMAIN = "messages"

K = TypeVar("K")
_current: ContextVar[str] = ContextVar("console_locale", default=DEFAULT_LOCALE)


def catalog_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def pick_locale(wanted: str | None) -> str:
    """``wanted`` if the console speaks it, else the default (a stale cookie or column)."""
    return wanted if wanted in LOCALES else DEFAULT_LOCALE


@cache
def translations(locale: str) -> _gettext.GNUTranslations:
    """The compiled catalog of ``locale`` (one of :data:`LOCALES`)."""
    with catalog_path(locale).open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


def current_locale() -> str:
    return _current.get()


@contextmanager
def use_locale(locale: str) -> Iterator[str]:
    """Speak ``locale`` (or the default, if the console does not speak it) until the block ends."""
    token = _current.set(pick_locale(locale))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    """``message`` (a Chinese msgid) in the current language."""
    return translations(_current.get()).gettext(message)


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translations(_current.get()).pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).npgettext(context, singular, plural, n)


def translated(names: Mapping[K, str]) -> dict[K, str]:
    """A table of marked names (``N_``), each in the current language."""
    return {key: gettext(name) for key, name in names.items()}


def N_(message: str) -> str:
    """Marks ``message`` for the catalogs where it is defined; it is translated where shown."""
    return message


def in_language(zh: str, en: str) -> str:
    """Words a layer below says in both languages (the policy's reasons), in the current
    one: the Chinese where no English was given."""
    return en if en and _current.get() == "en" else zh


def say(said: Said | BaseException | str) -> str:
    """What a layer below said (a :class:`store.said.Said`, or an error carrying one as
    ``said``, or one listing its ``problems``), in the current language; any other error or
    text as it is."""
    if isinstance(said, BaseException):
        carried = getattr(said, "said", None)  # a SaidError, a console UsageError
        problems = getattr(said, "problems", None)  # a refused profile, lexicon, phrases
        if isinstance(problems, list) and not isinstance(carried, Said):
            return "\n".join(say(p) if isinstance(p, Said | str) else str(p) for p in problems)
        said = carried if isinstance(carried, Said) else str(said)
    if isinstance(said, Said):
        return said.render(gettext)
    return said

"""The catalogs against the code: every message the console's Python and templates mark, and
whether each catalog translates it (a tool for tests and ``scripts/i18n_sync.py``; it reads
files and, in :func:`sync`, writes the ``.po`` files).

Marked means ``_("…")``, ``N_("…")``, ``gettext``/``ngettext``/``pgettext`` in Python and
``{{ _("…") }}`` or ``{% trans %}`` in a template.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from console.i18n import DOMAIN, LOCALES, catalog_path

CONSOLE_DIR = Path(__file__).resolve().parent
MARKED_BELOW = ("store", "dialer", "compliance")
"""Packages under the console whose words reach its pages (``store.said.N_``): extracted too."""
METHODS = [
    ("**/web/templates/**.html", "jinja2.ext:babel_extract"),
    ("**.py", "python"),
]
_SKIP = ("i18n.py", "i18n_catalogs.py")  # they name the functions, they mark nothing

MessageId = str | tuple[str, str]
"""A msgid, or (context, msgid) for a ``pgettext`` message."""


@dataclass(frozen=True)
class CatalogGaps:
    """What one catalog lacks or keeps beyond the code."""

    locale: str
    untranslated: list[MessageId]
    stale: list[MessageId]


def _key(message: str | tuple[str, ...] | list[str], context: str | None) -> MessageId:
    msgid = message if isinstance(message, str) else message[0]
    return (context, msgid) if context else msgid


def extract(root: Path = CONSOLE_DIR) -> dict[MessageId, tuple[str | tuple[str, ...], str]]:
    """Every marked message under ``root`` (and, for the console, the packages of
    :data:`MARKED_BELOW`): key -> (message as marked, first place found)."""
    found: dict[MessageId, tuple[str | tuple[str, ...], str]] = {}
    places = [(root, "")]
    if root == CONSOLE_DIR:
        places += [(root.parent / name, f"../{name}/") for name in MARKED_BELOW]
    for where, prefix in places:
        for filename, lineno, message, _comments, context in extract_from_dir(
            str(where), METHODS, options_map={"**.html": {"trimmed": "true"}}
        ):
            if Path(filename).name in _SKIP or "/migrations/" in f"/{filename}":
                continue
            found.setdefault(_key(message, context), (message, f"{prefix}{filename}:{lineno}"))
    return found


def load(locale: str) -> Catalog:
    with catalog_path(locale).open("rb") as po:
        return read_po(po, locale=locale, domain=DOMAIN)


def gaps(locale: str, marked: set[MessageId]) -> CatalogGaps:
    """The marked messages ``locale`` does not translate, and the entries nothing marks."""
    catalog = load(locale)
    present: dict[MessageId, bool] = {}
    for entry in catalog:
        if not entry.id:
            continue  # the header
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        present[_key(entry.id, entry.context)] = all(strings) and not entry.fuzzy
    untranslated = sorted((m for m in marked if not present.get(m)), key=str)
    stale = sorted((m for m in present if m not in marked), key=str)
    return CatalogGaps(locale, untranslated, stale)


def sync(root: Path = CONSOLE_DIR) -> dict[str, CatalogGaps]:
    """Bring both catalogs in line with the code: add what is marked (``zh_CN`` repeats the
    Chinese msgid; ``en`` is left empty for a person to translate), drop what nothing marks.
    Returns what each catalog still lacks."""
    marked = extract(root)
    for locale in LOCALES:
        old = load(locale) if catalog_path(locale).exists() else Catalog(locale=locale)
        new = Catalog(
            locale=locale,
            domain=DOMAIN,
            project="callwarden",
            fuzzy=False,
            creation_date=old.creation_date,  # a sync changes no date: diffs show messages only
            revision_date=old.revision_date,
        )
        for key, (message, where) in sorted(marked.items(), key=lambda kv: str(kv[0])):
            context = key[0] if isinstance(key, tuple) else None
            msgid = message if isinstance(message, str) else message[:2]
            previous = old.get(msgid if isinstance(msgid, str) else msgid[0], context=context)
            if previous is not None and previous.string:
                string = previous.string
            elif locale == "zh_CN":
                string = msgid
            else:
                string = "" if isinstance(msgid, str) else ("", "")
            path, line = where.rsplit(":", 1)
            new.add(msgid, string, locations=[(path, int(line))], context=context)
        catalog_path(locale).parent.mkdir(parents=True, exist_ok=True)
        with catalog_path(locale).open("wb") as po:
            write_po(po, new, width=100, sort_output=True, include_lineno=False)
    return {locale: gaps(locale, set(marked)) for locale in LOCALES}
